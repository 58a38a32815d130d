"""Benchmark of the public form's POST under gunicorn, against the trivial privacy page.

Run by hand (not part of the test suite), with PostgreSQL and Redis on loopback::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench_intake \\
        .venv/bin/python bench/intake.py [--runs 5] [--seconds 10] [--clients 4] [--workers 3]

It migrates the database (created if missing; its name must contain ``bench``) and loads the
reference data, then starts gunicorn as ``docker-compose.yml``'s web service does (gthread
workers with 4 threads; ``meldpunt.settings.local`` with ``DEBUG`` off; Celery tasks queued on Redis
``CELERY_BROKER_URL``, default db 6, which the script purges afterwards; persistent database
connections, ``CONN_MAX_AGE=60`` as in production; the per-IP intake limit raised), on a free
loopback port. Each run then drives, with a bounded load generator (a fixed
number of client threads, one request at a time each, a new connection per request), for
``--seconds`` each:

* ``GET /melden/privacy/`` (the trivial page);
* ``POST /melden/`` with a fresh one-time ``submission_token``, the CSRF token of a GET made once
  per client, and a synthetic description of 600 characters: a complete report, answered by a
  redirect to the confirmation page (anything else counts as an error).

The ratio is POSTs per second / privacy GETs per second of the same run. The target (issue 13) is
at least 0.25. The report (median, min and max of the runs, 1-minute load average before and
after each run, the command) is printed and written into ``docs/benchmarks.md`` between the
markers ``<!-- bench/intake.py:start -->`` and ``<!-- bench/intake.py:end -->``.

``--profile N`` instead runs N POSTs in-process (Django's test client) under cProfile and prints
the functions with the most cumulative and own time; nothing is written. Synthetic data only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("INTAKE_POSTS_PER_HOUR", str(10**9))
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")
# Persistent database connections as in production (``meldpunt.settings.production``: 60 s;
# docs/operations.md, "Connections and PgBouncer"). ``meldpunt.settings.local`` defaults to 0: a
# new PostgreSQL backend per request, whose cold catalog caches cost the POST (a table with many
# indexes and foreign keys) about 25 ms more than the privacy page (issue 13).
os.environ.setdefault("CONN_MAX_AGE", "60")

import django  # noqa: E402

django.setup()

START, END = "<!-- bench/intake.py:start -->", "<!-- bench/intake.py:end -->"
WORDS = ("ik werd bij de ingang van de sportschool geweigerd omdat ik een hoofddoek draag en de "
         "medewerker zei dat mensen zoals ik daar niet welkom waren").split()
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def description() -> str:
    """A synthetic description of 600 characters."""
    return " ".join(secrets.choice(WORDS) for _ in range(150))[:600]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(port: int, method: str, path: str, *, body: str = "",
            headers: dict[str, str] | None = None) -> tuple[int, str, list[tuple[str, str]]]:
    """One HTTP request on a new connection: status, body text, headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace"), response.getheaders()
    finally:
        conn.close()


class Client:
    """One simulated reporter: a CSRF cookie and token from one GET of the form."""

    def __init__(self, port: int) -> None:
        self.port = port
        status, text, headers = request(port, "GET", "/melden/")
        if status != 200:
            raise SystemExit(f"GET /melden/ answered {status}")
        cookies = [value.split(";", 1)[0] for name, value in headers
                   if name.lower() == "set-cookie"]
        self.cookie = "; ".join(cookies)
        match = CSRF_INPUT.search(text)
        if match is None:
            raise SystemExit("no CSRF token on /melden/")
        self.token = match.group(1)

    def privacy(self) -> bool:
        status, _text, _headers = request(self.port, "GET", "/melden/privacy/")
        return status == 200

    def report(self) -> bool:
        body = urllib.parse.urlencode({
            "csrfmiddlewaretoken": self.token, "submission_token": str(uuid.uuid4()),
            "description": description(), "anonymity": "anonymous_to_third_parties"})
        status, _text, headers = request(self.port, "POST", "/melden/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
        location = dict((k.lower(), v) for k, v in headers).get("location", "")
        return status == 302 and "bedankt" in location


def drive(clients: list[Client], action: str, seconds: float) -> tuple[float, int, int]:
    """Let every client repeat ``action`` for ``seconds``; (requests per second, successes,
    errors)."""
    ok = [0] * len(clients)
    bad = [0] * len(clients)
    stop = time.perf_counter() + seconds

    def loop(index: int) -> None:
        method = getattr(clients[index], action)
        while time.perf_counter() < stop:
            try:
                if method():
                    ok[index] += 1
                else:
                    bad[index] += 1
            except OSError:
                bad[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(clients))]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return sum(ok) / elapsed, sum(ok), sum(bad)


@contextlib.contextmanager
def gunicorn(*, workers: int):
    """A gunicorn on a free loopback port, as docker-compose's web service (gthread workers,
    4 threads each)."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own fixed command)
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "meldpunt.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", "4", "--timeout", "30",
         "--log-level", "warning"],
        cwd=ROOT, env=os.environ.copy())
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer /healthz")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def profile(count: int) -> None:
    """``count`` POSTs in-process under cProfile; prints the top functions."""
    import cProfile
    import pstats

    from django.test import Client as TestClient

    client = TestClient(HTTP_HOST="127.0.0.1")
    client.get("/melden/")
    data = [{"submission_token": str(uuid.uuid4()), "description": description(),
             "anonymity": "anonymous_to_third_parties"} for _ in range(count)]
    client.post("/melden/", data[0])  # warm up (imports, template loading)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for item in data[1:]:
        response = client.post("/melden/", item)
        assert response.status_code == 302, response.status_code
    profiler.disable()
    elapsed = (time.perf_counter() - began) / (count - 1) * 1000
    print(f"{count - 1} POSTs, {elapsed:.1f} ms each (in-process, with profiling overhead); "
          f"load average {os.getloadavg()[0]:.2f}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    # A SIGTERM (timeout, kill) still stops gunicorn through the context manager's cleanup.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))

    from annual_statistics import ensure_database, prepare_schema

    ensure_database(allow_any_name=False)
    prepare_schema()
    if args.profile:
        profile(args.profile)
        return

    rows = []
    with gunicorn(workers=args.workers) as port:
        clients = [Client(port) for _ in range(args.clients)]
        drive(clients, "privacy", 2)  # warm up every worker
        drive(clients, "report", 2)
        for run in range(1, args.runs + 1):
            load_before = os.getloadavg()[0]
            page_rate, _page_ok, page_bad = drive(clients, "privacy", args.seconds)
            post_rate, post_ok, post_bad = drive(clients, "report", args.seconds)
            load_after = os.getloadavg()[0]
            rows.append((run, page_rate, post_rate, post_rate / page_rate, page_bad + post_bad,
                         load_before, load_after, post_ok))
            print(f"run {run}: privacy {page_rate:.1f}/s, intake POST {post_rate:.1f}/s, "
                  f"ratio {post_rate / page_rate:.3f}, errors {page_bad + post_bad}, "
                  f"load {load_before:.2f} -> {load_after:.2f}", flush=True)
    with contextlib.suppress(Exception):
        import redis

        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()

    def triple(values: list[float], fmt: str) -> str:
        return " / ".join(format(v, fmt) for v in
                          (statistics.median(values), min(values), max(values)))

    command = ("DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name with bench> "
               f".venv/bin/python bench/intake.py --runs {args.runs} --seconds {args.seconds:g} "
               f"--clients {args.clients} --workers {args.workers}")
    lines = [
        START,
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} by `bench/intake.py`: gunicorn "
        f"{args.workers} gthread workers × 4 threads on loopback, {args.clients} concurrent "
        f"clients (threads, one request at a time each), {args.seconds:g} s per page per run, "
        f"{args.runs} runs; "
        f"{platform.machine()}, {os.cpu_count()} CPUs (shared with the load generator and "
        f"other work), Python {platform.python_version()}, PostgreSQL on 127.0.0.1.",
        "",
        "| run | privacy GET/s | intake POST/s | ratio | errors | load avg before → after |",
        "|---:|---:|---:|---:|---:|---|",
        *[f"| {run} | {page:.1f} | {post:.1f} | {ratio:.3f} | {bad} | {lb:.2f} → {la:.2f} |"
          for run, page, post, ratio, bad, lb, la, _ok in rows],
        "",
        f"Median / min / max: privacy {triple([r[1] for r in rows], '.1f')} GET/s; intake "
        f"{triple([r[2] for r in rows], '.1f')} POST/s; **ratio "
        f"{triple([r[3] for r in rows], '.3f')}** (target ≥ 0.25: "
        f"{'met' if statistics.median([r[3] for r in rows]) >= 0.25 else 'not met'} on the "
        "median).",
        "",
        f"Command: `{command}`",
        END,
    ]
    report = "\n".join(lines)
    print(report)
    if args.no_write:
        return
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        text = text[:text.index(START)] + report + text[text.index(END) + len(END):]
    else:
        text += "\n## Intake: the public form's POST under gunicorn\n\n" + report + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
