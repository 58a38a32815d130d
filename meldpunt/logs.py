"""Log context and formats: a request id, the user id and the case id on every log record.

* :class:`RequestContextMiddleware` gives each request an id (a valid ``X-Request-ID`` from the
  reverse proxy, else a new one; echoed in the response header), notes the logged-in user's id
  and the case's public id from the URL, and writes one ``meldpunt.request`` line per request:
  method, URL *name* (never the path: a password-reset path holds a token), status and duration.
* Celery tasks carry the task id as their request id (``task_prerun``/``task_postrun``).
* :class:`ContextFilter` copies those three onto every record; ``LOG_FORMAT=json`` (the
  production default) writes one JSON object per line (python-json-logger), ``plain`` (the
  development default) readable lines.

Only identifiers are logged, never report contents or reporter data (see ``docs/operations.md``;
``tests/meldpunt/test_logs.py`` runs a whole intake and case handling and searches the log for
the description, name, e-mail address and receipt code).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

REQUEST_LOGGER = logging.getLogger("meldpunt.request")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                         default=None)
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
case_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("case_id", default=None)

#: A request id the proxy may pass on: letters, digits, dashes, at most 64 characters.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
#: URL keyword arguments that name a case.
CASE_KWARGS = ("public_id",)


class ContextFilter(logging.Filter):
    """Add ``request_id``, ``user_id`` and ``case_id`` (or ``None``) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user_id = user_id.get()
        record.case_id = case_id.get()
        return True


def _incoming_request_id(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Set the log context for one request and log its outcome (identifiers only).

    Goes right after ``meldpunt.health.ProbeMiddleware`` (probes are not logged). The user id is
    noted in ``process_view``, after ``AuthenticationMiddleware``; the case id when the URL names
    a case (``/backoffice/zaken/<public_id>/...``; a municipal report's id is not a case).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_token = request_id.set(_incoming_request_id(request))
        user_token, case_token = user_id.set(None), case_id.set(None)
        started = time.monotonic()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id.get() or ""
            return response
        finally:
            self._note_user(request)
            match = getattr(request, "resolver_match", None)
            REQUEST_LOGGER.info(
                "%s %s %s", request.method, match.view_name if match else "-", status,
                extra={"http_method": request.method,
                       "route": match.view_name if match else None, "status": status,
                       "duration_ms": round((time.monotonic() - started) * 1000, 1)})
            request_id.reset(request_token)
            user_id.reset(user_token)
            case_id.reset(case_token)

    @staticmethod
    def _note_user(request: HttpRequest) -> None:
        # Only a user already loaded (never a session lookup just for the log).
        user = getattr(request, "_cached_user", None)
        if user is not None and user.is_authenticated:
            user_id.set(user.pk)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any],
                     view_args: tuple[Any, ...], view_kwargs: dict[str, Any]) -> None:
        if request.resolver_match and request.resolver_match.namespace == "backoffice":
            for name in CASE_KWARGS:
                if name in view_kwargs:
                    case_id.set(str(view_kwargs[name]))
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id.set(user.pk)
        return None


#: The log context of whatever ran a task (a web request, for a task run in-process), restored
#: when the task ends.
_outer: contextvars.ContextVar[tuple[tuple[str | None, int | None, str | None], ...]] = (
    contextvars.ContextVar("outer_log_context", default=()))


def task_started(task_id: str | None = None, **_: Any) -> None:
    """``task_prerun``: the task id is the request id of everything the task logs."""
    _outer.set((*_outer.get(), (request_id.get(), user_id.get(), case_id.get())))
    request_id.set(task_id)
    user_id.set(None)
    case_id.set(None)


def task_finished(**_: Any) -> None:
    """``task_postrun``: back to the context the task was started in (empty in a worker; the
    request's own for a task run in-process, as in the demo and the tests)."""
    stack = _outer.get()
    outer = stack[-1] if stack else (None, None, None)
    _outer.set(stack[:-1])
    request_id.set(outer[0])
    user_id.set(outer[1])
    case_id.set(outer[2])


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dict: one console handler in ``log_format`` (``json`` or ``plain``).

    Raises:
        ValueError: an unknown ``log_format``.
    """
    if log_format not in ("json", "plain"):
        raise ValueError("LOG_FORMAT must be json or plain.")
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(case_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "meldpunt.logs.ContextFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format,
                                 "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Libraries that log routine progress (and, for axes, masked request details).
            **{name: {"level": "WARNING"} for name in ("weasyprint", "fontTools", "axes")},
            # Security events (identifiers only) always reach the log, whatever LOG_LEVEL says.
            "meldpunt.security": {"level": "INFO"},
        },
    }
