"""``meldpunt.database.use_statement_timeout``: the option it sends and what PostgreSQL applies."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from meldpunt.database import _without_statement_timeout, use_statement_timeout


def test_other_startup_options_are_kept_and_an_old_timeout_replaced():
    assert _without_statement_timeout(
        "-c search_path=x -c statement_timeout=5 -cstatement_timeout=9 -c work_mem=4MB") == [
        "-c", "search_path=x", "-c", "work_mem=4MB"]


def test_a_negative_timeout_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        use_statement_timeout(seconds=-1)


@pytest.fixture
def restore_options():
    options = dict(connection.settings_dict.get("OPTIONS", {}))
    yield
    connection.settings_dict["OPTIONS"] = options
    connection.close()


def _server_setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def _server_timeout() -> str:
    return _server_setting("statement_timeout")


@pytest.mark.django_db(transaction=True)
def test_postgresql_runs_with_the_timeout(restore_options):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    use_statement_timeout(seconds=7)
    assert _server_timeout() == "7s"
    use_statement_timeout(seconds=0)
    assert _server_timeout() == "0"
    assert connection.settings_dict["OPTIONS"]["options"] == (
        "-c jit=off -c statement_timeout=0")
    assert _server_setting("jit") == "off"  # the other startup option is kept


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    """Issue 13: JIT compilation cost the case list's counts more than their execution."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    assert _server_setting("jit") == "off"


@pytest.mark.django_db(transaction=True)
def test_a_statement_over_the_timeout_is_cancelled(restore_options):
    from django.db import OperationalError

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    use_statement_timeout(seconds=1)
    with pytest.raises(OperationalError, match="statement timeout"), \
            connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(3)")



@pytest.mark.skipif(any(name in os.environ for name in (
    "DB_STATEMENT_TIMEOUT_SECONDS", "WORKER_DB_STATEMENT_TIMEOUT_SECONDS")),
    reason="the environment sets a timeout")
def test_defaults_web_20_seconds_worker_10_minutes():
    from django.conf import settings

    assert settings.DB_STATEMENT_TIMEOUT_SECONDS == 20
    assert settings.WORKER_DB_STATEMENT_TIMEOUT_SECONDS == 600
