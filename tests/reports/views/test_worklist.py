"""The reply loop in the back office: "Mijn werkvoorraad", the unread marker and filter of the
case list, opening a case clears it, the dashboard's workload figures, the portal's sentence."""

from __future__ import annotations

import datetime
import uuid
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime

from reports.models import Complaint, UnreadCase
from reports.selectors.accounts import home_url
from reports.services.complaints import (
    assign_complaint,
    change_status,
    record_message,
    share_with_team,
    submit_online_complaint,
)
from reports.services.followup import add_reporter_message
from reports.services.teams import create_team
from reports.vocabulary import Status
from tests.factories import AMSTERDAM, ComplaintFactory
from tests.reports.views.helpers import by_testid

pytestmark = pytest.mark.django_db

URL = "/backoffice/werkvoorraad/"
LIST_URL = "/backoffice/"


def online(office, **fields) -> Complaint:
    return submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                   description="Synthetisch 1.", language="nl",
                                   **fields).complaint


def test_anonymous_is_sent_to_login(client, office):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/login/?next={quote(URL)}"


def test_without_permission_is_forbidden(login_as, plain_user):
    assert login_as(plain_user).get(URL).status_code == 403


@pytest.mark.parametrize("user", ["caseworker", "coordinator"])
def test_with_permission_it_is_the_start_page(request, login_as, user):
    user = request.getfixturevalue(user)

    assert login_as(user).get(URL).status_code == 200
    assert home_url(user=user) == URL


def test_my_cases_unread_first_then_by_deadline_overdue_marked(login_as, office, caseworker,
                                                               coordinator, other_caseworker):
    early = ComplaintFactory(received_at=datetime.datetime(2020, 1, 6, 9, tzinfo=AMSTERDAM))
    late = ComplaintFactory(received_at=datetime.datetime(2020, 3, 2, 9, tzinfo=AMSTERDAM))
    replied = online(office)
    closed = ComplaintFactory(status=Status.CLOSED)
    someone_elses = ComplaintFactory()
    for case in (late, early, replied, closed):
        assign_complaint(complaint=case, actor=coordinator, assignee=caseworker)
    assign_complaint(complaint=someone_elses, actor=coordinator, assignee=other_caseworker)
    add_reporter_message(complaint=replied, body="Hier is mijn antwoord.")

    response = login_as(caseworker).get(URL)

    rows = by_testid(response.content, "my-cases")[0]
    numbers = [c.case_number for c in (replied, early, late)]
    assert [rows.index(n) for n in numbers] == sorted(rows.index(n) for n in numbers)
    assert closed.case_number not in rows and someone_elses.case_number not in rows
    assert by_testid(response.content, "mine-total") == ["3"]
    assert len(by_testid(response.content, "unread")) == 1
    assert len(by_testid(response.content, "overdue")) == 2  # the 2020 cases


def test_the_queue_holds_unassigned_cases_of_my_teams_and_of_no_team(
        login_as, office, caseworker, coordinator):
    mine, theirs = create_team(name="Noord"), create_team(name="Zuid")
    caseworker.groups.add(mine.group)
    ours = ComplaintFactory()
    share_with_team(complaint=ours, actor=coordinator, team=mine)
    other = ComplaintFactory()
    share_with_team(complaint=other, actor=coordinator, team=theirs)
    nobodys = ComplaintFactory()

    response = login_as(caseworker).get(URL)

    queue = by_testid(response.content, "queue")[0]
    assert ours.case_number in queue and nobodys.case_number in queue
    assert other.case_number not in queue
    assert by_testid(response.content, "queue-total") == ["2"]


def test_the_place_reads_as_in_the_case_list(login_as, office, caseworker, coordinator):
    # An unknown place is "(Nog) niet bekend" in both lists (not "—" in one of them), "Online"
    # is "Online", a municipality is its name.
    unknown = ComplaintFactory(incident_municipality=None, incident_place="unknown")
    on_line = ComplaintFactory(incident_municipality=None, incident_place="online")
    assen = ComplaintFactory(incident_municipality="GM0106", incident_place="municipality")
    for case in (unknown, on_line, assen):
        assign_complaint(complaint=case, actor=coordinator, assignee=caseworker)
    client = login_as(caseworker)

    worklist = client.get(URL)
    case_list = client.get(LIST_URL)

    assert sorted(by_testid(worklist.content, "incident-place")) == [
        "(Nog) niet bekend", "Assen", "Online (geen gemeente)"]
    listed = case_list.context["page"].object_list
    assert sorted(by_testid(worklist.content, "incident-place")) == sorted(
        str(c.incident_municipality) if c.incident_municipality else c.get_incident_place_display()
        for c in listed)


def test_query_count_does_not_grow_with_the_cases(login_as, office, caseworker, coordinator):
    client = login_as(caseworker)
    client.get(URL)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    base = queries()
    for _n in range(6):
        case = online(office)
        assign_complaint(complaint=case, actor=coordinator, assignee=caseworker)
        add_reporter_message(complaint=case, body="Antwoord.")
        ComplaintFactory()

    assert queries() == base
    assert base <= 14


def test_list_shows_unread_filters_it_and_opening_clears_it(login_as, office, caseworker,
                                                            coordinator):
    replied, quiet = online(office), online(office)
    for case in (replied, quiet):
        assign_complaint(complaint=case, actor=coordinator, assignee=caseworker)
    add_reporter_message(complaint=replied, body="Antwoord.")
    client = login_as(caseworker)

    assert len(by_testid(client.get(LIST_URL).content, "unread")) == 1
    rows = by_testid(client.get(f"{LIST_URL}?unread=true").content, "case-row")
    assert [replied.case_number in row for row in rows] == [True]
    rows = by_testid(client.get(f"{LIST_URL}?unread=false").content, "case-row")
    assert [quiet.case_number in row for row in rows] == [True]

    assert client.get(f"/backoffice/zaken/{replied.public_id}/").status_code == 200

    assert by_testid(client.get(LIST_URL).content, "unread") == []
    assert by_testid(client.get(f"{LIST_URL}?unread=true").content, "case-row") == []
    assert UnreadCase.objects.count() == 0


def test_unread_is_per_user(login_as, office, caseworker, other_caseworker):
    case = online(office)
    add_reporter_message(complaint=case, body="Antwoord.")

    login_as(caseworker).get(f"/backoffice/zaken/{case.public_id}/")

    assert by_testid(login_as(caseworker).get(LIST_URL).content, "unread") == []
    assert len(by_testid(login_as(other_caseworker).get(LIST_URL).content, "unread")) == 1


def test_dashboard_has_unread_per_caseworker(login_as, office, caseworker, coordinator):
    case = online(office)
    assign_complaint(complaint=case, actor=coordinator, assignee=caseworker)
    add_reporter_message(complaint=case, body="Antwoord.")

    response = login_as(coordinator).get("/backoffice/dashboard/")

    rows = by_testid(response.content, "caseworker-row")
    counts = by_testid(response.content, "unread-count")
    assert [count for row, count in zip(rows, counts, strict=True)
            if row.startswith("caseworker1")] == ["1"]
    assert [count for row, count in zip(rows, counts, strict=True)
            if row.startswith("coordinator1")] == ["0"]


def test_portal_says_the_message_was_sent_until_the_office_answers(client, office, coordinator):
    submission = submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                         description="Synthetisch.", language="nl")
    case = change_status(complaint=submission.complaint, actor=coordinator,
                         to_status=Status.AWAITING_REPORTER)
    client.post("/melden/opvolgen/", {"code": submission.receipt_code})
    assert by_testid(client.get("/melden/opvolgen/melding/").content, "sent-sentence") == []

    client.post("/melden/opvolgen/bericht/", {"body": "Mijn antwoord."})

    page = client.get("/melden/opvolgen/melding/").content
    [sentence] = by_testid(page, "sent-sentence")
    message = case.messages.get()
    with translation.override("nl"):
        shown = date_format(localtime(message.created_at), "SHORT_DATETIME_FORMAT")
    assert shown in sentence
    assert "antwoord" not in by_testid(page, "status-sentence")[0].lower()
    assert Complaint.objects.get(pk=case.pk).status == Status.IN_PROGRESS

    record_message(complaint=case, author=coordinator, direction="out", body="Dank u.")

    assert by_testid(client.get("/melden/opvolgen/melding/").content, "sent-sentence") == []
