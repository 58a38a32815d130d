"""Fixtures for the integration tests: real PostgreSQL, real Redis and a real Celery worker.

Nothing of our own is mocked here. The tests in this package need:

* PostgreSQL as the Django database (``DATABASE_URL=postgres://...``, as ``make test`` sets it);
* Redis at ``TEST_BROKER_URL`` (``make test`` uses ``redis://127.0.0.1:6379/15``);
* for the ``browser`` tests, Debian's Chromium at ``/usr/bin/chromium``.

When one of these is missing the tests are skipped on a developer machine, but fail when the
``CI`` environment variable is set, so that CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import urlopen

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEST_BROKER_URL = "redis://127.0.0.1:6379/15"
WORKER_READY_TIMEOUT = 60.0
WORKER_STOP_TIMEOUT = 30.0
LOG_TAIL_LINES = 200

#: The running worker's log file, so that failing tests can show it (see the report hook).
_worker_log: Path | None = None


def broker_url_for_tests() -> str:
    """The Redis database reserved for the tests (``TEST_BROKER_URL``)."""
    return os.environ.get("TEST_BROKER_URL") or DEFAULT_TEST_BROKER_URL


def require(condition: bool, reason: str) -> None:
    """Skip the test when ``condition`` is false; fail instead when running in CI."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def redis_available(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def _tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> str:
    if path is None or not path.exists():
        return "(no worker log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Attach the tail of the Celery worker's log to the report of a failing test."""
    report = yield
    if report.failed and _worker_log is not None and "celery_worker_process" in getattr(
            item, "fixturenames", ()):
        report.sections.append(("celery worker log (tail)", _tail(_worker_log)))
    return report


@pytest.fixture(autouse=True)
def _integration_requirements() -> None:
    """Every test here needs PostgreSQL and Redis (skip locally, fail in CI)."""
    from django.db import connection

    require(connection.vendor == "postgresql",
            f"integration tests need PostgreSQL as the database, not {connection.vendor} "
            "(set DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt)")
    url = broker_url_for_tests()
    require(redis_available(url), f"integration tests need Redis at {url} (TEST_BROKER_URL)")


def database_url(db_settings: dict) -> str:
    """A ``postgres://`` URL for a Django ``DATABASES`` entry."""
    user = quote(db_settings.get("USER") or "", safe="")
    password = quote(str(db_settings.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db_settings.get("HOST") or "127.0.0.1"
    port = db_settings.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(db_settings['NAME'], safe='')}"


class WorkerProcess:
    """A ``celery -A meldpunt worker`` subprocess and its log."""

    def __init__(self, process: subprocess.Popen, log_path: Path, nodename: str) -> None:
        self.process = process
        self.log_path = log_path
        self.nodename = nodename

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def mark(self) -> int:
        """The current length of the log; pass it to ``log_since`` / ``wait_for_log``."""
        return len(self.log())

    def log_since(self, mark: int) -> str:
        return self.log()[mark:]

    def wait_for_log(self, text: str, *, since: int = 0, timeout: float = 15.0) -> str:
        """Wait until ``text`` appears in the log after ``since``; return the log since then."""
        deadline = time.monotonic() + timeout
        while True:
            written = self.log_since(since)
            if text in written:
                return written
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited ({self.process.returncode}) while "
                            f"waiting for {text!r}:\n{_tail(self.log_path)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} did not appear in the Celery worker log within "
                            f"{timeout:.0f} s:\n{_tail(self.log_path)}", pytrace=False)
            time.sleep(0.1)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, tmp_path_factory) -> Iterator[WorkerProcess]:
    """A real Celery worker consuming from the Redis test database, writing to the test DB.

    Depends on ``django_db_setup``, so the worker is started after pytest-django has created
    the test database (and has renamed ``DATABASES["default"]["NAME"]`` to it) and is stopped
    before that database is dropped.
    """
    global _worker_log

    import redis
    from django.conf import settings
    from django.db import connection

    require(connection.vendor == "postgresql",
            f"the Celery worker tests need PostgreSQL, not {connection.vendor}")
    broker_url = broker_url_for_tests()
    require(redis_available(broker_url), f"the Celery worker tests need Redis at {broker_url}")

    # Start from an empty queue: the database is reserved for the tests.
    client = redis.Redis.from_url(broker_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()

    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    nodename = f"test@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meldpunt.settings.test",
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "meldpunt", "worker", "--pool=solo",
               "--concurrency=1", "--loglevel=INFO", "-n", "test@%h", "--without-gossip",
               "--without-mingle", "--without-heartbeat"]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    _worker_log = log_path
    worker = WorkerProcess(process, log_path, nodename)
    try:
        deadline = time.monotonic() + WORKER_READY_TIMEOUT
        while f"{nodename} ready." not in worker.log():
            if process.poll() is not None:
                pytest.fail(f"the Celery worker exited with {process.returncode} before it was "
                            f"ready:\n{_tail(log_path)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"the Celery worker was not ready within {WORKER_READY_TIMEOUT:.0f} "
                            f"s:\n{_tail(log_path)}", pytrace=False)
            time.sleep(0.2)
        startup = worker.log()
        assert "reports.tasks.build_annual_statistics" in startup, startup
        # The log masks credentials (redis://:**@host...), so compare host, port and database.
        broker = urlsplit(broker_url)
        connected = re.escape(f"{broker.hostname}:{broker.port or 6379}{broker.path}")
        assert re.search(rf"Connected to redis://([^@\s]*@)?{connected}\s", startup), startup
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()  # SIGTERM: warm shutdown
            try:
                process.wait(timeout=WORKER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=WORKER_STOP_TIMEOUT)
        _worker_log = None
        if process.returncode not in (0, -15):
            sys.stderr.write(f"\nCelery worker exited with {process.returncode}; its log:\n"
                             f"{_tail(log_path)}\n")


def _reset_broker_connections(app) -> None:
    """Close and forget pooled broker connections, so a changed ``broker_url`` takes effect."""
    from kombu import pools

    pools.reset()  # closes every pool and empties kombu's global pool registry
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def celery_through_redis(celery_worker_process: WorkerProcess) -> Iterator[WorkerProcess]:
    """Make ``.delay()`` in this process publish to Redis instead of running the task inline."""
    from meldpunt.celery import app

    saved = {"task_always_eager": app.conf.task_always_eager,
             "broker_url": app.conf.broker_url}
    _reset_broker_connections(app)
    app.conf.task_always_eager = False
    app.conf.broker_url = broker_url_for_tests()
    try:
        yield celery_worker_process
    finally:
        _reset_broker_connections(app)
        app.conf.task_always_eager = saved["task_always_eager"]
        app.conf.broker_url = saved["broker_url"]


@pytest.fixture
def committed_reference_data(transactional_db) -> None:
    """Municipalities, mergers, the office and the roles, committed so the worker sees them.

    Transactional tests flush the database at teardown (including the rows the migrations
    loaded), so each test loads them again.
    """
    from reports.services.reference import load_reference_data

    load_reference_data()


# ---------------------------------------------------------------------------------------------
# Fault injection (issue 6): a throwaway Redis, extra Celery workers, a gunicorn server and a
# PostgreSQL restart. The fault tests stop and start only what they started themselves, except
# ``restart_postgresql`` (the shared cluster, restarted quickly).
# ---------------------------------------------------------------------------------------------
SERVICE_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s", pytrace=False)
        time.sleep(interval)


class ThrowawayRedis:
    """A private ``redis-server`` on a free port, so the shared Redis is never stopped."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.workdir)]
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        log.close()
        wait_until(lambda: redis_available(self.url), timeout=SERVICE_TIMEOUT,
                   what=f"throwaway Redis on port {self.port} to answer")

    def stop(self) -> None:
        """Shut it down (``SHUTDOWN NOSAVE``); connections are refused afterwards."""
        if self.process is None or self.process.poll() is not None:
            return
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
                       capture_output=True, timeout=SERVICE_TIMEOUT, check=False)
        try:
            self.process.wait(timeout=SERVICE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=SERVICE_TIMEOUT)

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections, but nothing ever answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.process.kill()
            self.process.wait(timeout=SERVICE_TIMEOUT)


@pytest.fixture
def throwaway_redis(tmp_path) -> Iterator[ThrowawayRedis]:
    """A running private Redis for one test; killed afterwards whatever the test did to it."""
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.close()


def write_settings_module(directory: Path, name: str, overrides: dict[str, object]) -> str:
    """Write ``directory/name.py``: the test settings plus ``overrides``; return its name."""
    lines = ["from meldpunt.settings.test import *  # noqa: F403"]
    lines += [f"{key} = {value!r}" for key, value in sorted(overrides.items())]
    (directory / f"{name}.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return name


def service_env(*, settings_dir: Path | None = None, settings_module: str = "") -> dict:
    """Environment for a subprocess using the test database (and extra settings, if given)."""
    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]),
           "DJANGO_SETTINGS_MODULE": settings_module or "meldpunt.settings.test",
           "PYTHONUNBUFFERED": "1"}
    if settings_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(settings_dir), str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return env


@pytest.fixture
def spawn_worker(tmp_path, transactional_db) -> Iterator:
    """``spawn_worker(broker_url=..., settings={...}, env={...})`` starts an extra Celery worker
    (solo pool) on the test database and waits until it is ready. All are stopped afterwards."""
    started: list[WorkerProcess] = []

    def spawn(*, broker_url: str, settings: dict | None = None,
              env: dict | None = None) -> WorkerProcess:
        index = len(started) + 1
        module = write_settings_module(tmp_path, f"worker_settings_{index}", settings or {})
        environment = {**service_env(settings_dir=tmp_path, settings_module=module),
                       "CELERY_BROKER_URL": broker_url, "CELERY_TASK_ALWAYS_EAGER": "false",
                       **(env or {})}
        nodename = f"fault{index}@{socket.gethostname()}"
        log_path = tmp_path / f"worker-{index}.log"
        command = [sys.executable, "-m", "celery", "-A", "meldpunt", "worker", "--pool=solo",
                   "--concurrency=1", "--loglevel=INFO", "-n", f"fault{index}@%h",
                   "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log_file,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        worker = WorkerProcess(process, log_path, nodename)
        started.append(worker)
        worker.wait_for_log(f"{nodename} ready.", timeout=WORKER_READY_TIMEOUT)
        return worker

    try:
        yield spawn
    finally:
        for worker in started:
            if worker.process.poll() is None:
                worker.process.terminate()
                try:
                    worker.process.wait(timeout=WORKER_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
                    worker.process.wait(timeout=WORKER_STOP_TIMEOUT)


@pytest.fixture
def publish_to() -> Iterator:
    """``publish_to(url)``: ``.delay()`` in this process publishes to the broker at ``url``."""
    from meldpunt.celery import app

    saved = {"task_always_eager": app.conf.task_always_eager,
             "broker_url": app.conf.broker_url}

    def switch(url: str) -> None:
        _reset_broker_connections(app)
        app.conf.task_always_eager = False
        app.conf.broker_url = url

    try:
        yield switch
    finally:
        _reset_broker_connections(app)
        app.conf.task_always_eager = saved["task_always_eager"]
        app.conf.broker_url = saved["broker_url"]


class Server:
    """A gunicorn process serving the project on 127.0.0.1 with the test database."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{port}"

    def log(self) -> str:
        return _tail(self.log_path)

    def request(self, method: str, path: str, *, data: dict | None = None,
                cookies: dict | None = None, timeout: float = 15.0) -> tuple[int, str, str]:
        """One HTTP request (no redirects followed): status, Location and body."""
        headers = {}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn = HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            return response.status, response.getheader("Location") or "", text
        finally:
            conn.close()

    def csrf(self, path: str = "/melden/") -> tuple[dict, str]:
        """GET ``path``; return the CSRF cookie and the form's token, for POSTs."""
        conn = HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            html = response.read().decode("utf-8")
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
        finally:
            conn.close()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return {"csrftoken": cookies["csrftoken"].value}, token


@pytest.fixture
def gunicorn_server(tmp_path, transactional_db) -> Iterator:
    """``gunicorn_server(workers=2, threads=4, env={...})`` starts gunicorn and waits until
    ``/melden/`` answers; it is stopped before the test database is flushed."""
    started: list[Server] = []

    def start(*, workers: int = 2, threads: int = 4, settings: dict | None = None,
              env: dict | None = None) -> Server:
        port = free_port()
        module = write_settings_module(tmp_path, f"server_settings_{len(started) + 1}",
                                       settings or {})
        environment = {**service_env(settings_dir=tmp_path, settings_module=module),
                       **(env or {})}
        log_path = tmp_path / f"gunicorn-{port}.log"
        command = [sys.executable, "-m", "gunicorn", "meldpunt.wsgi:application", "--bind",
                   f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
                   "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"]
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log_file,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        server = Server(process, port, log_path)
        started.append(server)

        def answers() -> bool:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited ({process.returncode}):\n{server.log()}",
                            pytrace=False)
            try:
                with urlopen(f"{server.base_url}/melden/", timeout=2) as response:  # noqa: S310
                    return response.status == 200
            except OSError:
                return False

        wait_until(answers, timeout=SERVICE_TIMEOUT, what="gunicorn to serve /melden/",
                   interval=0.2)
        return server

    try:
        yield start
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.terminate()
                try:
                    server.process.wait(timeout=WORKER_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait(timeout=WORKER_STOP_TIMEOUT)


def postgresql_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"],
                          check=False, timeout=SERVICE_TIMEOUT).returncode == 0


def restart_postgresql() -> None:
    """Restart the local PostgreSQL cluster (fast mode: open connections are cut) and wait
    until it accepts connections again. Only for the local test cluster on 127.0.0.1:5432."""
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    try:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart",
                        "-m", "fast"], check=True, capture_output=True, timeout=60)
    finally:
        if not postgresql_ready():
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main",
                            "start"], check=False, capture_output=True, timeout=60)
        wait_until(postgresql_ready, timeout=60, what="PostgreSQL to accept connections",
                   interval=0.2)
