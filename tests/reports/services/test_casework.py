"""Reporter activity in the daily loop (``reports.services.casework``): unread marks, the
assignee's e-mail, the automatic end of "waiting for the reporter", and marking read."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from reports.models import Complaint, ComplaintHistory, OutboundEmail, UnreadCase
from reports.selectors.timeline import case_timeline
from reports.services.casework import REPORTER_ACTIVITY, mark_case_read
from reports.services.complaints import (
    assign_complaint,
    change_status,
    share_with_team,
    submit_online_complaint,
)
from reports.services.followup import add_reporter_files, add_reporter_message
from reports.services.teams import create_team
from reports.uploads import PDF, CleanUpload
from reports.vocabulary import Status
from reports.workflow import REPORTER_ACTIVITY_TRANSITIONS, TRANSITIONS
from tests.factories import CaseworkerFactory
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.django_db

SECRET = "Geheime beschrijving 8812."
REPLY = "Antwoord van de melder 5521."


@pytest.fixture
def online_case(office):
    return submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                   description=SECRET, language="nl").complaint


def unread_users(complaint: Complaint) -> set[str]:
    return set(UnreadCase.objects.filter(complaint=complaint)
               .values_list("user__username", flat=True))


def status_history(complaint: Complaint) -> list[tuple]:
    return list(ComplaintHistory.objects.filter(complaint=complaint, action="status")
                .values_list("actor", "from_value", "to_value", "by_reporter"))


def test_every_reporter_transition_is_in_the_workflow_table():
    assert REPORTER_ACTIVITY_TRANSITIONS == {Status.AWAITING_REPORTER: Status.IN_PROGRESS}
    for origin, to in REPORTER_ACTIVITY_TRANSITIONS.items():
        assert to in TRANSITIONS[origin]


def test_a_reply_marks_the_case_unread_for_the_assignee_only(online_case, caseworker,
                                                             other_caseworker, coordinator):
    assign_complaint(complaint=online_case, actor=coordinator, assignee=caseworker)

    add_reporter_message(complaint=online_case, body=REPLY)

    assert unread_users(online_case) == {"caseworker1"}


def test_unassigned_team_case_is_unread_for_the_team_members(online_case, caseworker,
                                                             other_caseworker, coordinator):
    team = create_team(name="Noord")
    caseworker.groups.add(team.group)
    share_with_team(complaint=online_case, actor=coordinator, team=team)

    add_reporter_message(complaint=online_case, body=REPLY)

    assert unread_users(online_case) == {"caseworker1"}


def test_unassigned_case_without_team_is_unread_for_everyone_handling_the_queue(
        online_case, caseworker, other_caseworker, coordinator, plain_user):
    add_reporter_message(complaint=online_case, body=REPLY)

    assert unread_users(online_case) == {"caseworker1", "caseworker2", "coordinator1"}


def test_a_file_marks_the_case_unread_too(online_case, caseworker, coordinator):
    assign_complaint(complaint=online_case, actor=coordinator, assignee=caseworker)

    add_reporter_files(complaint=online_case, files=[
        CleanUpload(name="bewijs.pdf", content=samples.PDF, content_type=PDF)])

    assert unread_users(online_case) == {"caseworker1"}
    assert list(OutboundEmail.objects.filter(kind=REPORTER_ACTIVITY)
                .values_list("recipient", flat=True)) == ["caseworker1@example.invalid"]


def test_the_assignee_gets_one_email_without_content_until_they_open_the_case(
        online_case, caseworker, coordinator, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://meldpunt.example"
    assign_complaint(complaint=online_case, actor=coordinator, assignee=caseworker)

    with django_capture_on_commit_callbacks() as callbacks:
        add_reporter_message(complaint=online_case, body=REPLY)
    add_reporter_message(complaint=online_case, body="Nog iets.")

    emails = list(OutboundEmail.objects.filter(kind=REPORTER_ACTIVITY))
    assert [email.recipient for email in emails] == ["caseworker1@example.invalid"]
    assert len(callbacks) == 1  # published to Celery only after commit
    body = emails[0].body
    assert f"https://meldpunt.example/backoffice/zaken/{online_case.public_id}/" in body
    assert online_case.case_number in body
    assert REPLY not in body and SECRET not in body and "Nog iets" not in body

    assert mark_case_read(complaint=online_case, user=caseworker) is True
    add_reporter_message(complaint=online_case, body="Derde bericht.")

    assert OutboundEmail.objects.filter(kind=REPORTER_ACTIVITY).count() == 2


def test_no_email_without_assignee_or_address(online_case, caseworker, coordinator):
    add_reporter_message(complaint=online_case, body=REPLY)
    caseworker.email = ""
    caseworker.save()
    assign_complaint(complaint=online_case, actor=coordinator, assignee=caseworker)
    add_reporter_message(complaint=online_case, body="Nog iets.")

    assert OutboundEmail.objects.filter(kind=REPORTER_ACTIVITY).count() == 0


def test_waiting_for_reporter_moves_back_to_in_progress_by_the_reporter(online_case,
                                                                       caseworker, coordinator):
    case = assign_complaint(complaint=online_case, actor=coordinator, assignee=caseworker)
    case = change_status(complaint=case, actor=caseworker, to_status=Status.AWAITING_REPORTER)
    version = case.version

    add_reporter_message(complaint=online_case, body=REPLY)

    case = Complaint.objects.get(pk=online_case.pk)
    assert case.status == Status.IN_PROGRESS
    assert case.version == version + 1
    assert status_history(case) == [
        (caseworker.pk, "new", "awaiting_reporter", False),
        (None, "awaiting_reporter", "in_progress", True)]
    entry = [e for e in case_timeline(complaint=case) if e.kind == "history"][-1]
    assert (entry.actor, entry.by_reporter) == ("", True)


@pytest.mark.parametrize("status", [Status.NEW, Status.IN_PROGRESS, Status.AWAITING_OTHER_PARTY])
def test_other_statuses_stay(online_case, coordinator, status):
    if status != Status.NEW:
        change_status(complaint=online_case, actor=coordinator, to_status=Status.IN_PROGRESS)
    if status == Status.AWAITING_OTHER_PARTY:
        change_status(complaint=online_case, actor=coordinator, to_status=status)

    add_reporter_message(complaint=online_case, body=REPLY)

    assert Complaint.objects.get(pk=online_case.pk).status == status


def test_opening_clears_only_that_users_mark(online_case, caseworker, other_caseworker):
    add_reporter_message(complaint=online_case, body=REPLY)

    assert mark_case_read(complaint=online_case, user=caseworker) is True
    assert mark_case_read(complaint=online_case, user=caseworker) is False
    assert unread_users(online_case) == {"caseworker2"}


def test_a_refused_reply_leaves_no_mark(online_case, caseworker, coordinator):
    assign_complaint(complaint=online_case, actor=coordinator, assignee=caseworker)
    Complaint.objects.filter(pk=online_case.pk).update(receipt_code_hash="")

    with pytest.raises(PermissionDenied), transaction.atomic():
        add_reporter_message(complaint=online_case, body=REPLY)

    assert unread_users(online_case) == set()
    assert OutboundEmail.objects.filter(kind=REPORTER_ACTIVITY).count() == 0


def test_a_second_reply_keeps_the_first_moment(online_case, caseworker, coordinator):
    assign_complaint(complaint=online_case, actor=coordinator, assignee=caseworker)
    first = add_reporter_message(complaint=online_case, body=REPLY)
    add_reporter_message(complaint=online_case, body="Nog iets.")

    assert list(UnreadCase.objects.values_list("since", flat=True)) == [first.created_at]


def test_inactive_team_members_get_no_mark(online_case, caseworker, other_caseworker,
                                           coordinator):
    team = create_team(name="Noord")
    caseworker.groups.add(team.group)
    other_caseworker.groups.add(team.group)
    other_caseworker.is_active = False
    other_caseworker.save()
    share_with_team(complaint=online_case, actor=coordinator, team=team)
    CaseworkerFactory(username="outsider")

    add_reporter_message(complaint=online_case, body=REPLY)

    assert unread_users(online_case) == {"caseworker1"}
