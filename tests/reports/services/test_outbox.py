"""The e-mail outbox and the office notice of a new online report."""

from __future__ import annotations

import datetime
import smtplib
import threading
import uuid
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client
from django.utils import timezone

from reports.models import Complaint, OutboundEmail
from reports.services.complaints import submit_online_complaint
from reports.services.notifications import NEW_REPORT, notify_office_of_new_report
from reports.services.outbox import (
    BACKOFF_SECONDS,
    MAX_ATTEMPTS,
    deliver,
    due_emails,
    queue_email,
    recipient_key,
    relay_outbox,
)

OFFICE = ["intake@office.example", "coordinator@office.example"]


class RefusingBackend(BaseEmailBackend):
    """An e-mail backend whose server always refuses."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.invalid": (451, b"try later")})


class BlockingBackend(BaseEmailBackend):
    """Holds the first send until ``release`` is set; counts what it sent."""

    entered = threading.Event()
    release = threading.Event()
    sent: list[str] = []

    def send_messages(self, email_messages):
        type(self).entered.set()
        assert type(self).release.wait(10)
        type(self).sent += [m.to[0] for m in email_messages]
        return len(email_messages)


def rows() -> list[tuple[str, str, int]]:
    return sorted(OutboundEmail.objects.values_list("recipient", "state", "attempts"))


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = "tests.reports.services.test_outbox.RefusingBackend"


def test_queue_email_stores_one_row_per_recipient_and_sends_after_commit(
        db, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = queue_email(kind="notice", event_key="e1",
                              recipients=["a@x.example", " ", "b@x.example", "a@x.example", ""],
                              subject="S", body="B")
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert sorted(e.recipient for e in created) == ["a@x.example", "b@x.example"]
    assert rows() == [("a@x.example", "sent", 1), ("b@x.example", "sent", 1)]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@x.example", "b@x.example"]


def test_repeating_an_event_queues_nothing_new(db, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(kind="notice", event_key="e1", recipients=["a@x.example"], subject="S",
                    body="B")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = queue_email(kind="notice", event_key="e1", recipients=["a@x.example"],
                            subject="S", body="B")
    assert again == []
    assert callbacks == []
    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_queue_email_keeps_no_row_when_a_later_recipient_fails(
        db, django_capture_on_commit_callbacks) -> None:
    """``queue_email`` is one transaction: when the second recipient fails after the first row
    was written, the first row is rolled back too, so a caller that catches the error and
    commits does not send the e-mail to half of the recipients."""
    calls: list[str] = []

    def fail_on_second(recipient: str) -> str:
        calls.append(recipient)
        if len(calls) == 2:
            raise RuntimeError("hashing failed")
        return recipient_key(recipient)

    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          mock.patch("reports.services.outbox.recipient_key", side_effect=fail_on_second),
          pytest.raises(RuntimeError, match="hashing failed")):
        queue_email(kind="notice", event_key="e1", recipients=["a@x.example", "b@x.example"],
                    subject="S", body="B")
    assert calls == ["a@x.example", "b@x.example"]
    assert rows() == []
    assert callbacks == []
    assert mail.outbox == []


def test_broker_down_keeps_rows_pending_and_gives_up_after_the_first_failure(
        db, django_capture_on_commit_callbacks, monkeypatch) -> None:
    from reports.tasks import deliver_email

    calls = []

    def broker_down(email_id):
        calls.append(email_id)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(deliver_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        created = queue_email(kind="notice", event_key="e1", recipients=OFFICE, subject="S",
                              body="B")
    assert calls == [created[0].pk]
    assert rows() == sorted((r, "pending", 0) for r in OFFICE)
    assert sorted(due_emails()) == sorted(e.pk for e in created)
    assert relay_outbox() == 0
    assert len(calls) == 2


def test_failed_delivery_backs_off_exponentially_then_gives_up(db, refusing) -> None:
    email = OutboundEmail.objects.create(kind="notice", dedup_key="k", recipient="a@x.example",
                                         subject="S", body="B")
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        before = timezone.now()
        assert deliver(email_id=email.pk) == "pending"
        email.refresh_from_db()
        assert (email.attempts, email.last_error) == (attempt, "SMTPRecipientsRefused")
        waits.append(round((email.next_attempt_at - before).total_seconds()))
        assert due_emails() == []
        assert due_emails(now=email.next_attempt_at) == [email.pk]
    assert waits == [30, 120, 600, 1800, 3600, 3600, 3600, 3600, 3600]
    assert list(BACKOFF_SECONDS) == waits[:5]
    assert deliver(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert (email.state, email.attempts, email.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert due_emails(now=timezone.now() + datetime.timedelta(days=1)) == []


def test_a_sent_email_is_never_sent_again(db) -> None:
    email = OutboundEmail.objects.create(kind="notice", dedup_key="k", recipient="a@x.example",
                                         subject="S", body="B")
    assert [deliver(email_id=email.pk) for _ in range(3)] == ["sent", "sent", "sent"]
    assert len(mail.outbox) == 1
    assert deliver(email_id=email.pk + 1000) == "missing"


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3",
    reason="SQLite has no row locks; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_delivery_sends_once(settings) -> None:
    settings.EMAIL_BACKEND = "tests.reports.services.test_outbox.BlockingBackend"
    BlockingBackend.entered.clear()
    BlockingBackend.release.clear()
    BlockingBackend.sent = []
    email = OutboundEmail.objects.create(kind="notice", dedup_key="k", recipient="a@x.example",
                                         subject="S", body="B")
    results: list[str] = []

    def first() -> None:
        try:
            results.append(deliver(email_id=email.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert BlockingBackend.entered.wait(10)
        # The first delivery holds the row while the server takes the message.
        assert deliver(email_id=email.pk) == "busy"
    finally:
        BlockingBackend.release.set()
        thread.join(10)
    assert results == ["sent"]
    assert deliver(email_id=email.pk) == "sent"
    assert BlockingBackend.sent == ["a@x.example"]


def test_notice_holds_only_the_case_number_and_a_link(office, settings,
                                                      django_capture_on_commit_callbacks) -> None:
    settings.OFFICE_NOTIFY_EMAILS = OFFICE
    settings.SITE_URL = "https://meldpunt.example"
    with django_capture_on_commit_callbacks(execute=True):
        complaint = submit_online_complaint(
            office=office, submission_token=uuid.uuid4(), description="Geheime beschrijving",
            reporter_name="Jan Jansen", reporter_email="jan@example.invalid",
            reporter_phone="0592 123456").complaint
    notices = sorted(OutboundEmail.objects.filter(kind=NEW_REPORT), key=lambda n: n.recipient)
    assert [(n.kind, n.recipient, n.state) for n in notices] == [
        (NEW_REPORT, "coordinator@office.example", "sent"),
        (NEW_REPORT, "intake@office.example", "sent")]
    link = f"https://meldpunt.example/backoffice/zaken/{complaint.public_id}/"
    for notice in notices:
        assert complaint.case_number in notice.subject
        assert complaint.case_number in notice.body
        assert link in notice.body
        for secret in ("Geheime", "Jan", "jan@example.invalid", "123456"):
            assert secret not in notice.subject + notice.body
    # The office notices, and the reporter's confirmation (a link only; see
    # test_reporter_notifications).
    assert sorted(m.to[0] for m in mail.outbox) == sorted([*OFFICE, "jan@example.invalid"])


def test_no_notice_without_addresses_or_for_a_repeated_token(
        office, settings, django_capture_on_commit_callbacks) -> None:
    settings.OFFICE_NOTIFY_EMAILS = []
    with django_capture_on_commit_callbacks(execute=True):
        first = submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                        description="Eerste").complaint
    assert OutboundEmail.objects.count() == 0
    assert notify_office_of_new_report(complaint=first) == []

    settings.OFFICE_NOTIFY_EMAILS = OFFICE
    token = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        second = submit_online_complaint(office=office, submission_token=token,
                                         description="Tweede").complaint
        again = submit_online_complaint(office=office, submission_token=token,
                                        description="Tweede").complaint
    assert again.pk == second.pk
    assert Complaint.objects.count() == 2
    assert OutboundEmail.objects.count() == 2
    assert notify_office_of_new_report(complaint=second) == []  # deduplicated per event
    assert len(mail.outbox) == 2


def test_public_form_queues_the_notice_with_the_complaint(
        office, settings, django_capture_on_commit_callbacks) -> None:
    settings.OFFICE_NOTIFY_EMAILS = ["intake@office.example"]
    token = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/melden/", {"description": "Via het formulier",
                                              "submission_token": token})
        again = Client().post("/melden/", {"description": "Via het formulier",
                                           "submission_token": token})
    assert (response.status_code, again.status_code) == (302, 302)
    complaint = Complaint.objects.get()
    assert OutboundEmail.objects.get().dedup_key == (
        f"{NEW_REPORT}:complaint:{complaint.public_id}:"
        f"{recipient_key('intake@office.example')}")
    assert "intake@" not in OutboundEmail.objects.get().dedup_key
    assert [m.subject for m in mail.outbox] == [OutboundEmail.objects.get().subject]
