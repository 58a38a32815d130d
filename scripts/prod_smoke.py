#!/usr/bin/env python3
"""``make prod-smoke``: the production process set, started as plain processes, driven over HTTP.

It reads ``docker-compose.yml`` and runs its ``migrate``, ``web`` (gunicorn), ``worker`` and
``beat`` commands unchanged except for the bind address and the paths of state files, with
``meldpunt.settings.production`` and real secrets (a fresh ``SECRET_KEY`` and Fernet key), against
the local PostgreSQL (a database of its own, dropped afterwards) and Redis (a database number of
its own, ``PROD_SMOKE_BROKER_URL``, default ``redis://127.0.0.1:6379/14``; it refuses a database
that holds keys and empties its own afterwards), with an SMTP sink for the e-mail. Web is served
over HTTP on a free loopback port; requests carry ``X-Forwarded-Proto: https`` like those from the
TLS-terminating proxy, so HTTPS-only cookies, HSTS and the redirect stay as in production.

Then, over HTTP only, as people would:

1. a reporter files a report through the public form and keeps the receipt code;
2. a caseworker and a coordinator, made with ``manage.py create_staff_user``, follow their
   first-login links, choose a password, set up the authenticator, and log in with password and
   TOTP;
3. the caseworker takes the case, classifies it, answers the reporter and closes the case;
4. the reporter reads the answer with the receipt code (and got an e-mail with a link to it);
5. the coordinator runs the annual statistics (the worker does the job), checks the preview and
   releases them;
6. a municipal account, made by the coordinator on the back-office screen, follows the e-mailed
   invitation, logs in and downloads its PDF;
7. everything stops cleanly: each process by its PID, with a check that no process is left.

Also checked: ``/healthz`` and ``/readyz``, the worker heartbeat probe, JSON log lines, and that
no log line holds the description, the reporter's name or address, the answer or the receipt code.
Exit status 0 when every step passed. Output: one line per step.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from email import message_from_bytes
from html.parser import HTMLParser
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"
POSTGRES_URL = os.environ.get("PROD_SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
START_TIMEOUT = 90.0
JOB_TIMEOUT = 180.0

DESCRIPTION = "Rookproef-omschrijving 4k7q: bij de sportclub werd ik uitgescholden om mijn geloof."
REPORTER_NAME = "Rookproef Melder-x9"
REPORTER_EMAIL = "melder-rookproef-x9@example.test"
ANSWER = "Rookproef-antwoord 8m2w: we hebben je melding geregistreerd en advies gegeven."


class SmokeError(Exception):
    """A step did not do what production must do."""


def step(message: str) -> None:
    print(f"[prod-smoke] {message}", flush=True)


def check(condition: object, message: str) -> None:
    if not condition:
        raise SmokeError(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def totp(secret: str, *, at: float | None = None, step_seconds: int = 30) -> str:
    """The six-digit TOTP code (RFC 6238, SHA-1) of a base32 ``secret`` at time ``at``."""
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(
        " ", "")) % 8))
    counter = int((time.time() if at is None else at) // step_seconds)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


# --- HTML --------------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[tuple[str, str]] = []
        self.testids: dict[str, list[str]] = {}
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._link: list | None = None
        self._testid: list[tuple[str, str, int]] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        self._depth += 1
        if "data-testid" in a:
            self._testid.append((tag, a["data-testid"], self._depth))
            self.testids.setdefault(a["data-testid"], []).append("")
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get"),
                          "fields": {}, "options": {}, "checkboxes": {}}
            self.forms.append(self._form)
        elif tag == "a":
            self._link = [a.get("href", ""), ""]
        elif self._form is not None and tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                self._form["checkboxes"].setdefault(a["name"], []).append(a.get("value", "on"))
                if "checked" in a:
                    self._form["fields"][a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self._form["fields"][a["name"]] = a.get("value", "")
        elif self._form is not None and tag == "select":
            self._select = a.get("name")
            self._form["options"][self._select] = []
        elif self._form is not None and tag == "option" and self._select:
            self._form["options"][self._select].append(a.get("value", ""))
            if "selected" in a:
                self._form["fields"][self._select] = a.get("value", "")
        elif self._form is not None and tag == "textarea":
            self._textarea = a.get("name")
            self._form["fields"][self._textarea] = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._testid and self._testid[-1][0] == tag and self._testid[-1][2] == self._depth:
            self._testid.pop()
        self._depth -= 1
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data
        if self._link is not None:
            self._link[1] += data
        for _tag, name, _depth in self._testid:
            self.testids[name][-1] += data


class Page:
    """One HTTP response."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes, path: str) -> None:
        self.status, self.headers, self.body, self.path = status, headers, body, path
        self._parsed: _Page | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def html(self) -> _Page:
        if self._parsed is None:
            self._parsed = _Page()
            self._parsed.feed(self.text)
        return self._parsed

    def form(self, action_suffix: str = "", *, having: str = "") -> dict:
        """The first form whose action ends with ``action_suffix`` (and has field ``having``)."""
        for form in self.html.forms:
            if form["action"].endswith(action_suffix) and (not having or having in form["fields"]
                                                            or having in form["options"]):
                return form
        raise SmokeError(f"{self.path}: no form {action_suffix!r} {having!r}")

    def testid(self, name: str) -> str:
        values = self.html.testids.get(name)
        check(values, f"{self.path}: nothing marked {name!r}")
        return " ".join(values[0].split())


class Browser:
    """A client that keeps its own cookies and talks HTTP to the loopback server, sending what
    the TLS-terminating proxy adds (``X-Forwarded-Proto: https``) and what a browser sends with
    a form (``Origin``)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | list | None = None,
                *, follow: bool = True, proxy: bool = True) -> Page:
        for _hop in range(10):
            headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "nl"}
            if proxy:
                headers["X-Forwarded-Proto"] = "https"
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if method == "POST":
                headers["Origin"] = self.origin
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                body = urllib.parse.urlencode(data or {}, doseq=True)
            connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                response_headers = {k.lower(): v for k, v in response.getheaders()}
                for header in response.headers.get_all("Set-Cookie") or []:
                    cookie = SimpleCookie()
                    cookie.load(header)
                    for name, morsel in cookie.items():
                        if morsel.value and morsel["max-age"] != "0":
                            self.cookies[name] = morsel.value
                        else:
                            self.cookies.pop(name, None)
            finally:
                connection.close()
            page = Page(response.status, response_headers, content, path)
            location = response_headers.get("location")
            if not (follow and response.status in (301, 302, 303) and location):
                return page
            path = urllib.parse.urlsplit(location)._replace(scheme="", netloc="",
                                                            fragment="").geturl()
            method, data = "GET", None
        raise SmokeError(f"too many redirects from {path}")

    def get(self, path: str, **kwargs: object) -> Page:
        return self.request("GET", path, **kwargs)  # type: ignore[arg-type]

    def submit(self, page: Page, form: dict, values: dict | None = None, *,
               follow: bool = True) -> Page:
        data = {**form["fields"], **(values or {})}
        action = form["action"] or page.path
        return self.request("POST", action, data, follow=follow)


# --- Processes ---------------------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Service:
    """One production process, started from its compose command; its log in ``workdir``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.pids: set[int] = set()

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def note_children(self) -> None:
        if self.process is not None:
            self.pids |= {self.process.pid} | descendants(self.process.pid)

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM to the main process (gunicorn's master, Celery's main process), wait for it
        and its children, SIGKILL (by PID) only what outlives ``timeout``."""
        if self.process is None:
            return
        self.note_children()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise SmokeError(f"{self.name} did not stop within {timeout:.0f} s") from None
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = sorted(pid for pid in self.pids if alive(pid))
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        check(not left, f"{self.name} left processes behind: {left}")


def compose_commands() -> dict[str, list[str]]:
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {name: services[name]["command"] for name in ("migrate", "web", "worker", "beat")}


def adapt(command: list[str], *, port: int, workdir: Path) -> list[str]:
    """The compose command for this machine: the venv's interpreter for ``python``/
    ``gunicorn``/``celery``, loopback and a free port instead of ``0.0.0.0:8000``, state files
    in ``workdir``. Nothing else changes."""
    argv = [arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for arg in command]
    argv = [re.sub(r"^--schedule=.*$", f"--schedule={workdir / 'celerybeat-schedule'}", arg)
            for arg in argv]
    if argv[0] in ("gunicorn", "celery"):
        return [PYTHON, "-m", *argv]
    if argv[0] == "python":
        return [PYTHON, *argv[1:]]
    if argv[:2] == ["sh", "-c"]:
        return ["sh", "-c", re.sub(r"\bpython\b", shlex.quote(PYTHON), argv[2])]
    raise SmokeError(f"unexpected compose command {command}")


def wait_for(predicate, what: str, timeout: float = START_TIMEOUT,
             services: list[Service] = ()) -> None:  # type: ignore[assignment]
    deadline = time.monotonic() + timeout
    while not predicate():
        for service in services:
            if service.process is not None and service.process.poll() is not None:
                raise SmokeError(f"{service.name} exited ({service.process.returncode}) while "
                                   f"waiting for {what}:\n{service.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise SmokeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.3)


# --- Services around the processes -------------------------------------------------------------


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A new PostgreSQL database of its own; dropped afterwards."""
    import psycopg

    name = f"meldpunt_prodsmoke_{secrets.token_hex(4)}"
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def broker() -> Iterator[str]:
    """The Redis database number of its own; refused when it holds keys, emptied afterwards."""
    import redis

    url = os.environ.get("PROD_SMOKE_BROKER_URL") or DEFAULT_BROKER
    client = redis.Redis.from_url(url, socket_timeout=5)
    check(client.dbsize() == 0, f"Redis {url} is not empty: another run may be using it; set "
                                "PROD_SMOKE_BROKER_URL to a free database number")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


class MailSink:
    """An SMTP server on a free loopback port that keeps every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[list[str], object]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                sink.messages.append((list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.content)))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> MailSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[str]:
        bodies = []
        for recipients, message in self.messages:
            if address in recipients:
                part = message.get_payload(decode=True) if not message.is_multipart() else (
                    message.get_payload(0).get_payload(decode=True))
                bodies.append(part.decode(message.get_content_charset() or "utf-8"))
        return bodies


# --- The journey -------------------------------------------------------------------------------


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    check(result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def first_login(browser: Browser, link: str, username: str) -> str:
    """Follow a first-login link: choose a password, log in, set up the authenticator; return
    the authenticator secret. The browser is logged in with a verified second factor."""
    path = urllib.parse.urlsplit(link).path
    page = browser.get(path)
    check(page.status == 200 and "new_password1" in page.form(having="new_password1")["fields"],
          f"{username}: the first-login link shows no password form ({page.status})")
    password = f"Rookproef {secrets.token_urlsafe(12)} wachtwoord"
    page = browser.submit(page, page.form(having="new_password1"),
                          {"new_password1": password, "new_password2": password})
    check(page.path.startswith("/backoffice/login/"), f"{username}: not sent to the login page")
    page = browser.submit(page, page.form(having="password"),
                          {"username": username, "password": password})
    check(page.path.startswith("/backoffice/tweestaps/instellen/"),
          f"{username}: the first login does not start the authenticator set-up ({page.path})")
    secret = page.testid("secret").replace(" ", "")
    page = browser.submit(page, page.form(having="token"), {"token": totp(secret)})
    check(page.status == 200 and "recovery-codes" in page.html.testids,
          f"{username}: enrolment failed ({page.status})")
    browser.secret = secret  # type: ignore[attr-defined]
    browser.password = password  # type: ignore[attr-defined]
    return secret


def log_in(browser: Browser, username: str, secret: str, password: str) -> Page:
    """Password, then TOTP. The code of the next time step: each code works once, and the
    current one may have been used for the enrolment (the device accepts one step of drift)."""
    browser.cookies.clear()
    page = browser.get("/backoffice/login/")
    page = browser.submit(page, page.form(having="password"),
                          {"username": username, "password": password})
    check(page.path.startswith("/backoffice/tweestaps/"),
          f"{username}: the password step did not lead to the second factor ({page.path})")
    check("nav-link" not in page.text, "the second-factor page shows navigation")
    page = browser.submit(page, page.form(having="token"),
                          {"token": totp(secret, at=time.time() + 30)})
    check(page.status == 200 and not page.path.startswith("/backoffice/tweestaps/"),
          f"{username}: the TOTP code was refused ({page.status} {page.path})")
    return page


def case_action(browser: Browser, case_path: str, suffix: str, values: dict) -> Page:
    page = browser.get(case_path)
    check(page.status == 200, f"case page: {page.status}")
    form = page.form(f"{case_path}{suffix}")
    result = browser.submit(page, form, values)
    check(result.status == 200, f"{suffix}: {result.status}")
    return result


def journey(port: int, env: dict[str, str], mail: MailSink, services: list[Service]) -> list[str]:
    """Steps 1-6; returns the values that must never reach a log."""
    reporter = Browser(port)
    # 1. The report through the public form; the receipt code.
    page = reporter.get("/melden/")
    check(page.status == 200, f"/melden/: {page.status}")
    check(page.headers.get("strict-transport-security"), "no HSTS header in production")
    form = page.form(having="description")
    assen = next(value for value in form["options"]["incident_municipality"] if value == "GM0106")
    page = reporter.submit(page, form, {
        "description": DESCRIPTION, "incident_municipality": assen, "reporter_residence": assen,
        "reporter_name": REPORTER_NAME, "reporter_email": REPORTER_EMAIL,
        "consent_to_contact": "on", "anonymity": "named"})
    check(page.path == "/melden/bedankt/", f"the report was not accepted ({page.status} "
                                           f"{page.path})")
    receipt = page.testid("receipt-code")
    case_number = page.testid("case-number")
    check(re.fullmatch(r"(?:[0-9A-Z]{4}-){4}[0-9A-Z]{4}", receipt), f"receipt code {receipt!r}")
    step(f"1. report {case_number} filed through the public form; receipt code kept")

    # 2. Staff accounts the operator's way, first login, then password + TOTP.
    links = {}
    for username, role in (("rookproef-behandelaar", "caseworker"),
                           ("rookproef-coordinator", "coordinator")):
        output = manage(env, "create_staff_user", username, "--role", role, "--email",
                        f"{username}@example.test")
        links[username] = output.strip().splitlines()[-1]
    caseworker, coordinator = Browser(port), Browser(port)
    worker_secret = first_login(caseworker, links["rookproef-behandelaar"],
                                "rookproef-behandelaar")
    coordinator_secret = first_login(coordinator, links["rookproef-coordinator"],
                                     "rookproef-coordinator")
    page = log_in(caseworker, "rookproef-behandelaar", worker_secret,
                  caseworker.password)  # type: ignore[attr-defined]
    check(page.path == "/backoffice/werkvoorraad/", f"the caseworker landed on {page.path}")
    step("2. caseworker and coordinator: first-login link, password, authenticator; the "
         "caseworker logs in with password and TOTP")

    # 3. Take, classify, answer, close.
    case_path = next((href for href, text in page.html.links if text == case_number
                      and href.startswith("/backoffice/zaken/")), None)
    check(case_path, f"{case_number} is not in the caseworker's list")
    case_action(caseworker, case_path, "oppakken/", {})
    case_action(caseworker, case_path, "classificeren/", {
        "contact_type": "report", "grounds": ["religion"], "societal_domain": "sport_recreation",
        "nature": "hostile_treatment", "handling": ["advice_information"]})
    case_action(caseworker, case_path, "bericht/", {"direction": "out", "body": ANSWER})
    page = case_action(caseworker, case_path, "status/", {
        "to_status": "closed", "outcome": "resolved", "reason": ""})
    check(re.search(r"(Afgesloten|Closed)", page.text), "the case is not closed")
    step("3. the caseworker took, classified, answered and closed the case")

    # 4. The reporter reads the answer (and was told by e-mail, with a link to the portal).
    wait_for(lambda: any("/melden/opvolgen/" in body for body in mail.to(REPORTER_EMAIL)),
             "the e-mail to the reporter", timeout=JOB_TIMEOUT, services=services)
    check(all(f"127.0.0.1:{port}/melden/opvolgen/" in body and ANSWER not in body
              for body in mail.to(REPORTER_EMAIL)), "the reporter's e-mail is wrong")
    page = reporter.get("/melden/opvolgen/")
    page = reporter.submit(page, page.form(having="code"), {"code": receipt.lower()})
    check(page.path == "/melden/opvolgen/melding/" and ANSWER in page.text,
          "the reporter does not see the answer")
    step("4. the reporter got an e-mail and read the answer with the receipt code")

    # 5. Annual statistics: the worker counts, the coordinator previews and releases.
    year = time.localtime().tm_year
    page = log_in(coordinator, "rookproef-coordinator", coordinator_secret,
                  coordinator.password)  # type: ignore[attr-defined]
    page = coordinator.get("/backoffice/statistiek/")
    page = coordinator.submit(page, page.form(having="year"), {"year": str(year)})
    check(page.status == 200, f"statistics run: {page.status}")

    wait_for(lambda: "data-testid=\"snapshots\"" in coordinator.get(
        f"/backoffice/statistiek/?year={year}").text, "the worker to count the year",
        timeout=JOB_TIMEOUT, services=services)
    release_statistics(coordinator, year)
    step(f"5. the coordinator ran the statistics of {year} (the worker counted them) and "
         "released them")

    # 6. A municipal account: made on the screen, e-mailed invitation, login, PDF.
    page = coordinator.get("/backoffice/gemeenteaccounts/")
    page = coordinator.submit(page, page.form(having="username"), {
        "username": "rookproef-assen", "email": "gemeente-rookproef@example.test",
        "municipalities": ["GM0106"]})
    check(page.status == 200 and "rookproef-assen" in page.text,
          f"the municipal account was not made ({page.status})")
    wait_for(lambda: mail.to("gemeente-rookproef@example.test"), "the invitation e-mail",
             timeout=JOB_TIMEOUT, services=services)
    link = next(line for line in mail.to("gemeente-rookproef@example.test")[0].splitlines()
                if "/backoffice/welkom/" in line).strip()
    municipal = Browser(port)
    secret = first_login(municipal, link, "rookproef-assen")
    page = log_in(municipal, "rookproef-assen", secret, municipal.password)  # type: ignore
    check(page.path == "/gemeente/", f"the municipal account landed on {page.path}")
    check(municipal.get("/backoffice/").status == 403, "the back office is open to it")
    pdf = next((href for href, text in page.html.links if text == "PDF"), None)
    check(pdf, "no PDF on the municipal portal")
    download = municipal.get(pdf)
    check(download.status == 200 and download.body.startswith(b"%PDF"),
          f"the PDF download failed ({download.status})")
    step(f"6. the municipal account (invited by e-mail) downloaded its PDF "
         f"({len(download.body)} bytes)")
    return [DESCRIPTION, "4k7q", REPORTER_NAME, REPORTER_EMAIL, ANSWER, "8m2w", receipt,
            receipt.replace("-", "")]


def release_statistics(coordinator: Browser, year: int) -> None:
    """Release the counted year through the page: the preview when there is one, then the
    explicit confirmation."""
    page = coordinator.get(f"/backoffice/statistiek/?year={year}")
    page.form(f"/backoffice/statistiek/{year}/vrijgeven/")  # the page offers the preview (GET)
    page = coordinator.get(f"/backoffice/statistiek/{year}/vrijgeven/")
    for _ in range(3):  # a preview page asks for a confirmation
        confirm = [f for f in page.html.forms if "vrijgeven" in f["action"]
                   and f is not None]
        if "data-testid=\"released\"" in page.text and re.search(
                r'data-report="[0-9a-f-]{36}"', page.text):
            return
        check(confirm, f"release: no confirmation form ({page.status} {page.path})")
        values = {name: values[0] for name, values in confirm[-1]["checkboxes"].items()}
        page = coordinator.submit(page, confirm[-1], values)
    raise SmokeError("the reports were not released")


def check_logs(services: list[Service], never: list[str]) -> None:
    json_lines = 0
    for service in services:
        text = service.log()
        for secret in never:
            check(secret not in text, f"the {service.name} log holds report data ({secret[:6]}…)")
        for line in text.splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                check({"time", "level", "logger", "message", "request_id"} <= set(record),
                      f"{service.name}: a log record without context: {line[:200]}")
                json_lines += 1
    check(json_lines > 20, f"only {json_lines} JSON log lines")
    step(f"logs: {json_lines} JSON lines, no report contents, names, addresses or codes")


def main() -> int:
    started = time.monotonic()
    services: list[Service] = []
    with tempfile.TemporaryDirectory(prefix="meldpunt-prodsmoke-") as tmp, \
            database() as database_url, broker() as broker_url, MailSink() as mail:
        workdir = Path(tmp)
        from cryptography.fernet import Fernet

        port = free_port()
        env = {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": os.environ.get("HOME", tmp), "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "meldpunt.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1", "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{mail.port}",
            "DEFAULT_FROM_EMAIL": "meldpunt@example.test",
            "OFFICE_NOTIFY_EMAILS": "intake@example.test", "OFFICE_EMAIL": "info@example.test",
            "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
            "STATIC_ROOT": str(workdir / "static"),
            "WORKER_HEARTBEAT_FILE": str(workdir / "worker-heartbeat"),
            "WORKER_HEARTBEAT_SECONDS": "2",
        }
        step(f"production settings, database {database_url.rsplit('/', 1)[1]}, broker "
             f"{broker_url}, port {port}")
        commands = compose_commands()
        manage(env, "collectstatic", "--noinput")
        migrate = subprocess.run(adapt(commands["migrate"], port=port, workdir=workdir),
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        check(migrate.returncode == 0, f"migrate failed:\n{migrate.stderr[-3000:]}")
        step("migrate + load_reference_data (the compose migrate command) done")
        try:
            for name in ("web", "worker", "beat"):
                service = Service(name, adapt(commands[name], port=port, workdir=workdir),
                                  env, workdir)
                service.start()
                services.append(service)
            probe_env = {**env, "WORKER_HEARTBEAT_MAX_AGE": "10"}

            def worker_alive() -> bool:
                return subprocess.run([PYTHON, "-m", "meldpunt.probe", "worker"], cwd=ROOT,
                                      env=probe_env, capture_output=True).returncode == 0

            def ready() -> bool:
                return subprocess.run([PYTHON, "-m", "meldpunt.probe", "http",
                                       f"http://127.0.0.1:{port}/readyz"], cwd=ROOT,
                                      env=env, capture_output=True).returncode == 0

            wait_for(ready, "web /readyz", services=services)
            wait_for(worker_alive, "the worker heartbeat", services=services)
            wait_for(lambda: "beat: Starting" in services[2].log() or "Scheduler:" in
                     services[2].log(), "beat", services=services)
            probe = Browser(port)
            health = probe.get("/healthz", proxy=False)
            readiness = probe.get("/readyz", proxy=False)
            check((health.status, json.loads(health.body)) == (200, {"status": "ok"}),
                  "/healthz")
            check(json.loads(readiness.body) == {"status": "ok", "checks": {
                "database": "ok", "migrations": "ok", "broker": "ok"}}, "/readyz")
            step("web (gunicorn), worker and one beat running; /healthz, /readyz and the "
                 "worker heartbeat say ok")
            for service in services:
                service.note_children()
            never = journey(port, env, mail, services)
        finally:
            stop_errors = []
            for service in reversed(services):
                try:
                    service.stop()
                except SmokeError as exc:
                    stop_errors.append(str(exc))
            if services:
                step("7. beat, worker and web stopped by PID (SIGTERM); no process left"
                     if not stop_errors else f"7. stopping: {stop_errors}")
        check(not stop_errors, "; ".join(stop_errors))
        check(not (workdir / "worker-heartbeat").exists(), "the worker left its heartbeat")
        check_logs(services, never)
    step(f"passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SmokeError as failure:
        print(f"[prod-smoke] FAILED: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
