"""Privacy services: retention, GDPR art. 15 export and art. 17 erasure."""

from __future__ import annotations

import datetime
import io
import json
import logging
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from reports.models import (
    AccessLog,
    Attachment,
    Complaint,
    ComplaintHistory,
    Message,
    Note,
    OutboundEmail,
)
from reports.selectors.privacy import due_for_retention, retention_cutoff
from reports.selectors.statistics import count_annual_forms
from reports.services import privacy, receipts
from reports.services.complaints import add_attachment, add_note, record_message
from reports.services.outbox import queue_email
from reports.storage import encrypted_storage
from reports.vocabulary import Status
from tests.factories import ComplaintFactory
from tests.reports import upload_samples as samples

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2025, 6, 16)  # retention cut-off with 5 years: 2020-06-16
PDF = samples.pdf_containing(b"attachment-bytes-of-Jansen")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=AMSTERDAM)


def full_case(*, actor, name: str, received_at: datetime.datetime,
              closed_at: datetime.datetime | None, status: str = Status.CLOSED,
              **fields) -> tuple[Complaint, str]:
    """A classified case with reporter data, a message each way, a note, an attachment, an
    outbox e-mail and a receipt code; returns the case and its receipt code."""
    fields.setdefault("grounds", ["race"])
    fields.setdefault("handling", ["registration"])
    complaint = ComplaintFactory(
        description=f"{name} was refused at the door of the Bakkerij.", status=status,
        received_at=received_at, reporter_name=name, reporter_email=f"{name.lower()}@example.org",
        reporter_phone="0612345678", consent_to_contact=True, reporter_residence="GM0106",
        incident_municipality="GM0106", societal_domain="hospitality", nature="disputed_treatment",
        **fields)
    Complaint.objects.filter(pk=complaint.pk).update(closed_at=closed_at, outcome=(
        "resolved" if status == Status.CLOSED else ""))
    complaint.refresh_from_db()
    record_message(complaint=complaint, author=actor, direction=Message.Direction.TO_REPORTER,
                   body=f"Dear {name}, we received your report.")
    record_message(complaint=complaint, author=actor, direction=Message.Direction.FROM_REPORTER,
                   body=f"Thanks, regards {name}")
    add_note(complaint=complaint, author=actor, text=f"Called {name} back.")
    add_attachment(complaint=complaint, uploaded_by=actor,
                   upload=SimpleUploadedFile(f"Letter {name}.pdf", PDF))
    queue_email(kind="reporter_receipt", event_key=f"complaint:{complaint.public_id}",
                recipients=[complaint.reporter_email], subject="Confirmation", body="Link")
    code = receipts.issue_receipt_code(complaint=complaint)
    complaint.refresh_from_db()
    return complaint, code


@pytest.fixture
def storage_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def year_2020(office, coordinator, storage_root):
    """Three cases closed before the cut-off (one rejected, one closed the last evening before
    it), one closed on the cut-off date itself, one closed four years ago, one still open."""
    old = full_case(actor=coordinator, name="Jansen", received_at=at(2020, 3, 2, 10),
                    closed_at=at(2020, 3, 20, 12))
    rejected = full_case(actor=coordinator, name="Pietersen", received_at=at(2020, 4, 1, 9),
                         closed_at=at(2020, 4, 2, 9), status=Status.REJECTED)
    evening = full_case(actor=coordinator, name="Bakker", received_at=at(2020, 5, 1, 9),
                        closed_at=at(2020, 6, 15, 23, 30), grounds=["religion"])
    on_cutoff = full_case(actor=coordinator, name="Visser", received_at=at(2020, 5, 2, 9),
                          closed_at=at(2020, 6, 16, 0, 30))
    recent = full_case(actor=coordinator, name="Smit", received_at=at(2021, 6, 1, 9),
                       closed_at=at(2021, 6, 20, 9))
    open_case = full_case(actor=coordinator, name="Mulder", received_at=at(2019, 1, 5, 9),
                          closed_at=None, status=Status.NEW)
    return {"old": old, "rejected": rejected, "evening": evening, "on_cutoff": on_cutoff,
            "recent": recent, "open": open_case}


def test_cutoff_counts_back_calendar_years():
    assert retention_cutoff(today=TODAY, years=5) == datetime.date(2020, 6, 16)
    assert retention_cutoff(today=datetime.date(2024, 2, 29), years=5) == \
        datetime.date(2019, 2, 28)


def test_due_cases_compare_calendar_dates_in_amsterdam(year_2020):
    ids = list(due_for_retention(today=TODAY).values_list("pk", flat=True))
    assert ids == sorted([year_2020["old"][0].pk, year_2020["rejected"][0].pk,
                          year_2020["evening"][0].pk])


def test_retention_removes_exactly_the_personal_data(year_2020, office, caplog,
                                                     django_capture_on_commit_callbacks):
    complaint, code = year_2020["old"]
    file_name = Attachment.objects.get(complaint=complaint).file.name
    assert (encrypted_storage.exists(file_name)) is True
    before = {year: count_annual_forms(office=office, year=year) for year in (2019, 2020, 2021)}
    caplog.set_level(logging.DEBUG)
    started = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        removed = privacy.apply_retention(today=TODAY)

    assert removed == privacy.Removal(cases=3, messages=6, attachments=3, notes=3, emails=6)
    complaint.refresh_from_db()
    assert (complaint.reporter_name, complaint.reporter_email, complaint.reporter_phone,
            complaint.description, complaint.description_index) == ("", "", "", "", "")
    assert (complaint.receipt_code_prefix, complaint.receipt_code_hash) == ("", "")
    assert complaint.personal_data_removal == "retention"
    assert started <= complaint.personal_data_removed_at <= timezone.now()
    assert Message.objects.filter(complaint=complaint).count() == 0
    assert Note.objects.filter(complaint=complaint).count() == 0
    assert Attachment.objects.filter(complaint=complaint).count() == 0
    assert OutboundEmail.objects.filter(dedup_key__contains=str(complaint.public_id)).count() == 0
    assert encrypted_storage.exists(file_name) is False
    assert encrypted_storage.exists(f"attachments/{complaint.public_id}") is False
    # Classification, dates and status stay.
    assert (complaint.status, complaint.outcome, complaint.societal_domain, complaint.nature,
            complaint.reporter_residence_id, complaint.incident_municipality_id) == (
        "closed", "resolved", "hospitality", "disputed_treatment", "GM0106", "GM0106")
    assert complaint.received_at == at(2020, 3, 2, 10)
    assert list(complaint.grounds.values_list("code", flat=True)) == ["race"]
    assert list(complaint.handling.values_list("code", flat=True)) == ["registration"]
    history = ComplaintHistory.objects.filter(
        complaint=complaint, action=ComplaintHistory.Action.PERSONAL_DATA_REMOVED).get()
    assert (history.actor, history.to_value, history.reason) == (None, "retention", "")
    # Statistics unchanged.
    after = {year: count_annual_forms(office=office, year=year) for year in (2019, 2020, 2021)}
    assert after == before
    assert after[2020]["GM0106"]["total"]["total"]["total"] == 3
    # The receipt code stops working.
    assert receipts.find_by_receipt_code(code=code) is None
    # Logs: counts only.
    messages = [record.getMessage() for record in caplog.records]
    assert "retention: 3 cases, 6 messages, 3 attachments, 3 notes, 6 e-mails" in messages
    for text in messages:
        for name in ("Jansen", "Pietersen", "Bakker", "Bakkerij", "example.org", "0612345678"):
            assert name not in text


def test_retention_leaves_recent_on_cutoff_and_open_cases_untouched(year_2020):
    privacy.apply_retention(today=TODAY)

    for key, name in (("on_cutoff", "Visser"), ("recent", "Smit"), ("open", "Mulder")):
        complaint, code = year_2020[key]
        complaint.refresh_from_db()
        assert complaint.reporter_name == name
        assert complaint.description == f"{name} was refused at the door of the Bakkerij."
        assert complaint.personal_data_removed_at is None
        assert Message.objects.filter(complaint=complaint).count() == 2
        assert Note.objects.filter(complaint=complaint).count() == 1
        assert Attachment.objects.filter(complaint=complaint).count() == 1
        assert receipts.find_by_receipt_code(code=code) == complaint
    assert Complaint.objects.filter(personal_data_removed_at__isnull=True).count() == 3
    assert Complaint.objects.filter(personal_data_removed_at__isnull=False).count() == 3


def test_retention_is_idempotent_and_works_in_batches(year_2020, caplog):
    first = privacy.apply_retention(today=TODAY, batch_size=2)
    changed = dict(Complaint.objects.values_list("pk", "updated_at"))
    caplog.set_level(logging.INFO)
    caplog.clear()

    second = privacy.apply_retention(today=TODAY, batch_size=2)

    assert first.cases == 3
    assert second == privacy.Removal()
    assert dict(Complaint.objects.values_list("pk", "updated_at")) == changed
    assert ComplaintHistory.objects.filter(
        action=ComplaintHistory.Action.PERSONAL_DATA_REMOVED).count() == 3
    assert [r.getMessage() for r in caplog.records if r.name == "reports.services.privacy"] == [
        "retention: 0 cases, 0 messages, 0 attachments, 0 notes, 0 e-mails"]


def test_celery_task_applies_retention_from_today(office, coordinator, storage_root,
                                                  django_capture_on_commit_callbacks):
    from reports.tasks import apply_retention

    long_ago, _code = full_case(actor=coordinator, name="Jansen", received_at=at(2019, 3, 2),
                                closed_at=at(2019, 3, 20))
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention.apply().get() == 1
        assert apply_retention.apply().get() == 0
    long_ago.refresh_from_db()
    assert long_ago.reporter_name == ""


def test_export_contains_the_reporters_data(office, coordinator, storage_root):
    complaint, _code = full_case(actor=coordinator, name="Jansen", received_at=at(2020, 3, 2, 10),
                                 closed_at=at(2020, 3, 20, 12), incident_date=datetime.date(
                                     2020, 2, 28))
    Complaint.objects.filter(pk=complaint.pk).update(reporter_language="en")
    complaint.refresh_from_db()

    exported = privacy.export_personal_data(complaint=complaint, user=coordinator)

    assert exported.filename == f"personal-data-{complaint.case_number}.zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    assert sorted(archive.namelist()) == ["README.txt", "attachments/1-Letter Jansen.pdf",
                                          "personal-data.json"]
    assert archive.read("attachments/1-Letter Jansen.pdf") == PDF
    document = json.loads(archive.read("personal-data.json"))
    messages = list(Message.objects.filter(complaint=complaint))
    history = list(ComplaintHistory.objects.filter(complaint=complaint))
    attachment = Attachment.objects.get(complaint=complaint)
    assert document == {
        "format": 1,
        "case_number": complaint.case_number,
        "office": "Meldpunt Discriminatie Drenthe",
        "exported_at": document["exported_at"],
        "reporter": {"name": "Jansen", "email": "jansen@example.org", "phone": "0612345678",
                     "municipality_of_residence": "Assen", "language": "en",
                     "anonymity": "Named", "consent_to_contact": True,
                     "consents_to_mediation": False},
        "report": {"received_at": "2020-03-02T10:00:00+01:00", "channel": "Online form",
                   "incident_date": "2020-02-28", "incident_municipality": "Assen",
                   "description": "Jansen was refused at the door of the Bakkerij."},
        "classification": {"contact_type": "Report", "grounds": ["Race (origin/skin colour)"],
                           "societal_domain": "Hospitality/entertainment",
                           "nature": "Disputed treatment", "handling": ["Registration"]},
        "status": {"current": "Closed", "outcome": "Resolved", "reason_for_rejection": "",
                   "closed_at": "2020-03-20T12:00:00+01:00"},
        "status_history": [{"at": history[0].at.astimezone(AMSTERDAM).isoformat(),
                            "event": "Registered", "from": "", "to": "Closed"}],
        "messages": [
            {"at": messages[0].created_at.astimezone(AMSTERDAM).isoformat(),
             "direction": "to_reporter", "direction_label": "To the reporter",
             "body": "Dear Jansen, we received your report."},
            {"at": messages[1].created_at.astimezone(AMSTERDAM).isoformat(),
             "direction": "from_reporter", "direction_label": "From the reporter",
             "body": "Thanks, regards Jansen"},
        ],
        "attachments": [{"file": "attachments/1-Letter Jansen.pdf", "name": "Letter Jansen.pdf",
                         "content_type": "application/pdf", "size": len(PDF),
                         "added_at": attachment.uploaded_at.astimezone(AMSTERDAM).isoformat(),
                         "added_by_reporter": False}],
        "personal_data_removed_at": None,
    }
    assert "Called Jansen back." not in exported.content.decode("latin-1")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.complaint, entry.detail) == (
        coordinator, "subject_access", complaint, {"messages": 2, "attachments": 1})


def test_export_needs_the_permission(office, coordinator, caseworker, storage_root):
    complaint, _code = full_case(actor=coordinator, name="Jansen", received_at=at(2020, 3, 2),
                                 closed_at=None, status=Status.NEW)
    with pytest.raises(PermissionDenied):
        privacy.export_personal_data(complaint=complaint, user=caseworker)
    assert AccessLog.objects.count() == 0


def test_erasure_on_request(office, coordinator, storage_root,
                            django_capture_on_commit_callbacks):
    complaint, code = full_case(actor=coordinator, name="Jansen", received_at=at(2024, 3, 2),
                                closed_at=None, status=Status.IN_PROGRESS)
    file_name = Attachment.objects.get(complaint=complaint).file.name

    with django_capture_on_commit_callbacks(execute=True):
        removed = privacy.erase_personal_data(complaint=complaint, actor=coordinator,
                                              reason="  AVG-2024-017 ")

    assert removed == privacy.Removal(cases=1, messages=2, attachments=1, notes=1, emails=2)
    complaint.refresh_from_db()
    assert (complaint.reporter_name, complaint.reporter_email, complaint.reporter_phone,
            complaint.description, complaint.personal_data_removal) == ("", "", "", "", "request")
    assert complaint.status == "in_progress"
    assert encrypted_storage.exists(file_name) is False
    assert receipts.find_by_receipt_code(code=code) is None
    history = ComplaintHistory.objects.get(
        complaint=complaint, action=ComplaintHistory.Action.PERSONAL_DATA_REMOVED)
    assert (history.actor, history.to_value, history.reason) == (
        coordinator, "request", "AVG-2024-017")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.complaint, entry.detail) == (
        coordinator, "erasure", complaint,
        {"cases": 1, "messages": 2, "attachments": 1, "notes": 1, "emails": 2})


def test_erasure_refuses_blank_reason_repeat_and_missing_permission(
        office, coordinator, caseworker, storage_root):
    complaint, _code = full_case(actor=coordinator, name="Jansen", received_at=at(2024, 3, 2),
                                 closed_at=None, status=Status.NEW)
    with pytest.raises(PermissionDenied):
        privacy.erase_personal_data(complaint=complaint, actor=caseworker, reason="AVG-1")
    with pytest.raises(ValidationError) as blank:
        privacy.erase_personal_data(complaint=complaint, actor=coordinator, reason="  ")
    assert blank.value.code == "reason_required"
    privacy.erase_personal_data(complaint=complaint, actor=coordinator, reason="AVG-1")
    with pytest.raises(ValidationError) as repeat:
        privacy.erase_personal_data(complaint=complaint, actor=coordinator, reason="AVG-1")
    assert repeat.value.code == "already_removed"
    assert AccessLog.objects.filter(action="erasure").count() == 1
    assert ComplaintHistory.objects.filter(
        action=ComplaintHistory.Action.PERSONAL_DATA_REMOVED).count() == 1
