"""The case timeline: history, notes, messages and attachments in one chronological list."""

from __future__ import annotations

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from reports.selectors.timeline import Change, case_timeline
from reports.services.complaints import (
    add_attachment,
    add_note,
    assign_complaint,
    change_status,
    classify_complaint,
    record_message,
    share_with_team,
    update_reporter_data,
)
from reports.services.teams import create_team
from tests.factories import ComplaintFactory
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = datetime.datetime(2024, 3, 4, 9, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def clock():
    """``timezone.now()`` advances one minute per call from ``START``, so that every row gets
    its own, known moment."""
    ticks = iter(START + datetime.timedelta(minutes=n) for n in range(10_000))
    with mock.patch("django.utils.timezone.now", side_effect=lambda: next(ticks)):
        yield


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def summary(entries) -> list[tuple]:
    return [(e.kind, e.actor, e.title, e.changes, e.reason, e.text,
             e.attachment.original_name if e.attachment else None) for e in entries]


def test_timeline_merges_everything_in_order(office, coordinator, caseworker, media):
    team = create_team(name="Noord")
    complaint = ComplaintFactory(reporter_name="Anna Melder", reporter_email="a@example.nl")
    actor = coordinator
    version = complaint.version
    version = assign_complaint(complaint=complaint, actor=actor, assignee=caseworker,
                               expected_version=version).version
    add_note(complaint=complaint, author=caseworker, text="Eerste notitie.")
    version = classify_complaint(complaint=complaint, actor=caseworker, contact_type="complaint",
                                 grounds=["race"], societal_domain="housing", nature="",
                                 handling=["registration"], expected_version=version).version
    record_message(complaint=complaint, author=caseworker, direction="out",
                   body="We hebben uw melding ontvangen.")
    version = update_reporter_data(complaint=complaint, actor=caseworker,
                                   expected_version=version, reporter_name="Anna de Melder",
                                   consent_to_contact=True).version
    add_attachment(complaint=complaint, uploaded_by=caseworker,
                   upload=SimpleUploadedFile("brief.pdf", samples.PDF))
    record_message(complaint=complaint, author=caseworker, direction="in", body="Dank u.")
    version = share_with_team(complaint=complaint, actor=actor, team=team,
                              expected_version=version).version
    version = change_status(complaint=complaint, actor=caseworker, to_status="closed",
                            outcome="resolved", reason="Opgelost met de werkgever.",
                            expected_version=version).version
    change_status(complaint=complaint, actor=actor, to_status="reopened",
                  reason="Melder belde opnieuw.", expected_version=version)

    entries = case_timeline(complaint=complaint)

    assert summary(entries) == [
        ("history", "", "Registered", (Change("Status", "", "New"),), "", "", None),
        ("history", "coordinator1", "Assigned", (Change("Caseworker", "", "caseworker1"),),
         "", "", None),
        ("note", "caseworker1", "Note", (), "", "Eerste notitie.", None),
        ("history", "caseworker1", "Classified", (
            Change("Contact type", "Report", "Complaint"),
            Change("Grounds", "", "Race (origin/skin colour)"),
            Change("Societal domain", "", "Housing"),
            Change("Handling", "", "Registration"),
        ), "", "", None),
        ("message", "caseworker1", "Message to the reporter", (), "",
         "We hebben uw melding ontvangen.", None),
        ("history", "caseworker1", "Reporter data changed", (Change("name"),), "", "", None),
        ("history", "caseworker1", "Reporter data changed",
         (Change("consent to be contacted"),), "", "", None),
        ("attachment", "caseworker1", "File added", (), "", "", "brief.pdf"),
        ("message", "caseworker1", "Message from the reporter", (), "", "Dank u.", None),
        ("history", "coordinator1", "Shared with team", (Change("Team", "", "Noord"),), "", "",
         None),
        ("history", "caseworker1", "Status changed", (
            Change("Status", "New", "Closed"), Change("Outcome", "", "Resolved")),
         "Opgelost met de werkgever.", "", None),
        ("history", "coordinator1", "Status changed", (Change("Status", "Closed", "Reopened"),),
         "Melder belde opnieuw.", "", None),
    ]
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    # Reporter data: field names only, never the values.
    rendered = repr(summary(entries))
    assert "Anna" not in rendered
    assert "a@example.nl" not in rendered


def test_rejection_shows_the_reason_for_rejection(office, coordinator):
    complaint = ComplaintFactory()
    change_status(complaint=complaint, actor=coordinator, to_status="rejected",
                  rejection_reason="spam")

    entries = case_timeline(complaint=complaint)

    assert entries[-1].changes == (Change("Status", "New", "Rejected"),
                                   Change("Reason for rejection", "", "Spam"))


def test_a_move_to_another_desk_shows_the_old_and_the_new_desk(office):
    from reports.services.desks import move_to_desk
    from tests.factories import OfficeCoordinatorFactory, make_desk

    complaint = ComplaintFactory()
    national = OfficeCoordinatorFactory(username="national")
    move_to_desk(complaint=complaint, actor=national, desk=make_desk("zuid", "Zuid"))

    entry = case_timeline(complaint=complaint)[-1]

    assert (entry.actor, entry.title, entry.changes) == (
        "national", "Moved to another desk",
        (Change("Desk", "Meldpunt Discriminatie Drenthe", "Zuid"),))


def test_entries_at_the_same_moment_keep_kind_then_id_order(office, coordinator, media):
    complaint = ComplaintFactory()
    with mock.patch("django.utils.timezone.now", return_value=START):
        attachment = add_attachment(complaint=complaint, uploaded_by=coordinator,
                                    upload=SimpleUploadedFile("a.pdf", samples.PDF))
        message = record_message(complaint=complaint, author=coordinator, direction="in",
                                 body="m")
        second = add_note(complaint=complaint, author=coordinator, text="second")
        first = add_note(complaint=complaint, author=coordinator, text="first")
        change_status(complaint=complaint, actor=coordinator, to_status="in_progress")
    history = complaint.history.get(action="status")

    entries = [e for e in case_timeline(complaint=complaint) if e.at == START]

    assert [e.source for e in entries] == [history, second, first, message, attachment]


def test_timeline_of_a_fresh_case_is_its_registration(office, clock):
    complaint = ComplaintFactory()

    entries = case_timeline(complaint=complaint)

    assert summary(entries) == [
        ("history", "", "Registered", (Change("Status", "", "New"),), "", "", None)]
    assert entries[0].at == complaint.history.get().at


def _count_queries(complaint) -> int:
    with CaptureQueriesContext(connection) as queries:
        case_timeline(complaint=complaint)
    return len(queries)


def test_timeline_costs_four_queries_whatever_its_length(office, coordinator, caseworker,
                                                         media):
    complaint = ComplaintFactory()
    add_note(complaint=complaint, author=coordinator, text="één")
    assert _count_queries(complaint) == 4

    for n in range(10):
        add_note(complaint=complaint, author=coordinator, text=f"notitie {n}")
        record_message(complaint=complaint, author=coordinator, direction="out", body=f"{n}")
        add_attachment(complaint=complaint, uploaded_by=coordinator,
                       upload=SimpleUploadedFile(f"{n}.pdf", samples.PDF))
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)
    assign_complaint(complaint=complaint, actor=coordinator, assignee=coordinator)

    assert _count_queries(complaint) == 4
    assert len(case_timeline(complaint=complaint)) == 1 + 11 + 10 + 10 + 2
