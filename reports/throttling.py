"""Rate limits for the public pages, counted in the database (``Throttle``) so that every web
process shares them and they keep working when Redis is down.

Two kinds of limit use the same table:

* ``check_and_count`` – requests per window (intake POSTs per IP): the request that passes the
  allowance is refused until the window ends;
* ``is_blocked`` / ``record_failure`` / ``clear`` – failures with growing delays (receipt-code
  lookups per IP and per code prefix): after ``free`` failures each further failure blocks the key
  for ``base_delay * 2 ** (failures - free - 1)``, at most ``max_delay``.

Keys (IP addresses, code prefixes) are stored only as keyed hashes.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from reports import crypto
from reports.models import Throttle


@dataclass(frozen=True)
class Limit:
    """One rate limit: a ``scope`` name, the ``free`` allowance per ``window`` and, for failure
    limits, the growing delay (``base_delay`` doubled per further failure, up to
    ``max_delay``)."""

    scope: str
    free: int
    window: datetime.timedelta
    base_delay: datetime.timedelta = datetime.timedelta(seconds=2)
    max_delay: datetime.timedelta = datetime.timedelta(hours=1)


def client_ip(request: HttpRequest) -> str:
    """The client's IP address: ``REMOTE_ADDR``, or the last ``X-Forwarded-For`` hop when
    ``TRUSTED_PROXY_COUNT`` (setting, default 0) says a proxy in front adds it."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _hash(scope: str, key: str) -> str:
    return crypto.keyed_hash(purpose=scope, value=key)


def _locked_row(limit: Limit, key: str, now: datetime.datetime) -> Throttle:
    key_hash = _hash(limit.scope, key)
    try:
        with transaction.atomic():
            Throttle.objects.get_or_create(scope=limit.scope, key_hash=key_hash,
                                           defaults={"window_started": now})
    except IntegrityError:
        pass
    row = Throttle.objects.select_for_update().get(scope=limit.scope, key_hash=key_hash)
    if now - row.window_started >= limit.window and (row.blocked_until is None
                                                     or row.blocked_until <= now):
        row.count, row.window_started, row.blocked_until = 0, now, None
    return row


def seconds_blocked(*, limit: Limit, key: str) -> int:
    """Seconds ``key`` must still wait under ``limit`` (0: not blocked). Counts nothing."""
    row = Throttle.objects.filter(scope=limit.scope, key_hash=_hash(limit.scope, key)).first()
    if row is None or row.blocked_until is None:
        return 0
    remaining = (row.blocked_until - timezone.now()).total_seconds()
    return max(0, int(remaining + 0.999))


#: ``check_and_count`` on PostgreSQL: the whole read-modify-write as one upsert (the row's lock
#: is held by this statement only). A window that has passed and blocks nothing starts again.
_COUNT_SQL = """
INSERT INTO {table} AS t (scope, key_hash, count, window_started, blocked_until)
VALUES (%(scope)s, %(key)s, 1, %(now)s, CASE WHEN 1 > %(free)s THEN %(end)s END)
ON CONFLICT (scope, key_hash) DO UPDATE SET
  count = CASE WHEN t.window_started <= %(cutoff)s
                    AND (t.blocked_until IS NULL OR t.blocked_until <= %(now)s) THEN 1
               WHEN t.blocked_until > %(now)s THEN t.count
               ELSE t.count + 1 END,
  blocked_until = CASE WHEN t.window_started <= %(cutoff)s
                            AND (t.blocked_until IS NULL OR t.blocked_until <= %(now)s)
                            THEN CASE WHEN 1 > %(free)s THEN %(end)s END
                       WHEN t.blocked_until > %(now)s THEN t.blocked_until
                       WHEN t.count + 1 > %(free)s
                            THEN t.window_started + CAST(%(window)s AS interval)
                       ELSE t.blocked_until END,
  window_started = CASE WHEN t.window_started <= %(cutoff)s
                             AND (t.blocked_until IS NULL OR t.blocked_until <= %(now)s)
                             THEN %(now)s ELSE t.window_started END
RETURNING blocked_until
"""


def check_and_count(*, limit: Limit, key: str) -> bool:
    """Count one request of ``key``; ``False`` if it is over ``limit.free`` in the window (the
    key stays refused until the window ends).

    On PostgreSQL one ``INSERT ... ON CONFLICT DO UPDATE`` statement (issue 13: the intake POST
    spent four statements and a savepoint here); elsewhere a locked read and a save.

    Outside any transaction, the count is committed asynchronously (``SET LOCAL
    synchronous_commit TO OFF``): the request does not wait for the disk (about 4 ms, while the
    key's row stays locked for every other request from the same address). A crash of
    PostgreSQL within a fraction of a second may forget the last counts, never half of one; the
    database stays consistent and every other transaction keeps waiting for its commit. Inside a
    caller's transaction the setting would apply to that transaction too, so there it is left
    alone.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        asynchronous = not connection.in_atomic_block
        with (transaction.atomic() if asynchronous else contextlib.nullcontext()), \
                connection.cursor() as cursor:
            if asynchronous:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(_COUNT_SQL.format(table=Throttle._meta.db_table), {
                "scope": limit.scope, "key": _hash(limit.scope, key), "now": now,
                "free": limit.free, "cutoff": now - limit.window,
                "window": f"{limit.window.total_seconds()} seconds",
                "end": now + limit.window})
            (blocked_until,) = cursor.fetchone()
        return blocked_until is None or blocked_until <= now
    return _check_and_count_locked(limit=limit, key=key, now=now)


@transaction.atomic
def _check_and_count_locked(*, limit: Limit, key: str, now: datetime.datetime) -> bool:
    """``check_and_count`` as a locked read and a save (SQLite)."""
    row = _locked_row(limit, key, now)
    if row.blocked_until is not None and row.blocked_until > now:
        row.save()
        return False
    row.count += 1
    allowed = row.count <= limit.free
    if not allowed:
        row.blocked_until = row.window_started + limit.window
    row.save()
    return allowed


@transaction.atomic
def record_failure(*, limit: Limit, key: str) -> int:
    """Count one failure of ``key``; returns the seconds it is now blocked (0 while within the
    free allowance)."""
    now = timezone.now()
    row = _locked_row(limit, key, now)
    row.count += 1
    over = row.count - limit.free
    delay = datetime.timedelta(0)
    if over > 0:
        delay = min(limit.base_delay * (2 ** (over - 1)), limit.max_delay)
        row.blocked_until = now + delay
    row.save()
    return int(delay.total_seconds())


def clear(*, limit: Limit, key: str) -> None:
    """Forget ``key``'s failures (after a success)."""
    Throttle.objects.filter(scope=limit.scope, key_hash=_hash(limit.scope, key)).delete()


def purge_expired(*, older_than: datetime.timedelta = datetime.timedelta(hours=23)) -> int:
    """Delete counters whose window started more than ``older_than`` ago and that block nothing
    any more; returns how many. Run hourly (beat ``purge-rate-limits``), so no keyed hash of an
    IP address outlives its window's start by more than 24 hours unless it is still blocking."""
    now = timezone.now()
    deleted, _ = Throttle.objects.filter(window_started__lt=now - older_than).exclude(
        blocked_until__gt=now).delete()
    return deleted
