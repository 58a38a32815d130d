"""The case timeline marks what the reporter sent through the follow-up portal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from reports.selectors.timeline import case_timeline
from reports.services import receipts
from reports.services.complaints import add_attachment, assign_complaint, record_message
from reports.services.followup import add_reporter_files, add_reporter_message
from reports.uploads import PDF, CleanUpload
from tests.factories import ComplaintFactory
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.django_db

PDF_BYTES = samples.PDF


def test_portal_messages_and_reporter_files_are_marked(office, coordinator, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    complaint = ComplaintFactory()
    receipts.issue_receipt_code(complaint=complaint)
    complaint = assign_complaint(complaint=complaint, actor=coordinator, assignee=coordinator)
    record_message(complaint=complaint, author=coordinator, direction="in",
                   body="Telefonisch ontvangen.")
    add_reporter_message(complaint=complaint, body="Via het portaal.")
    record_message(complaint=complaint, author=coordinator, direction="out", body="Antwoord.")
    add_reporter_files(complaint=complaint, files=[
        CleanUpload(name="bewijs.pdf", content=PDF_BYTES, content_type=PDF)])
    add_attachment(complaint=complaint, uploaded_by=coordinator,
                   upload=SimpleUploadedFile("intern.pdf", PDF_BYTES))

    with translation.override("en"):
        entries = case_timeline(complaint=complaint)

    assert [(e.kind, e.actor, e.title, e.text, e.by_reporter) for e in entries] == [
        ("history", "", "Registered", "", False),
        ("history", "coordinator1", "Assigned", "", False),
        ("message", "coordinator1", "Message from the reporter", "Telefonisch ontvangen.",
         False),
        ("message", "", "Message from the reporter via the follow-up page", "Via het portaal.",
         True),
        ("message", "coordinator1", "Message to the reporter", "Antwoord.", False),
        ("attachment", "", "File added", "", True),
        ("attachment", "coordinator1", "File added", "", False),
    ]
    assert [e.attachment.original_name for e in entries if e.attachment] == [
        "bewijs.pdf", "intern.pdf"]
