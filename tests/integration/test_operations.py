"""The production process set's operational hooks, with real processes: the web and worker
statement timeouts, and the worker heartbeat that the compose health check reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.conftest import REPO_ROOT, wait_until

pytestmark = pytest.mark.integration

PROBE_URLS = '''
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from meldpunt.urls import urlpatterns as project_urlpatterns


def show(request):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return HttpResponse(cursor.fetchone()[0])


urlpatterns = [path("timeout/", show), *project_urlpatterns]
'''

PROBE_TASKS = '''
from pathlib import Path

from celery import shared_task
from django.db import connection


@shared_task
def show_timeout(path):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        Path(path).write_text(cursor.fetchone()[0])
'''


def test_web_requests_run_with_the_web_statement_timeout(gunicorn_server, tmp_path):
    (tmp_path / "probe_urls.py").write_text(PROBE_URLS, encoding="utf-8")
    server = gunicorn_server(workers=1, threads=1, settings={"ROOT_URLCONF": "probe_urls"},
                             env={"DB_STATEMENT_TIMEOUT_SECONDS": "13"})
    assert server.request("GET", "/timeout/")[::2] == (200, "13s")


def _probe(heartbeat, max_age: str) -> int:
    env = {**os.environ, "WORKER_HEARTBEAT_FILE": str(heartbeat),
           "WORKER_HEARTBEAT_MAX_AGE": max_age}
    return subprocess.run([sys.executable, "-m", "meldpunt.probe", "worker"], cwd=REPO_ROOT,
                          env=env, capture_output=True, timeout=30, check=False).returncode


def test_worker_statement_timeout_and_heartbeat(throwaway_redis, spawn_worker, publish_to,
                                                tmp_path):
    """The worker runs its SQL with its own timeout, and its heartbeat shows it alive; a
    frozen worker's heartbeat goes stale; a stopped worker removes it."""
    (tmp_path / "probe_tasks.py").write_text(PROBE_TASKS, encoding="utf-8")
    heartbeat = tmp_path / "worker.alive"
    worker = spawn_worker(broker_url=throwaway_redis.url,
                          settings={"CELERY_IMPORTS": ["probe_tasks"]},
                          env={"WORKER_DB_STATEMENT_TIMEOUT_SECONDS": "42",
                               "WORKER_HEARTBEAT_FILE": str(heartbeat),
                               "WORKER_HEARTBEAT_SECONDS": "1"})
    from meldpunt.celery import app

    publish_to(throwaway_redis.url)
    out = tmp_path / "timeout.txt"
    app.send_task("probe_tasks.show_timeout", args=[str(out)])
    wait_until(out.exists, timeout=30, what="the probe task to run")
    assert out.read_text() == "42s"

    wait_until(heartbeat.exists, timeout=15, what="the heartbeat file")
    assert _probe(heartbeat, "5") == 0
    worker.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(3.5)
        assert _probe(heartbeat, "3") == 1
    finally:
        worker.process.send_signal(signal.SIGCONT)
    wait_until(lambda: _probe(heartbeat, "3") == 0, timeout=15, what="a fresh heartbeat")
    worker.process.terminate()
    worker.process.wait(timeout=30)
    assert not heartbeat.exists()
    assert _probe(heartbeat, "60") == 1
