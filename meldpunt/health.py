"""Health probes for load balancers, orchestrators and ``docker compose``.

* ``/healthz``: the web process is alive (answers without touching the database).
* ``/readyz``: the process can serve: PostgreSQL answers, every migration of this code is
  applied, and the Celery broker answers (not checked when tasks run in-process, as in the demo).

Both answer ``200`` or ``503`` with a short JSON body, for example
``{"status": "unavailable", "checks": {"database": "ok", "migrations": "pending",
"broker": "unavailable"}}``: check names and states only, never an error text, a host name or
a setting. The checks are django-health-check checks (run concurrently, each with its own time
budget); details of a failure go to the ``health_check`` logger.

:class:`ProbeMiddleware` answers both paths first in the middleware chain, so a probe that
addresses the server by IP address over plain HTTP is not refused by ``ALLOWED_HOSTS`` or
redirected to HTTPS (``SECURE_SSL_REDIRECT``); nothing else is exempted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from collections.abc import Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from redis.asyncio import Redis as RedisClient

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"

#: State words in the JSON body.
OK = "ok"
UNAVAILABLE = "unavailable"
PENDING = "pending"
NOT_USED = "not used"


class MigrationsPending(ServiceUnavailable):
    """Some migration of this code is not applied to the database yet."""


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration the code knows is applied (else the code and the schema differ)."""

    alias: str = DEFAULT_DB_ALIAS
    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        connection = connections[self.alias]
        with connection.temporary_connection():
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            raise MigrationsPending(f"{len(plan)} migration(s) not applied")


@dataclasses.dataclass
class QuickDatabase(Database):
    """``SELECT 1`` on the default database, within 3 seconds."""

    timeout = datetime.timedelta(seconds=3)


@dataclasses.dataclass
class Broker(Redis):
    """A PING to the Redis broker, within 2 seconds (1 s to connect, 1 s to answer)."""

    timeout = datetime.timedelta(seconds=2)

    def __repr__(self) -> str:  # the broker's address and password stay out of the log
        return "Broker()"


def _broker_check() -> HealthCheck | None:
    """The broker check, or ``None`` when tasks run in-process (no broker)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    url = settings.CELERY_BROKER_URL
    return Broker(client_factory=lambda: RedisClient.from_url(
        url, socket_connect_timeout=1, socket_timeout=1))


def readiness_checks() -> dict[str, HealthCheck | None]:
    """The named readiness checks; ``None`` marks a check that does not apply here."""
    return {"database": QuickDatabase(), "migrations": MigrationsApplied(),
            "broker": _broker_check()}


async def _run(checks: dict[str, HealthCheck | None]) -> dict[str, str]:
    used = {name: check for name, check in checks.items() if check is not None}
    names = list(used)
    results: list[HealthCheckResult] = await asyncio.gather(
        *(check.get_result() for check in used.values()))
    states = {name: NOT_USED for name, check in checks.items() if check is None}
    for name, result in zip(names, results, strict=True):
        if result.error is None:
            states[name] = OK
        elif isinstance(result.error, MigrationsPending):
            states[name] = PENDING
        else:
            states[name] = UNAVAILABLE
    return {name: states[name] for name in checks}


def _json(body: dict[str, object], status: int) -> HttpResponse:
    response = JsonResponse(body, status=status)
    add_never_cache_headers(response)
    return response


def liveness(request: HttpRequest) -> HttpResponse:
    """``/healthz``: the process answers. Nothing else is checked."""
    return _json({"status": OK}, 200)


def readiness(request: HttpRequest) -> HttpResponse:
    """``/readyz``: 200 when the database, the migrations and the broker are ready, else 503."""
    states = async_to_sync(_run)(readiness_checks())
    ready = all(state in (OK, NOT_USED) for state in states.values())
    return _json({"status": OK if ready else UNAVAILABLE, "checks": states},
                 200 if ready else 503)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    LIVENESS_PATH: liveness, READINESS_PATH: readiness,
}


class ProbeMiddleware:
    """Answer ``GET``/``HEAD`` ``/healthz`` and ``/readyz`` before any other middleware.

    First in ``MIDDLEWARE``: probes come from the orchestrator by IP address and over plain
    HTTP inside the private network, so host validation, the HTTPS redirect, sessions and
    language selection do not apply to them. Every other path goes on unchanged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
