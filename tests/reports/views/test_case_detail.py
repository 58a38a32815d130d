"""The case detail page and its actions: workflow with reasons and outcome, optimistic locking,
classification (Besluit art. 5 and 11), reporter data, teams, messages, attachments, the
case-number autocomplete, the timeline and the access log."""

from __future__ import annotations

import datetime
import uuid
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import crypto
from reports.models import AccessLog, Attachment, Complaint, ComplaintHistory, Message, Note
from reports.services.complaints import (
    add_attachment,
    add_note,
    assign_complaint,
    change_status,
    classify_complaint,
    update_reporter_data,
)
from reports.services.teams import create_team
from tests.factories import ComplaintFactory, UserFactory
from tests.reports import upload_samples as samples
from tests.reports.views.helpers import by_testid, parse

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
STALE = ("Someone else changed this case in the meantime. Reload the page and make your change "
         "again.")
INVALID_CASE = ("Duplicate of: Select a valid choice. That choice is not one of the available "
                "choices.")
ART_5 = ("Mediation and own investigation are not possible while the reporter stays anonymous "
         "(Besluit art. 5).")
ART_11 = "Mediation needs the recorded consent of both parties (Besluit art. 11)."


def at(day: int, month: int = 6, year: int = 2020, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=AMSTERDAM)


def detail_url(complaint: Complaint) -> str:
    return f"/backoffice/zaken/{complaint.public_id}/"


def action_url(complaint: Complaint, action: str) -> str:
    return f"/backoffice/zaken/{complaint.public_id}/{action}/"


def download_url(complaint: Complaint, attachment: Attachment) -> str:
    return f"/backoffice/zaken/{complaint.public_id}/bijlagen/{attachment.public_id}/"


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def versioned(complaint: Complaint, data: dict | None = None) -> dict:
    """``data`` plus the case's current ``version``, as the detail page's forms send it."""
    return {**(data or {}), "version": fresh(complaint).version}


def state(complaint: Complaint) -> tuple:
    """Everything an action could change on a case."""
    case = fresh(complaint)
    return (
        case.status, case.version, case.outcome, case.rejection_reason, case.duplicate_of_id,
        case.closed_at,
        case.assigned_to_id, case.team_id, case.contact_type, case.societal_domain, case.nature,
        sorted(case.grounds.values_list("code", flat=True)),
        sorted(case.handling.values_list("code", flat=True)),
        case.reporter_name, case.reporter_email, case.reporter_phone, case.reporter_residence_id,
        case.consent_to_contact, case.anonymity, case.reporter_consents_mediation,
        case.other_party_consents_mediation, case.first_response_at,
        ComplaintHistory.objects.filter(complaint=case).count(),
        Note.objects.filter(complaint=case).count(),
        Message.objects.filter(complaint=case).count(),
        Attachment.objects.filter(complaint=case).count(),
    )


def shown_messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m.message)) for m in response.context["messages"]]


#: Action URL -> the case page's section a save returns to (issue 12 §3).
SECTION_OF = {"status": "status", "classificeren": "classification", "melder": "reporter",
              "toewijzen": "assignment", "team": "sharing", "bericht": "messages",
              "bijlagen": "files", "notitie": "notes", "incident": "incident",
              "koppelen": "related", "oppakken": ""}


def back_url(complaint: Complaint, action: str) -> str:
    """Where saving ``action`` leads: the case page at the section just saved."""
    section = SECTION_OF[action]
    return f"{detail_url(complaint)}#{section}" if section else detail_url(complaint)


def post(client, complaint: Complaint, action: str, data: dict | None = None):
    """POST an action in English and follow the redirect back to the case, at the section of
    the action."""
    response = client.post(action_url(complaint, action), data or {}, follow=True, **EN)
    assert response.redirect_chain == [(back_url(complaint, action), 302)]
    return response


@pytest.fixture
def cases(office, coordinator, caseworker, other_caseworker):
    """Unassigned, assigned to ``caseworker`` and assigned to ``other_caseworker``."""
    unassigned = ComplaintFactory(received_at=at(1))
    own = ComplaintFactory(received_at=at(2), reporter_name="Anna Melder",
                           reporter_email="anna@example.nl", consent_to_contact=True)
    others = ComplaintFactory(received_at=at(3))
    assign_complaint(complaint=own, actor=coordinator, assignee=caseworker)
    assign_complaint(complaint=others, actor=coordinator, assignee=other_caseworker)
    return SimpleNamespace(unassigned=fresh(unassigned), own=fresh(own), others=fresh(others))


@pytest.fixture
def reader(reference_data):
    """Sees every case; may change nothing and sees no contact details."""
    user = UserFactory(username="reader")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="reports",
                                                     codename="view_all_complaints"))
    return user


@pytest.fixture
def handler_without_contact(reference_data):
    """May see and change every case but not see reporter contact details."""
    user = UserFactory(username="handler")
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="reports",
        codename__in=["view_all_complaints", "change_all_complaints"]))
    return user


@pytest.fixture
def team(reference_data):
    return create_team(name="Team Zuid")


@pytest.fixture
def media(settings, tmp_path):
    """Attachments go to a fresh directory (``PRIVATE_MEDIA_ROOT``)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


NEW_ACTIONS = {
    "melder": {"reporter_name": "X", "anonymity": "named"},
    "team": {"team": ""},
    "bericht": {"direction": "out", "body": "Hallo"},
    "bijlagen": {},
}


# --- Authorisation of the new actions ------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(NEW_ACTIONS))
def test_new_actions_send_anonymous_users_to_login(client, cases, action):
    before = state(cases.own)

    response = client.post(action_url(cases.own, action), versioned(cases.own,
                                                                     NEW_ACTIONS[action]))

    assert response.status_code == 302
    assert response["Location"] == (
        f"/backoffice/login/?next=/backoffice/zaken/{cases.own.public_id}/{action}/")
    assert state(cases.own) == before


@pytest.mark.parametrize("user_fixture", ["plain_user", "caseworker"])
@pytest.mark.parametrize("action", sorted(NEW_ACTIONS))
def test_new_actions_on_an_invisible_case_are_404(request, login_as, cases, user_fixture, action,
                                                  team):
    user = request.getfixturevalue(user_fixture)
    before = state(cases.others)
    data = versioned(cases.others, NEW_ACTIONS[action])
    if action == "team":
        data["team"] = team.pk

    response = login_as(user).post(action_url(cases.others, action), data)

    assert response.status_code == 404
    assert state(cases.others) == before


@pytest.mark.parametrize("user_fixture", ["reader", "caseworker"])
@pytest.mark.parametrize("action", sorted(NEW_ACTIONS))
def test_new_actions_on_a_visible_case_without_the_right_are_403(request, login_as, cases,
                                                                 user_fixture, action, team,
                                                                 media):
    # The caseworker sees the queue case but may change it only after taking it; the reader sees
    # everything and changes nothing. Neither may share.
    user = request.getfixturevalue(user_fixture)
    before = state(cases.unassigned)
    data = versioned(cases.unassigned, NEW_ACTIONS[action])
    if action == "team":
        data["team"] = team.pk
    if action == "bijlagen":
        data["upload"] = SimpleUploadedFile("x.txt", b"x")

    response = login_as(user).post(action_url(cases.unassigned, action), data)

    assert response.status_code == 403
    assert state(cases.unassigned) == before


def test_reporter_data_needs_the_contact_permission(login_as, handler_without_contact, cases):
    client = login_as(handler_without_contact)
    before = state(cases.own)

    page = client.get(detail_url(cases.own))
    response = client.post(action_url(cases.own, "melder"),
                           versioned(cases.own, {"reporter_name": "Nieuw", "anonymity": "named"}))

    assert page.context["can_change"] is True
    assert "reporter_form" not in page.context
    assert b"anna@example.nl" not in page.content
    assert response.status_code == 403
    assert state(cases.own) == before


def test_caseworker_shares_nothing_on_an_own_case(login_as, caseworker, cases, team):
    before = state(cases.own)

    page = login_as(caseworker).get(detail_url(cases.own))
    response = login_as(caseworker).post(action_url(cases.own, "team"),
                                         versioned(cases.own, {"team": team.pk}))

    assert "share_form" not in page.context
    assert response.status_code == 403
    assert state(cases.own) == before


@pytest.mark.parametrize("action", ["melder", "team", "bericht", "bijlagen"])
def test_new_actions_refuse_get(login_as, coordinator, cases, action):
    assert login_as(coordinator).get(action_url(cases.own, action)).status_code == 405


# --- The detail page -----------------------------------------------------------------------------


def test_detail_page_forms_carry_the_version(login_as, coordinator, cases):
    assign_complaint(complaint=cases.unassigned, actor=coordinator, assignee=coordinator)
    complaint = fresh(cases.unassigned)
    assert complaint.version == 2

    response = login_as(coordinator).get(detail_url(complaint))

    forms = {form["attrs"]["action"].rstrip("/").rsplit("/", 1)[-1]: form["names"]
             for form in parse(response.content).forms if form["attrs"].get("method") == "post"}
    assert forms == {
        "toewijzen": ["csrfmiddlewaretoken", "version", "assignee"],
        "team": ["csrfmiddlewaretoken", "version", "team"],
        "status": ["csrfmiddlewaretoken", "version", "to_status", "reason", "outcome",
                   "rejection_reason", "duplicate_of"],
        "classificeren": ["csrfmiddlewaretoken", "version", "contact_type", *["grounds"] * 15,
                          "societal_domain", "nature", *["handling"] * 8],
        "melder": ["csrfmiddlewaretoken", "version", "reporter_name", "reporter_email",
                   "reporter_phone", "reporter_residence", "consent_to_contact", "anonymity",
                   "reporter_consents_mediation", "other_party_consents_mediation"],
        "incident": ["csrfmiddlewaretoken", "version", "incident_municipality",
                     "incident_date", "channel"],
        "koppelen": ["csrfmiddlewaretoken", "case_number", "kind"],
        "massamelding": ["csrfmiddlewaretoken", *["mode"] * 3, "incident", "case_number",
                         "title"],
        "bericht": ["csrfmiddlewaretoken", "direction", "body"],
        "bijlagen": ["csrfmiddlewaretoken", "upload"],
        "notitie": ["csrfmiddlewaretoken", "text"],
        "logout": ["csrfmiddlewaretoken"],
        "ga": ["csrfmiddlewaretoken", "number"],  # the header's go-to-case box (posted)
        "setlang": ["csrfmiddlewaretoken", "next", "language"],
    }
    versions = [attrs["value"] for tag, attrs in parse(response.content).tags
                if tag == "input" and attrs.get("name") == "version"]
    assert versions == ["2"] * 6


@pytest.mark.parametrize(("status", "expected"), [
    ("new", ["in_progress", "awaiting_reporter", "closed", "rejected"]),
    ("in_progress", ["awaiting_reporter", "awaiting_other_party", "closed", "rejected"]),
    ("awaiting_reporter", ["in_progress", "awaiting_other_party", "closed"]),
    ("awaiting_other_party", ["in_progress", "awaiting_reporter", "closed"]),
    ("closed", ["reopened"]),
    ("reopened", ["in_progress", "awaiting_reporter", "awaiting_other_party", "closed"]),
    ("rejected", ["reopened"]),
])
def test_status_form_offers_only_the_allowed_next_statuses(login_as, coordinator, office, status,
                                                           expected):
    complaint = ComplaintFactory(status=status)

    form = login_as(coordinator).get(detail_url(complaint)).context["status_form"]

    assert [code for code, _label in form.fields["to_status"].choices] == ["", *expected]


def test_detail_shows_deadline_and_overdue_flag(login_as, coordinator, office):
    late = ComplaintFactory(received_at=at(15))  # Monday 15 June 2020: due Monday 22 June
    answered = ComplaintFactory(received_at=at(15))
    Complaint.objects.filter(pk=answered.pk).update(first_response_at=at(16))
    closed = ComplaintFactory(received_at=at(15), status="closed")
    client = login_as(coordinator)

    for complaint, overdue in [(late, True), (answered, False), (closed, False)]:
        response = client.get(detail_url(complaint), **EN)
        assert response.context["overdue"] is overdue
        assert by_testid(response.content, "overdue") == (
            ["First response overdue"] if overdue else [])
    assert by_testid(client.get(detail_url(late), **EN).content, "first-response-due") == [
        "22/06/2020"]  # one date format per language (meldpunt/formats)


def test_detail_of_a_case_due_in_the_future_is_not_overdue(login_as, coordinator, office):
    complaint = ComplaintFactory(received_at=datetime.datetime.now(tz=AMSTERDAM))

    response = login_as(coordinator).get(detail_url(complaint), **EN)

    assert response.context["overdue"] is False
    assert by_testid(response.content, "overdue") == []


def test_detail_shows_outcome_rejection_and_duplicate(login_as, coordinator, caseworker,
                                                      other_caseworker, cases):
    original = cases.others
    change_status(complaint=cases.own, actor=coordinator, to_status="rejected",
                  rejection_reason="duplicate", duplicate_of=original)

    as_coordinator = login_as(coordinator).get(detail_url(cases.own), **EN)
    as_caseworker = login_as(caseworker).get(detail_url(cases.own), **EN)

    for response in (as_coordinator, as_caseworker):
        assert by_testid(response.content, "status") == ["Rejected"]
        assert by_testid(response.content, "rejection-reason") == ["Duplicate of another case"]
        assert by_testid(response.content, "duplicate-of") == [original.case_number]
        assert by_testid(response.content, "outcome") == []
    links = {name: [attrs["href"] for tag, attrs in parse(response.content).tags
                    if tag == "a" and attrs.get("href") == detail_url(original)]
             for name, response in [("coordinator", as_coordinator),
                                    ("caseworker", as_caseworker)]}
    # Linked only for whoever may open the original.
    assert links == {"coordinator": [detail_url(original)], "caseworker": []}


def test_detail_shows_the_outcome_of_a_closed_case(login_as, coordinator, cases):
    classify_complaint(complaint=cases.own, actor=coordinator, contact_type="report", grounds=[],
                       societal_domain="", nature="", handling=["registration"])
    change_status(complaint=cases.own, actor=coordinator, to_status="closed",
                  outcome="withdrawn")

    response = login_as(coordinator).get(detail_url(cases.own), **EN)

    assert by_testid(response.content, "outcome") == ["Withdrawn by the reporter"]
    assert by_testid(response.content, "rejection-reason") == []
    assert by_testid(response.content, "duplicate-of") == []


# --- Access log ----------------------------------------------------------------------------------


def test_opening_a_case_is_logged_every_time(login_as, caseworker, cases):
    client = login_as(caseworker)

    assert client.get(detail_url(cases.own)).status_code == 200
    assert client.get(detail_url(cases.own)).status_code == 200
    assert client.get(detail_url(cases.unassigned)).status_code == 200

    assert list(AccessLog.objects.order_by("id").values_list(
        "user_id", "action", "complaint_id", "case_number", "detail")) == [
        (caseworker.pk, "view", cases.own.pk, cases.own.case_number, {}),
        (caseworker.pk, "view", cases.own.pk, cases.own.case_number, {}),
        (caseworker.pk, "view", cases.unassigned.pk, cases.unassigned.case_number, {}),
    ]


def test_refused_openings_are_not_logged(client, login_as, caseworker, plain_user, cases):
    assert client.get(detail_url(cases.own)).status_code == 302
    assert login_as(plain_user).get(detail_url(cases.own)).status_code == 404
    assert login_as(caseworker).get(detail_url(cases.others)).status_code == 404

    assert AccessLog.objects.count() == 0


# --- Status --------------------------------------------------------------------------------------


def test_close_with_handling_and_outcome(login_as, caseworker, cases):
    classify_complaint(complaint=cases.own, actor=caseworker, contact_type="report", grounds=[],
                       societal_domain="", nature="", handling=["advice_information"])
    version = fresh(cases.own).version

    response = post(login_as(caseworker), cases.own, "status", versioned(cases.own, {
        "to_status": "closed", "outcome": "resolved", "reason": "Advies gegeven."}))

    assert shown_messages(response) == [("success", "Status changed.")]
    case = fresh(cases.own)
    assert (case.status, case.outcome, case.version) == ("closed", "resolved", version + 1)
    assert case.closed_at is not None
    assert list(ComplaintHistory.objects.filter(complaint=case, action="status").values_list(
        "actor_id", "from_value", "to_value", "reason")) == [
        (caseworker.pk, "new", "closed:resolved", "Advies gegeven.")]


@pytest.mark.parametrize(("data", "message"), [
    ({"to_status": "closed", "outcome": "resolved"},
     "Record at least one manner of handling before closing."),
    ({"to_status": "rejected"}, "Choose why this report is not taken on."),
])
def test_close_and_reject_conditions(login_as, caseworker, cases, data, message):
    before = state(cases.own)

    response = post(login_as(caseworker), cases.own, "status", versioned(cases.own, data))

    assert shown_messages(response) == [("error", message)]
    assert state(cases.own) == before


def test_closing_without_outcome_is_refused(login_as, caseworker, cases):
    classify_complaint(complaint=cases.own, actor=caseworker, contact_type="report", grounds=[],
                       societal_domain="", nature="", handling=["registration"])
    before = state(cases.own)

    client = login_as(caseworker)
    response = post(client, cases.own, "status",
                    versioned(cases.own, {"to_status": "closed", "outcome": ""}))

    assert shown_messages(response) == [("error", "Choose an outcome before closing.")]
    assert state(cases.own) == before
    # The chosen status stays selected and the missing outcome is marked, once.
    tags = parse(response.content).tags
    assert [attrs.get("value") for tag, attrs in tags
            if tag == "option" and "selected" in attrs and attrs.get("value") == "closed"] == [
        "closed"]
    [outcome] = [attrs for tag, attrs in tags if tag == "select" and attrs.get("name") == "outcome"]
    assert "is-invalid" in outcome["class"]
    again = client.get(detail_url(cases.own))
    assert "is-invalid" not in again.content.decode()


def test_closing_without_handling_and_outcome_marks_both(login_as, caseworker, cases):
    before = state(cases.own)
    client = login_as(caseworker)

    response = post(client, cases.own, "status",
                    versioned(cases.own, {"to_status": "closed", "outcome": ""}))

    assert shown_messages(response) == [
        ("error", "Record at least one manner of handling before closing."),
        ("error", "Choose an outcome before closing.")]
    assert state(cases.own) == before
    # Each missing field gets its own error, the chosen status stays selected.
    status_form = response.context["status_form"]
    assert (status_form["to_status"].value(), status_form.errors) == (
        "closed", {"outcome": ["Choose an outcome before closing."]})
    assert response.context["classification_form"].errors == {
        "handling": ["Record at least one manner of handling before closing."]}
    tags = parse(response.content).tags
    [outcome] = [attrs for tag, attrs in tags if tag == "select" and attrs.get("name") == "outcome"]
    assert "is-invalid" in outcome["class"]
    html = response.content.decode()
    classification = html[html.index('id="classification"'):html.index('id="incident"')]
    assert "Record at least one manner of handling before closing." in classification
    assert "is-invalid" in classification
    # Once: the next view shows neither.
    again = client.get(detail_url(cases.own), **EN)
    assert "is-invalid" not in again.content.decode()


def test_closing_without_handling_marks_handling_only(login_as, caseworker, cases):
    response = post(login_as(caseworker), cases.own, "status",
                    versioned(cases.own, {"to_status": "closed", "outcome": "resolved"}))

    assert response.context["status_form"].errors == {}
    assert response.context["status_form"]["outcome"].value() == "resolved"
    assert response.context["classification_form"].errors == {
        "handling": ["Record at least one manner of handling before closing."]}


def test_unknown_outcome_is_refused_by_the_form(login_as, caseworker, cases):
    before = state(cases.own)

    response = post(login_as(caseworker), cases.own, "status",
                    versioned(cases.own, {"to_status": "closed", "outcome": "magic"}))

    assert shown_messages(response) == [
        ("error", "Outcome: Select a valid choice. magic is not one of the available choices.")]
    assert state(cases.own) == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_without_reason_is_refused(login_as, coordinator, office, reason):
    complaint = ComplaintFactory(status="closed")
    before = state(complaint)

    response = post(login_as(coordinator), complaint, "status",
                    versioned(complaint, {"to_status": "reopened", "reason": reason}))

    assert shown_messages(response) == [("error", "Give a reason for reopening.")]
    assert state(complaint) == before


def test_reopening_with_reason_clears_the_rejection(login_as, coordinator, cases):
    change_status(complaint=cases.own, actor=coordinator, to_status="rejected",
                  rejection_reason="duplicate", duplicate_of=cases.others)

    response = post(login_as(coordinator), cases.own, "status",
                    versioned(cases.own, {"to_status": "reopened", "reason": "Toch geen dubbele."}))

    assert shown_messages(response) == [("success", "Status changed.")]
    case = fresh(cases.own)
    assert (case.status, case.rejection_reason, case.duplicate_of_id, case.closed_at) == (
        "reopened", "", None, None)
    assert ComplaintHistory.objects.filter(complaint=case).last().reason == "Toch geen dubbele."


@pytest.mark.parametrize("how", ["case_number", "lower_case_number", "public_id"])
def test_reject_as_duplicate_of_a_visible_case(login_as, caseworker, cases, how):
    target = cases.unassigned
    value = {"case_number": target.case_number, "lower_case_number": target.case_number.lower(),
             "public_id": str(target.public_id)}[how]

    response = post(login_as(caseworker), cases.own, "status", versioned(cases.own, {
        "to_status": "rejected", "rejection_reason": "duplicate", "duplicate_of": value}))

    assert shown_messages(response) == [("success", "Status changed.")]
    case = fresh(cases.own)
    assert (case.status, case.rejection_reason, case.duplicate_of_id) == (
        "rejected", "duplicate", target.pk)
    assert list(ComplaintHistory.objects.filter(complaint=case, action="status").values_list(
        "to_value", flat=True)) == ["rejected:duplicate"]


@pytest.mark.parametrize("value", ["others_case_number", "others_public_id", "MDD-2020-9999",
                                   "00000000-0000-4000-8000-000000000000", "own_case_number"])
def test_duplicate_of_an_invisible_unknown_or_same_case_is_an_invalid_choice(
        login_as, caseworker, cases, value):
    value = {"others_case_number": cases.others.case_number,
             "others_public_id": str(cases.others.public_id),
             "own_case_number": cases.own.case_number}.get(value, value)
    before = state(cases.own)

    response = post(login_as(caseworker), cases.own, "status", versioned(cases.own, {
        "to_status": "rejected", "rejection_reason": "duplicate", "duplicate_of": value}))

    # The same answer for a case that exists but is invisible as for one that does not exist.
    assert shown_messages(response) == [("error", INVALID_CASE)]
    assert state(cases.own) == before


# --- Optimistic locking --------------------------------------------------------------------------


def _stale_data(action: str, caseworker, team) -> dict:
    return {
        "status": {"to_status": "in_progress"},
        "classificeren": {"contact_type": "complaint", "grounds": ["race"],
                          "societal_domain": "", "nature": "", "handling": []},
        "melder": {"reporter_name": "Iemand Anders", "anonymity": "named"},
        "toewijzen": {"assignee": caseworker.pk},
        "team": {"team": team.pk},
    }[action]


@pytest.mark.parametrize("action", ["status", "classificeren", "melder", "toewijzen", "team"])
def test_a_stale_form_changes_nothing_and_asks_to_reload(login_as, coordinator, caseworker,
                                                         cases, team, action):
    complaint = cases.unassigned
    loaded = fresh(complaint).version
    # Someone else changes the case after the form was loaded.
    update_reporter_data(complaint=complaint, actor=coordinator, reporter_phone="0592 111111")
    before = state(complaint)

    response = post(login_as(coordinator), complaint, action,
                    {**_stale_data(action, caseworker, team), "version": loaded})

    assert shown_messages(response) == [("error", STALE)]
    assert state(complaint) == before
    assert fresh(complaint).version == loaded + 1


def test_a_stale_claim_changes_nothing(login_as, coordinator, caseworker, cases):
    complaint = cases.unassigned
    loaded = fresh(complaint).version
    update_reporter_data(complaint=complaint, actor=coordinator, reporter_phone="0592 111111")
    before = state(complaint)

    response = post(login_as(caseworker), complaint, "oppakken", {"version": loaded})

    assert shown_messages(response) == [("error", STALE)]
    assert state(complaint) == before


def test_a_change_racing_past_the_early_check_is_refused_by_the_service(login_as, coordinator,
                                                                        cases):
    # The view's early check passes, then someone else saves before the row lock: the service's
    # check under the lock refuses the change with the same message.
    complaint = cases.own
    loaded = fresh(complaint).version
    update_reporter_data(complaint=complaint, actor=coordinator, reporter_phone="0592 111111")
    before = state(complaint)

    with mock.patch("reports.views.case_detail._is_stale", return_value=False):
        response = post(login_as(coordinator), complaint, "status",
                        {"to_status": "in_progress", "version": loaded})

    assert shown_messages(response) == [("error", STALE)]
    assert state(complaint) == before


@pytest.mark.parametrize("version", [None, "", "abc", "0"])
def test_a_missing_or_malformed_version_is_refused(login_as, coordinator, cases, version):
    before = state(cases.own)
    data = {"to_status": "in_progress"}
    if version is not None:
        data["version"] = version

    response = post(login_as(coordinator), cases.own, "status", data)

    assert [level for level, _text in shown_messages(response)] == ["error"]
    assert state(cases.own) == before


# --- Classification (Besluit art. 5 and 11) ------------------------------------------------------


def classification(*handling: str) -> dict:
    return {"contact_type": "complaint", "grounds": ["race"], "societal_domain": "housing",
            "nature": "threat", "handling": list(handling)}


def test_classification_saves_and_bumps_the_version(login_as, caseworker, cases):
    version = fresh(cases.own).version

    response = post(login_as(caseworker), cases.own, "classificeren",
                    versioned(cases.own, classification("registration", "referral")))

    assert shown_messages(response) == [("success", "Classification saved.")]
    case = fresh(cases.own)
    assert case.version == version + 1
    assert sorted(case.handling.values_list("code", flat=True)) == ["referral", "registration"]


@pytest.mark.parametrize("anonymity", ["anonymous_to_third_parties", "anonymous"])
@pytest.mark.parametrize("handling", ["mediation", "own_investigation"])
def test_art_5_refuses_mediation_and_investigation_for_anonymous_reporters(
        login_as, coordinator, cases, anonymity, handling):
    update_reporter_data(complaint=cases.own, actor=coordinator, anonymity=anonymity,
                         reporter_consents_mediation=True, other_party_consents_mediation=True)
    before = state(cases.own)

    response = post(login_as(coordinator), cases.own, "classificeren",
                    versioned(cases.own, classification("registration", handling)))

    assert shown_messages(response) == [("error", ART_5)]
    assert state(cases.own) == before


@pytest.mark.parametrize(("reporter", "other_party"), [(False, False), (True, False),
                                                       (False, True)])
def test_art_11_refuses_mediation_without_both_consents(login_as, coordinator, cases, reporter,
                                                        other_party):
    update_reporter_data(complaint=cases.own, actor=coordinator,
                         reporter_consents_mediation=reporter,
                         other_party_consents_mediation=other_party)
    before = state(cases.own)

    response = post(login_as(coordinator), cases.own, "classificeren",
                    versioned(cases.own, classification("mediation")))

    assert shown_messages(response) == [("error", ART_11)]
    assert state(cases.own) == before


def test_mediation_with_both_consents_for_a_named_reporter_is_saved(login_as, coordinator,
                                                                    cases):
    update_reporter_data(complaint=cases.own, actor=coordinator, reporter_consents_mediation=True,
                         other_party_consents_mediation=True)

    response = post(login_as(coordinator), cases.own, "classificeren",
                    versioned(cases.own, classification("mediation")))

    assert shown_messages(response) == [("success", "Classification saved.")]
    assert list(fresh(cases.own).handling.values_list("code", flat=True)) == ["mediation"]


# --- Reporter data -------------------------------------------------------------------------------


REPORTER = {
    "reporter_name": "Anna de Melder", "reporter_email": "anna.nieuw@example.nl",
    "reporter_phone": "0592 123456", "reporter_residence": "GM0114",
    "consent_to_contact": "on", "anonymity": "anonymous_to_third_parties",
    "reporter_consents_mediation": "on",
}


def test_reporter_form_is_prefilled(login_as, caseworker, cases):
    form = login_as(caseworker).get(detail_url(cases.own)).context["reporter_form"]

    assert form.initial == {
        "version": fresh(cases.own).version, "reporter_name": "Anna Melder",
        "reporter_email": "anna@example.nl", "reporter_phone": "", "reporter_residence": None,
        "consent_to_contact": True, "anonymity": "named", "reporter_consents_mediation": False,
        "other_party_consents_mediation": False,
    }


def test_reporter_data_is_saved_and_history_holds_field_names_only(login_as, caseworker, cases):
    version = fresh(cases.own).version

    response = post(login_as(caseworker), cases.own, "melder", versioned(cases.own, REPORTER))

    assert shown_messages(response) == [("success", "Reporter data saved.")]
    case = fresh(cases.own)
    assert (case.reporter_name, case.reporter_email, case.reporter_phone,
            case.reporter_residence_id, case.consent_to_contact, case.anonymity,
            case.reporter_consents_mediation, case.other_party_consents_mediation,
            case.version) == (
        "Anna de Melder", "anna.nieuw@example.nl", "0592 123456", "GM0114", True,
        "anonymous_to_third_parties", True, False, version + 1)
    assert sorted(ComplaintHistory.objects.filter(complaint=case, action="reporter_data")
                  .values_list("from_value", "to_value")) == [
        ("anonymity=named", "anonymity=anonymous_to_third_parties"),
        ("reporter_consents_mediation=False", "reporter_consents_mediation=True"),
        ("reporter_email", "reporter_email"),
        ("reporter_name", "reporter_name"),
        ("reporter_phone", "reporter_phone"),
        ("reporter_residence", "reporter_residence"),
    ]


def test_reporter_becoming_anonymous_with_mediation_is_refused(login_as, coordinator, cases):
    update_reporter_data(complaint=cases.own, actor=coordinator, reporter_consents_mediation=True,
                         other_party_consents_mediation=True)
    classify_complaint(complaint=cases.own, actor=coordinator, contact_type="report", grounds=[],
                       societal_domain="", nature="", handling=["mediation"])
    before = state(cases.own)

    response = post(login_as(coordinator), cases.own, "melder", versioned(cases.own, {
        "reporter_name": "Anna Melder", "reporter_email": "anna@example.nl",
        "consent_to_contact": "on", "anonymity": "anonymous",
        "reporter_consents_mediation": "on", "other_party_consents_mediation": "on"}))

    assert shown_messages(response) == [("error", ART_5)]
    assert state(cases.own) == before


def test_invalid_reporter_data_is_refused_by_the_form(login_as, caseworker, cases):
    before = state(cases.own)

    response = post(login_as(caseworker), cases.own, "melder", versioned(cases.own, {
        "reporter_email": "geen-adres", "anonymity": "secret"}))

    assert shown_messages(response) == [
        ("error", "E-mail address: Enter a valid email address."),
        ("error", "Anonymity: Select a valid choice. secret is not one of the available "
                  "choices."),
    ]
    assert state(cases.own) == before


# --- Assignment, claiming and teams --------------------------------------------------------------


def test_claim_with_the_version(login_as, caseworker, cases):
    response = post(login_as(caseworker), cases.unassigned, "oppakken",
                    versioned(cases.unassigned))

    assert shown_messages(response) == [("success", "The case is now yours.")]
    assert fresh(cases.unassigned).assigned_to == caseworker


def test_share_with_a_team_and_stop(login_as, coordinator, other_caseworker, cases, team):
    team.group.user_set.add(other_caseworker)
    member = login_as(other_caseworker)
    assert member.get(detail_url(cases.own)).status_code == 404

    response = post(login_as(coordinator), cases.own, "team", versioned(cases.own,
                                                                      {"team": team.pk}))

    assert shown_messages(response) == [("success", "Sharing saved.")]
    assert fresh(cases.own).team == team
    assert member.get(detail_url(cases.own)).status_code == 200
    assert by_testid(login_as(coordinator).get(detail_url(cases.own)).content, "team") == [
        "Team Zuid"]

    response = post(login_as(coordinator), cases.own, "team", versioned(cases.own, {"team": ""}))

    assert shown_messages(response) == [("success", "Sharing saved.")]
    assert fresh(cases.own).team is None
    assert member.get(detail_url(cases.own)).status_code == 404
    assert list(ComplaintHistory.objects.filter(complaint=cases.own, action="team")
                .values_list("actor_id", "from_value", "to_value")) == [
        (coordinator.pk, "", "Team Zuid"), (coordinator.pk, "Team Zuid", "")]


def test_share_with_an_unknown_team_is_refused(login_as, coordinator, cases):
    before = state(cases.own)

    response = post(login_as(coordinator), cases.own, "team", versioned(cases.own,
                                                                      {"team": 999}))

    assert shown_messages(response) == [
        ("error", "Team: Select a valid choice. That choice is not one of the available "
                  "choices.")]
    assert state(cases.own) == before


# --- Notes and messages --------------------------------------------------------------------------


def test_message_to_the_reporter_is_the_first_response(login_as, caseworker, cases):
    client = login_as(caseworker)

    response = post(client, cases.own, "bericht", {"direction": "in", "body": " Vraag. "})
    assert shown_messages(response) == [("success", "Message recorded.")]
    assert fresh(cases.own).first_response_at is None

    response = post(client, cases.own, "bericht", {"direction": "out", "body": "Antwoord."})
    assert shown_messages(response) == [("success", "Message recorded.")]

    messages = list(Message.objects.filter(complaint=cases.own).order_by("id"))
    assert [(m.direction, m.author_id, m.body) for m in messages] == [
        ("in", caseworker.pk, "Vraag."), ("out", caseworker.pk, "Antwoord.")]
    assert fresh(cases.own).first_response_at == messages[1].created_at


@pytest.mark.parametrize(("data", "expected"), [
    ({"direction": "out", "body": ""}, "Message: This field is required."),
    ({"direction": "sideways", "body": "x"},
     "Direction: Select a valid choice. sideways is not one of the available choices."),
    ({"direction": "out", "body": "   "}, "Message: This field is required."),
])
def test_invalid_messages_are_refused(login_as, caseworker, cases, data, expected):
    before = state(cases.own)

    response = post(login_as(caseworker), cases.own, "bericht", data)

    assert shown_messages(response) == [("error", expected)]
    assert state(cases.own) == before


def test_note_needs_no_version(login_as, caseworker, cases):
    # Notes are only added: a change by someone else in between does not conflict with them.
    update_reporter_data(complaint=cases.own, actor=caseworker, reporter_phone="0592 111111")

    response = post(login_as(caseworker), cases.own, "notitie",
                    {"text": "Gebeld.", "version": 1})

    assert shown_messages(response) == [("success", "Note added.")]
    assert list(Note.objects.values_list("complaint_id", "text")) == [(cases.own.pk, "Gebeld.")]


# --- Attachments ---------------------------------------------------------------------------------


def test_upload_stores_the_file_privately(login_as, caseworker, cases, media):
    response = post(login_as(caseworker), cases.own, "bijlagen",
                    {"upload": SimpleUploadedFile("brief café.pdf",
                                                  samples.pdf_containing(b"inhoud"),
                                                  content_type="application/pdf")})

    assert shown_messages(response) == [("success", "File added.")]
    attachment = Attachment.objects.get()
    assert (attachment.complaint_id, attachment.original_name, attachment.size,
            attachment.content_type, attachment.uploaded_by_id) == (
        cases.own.pk, "brief café.pdf", 453, "application/pdf", caseworker.pk)
    assert attachment.file.name.startswith(f"attachments/{cases.own.public_id}/")
    assert "café" not in attachment.file.name
    assert crypto.decrypt_bytes((media / attachment.file.name).read_bytes()) == (
        samples.pdf_containing(b"inhoud"))


def test_too_large_and_empty_uploads_are_refused(login_as, caseworker, cases, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    client = login_as(caseworker)

    too_large = post(client, cases.own, "bijlagen",
                     {"upload": SimpleUploadedFile("groot.bin", b"x" * (1024 * 1024 + 1))})
    empty_file = post(client, cases.own, "bijlagen",
                      {"upload": SimpleUploadedFile("leeg.txt", b"")})
    missing = post(client, cases.own, "bijlagen", {})

    assert shown_messages(too_large) == [("error", "“groot.bin” is larger than 1 MB.")]
    assert shown_messages(empty_file) == [("error", "File: The submitted file is empty.")]
    assert shown_messages(missing) == [("error", "File: This field is required.")]
    assert Attachment.objects.count() == 0
    assert [path for path in media.rglob("*") if path.is_file()] == []


@pytest.fixture
def stored_attachment(cases, coordinator, media):
    def store(name: str = "verslag.pdf", content: bytes = b"inhoud", complaint=None):
        # Stored as an import or an older version could have stored it: any name and content
        # (add_attachment now refuses content that is not PDF, JPEG, PNG or DOCX).
        attachment = Attachment(complaint=complaint or cases.own, original_name=name,
                                size=len(content), content_type="application/octet-stream",
                                uploaded_by=coordinator)
        attachment.file.save("upload", ContentFile(content), save=False)
        attachment.save()
        return Attachment.objects.get(pk=attachment.pk)
    return store


@pytest.mark.parametrize(("name", "disposition"), [
    ("verslag.pdf", 'attachment; filename="verslag.pdf"'),
    ("Verklaring café.pdf", "attachment; filename*=utf-8''Verklaring%20caf%C3%A9.pdf"),
    ("報告書.txt", "attachment; filename*=utf-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.txt"),
    ('foto "strand" \'s.jpg', 'attachment; filename="foto strand s.jpg"'),
    ("brief\r\nSet-Cookie: x=1.txt", 'attachment; filename="briefSet-Cookie: x=1.txt"'),
    ("../../etc/passwd", 'attachment; filename="etcpasswd"'),
    ("C:\\Users\\anna\\brief.doc", 'attachment; filename="C:Usersannabrief.doc"'),
    ('"\r\n/', 'attachment; filename="attachment"'),
])
def test_download_headers(login_as, caseworker, cases, stored_attachment, name, disposition):
    attachment = stored_attachment(name=name, content=b"<html><script>x</script>")

    response = login_as(caseworker).get(download_url(cases.own, attachment))

    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == "24"
    assert b"".join(response.streaming_content) == b"<html><script>x</script>"


def test_download_is_logged(login_as, caseworker, reader, cases, stored_attachment):
    attachment = stored_attachment()

    assert login_as(caseworker).get(download_url(cases.own, attachment)).status_code == 200
    assert login_as(reader).get(download_url(cases.own, attachment)).status_code == 200

    assert list(AccessLog.objects.order_by("id").values_list(
        "user_id", "action", "complaint_id", "case_number", "detail")) == [
        (caseworker.pk, "download", cases.own.pk, cases.own.case_number,
         {"attachment": attachment.pk}),
        (reader.pk, "download", cases.own.pk, cases.own.case_number,
         {"attachment": attachment.pk}),
    ]


def test_download_is_404_for_invisible_cases_and_foreign_attachments(
        client, login_as, caseworker, other_caseworker, plain_user, cases, stored_attachment):
    own = stored_attachment()
    foreign = stored_attachment(complaint=cases.others)
    mine = login_as(caseworker)

    # Another case's attachment through my own case's URL, and the other case itself.
    assert mine.get(download_url(cases.own, foreign)).status_code == 404
    assert mine.get(download_url(cases.others, foreign)).status_code == 404
    assert mine.get(f"{action_url(cases.own, 'bijlagen')}{uuid.uuid4()}/").status_code == 404
    assert login_as(plain_user).get(download_url(cases.own, own)).status_code == 404
    assert login_as(other_caseworker).get(download_url(cases.own, own)).status_code == 404
    response = client.get(download_url(cases.own, own))
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login/?next=")
    assert AccessLog.objects.count() == 0


def test_download_of_a_file_missing_from_storage_is_404(login_as, caseworker, cases,
                                                        stored_attachment, media):
    attachment = stored_attachment()
    (media / attachment.file.name).unlink()

    assert login_as(caseworker).get(download_url(cases.own, attachment)).status_code == 404
    assert AccessLog.objects.filter(action="download").count() == 0


def test_download_refuses_post(login_as, caseworker, cases, stored_attachment):
    attachment = stored_attachment()

    assert login_as(caseworker).post(download_url(cases.own, attachment)).status_code == 405


# --- Autocomplete --------------------------------------------------------------------------------


SEARCH_URL = "/backoffice/zaken/zoek/"


def test_autocomplete_lists_only_visible_cases(login_as, caseworker, coordinator, plain_user,
                                               cases):
    def search(user, q: str):
        response = login_as(user).get(SEARCH_URL, {"q": q})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        return response.json()

    every = [{"id": str(c.public_id), "case_number": c.case_number}
             for c in (cases.unassigned, cases.own, cases.others)]
    assert [c["case_number"] for c in every] == ["MDD-2020-0001", "MDD-2020-0002",
                                                 "MDD-2020-0003"]
    assert search(coordinator, "MDD-2020-000") == every
    assert search(caseworker, "MDD-2020-000") == every[:2]
    assert search(caseworker, "mdd-2020-0003") == []
    assert search(coordinator, "mdd-2020-0003") == every[2:]
    assert search(plain_user, "MDD") == []
    assert search(coordinator, "") == []
    assert search(coordinator, "2020") == []  # a prefix, not a substring


def test_autocomplete_returns_at_most_twenty(login_as, coordinator, office):
    for day in range(1, 23):
        ComplaintFactory(received_at=at(day))

    found = login_as(coordinator).get(SEARCH_URL, {"q": "MDD-2020"}).json()

    assert [c["case_number"] for c in found] == [f"MDD-2020-{n:04d}" for n in range(1, 21)]


def test_autocomplete_needs_login(client, office):
    response = client.get(SEARCH_URL, {"q": "MDD"})

    assert response.status_code == 302
    assert response["Location"] == "/backoffice/login/?next=/backoffice/zaken/zoek/%3Fq%3DMDD"


# --- Timeline on the page ------------------------------------------------------------------------


def test_detail_page_shows_the_timeline(login_as, caseworker, cases, stored_attachment):
    client = login_as(caseworker)
    post(client, cases.own, "notitie", {"text": "Notitie één."})
    post(client, cases.own, "bericht", {"direction": "out", "body": "Bericht aan melder."})
    attachment = stored_attachment(name="bewijs.png")
    post(client, cases.own, "melder", versioned(cases.own, {**REPORTER, "anonymity": "named"}))

    response = client.get(detail_url(cases.own), **EN)

    kinds = [attrs["data-kind"] for tag, attrs in parse(response.content).tags
             if attrs.get("data-testid") == "timeline-entry"]
    assert kinds == ["history", "history", "note", "message", "attachment",
                     "history", "history", "history", "history", "history"]
    entries = by_testid(response.content, "timeline-entry")
    assert entries[2].startswith("Note · caseworker1 · ")
    assert entries[2].endswith("Notitie één.")
    assert entries[3].endswith("Bericht aan melder.")
    assert entries[4].endswith("bewijs.png (6 bytes)")
    # After "dd/mm/yyyy hh:mm" (meldpunt/formats/en): the changed field.
    assert [entry.split(" · ")[-1].split(" ", 2)[-1] for entry in entries[5:]] == [
        "name", "e-mail address", "phone number", "municipality of residence",
        "reporter consents to mediation"]
    # Reporter-data history shows no values on the timeline.
    timeline = by_testid(response.content, "timeline")[0]
    assert "Anna de Melder" not in timeline
    assert "anna.nieuw@example.nl" not in timeline
    assert [attrs["href"] for tag, attrs in parse(response.content).tags
            if tag == "a" and "/bijlagen/" in attrs.get("href", "")] == [
        download_url(cases.own, attachment)]


def _detail_queries(client, complaint) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail_url(complaint))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["coordinator", "caseworker"])
def test_detail_query_count_does_not_grow_with_the_timeline(request, login_as, cases, media,
                                                            role):
    user = request.getfixturevalue(role)
    client = login_as(user)
    complaint = cases.own
    add_note(complaint=complaint, author=user, text="1")
    _detail_queries(client, complaint)  # warm up caches that do not depend on the data
    with_one = _detail_queries(client, complaint)
    assert len(client.get(detail_url(complaint)).context["timeline"]) == 3

    for n in range(9):
        add_note(complaint=complaint, author=user, text=f"notitie {n}")
        update_reporter_data(complaint=complaint, actor=user, reporter_phone=f"0592 00000{n}")
        add_attachment(complaint=complaint, uploaded_by=user,
                       upload=SimpleUploadedFile(f"{n}.pdf", samples.PDF))
    classify_complaint(complaint=complaint, actor=user, contact_type="complaint",
                       grounds=["race", "age"], societal_domain="", nature="",
                       handling=["registration"])
    with_ten = _detail_queries(client, complaint)

    assert len(client.get(detail_url(complaint)).context["timeline"]) == 3 + 9 * 3 + 1
    assert with_ten == with_one


def test_status_submitted_without_a_choice_changes_nothing(login_as, coordinator, office):
    complaint = ComplaintFactory(status="in_progress")

    response = login_as(coordinator).post(
        f"/backoffice/zaken/{complaint.public_id}/status/",
        {"to_status": "", "version": complaint.version})

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.version) == ("in_progress", 1)


# --- A case page for daily use (issue 12 §3) -----------------------------------------------------


def test_summary_header_shows_the_case_at_a_glance(login_as, coordinator, caseworker, office,
                                                  team):
    late = ComplaintFactory(received_at=at(15))  # Monday 15 June 2020: due Monday 22 June
    assign_complaint(complaint=late, actor=coordinator, assignee=caseworker)
    classify_complaint(complaint=fresh(late), actor=coordinator, contact_type="report",
                       grounds=["religion"], societal_domain="housing", nature="",
                       handling=[])
    Complaint.objects.filter(pk=late.pk).update(team=team)
    bare = ComplaintFactory(received_at=at(15))
    Complaint.objects.filter(pk=bare.pk).update(first_response_at=at(16))
    client = login_as(coordinator)

    page = client.get(detail_url(late), **EN).content
    assert [by_testid(page, name) for name in (
        "summary-number", "summary-status", "summary-deadline", "summary-overdue",
        "summary-assignee", "summary-team", "summary-grounds", "summary-domain")] == [
        [late.case_number], ["New"], ["22/06/2020 Overdue"], ["Overdue"], ["caseworker1"],
        [team.name], ["Religion"], ["Housing"]]
    page = client.get(detail_url(bare), **EN).content
    assert [by_testid(page, name) for name in (
        "summary-status", "summary-deadline", "summary-overdue", "summary-assignee",
        "summary-team", "summary-grounds", "summary-domain")] == [
        ["New"], ["22/06/2020"], [], ["Unassigned"], ["—"], ["—"], ["—"]]


def test_the_page_has_sections_and_an_in_page_navigation(login_as, caseworker, reader, cases):
    page = parse(login_as(caseworker).get(detail_url(cases.own), **EN).content)

    ids = [attrs["id"] for tag, attrs in page.tags if tag == "section" and attrs.get("id")]
    assert ids == ["summary", "facts", "history", "status", "classification", "incident",
                   "related", "reporter", "messages", "files", "notes"]
    assert page.testids["case-nav"][0].split() == [
        "Details", "Timeline", "Status", "Classification", "Messages", "Files", "Notes"]
    links = [attrs["href"] for tag, attrs in page.tags
             if tag == "a" and (attrs.get("href") or "").startswith("#")
             and (attrs.get("class") or "") == "nav-link"]
    assert links == ["#facts", "#history", "#status", "#classification", "#messages", "#files",
                     "#notes"]
    assert set(link[1:] for link in links) <= set(ids)
    # Someone who may only read the case gets the read-only sections.
    page = parse(login_as(reader).get(detail_url(cases.own), **EN).content)
    assert page.testids["case-nav"][0].split() == ["Details", "Timeline"]


@pytest.mark.parametrize(("action", "data", "section"), [
    ("notitie", {"text": ""}, "notes"),  # invalid: the error shows at the form
    ("bericht", {"direction": "out", "body": ""}, "messages"),
    ("bijlagen", {}, "files"),
    ("classificeren", {"contact_type": "bogus", "version": "1"}, "classification"),
    ("status", {"to_status": "bogus", "version": "999"}, "status"),  # stale
    ("incident", {"version": "999"}, "incident"),
    ("koppelen", {"case_number": "", "kind": ""}, "related"),
])
def test_a_refused_save_also_returns_to_its_section(login_as, coordinator, cases, action, data,
                                                   section):
    response = login_as(coordinator).post(action_url(cases.own, action), data, **EN)

    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(cases.own)}#{section}"


def test_saves_return_to_the_section_just_saved(login_as, coordinator, cases, team):
    client = login_as(coordinator)

    response = client.post(action_url(cases.own, "notitie"), {"text": "Gebeld."}, **EN)
    assert response["Location"] == f"{detail_url(cases.own)}#notes"
    response = client.post(action_url(cases.own, "team"),
                           versioned(cases.own, {"team": team.pk}), **EN)
    assert response["Location"] == f"{detail_url(cases.own)}#sharing"
    response = client.post(action_url(cases.own, "toewijzen"),
                           versioned(cases.own, {"assignee": ""}), **EN)
    assert response["Location"] == f"{detail_url(cases.own)}#assignment"
    assert shown_messages(client.get(detail_url(cases.own), **EN)) == [
        ("success", "Note added."), ("success", "Sharing saved."),
        ("success", "Assignment saved.")]


def test_the_chosen_timeline_order_stays_after_a_save(login_as, caseworker, cases):
    client = login_as(caseworker)
    post(client, cases.own, "notitie", {"text": "Eerste."})
    client.get(detail_url(cases.own), {"order": "newest"}, **EN)

    # The save redirects to the case page without a query: the order chosen is kept.
    saved = post(client, cases.own, "notitie", {"text": "Tweede."})
    entries = by_testid(saved.content, "timeline-entry")
    assert entries[0].rsplit(" ", 1)[-1] == "Tweede."
    assert by_testid(saved.content, "timeline-order") == ["Show oldest first"]
    # Also on other cases and after junk; "oldest" turns it back.
    assert client.get(detail_url(cases.own), {"order": "x"}, **EN).context["newest_first"]
    client.get(detail_url(cases.own), {"order": "oldest"}, **EN)
    again = post(client, cases.own, "notitie", {"text": "Derde."})
    assert by_testid(again.content, "timeline-entry")[-1].rsplit(" ", 1)[-1] == "Derde."
    assert by_testid(again.content, "timeline-order") == ["Show newest first"]


def test_the_timeline_reads_newest_first_on_request(login_as, caseworker, cases):
    client = login_as(caseworker)
    post(client, cases.own, "notitie", {"text": "Eerste."})
    post(client, cases.own, "notitie", {"text": "Tweede."})

    oldest = client.get(detail_url(cases.own), **EN)
    ignored = client.get(detail_url(cases.own), {"order": "bogus"}, **EN)
    newest = client.get(detail_url(cases.own), {"order": "newest"}, **EN)

    entries = by_testid(oldest.content, "timeline-entry")
    assert [e.rsplit(" ", 1)[-1] for e in entries[-2:]] == ["Eerste.", "Tweede."]
    assert by_testid(newest.content, "timeline-entry") == entries[::-1]
    assert by_testid(ignored.content, "timeline-entry") == entries
    assert by_testid(oldest.content, "timeline-order") == ["Show newest first"]
    assert by_testid(newest.content, "timeline-order") == ["Show oldest first"]
    toggles = [attrs["href"] for tag, attrs in parse(newest.content).tags
               if tag == "a" and attrs.get("href", "").startswith("?order=")]
    assert toggles == ["?order=oldest#history"]
    assert 'href="?order=newest#history"' in oldest.content.decode()


def test_user_written_text_takes_its_own_direction(coordinator, login_as):
    """Tester finding 9: an Arabic message body or note reads right to left inside the Dutch
    (LTR) page, and the description likewise."""
    from reports.services.complaints import record_message

    complaint = ComplaintFactory(description="وصف الحادث")
    record_message(complaint=complaint, author=coordinator, direction="in", body="مرحبا، شكرا")
    add_note(complaint=complaint, author=coordinator, text="notitie")
    html = login_as(coordinator).get(detail_url(complaint)).content.decode()
    assert ('<div class="text-pre-wrap" dir="auto" data-testid="timeline-text">مرحبا، شكرا'
            "</div>") in html
    assert '<div class="text-pre-wrap" dir="auto" data-testid="timeline-text">notitie</div>' in html
    assert ('<div class="border rounded p-3 mb-4 text-pre-wrap" dir="auto">وصف الحادث</div>'
            in html)
