"""The Celery application. Configuration comes from Django settings prefixed ``CELERY_``.

Workers also

* run their SQL with ``WORKER_DB_STATEMENT_TIMEOUT_SECONDS`` (``meldpunt.database``), and
* touch ``WORKER_HEARTBEAT_FILE`` (when set; production sets it by default) every
  ``WORKER_HEARTBEAT_SECONDS`` while the worker's event loop runs and it is connected to the
  broker, so that ``python -m meldpunt.probe worker`` (the compose health check) can tell a
  live worker from a hung or disconnected one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery, bootsteps
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")

app = Celery("meldpunt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _task_log_context(task_id: str | None = None, **kwargs: Any) -> None:
    """Everything a task logs carries its task id as the request id (``meldpunt.logs``)."""
    from meldpunt.logs import task_started

    task_started(task_id=task_id)


@task_postrun.connect
def _task_log_context_end(**kwargs: Any) -> None:
    from meldpunt.logs import task_finished

    task_finished()


@worker_init.connect
def _worker_statement_timeout(**_: Any) -> None:
    """Give the worker (and the pool processes it forks) its own statement timeout."""
    from django.conf import settings

    from meldpunt.database import use_statement_timeout

    use_statement_timeout(seconds=settings.WORKER_DB_STATEMENT_TIMEOUT_SECONDS)


class Heartbeat(bootsteps.StartStopStep):
    """Touch the heartbeat file from the worker's timer while connected to the broker."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        from django.conf import settings

        self.path = Path(settings.WORKER_HEARTBEAT_FILE or os.devnull)
        self.interval = float(settings.WORKER_HEARTBEAT_SECONDS)
        self.timer_ref: Any = None

    def include_if(self, parent: Any) -> bool:
        """Only when ``WORKER_HEARTBEAT_FILE`` is set."""
        from django.conf import settings

        return bool(settings.WORKER_HEARTBEAT_FILE)

    def start(self, parent: Any) -> None:
        self.path.unlink(missing_ok=True)
        self.timer_ref = parent.timer.call_repeatedly(self.interval, self.beat, (parent,),
                                                      priority=10)

    def beat(self, parent: Any) -> None:
        consumer = getattr(parent, "consumer", None)
        connection = getattr(consumer, "connection", None)
        if connection is not None and connection.connected:
            self.path.touch()

    def stop(self, parent: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None
        self.path.unlink(missing_ok=True)


app.steps["worker"].add(Heartbeat)
