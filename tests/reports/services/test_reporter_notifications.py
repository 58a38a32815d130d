"""E-mail to the reporter: the confirmation of receipt and the notice of a new message.

Neither carries the report, the reporter's name, the case number or the receipt code: only a
neutral subject and the link to the follow-up page.
"""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.utils import timezone, translation

from reports.models import Complaint, OutboundEmail
from reports.services.complaints import record_message, submit_online_complaint
from reports.services.notifications import (
    REPORTER_MESSAGE,
    REPORTER_RECEIPT,
    notify_reporter_of_message,
    notify_reporter_of_receipt,
)

pytestmark = pytest.mark.django_db

DESCRIPTION = "Beschrijving-met-kenmerk 8c2d: ik werd geweigerd."
NAME = "Fatima Kenmerknaam"
EMAIL = "fatima@voorbeeld.example"
LINK = "https://meldpunt.example.nl/melden/opvolgen/"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://meldpunt.example.nl"
    settings.OFFICE_NOTIFY_EMAILS = []


def submit(office, *, email: str = EMAIL, consent: bool = True, language: str = "en"):
    return submit_online_complaint(
        office=office, submission_token=uuid.uuid4(), language=language,
        description=DESCRIPTION, reporter_name=NAME, reporter_email=email,
        consent_to_contact=consent)


def assert_nothing_personal(email: OutboundEmail, submission) -> None:
    complaint = submission.complaint
    text = email.subject + "\n" + email.body
    for secret in (DESCRIPTION, "8c2d", NAME, "Kenmerknaam", complaint.case_number,
                   submission.receipt_code, submission.receipt_code.replace("-", ""),
                   str(complaint.public_id)):
        assert secret not in text


def test_submission_queues_one_confirmation_in_the_reporters_language(office):
    submission = submit(office, language="en")

    email = OutboundEmail.objects.get()
    assert (email.kind, email.recipient, email.state) == (REPORTER_RECEIPT, EMAIL, "pending")
    assert email.subject == "Confirmation from Meldpunt Discriminatie Drenthe"
    assert email.body == (
        "Hello,\n\n"
        "Thank you. We have received your report.\n\n"
        "Do you want to know how your report is going? Go to this page and fill in your "
        f"receipt code:\n{LINK}\n\n"
        "You got the receipt code on the website after you sent your report. For your privacy, "
        "we do not put it in this e-mail.\n\n"
        "Kind regards,\nMeldpunt Discriminatie Drenthe\n")
    assert_nothing_personal(email, submission)


def test_confirmation_is_sent_after_commit(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit(office)

    assert len(callbacks) == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([EMAIL], "Confirmation from Meldpunt Discriminatie Drenthe")]
    assert OutboundEmail.objects.get().state == "sent"


@pytest.mark.parametrize(("language", "expected"), [("nl", "nl"), ("en", "en"), ("", "nl"),
                                                    ("xx", "nl")])
def test_confirmation_language_falls_back_to_the_default(office, language, expected):
    submit(office, language=language)

    with translation.override(expected):
        subject = translation.gettext("Confirmation from %(office)s") % {
            "office": "Meldpunt Discriminatie Drenthe"}
    assert OutboundEmail.objects.get().subject == subject


@pytest.mark.parametrize(("email", "consent", "queued"), [
    ("", False, 0),
    (EMAIL, False, 1),  # an address is enough: the e-mail holds only a link
    (EMAIL, True, 1),
])
def test_confirmation_whenever_an_address_was_left(office, email, consent, queued):
    submit(office, email=email, consent=consent)

    assert OutboundEmail.objects.filter(kind=REPORTER_RECEIPT).count() == queued


def test_no_confirmation_for_a_repeated_submission(office):
    token = uuid.uuid4()
    for _n in range(2):
        submit_online_complaint(office=office, submission_token=token, language="en",
                                description=DESCRIPTION, reporter_email=EMAIL,
                                consent_to_contact=True)

    assert OutboundEmail.objects.count() == 1


def test_calling_the_confirmation_twice_queues_it_once(office):
    submission = submit(office)

    assert notify_reporter_of_receipt(complaint=submission.complaint) == []
    assert OutboundEmail.objects.count() == 1


def test_a_message_to_the_reporter_queues_a_notice(office, coordinator):
    submission = submit(office, language="en")
    complaint = submission.complaint
    OutboundEmail.objects.all().delete()
    body = "Bericht-met-kenmerk 91ab voor de melder."

    message = record_message(complaint=complaint, author=coordinator, direction="out",
                             body=body)

    email = OutboundEmail.objects.get()
    assert (email.kind, email.recipient) == (REPORTER_MESSAGE, EMAIL)
    assert email.subject == "New message from Meldpunt Discriminatie Drenthe"
    assert email.body == (
        "Hello,\n\n"
        "There is a new message for you about your report.\n\n"
        f"Go to this page and fill in your receipt code to read it:\n{LINK}\n\n"
        "For your privacy, we do not put the message in this e-mail.\n\n"
        "Kind regards,\nMeldpunt Discriminatie Drenthe\n")
    assert body not in email.body and "91ab" not in email.body
    assert coordinator.username not in email.body
    assert_nothing_personal(email, submission)
    # Once per message.
    assert notify_reporter_of_message(complaint=complaint, message=message) == []
    record_message(complaint=complaint, author=coordinator, direction="out", body="Nog een.")
    assert OutboundEmail.objects.filter(kind=REPORTER_MESSAGE).count() == 2


def test_a_message_from_the_reporter_queues_no_notice(office, coordinator):
    complaint = submit(office).complaint
    OutboundEmail.objects.all().delete()

    record_message(complaint=complaint, author=coordinator, direction="in", body="Telefoon.")

    assert OutboundEmail.objects.count() == 0


def test_no_notice_after_the_personal_data_was_removed(office, coordinator):
    complaint = submit(office).complaint
    OutboundEmail.objects.all().delete()
    Complaint.objects.filter(pk=complaint.pk).update(personal_data_removed_at=timezone.now())
    complaint.refresh_from_db()

    record_message(complaint=complaint, author=coordinator, direction="out", body="Hallo.")

    assert OutboundEmail.objects.count() == 0
