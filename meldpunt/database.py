"""PostgreSQL ``statement_timeout`` per kind of process.

A query whose client is gone (gunicorn killed the request after its timeout, a user closed the
tab) otherwise runs on in PostgreSQL: a case-list count at 1,000,000 rows was measured running
for more than 20 minutes after its client had left, holding two parallel workers. So:

* web processes (``meldpunt.wsgi``) run every statement with ``DB_STATEMENT_TIMEOUT_SECONDS``
  (default 20 s, below gunicorn's 30 s request timeout);
* Celery workers (``meldpunt.celery``) with ``WORKER_DB_STATEMENT_TIMEOUT_SECONDS`` (default
  600 s: the annual statistics and the retention job read whole years);
* management commands (``migrate``, ``rotate_encryption_keys``, ...) keep PostgreSQL's own
  setting, so a long migration is never cut off.

The timeout is sent as a connection startup option (``options=-c statement_timeout=...``), so it
costs no extra query. ``0`` switches it off (PostgreSQL's default); do that behind a PgBouncer in
transaction mode that refuses startup options, and set the timeouts per database role instead
(``docs/operations.md``).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def _without_statement_timeout(options: str) -> list[str]:
    """The ``-c name=value`` words of a libpq ``options`` string, minus ``statement_timeout``."""
    words = options.split()
    kept: list[str] = []
    skip_next = False
    for index, word in enumerate(words):
        if skip_next:
            skip_next = False
            continue
        if word == "-c" and index + 1 < len(words) and words[index + 1].startswith(
                "statement_timeout="):
            skip_next = True
            continue
        if word.startswith("-cstatement_timeout="):
            continue
        kept.append(word)
    return kept


def use_statement_timeout(*, seconds: int, alias: str = DEFAULT_DB_ALIAS) -> None:
    """Make every connection this process opens from now on run with ``statement_timeout``.

    Args:
        seconds: the limit per statement in seconds (whole seconds, ``>= 0``); ``0`` means no
            limit.
        alias: the database alias (``DATABASES`` key).

    Raises:
        ValueError: ``seconds`` is negative.

    An open connection outside a transaction is closed, so the next query reconnects with the
    new setting (inside a transaction the current connection keeps its setting). Databases
    other than PostgreSQL are left alone (SQLite has no such setting).
    """
    if seconds < 0:
        raise ValueError("A statement timeout cannot be negative.")
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    options = connection.settings_dict.setdefault("OPTIONS", {})
    words = _without_statement_timeout(str(options.get("options", "")))
    words += ["-c", f"statement_timeout={seconds * 1000}"]
    options["options"] = " ".join(words)
    if not connection.in_atomic_block:
        connection.close()
