"""Rate limits counted in the database (reports/throttling.py)."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import throttling
from reports.models import Throttle
from reports.tasks import purge_rate_limits

pytestmark = pytest.mark.django_db

REQUESTS = throttling.Limit(scope="test-requests", free=3, window=datetime.timedelta(hours=1))
FAILURES = throttling.Limit(scope="test-failures", free=2, window=datetime.timedelta(hours=1),
                            base_delay=datetime.timedelta(seconds=2),
                            max_delay=datetime.timedelta(seconds=10))


def test_requests_over_the_allowance_are_refused_until_the_window_ends():
    assert [throttling.check_and_count(limit=REQUESTS, key="192.0.2.1") for _ in range(5)] == [
        True, True, True, False, False]
    assert throttling.check_and_count(limit=REQUESTS, key="192.0.2.2") is True
    assert 3590 <= throttling.seconds_blocked(limit=REQUESTS, key="192.0.2.1") <= 3600

    Throttle.objects.filter(scope=REQUESTS.scope).update(
        window_started=timezone.now() - datetime.timedelta(hours=1, seconds=1),
        blocked_until=timezone.now() - datetime.timedelta(seconds=1))
    assert throttling.check_and_count(limit=REQUESTS, key="192.0.2.1") is True


def test_failures_block_with_doubling_delays_up_to_the_maximum():
    delays = [throttling.record_failure(limit=FAILURES, key="7KQ2") for _ in range(6)]

    assert delays == [0, 0, 2, 4, 8, 10]
    assert 9 <= throttling.seconds_blocked(limit=FAILURES, key="7KQ2") <= 10
    assert throttling.seconds_blocked(limit=FAILURES, key="ABCD") == 0

    throttling.clear(limit=FAILURES, key="7KQ2")
    assert throttling.seconds_blocked(limit=FAILURES, key="7KQ2") == 0
    assert Throttle.objects.count() == 0


def test_keys_are_stored_only_as_keyed_hashes():
    throttling.record_failure(limit=FAILURES, key="198.51.100.23")

    row = Throttle.objects.get()
    assert (row.scope, row.count, len(row.key_hash)) == ("test-failures", 1, 64)
    assert "198.51.100.23" not in row.key_hash
    assert row.key_hash != throttling._hash("other-scope", "198.51.100.23")


def test_purge_deletes_counters_23_hours_after_their_window_started():
    """Hourly, so a hash is gone within 24 hours (the privacy statement's promise)."""
    now = timezone.now()
    for key, started, blocked in [
        ("old", now - datetime.timedelta(hours=23, minutes=1), None),
        ("old-block-ended", now - datetime.timedelta(days=2), now - datetime.timedelta(hours=1)),
        ("old-but-blocked", now - datetime.timedelta(days=2), now + datetime.timedelta(hours=1)),
        ("recent", now - datetime.timedelta(hours=22, minutes=59), None),
    ]:
        Throttle.objects.create(scope="test", key_hash=throttling._hash("test", key),
                                count=9, window_started=started, blocked_until=blocked)

    assert purge_rate_limits() == 2
    assert sorted(Throttle.objects.values_list("key_hash", flat=True)) == sorted(
        throttling._hash("test", key) for key in ("old-but-blocked", "recent"))
    assert settings.CELERY_BEAT_SCHEDULE["purge-rate-limits"]["task"] == (
        "reports.tasks.purge_rate_limits")


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "203.0.113.9", "10.0.0.1"),  # no trusted proxy: the header is ignored
    (1, "203.0.113.9", "203.0.113.9"),
    (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # a spoofed first hop is ignored
    (2, "198.51.100.1, 203.0.113.9", "198.51.100.1"),
    (1, "", "10.0.0.1"),
])
def test_client_ip(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1",
                                   HTTP_X_FORWARDED_FOR=forwarded)
    assert throttling.client_ip(request) == expected


def _scenario(check) -> list[tuple[bool, int, bool]]:
    """Requests over two windows: (allowed, count, blocked) after each."""
    results = []

    def state():
        row = Throttle.objects.get(scope=REQUESTS.scope, key_hash=throttling._hash(
            REQUESTS.scope, "203.0.113.9"))
        return row.count, row.blocked_until is not None and row.blocked_until > timezone.now()

    for _ in range(5):
        results.append((check(), *state()))
    Throttle.objects.filter(scope=REQUESTS.scope).update(  # the window (and block) ended
        window_started=timezone.now() - datetime.timedelta(hours=1, seconds=1),
        blocked_until=timezone.now() - datetime.timedelta(seconds=1))
    for _ in range(2):
        results.append((check(), *state()))
    Throttle.objects.filter(scope=REQUESTS.scope).delete()
    return results


def test_the_single_statement_and_the_locked_count_agree():
    """On PostgreSQL ``check_and_count`` is one upsert (issue 13); it must count and block
    exactly as the locked read-and-save it replaces (still used on SQLite)."""
    single = _scenario(lambda: throttling.check_and_count(limit=REQUESTS, key="203.0.113.9"))
    locked = _scenario(lambda: throttling._check_and_count_locked(
        limit=REQUESTS, key="203.0.113.9", now=timezone.now()))

    assert single == locked == [
        (True, 1, False), (True, 2, False), (True, 3, False), (False, 4, True), (False, 4, True),
        (True, 1, False), (True, 2, False)]


def test_the_single_statement_is_one_query(django_assert_num_queries):
    throttling.check_and_count(limit=REQUESTS, key="192.0.2.50")
    expected = 1 if throttling.connection.vendor == "postgresql" else 5
    with django_assert_num_queries(expected, exact=False):
        assert throttling.check_and_count(limit=REQUESTS, key="192.0.2.50") is True


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_count_commits_without_waiting_for_the_disk():
    """Issue 13: outside any transaction the upsert is its own transaction with asynchronous
    commit; it still counts and refuses, and the setting ends with that transaction."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("asynchronous commit is PostgreSQL's")
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as captured:
        results = [throttling.check_and_count(limit=REQUESTS, key="198.51.100.7")
                   for _ in range(5)]

    assert results == [True, True, True, False, False]
    assert [query["sql"].split(None, 1)[0] for query in captured.captured_queries][:4] == [
        "BEGIN", "SET", "INSERT", "COMMIT"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
