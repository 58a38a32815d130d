"""Faults with real services: nothing accepted is lost, nothing is done twice (issue 6).

Each test produces its fault itself and undoes it in a ``finally`` block:

* Redis: a throwaway ``redis-server`` on a free port (the shared one is never touched), shut
  down or frozen with SIGSTOP while a report is submitted;
* a Celery worker killed with SIGKILL in the middle of the annual statistics job;
* PostgreSQL restarted (the local cluster, fast mode) between two requests to gunicorn;
* an SMTP server (aiosmtpd, in this process) that refuses one recipient with 451.
"""

from __future__ import annotations

import datetime
import email
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from reports.models import AnnualSnapshot, Complaint, OutboundEmail, StatisticsRun
from reports.selectors.statistics import count_annual_forms
from reports.services.demo import seed_demo_year
from reports.services.notifications import NEW_REPORT
from reports.services.outbox import (
    BACKOFF_SECONDS,
    deliver,
    queue_email,
    recipient_key,
    relay_outbox,
)
from reports.services.reference import current_office
from reports.services.statistics import execute_statistics_run, request_annual_statistics
from tests.integration.conftest import (
    database_url,
    free_port,
    restart_postgresql,
    wait_until,
)

pytestmark = pytest.mark.integration

OFFICE_ADDRESSES = ["intake@office.example", "coordinator@office.example"]
DELIVERY_TIMEOUT = 30.0


class RecordingHandler:
    """aiosmtpd handler: records each accepted message per recipient; refuses a recipient with
    ``451`` as long as ``refusals[address]`` is positive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []
        self.refusals: Counter[str] = Counter()
        self.refused: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self.lock:
            if self.refusals[address] > 0:
                self.refusals[address] -= 1
                self.refused.append(address)
                return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.received += [(rcpt, str(message["Subject"])) for rcpt in envelope.rcpt_tos]
        return "250 Message accepted for delivery"

    def recipients(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.received)


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    """A local SMTP server on a free port: ``(handler, port)``."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def smtp_settings(port: int) -> dict[str, object]:
    return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": port, "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "", "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 10}


def post_report(client: Client, description: str) -> tuple[int, str, float]:
    """POST the public form; return status, Location and the elapsed seconds."""
    started = time.monotonic()
    response = client.post("/melden/", {"description": description,
                                         "submission_token": str(uuid.uuid4())})
    return response.status_code, response.get("Location", ""), time.monotonic() - started


def states() -> list[tuple[str, str, int]]:
    return sorted(OutboundEmail.objects.values_list("recipient", "state", "attempts"))


# --- Redis down or hanging while a report is submitted ---------------------------------------

@pytest.mark.parametrize("fault", ["shut_down", "frozen"])
def test_report_is_accepted_while_redis_is_down_and_mailed_once_later(
        fault, committed_reference_data, throwaway_redis, publish_to, spawn_worker, smtp_server,
        settings) -> None:
    handler, smtp_port = smtp_server
    settings.OFFICE_NOTIFY_EMAILS = OFFICE_ADDRESSES
    publish_to(throwaway_redis.url)
    client = Client()
    assert client.get("/melden/").status_code == 200  # warm up: imports, URLconf, templates
    try:
        if fault == "shut_down":
            throwaway_redis.stop()
        else:
            throwaway_redis.freeze()
        status, location, elapsed = post_report(client, "Redis is weg; dit moet toch aankomen.")
    finally:
        if fault == "shut_down":
            throwaway_redis.start()
        else:
            throwaway_redis.thaw()

    # Accepted and confirmed quickly: the broker's failure cost at most one 1 s timeout.
    assert (status, location) == (302, "/melden/bedankt/")
    assert elapsed < 2.0, f"the confirmation took {elapsed:.2f} s"
    complaint = Complaint.objects.get()
    assert complaint.description == "Redis is weg; dit moet toch aankomen."
    assert states() == [(address, "pending", 0) for address in sorted(OFFICE_ADDRESSES)]
    assert set(OutboundEmail.objects.values_list("kind", flat=True)) == {NEW_REPORT}
    assert handler.received == []

    # Redis is back: a worker runs the relay, which queues both e-mails; each arrives once.
    worker = spawn_worker(broker_url=throwaway_redis.url, settings={
        **smtp_settings(smtp_port), "OFFICE_NOTIFY_EMAILS": OFFICE_ADDRESSES})
    from reports.tasks import deliver_email
    from reports.tasks import relay_outbox as relay_task

    mark = worker.mark()
    relay_task.delay()
    wait_until(lambda: OutboundEmail.objects.filter(state="sent").count() == 2,
               timeout=DELIVERY_TIMEOUT, what="both e-mails to be sent")
    worker.wait_for_log("Task reports.tasks.relay_outbox", since=mark)
    assert states() == [(address, "sent", 1) for address in sorted(OFFICE_ADDRESSES)]
    assert handler.recipients() == Counter(OFFICE_ADDRESSES)
    with translation.override(django_settings.LANGUAGE_CODE):
        subject = gettext("New report %(case_number)s") % {"case_number": complaint.case_number}
    assert sorted(handler.received) == [(a, subject) for a in sorted(OFFICE_ADDRESSES)]

    # Delivering again (a duplicate task, the next relay) sends nothing more.
    mark = worker.mark()
    for pk in OutboundEmail.objects.values_list("pk", flat=True):
        deliver_email.delay(pk)
    relay_task.delay()
    log = worker.wait_for_log("Task reports.tasks.relay_outbox", since=mark)
    wait_until(lambda: worker.log_since(mark).count("succeeded in") >= 3,
               timeout=DELIVERY_TIMEOUT, what="the three repeated tasks to finish")
    log = worker.log_since(mark)
    assert log.count("Task reports.tasks.deliver_email[") == 4  # 2 received + 2 succeeded
    assert "'sent'" in log
    assert handler.recipients() == Counter(OFFICE_ADDRESSES)
    assert states() == [(address, "sent", 1) for address in sorted(OFFICE_ADDRESSES)]


# --- A worker killed in the middle of the annual statistics job -------------------------------

def waiting_delete_pid(dsn: str) -> int | None:
    """The backend of a ``DELETE`` from the snapshot table that is waiting for a row lock."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM \"reports_annualsnapshot\"%%'"
        ).fetchone()
    return row[0] if row else None


def backend_alive(dsn: str, pid: int) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                            [pid]).fetchone()[0] == 1


def test_statistics_job_killed_midway_leaves_old_forms_and_is_redone(
        committed_reference_data, throwaway_redis, publish_to, spawn_worker) -> None:
    office = current_office()
    assert seed_demo_year(office=office, year=2020, count=80) == 80
    first = execute_statistics_run(
        run_id=StatisticsRun.objects.create(office=office, year=2020).pk)
    assert AnnualSnapshot.objects.filter(year=2020, run=first).count() == 12
    expected = count_annual_forms(office=office, year=2020)
    dsn = database_url(django_settings.DATABASES["default"]).replace("postgres://",
                                                                      "postgresql://", 1)

    worker = spawn_worker(broker_url=throwaway_redis.url)
    publish_to(throwaway_redis.url)
    # The fault: the job gets stuck while replacing the forms (a row lock held here blocks its
    # DELETE after it has marked the run as running, counted and started deleting), and the
    # worker is killed with SIGKILL right there.
    blocker = psycopg.connect(dsn)
    try:
        blocker.execute("SELECT 1 FROM reports_annualsnapshot WHERE municipality_id = %s "
                        "AND year = 2020 FOR UPDATE", ["GM1731"])
        second = request_annual_statistics(office=office, year=2020)
        wait_until(lambda: waiting_delete_pid(dsn) is not None, timeout=DELIVERY_TIMEOUT,
                   what="the job to wait inside its DELETE")
        orphan = waiting_delete_pid(dsn)
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=DELIVERY_TIMEOUT)
    finally:
        blocker.rollback()
        blocker.close()
    assert worker.process.returncode == -signal.SIGKILL
    # The killed job's transaction never commits: its backend ends when it finds the client gone.
    wait_until(lambda: not backend_alive(dsn, orphan), timeout=DELIVERY_TIMEOUT,
               what="the killed worker's database session to end")
    second.refresh_from_db()
    assert second.state == StatisticsRun.State.RUNNING
    assert AnnualSnapshot.objects.filter(year=2020).count() == 12
    assert AnnualSnapshot.objects.filter(year=2020, run=first).count() == 12

    # A new worker gets the unacknowledged task again (acks_late; visibility timeout 1 s here)
    # and redoes the run from scratch.
    rerun = spawn_worker(broker_url=throwaway_redis.url, env={"CELERY_VISIBILITY_TIMEOUT": "1"})

    def finished() -> bool:
        second.refresh_from_db()
        return second.state == StatisticsRun.State.SUCCEEDED

    wait_until(finished, timeout=DELIVERY_TIMEOUT, what="the interrupted run to be redone")
    rerun.wait_for_log(f"statistics run {second.pk} stored 12 forms for 2020")
    snapshots = AnnualSnapshot.objects.filter(year=2020)
    assert snapshots.count() == 12
    assert set(snapshots.values_list("run_id", flat=True)) == {second.pk}
    assert {s.municipality_id: s.data["tables"] for s in snapshots} == expected
    assert StatisticsRun.objects.filter(state=StatisticsRun.State.RUNNING).count() == 0


# --- PostgreSQL restarted between requests ------------------------------------------------

def test_server_keeps_serving_after_postgresql_restart(committed_reference_data,
                                                       gunicorn_server) -> None:
    # One sync worker with persistent connections (as production: CONN_MAX_AGE=60), so the
    # second request finds a connection that the restart has cut.
    server = gunicorn_server(workers=1, threads=1, env={"CONN_MAX_AGE": "60"})
    cookies, csrf_token = server.csrf()
    assert server.request("GET", "/melden/")[0] == 200
    try:
        restart_postgresql()
    finally:
        connections.close_all()  # this process's connection was cut too

    status, _, _ = server.request("GET", "/melden/")
    assert status == 200, server.log()
    token = str(uuid.uuid4())
    status, location, _ = server.request(
        "POST", "/melden/", cookies=cookies,
        data={"description": "Na de herstart", "submission_token": token,
              "csrfmiddlewaretoken": csrf_token})
    assert (status, location) == (302, "/melden/bedankt/"), server.log()
    assert Complaint.objects.filter(submission_token=token).count() == 1
    assert "Traceback" not in server.log()


# --- The mail server refuses a message ------------------------------------------------------

def test_refused_recipient_is_retried_with_backoff_and_each_gets_one_copy(
        committed_reference_data, smtp_server, settings) -> None:
    handler, port = smtp_server
    for key, value in smtp_settings(port).items():
        setattr(settings, key, value)
    refused, accepted = "refuses@office.example", "accepts@office.example"
    handler.refusals[refused] = 2

    # Unit settings run Celery eagerly: delivery happens right after the commit, in this process.
    before = timezone.now()
    queue_email(kind="test_notice", event_key="event:1", recipients=[accepted, refused],
                subject="Notice", body="Case MDD-2020-0001")
    after = timezone.now()
    assert states() == [(accepted, "sent", 1), (refused, "pending", 1)]
    assert handler.recipients() == Counter({accepted: 1})
    # Recipients are encrypted at rest: find the row by its keyed deduplication key.
    pending = OutboundEmail.objects.get(dedup_key__endswith=recipient_key(refused))
    assert pending.last_error == "SMTPRecipientsRefused"
    backoff = datetime.timedelta(seconds=BACKOFF_SECONDS[0])
    assert before + backoff <= pending.next_attempt_at <= after + backoff

    # Not due yet: the relay leaves it alone.
    assert relay_outbox() == 0
    assert handler.refused == [refused]

    # Due (as if 30 s passed): refused again, the next wait is the second backoff step.
    OutboundEmail.objects.filter(pk=pending.pk).update(next_attempt_at=timezone.now())
    before = timezone.now()
    assert relay_outbox() == 1
    after = timezone.now()
    pending.refresh_from_db()
    assert (pending.state, pending.attempts) == ("pending", 2)
    backoff = datetime.timedelta(seconds=BACKOFF_SECONDS[1])
    assert before + backoff <= pending.next_attempt_at <= after + backoff

    # Due again, and now the server accepts: delivered; the sent one was never sent again.
    OutboundEmail.objects.filter(pk=pending.pk).update(next_attempt_at=timezone.now())
    assert relay_outbox() == 1
    assert states() == [(accepted, "sent", 1), (refused, "sent", 3)]
    assert handler.recipients() == Counter({accepted: 1, refused: 1})
    assert handler.refused == [refused, refused]

    # Nothing is due any more; delivering a sent row again sends nothing.
    assert relay_outbox() == 0
    assert [deliver(email_id=pk) for pk in OutboundEmail.objects.values_list("pk", flat=True)] \
        == ["sent", "sent"]
    assert handler.recipients() == Counter({accepted: 1, refused: 1})
