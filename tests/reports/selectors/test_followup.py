"""Reads for the follow-up portal: status sentences, the visible conversation and files."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from reports.models import Complaint, Message
from reports.selectors.followup import (
    STATUS_SENTENCES,
    PortalFile,
    portal_complaint,
    portal_files,
    portal_messages,
    status_sentence,
)
from reports.services import receipts
from reports.services.complaints import add_attachment, add_note, assign_complaint, record_message
from reports.services.followup import add_reporter_files, add_reporter_message
from reports.uploads import PDF, CleanUpload
from reports.vocabulary import Status
from tests.factories import ComplaintFactory
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.django_db

PDF_BYTES = samples.PDF


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_every_status_has_one_plain_sentence():
    assert set(STATUS_SENTENCES) == set(Status.values)
    assert {status: status_sentence(status=status) for status in Status.values} == {
        "new": "We have received your report. Someone from our team will look at it soon.",
        "in_progress": "Someone from our team is working on your report.",
        "awaiting_reporter": "We are waiting for an answer from you. Please read our message "
                             "below and reply.",
        "awaiting_other_party": "We have asked the other party for a reaction. We are waiting "
                                "for their answer.",
        "closed": "We have finished working on your report.",
        "reopened": "We are working on your report again.",
        "rejected": "We will not handle this report. You can send us a message if you have a "
                    "question about this.",
    }


def test_an_unknown_status_has_no_sentence():
    with pytest.raises(KeyError):
        status_sentence(status="archived")


def test_portal_complaint_only_while_the_code_works(office):
    complaint = ComplaintFactory()
    assert portal_complaint(public_id=complaint.public_id) is None  # no code issued
    receipts.issue_receipt_code(complaint=complaint)
    complaint.refresh_from_db()
    assert portal_complaint(public_id=complaint.public_id) == complaint
    assert portal_complaint(public_id=str(complaint.public_id)) == complaint
    assert portal_complaint(public_id="not-a-uuid") is None
    assert portal_complaint(public_id=uuid.uuid4()) is None

    Complaint.objects.filter(pk=complaint.pk).update(personal_data_removed_at=timezone.now())
    assert portal_complaint(public_id=complaint.public_id) is None
    Complaint.objects.filter(pk=complaint.pk).update(personal_data_removed_at=None)
    receipts.withdraw_receipt_code(complaint=complaint)
    assert portal_complaint(public_id=complaint.public_id) is None


def test_the_conversation_shows_nothing_internal(office, coordinator):
    complaint = ComplaintFactory()
    receipts.issue_receipt_code(complaint=complaint)
    other = ComplaintFactory()
    receipts.issue_receipt_code(complaint=other)
    complaint = assign_complaint(complaint=complaint, actor=coordinator, assignee=coordinator)
    add_note(complaint=complaint, author=coordinator, text="Interne notitie 55.")
    record_message(complaint=complaint, author=coordinator, direction="out",
                   body="Kunt u meer vertellen?")
    record_message(complaint=complaint, author=coordinator, direction="in",
                   body="Telefoongesprek: samenvatting door medewerker.")
    add_reporter_message(complaint=complaint, body="Ja, dat kan.")
    add_reporter_message(complaint=other, body="Ander dossier.")
    record_message(complaint=complaint, author=coordinator, direction="out", body="Dank u.")

    conversation = portal_messages(complaint=complaint)

    assert [(m.from_reporter, m.body) for m in conversation] == [
        (False, "Kunt u meer vertellen?"),
        (True, "Ja, dat kan."),
        (False, "Dank u."),
    ]
    assert [m.at for m in conversation] == list(
        Message.objects.filter(complaint=complaint).exclude(author__isnull=False, direction="in")
        .order_by("created_at", "id").values_list("created_at", flat=True))


def test_portal_files_are_only_the_reporters_own(office, coordinator, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    complaint = ComplaintFactory()
    receipts.issue_receipt_code(complaint=complaint)
    complaint = assign_complaint(complaint=complaint, actor=coordinator, assignee=coordinator)
    add_attachment(complaint=complaint, uploaded_by=coordinator,
                   upload=SimpleUploadedFile("intern-verslag.pdf", PDF_BYTES))
    stored = add_reporter_files(complaint=complaint, files=[
        CleanUpload(name="mijn foto's.pdf", content=PDF_BYTES, content_type=PDF)])

    assert portal_files(complaint=complaint) == [
        PortalFile(name="mijn foto's.pdf", size=len(PDF_BYTES), at=stored[0].uploaded_at)]
