"""The coordinator dashboard and the access-log pages: authorisation, counts, filters."""

from __future__ import annotations

import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.models import AccessLog
from reports.selectors.permissions import visible_complaints
from reports.services.audit import log_access
from reports.services.complaints import assign_complaint
from tests.factories import ComplaintFactory, UserFactory
from tests.reports.views.helpers import by_testid, parse

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DASHBOARD_URL = "/backoffice/dashboard/"
AUDIT_URL = "/backoffice/audit/"
LONG_AGO = datetime.datetime(2020, 6, 15, 12, 0, tzinfo=AMSTERDAM)


def permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="reports", codename=codename)


# --- Authorisation -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [DASHBOARD_URL, AUDIT_URL])
def test_anonymous_is_sent_to_login(client, office, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/login/?next={quote(url)}"


@pytest.mark.parametrize("user", ["plain_user", "caseworker"])
@pytest.mark.parametrize("url", [DASHBOARD_URL, AUDIT_URL])
def test_without_the_permission_is_forbidden(request, login_as, url, user):
    assert login_as(request.getfixturevalue(user)).get(url).status_code == 403


@pytest.mark.parametrize(("url", "codename"), [(DASHBOARD_URL, "view_dashboard"),
                                               (AUDIT_URL, "view_access_log")])
def test_with_the_permission_is_allowed(login_as, office, url, codename):
    user = UserFactory(username="auditor")
    user.user_permissions.add(permission(codename))

    assert login_as(user).get(url).status_code == 200


def test_the_other_permission_is_not_enough(login_as, office):
    user = UserFactory(username="auditor")
    user.user_permissions.add(permission("view_access_log"))
    client = login_as(user)

    assert client.get(DASHBOARD_URL).status_code == 403
    assert client.get(AUDIT_URL).status_code == 200


def test_navigation_links_follow_the_permissions(login_as, coordinator, caseworker):
    def nav(user) -> list[str]:
        content = login_as(user).get("/backoffice/").content
        return [attrs["href"] for tag, attrs in parse(content).tags
                if tag == "a" and attrs.get("href") in (DASHBOARD_URL, AUDIT_URL)]

    assert nav(coordinator) == [DASHBOARD_URL, AUDIT_URL]
    assert nav(caseworker) == []


def test_post_is_not_allowed(login_as, coordinator):
    client = login_as(coordinator)

    assert client.post(DASHBOARD_URL).status_code == 405
    assert client.post(AUDIT_URL).status_code == 405


# --- Dashboard -----------------------------------------------------------------------------------


@pytest.fixture
def workload(office, coordinator, caseworker, other_caseworker):
    def make(status: str, assignee=None, overdue: bool = False) -> None:
        complaint = ComplaintFactory(status=status,
                                     received_at=LONG_AGO if overdue else timezone.now())
        if assignee is not None:
            assign_complaint(complaint=complaint, actor=coordinator, assignee=assignee)

    make("new", overdue=True)
    make("new")
    make("in_progress", caseworker, overdue=True)
    make("in_progress", caseworker, overdue=True)
    make("awaiting_reporter", caseworker)
    make("closed", caseworker, overdue=True)
    make("rejected")
    make("reopened", other_caseworker)


def test_dashboard_counts(login_as, coordinator, caseworker, other_caseworker, workload):
    response = login_as(coordinator).get(DASHBOARD_URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    board = response.context["dashboard"]
    assert [(code, count) for code, _label, count in board.per_status] == [
        ("new", 2), ("in_progress", 2), ("awaiting_reporter", 1), ("awaiting_other_party", 0),
        ("closed", 1), ("reopened", 1), ("rejected", 1)]
    assert by_testid(response.content, "status-row") == [
        "New 2", "In progress 2", "Awaiting reporter 1", "Awaiting other party 0", "Closed 1",
        "Reopened 1", "Rejected 1"]
    assert by_testid(response.content, "caseworker-row") == [
        "caseworker1 3 2 0", "caseworker2 1 0 0", "coordinator1 0 0 0", "Unassigned 2 1 0"]
    assert (board.open_total, board.overdue_total) == (6, 3)
    assert by_testid(response.content, "overdue-total") == ["Overdue cases: 3"]
    links = [attrs["href"] for tag, attrs in parse(response.content).tags if tag == "a"]
    assert "/backoffice/?overdue=true" in links
    assert f"/backoffice/?overdue=true&assignee={caseworker.pk}" in links
    assert "/backoffice/?overdue=true&assignee=null" in links


def test_overdue_link_lists_exactly_the_overdue_cases(login_as, coordinator, workload):
    client = login_as(coordinator)

    response = client.get("/backoffice/?overdue=true")

    assert response.context["page"].paginator.count == 3
    assert all(complaint.is_overdue for complaint in response.context["page"].object_list)


def test_dashboard_query_count_is_constant(login_as, coordinator, caseworker, office):
    client = login_as(coordinator)
    client.get(DASHBOARD_URL)

    with CaptureQueriesContext(connection) as empty:
        client.get(DASHBOARD_URL)
    for _ in range(6):
        complaint = ComplaintFactory(received_at=LONG_AGO)
        assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)
    with CaptureQueriesContext(connection) as full:
        response = client.get(DASHBOARD_URL)

    assert response.context["dashboard"].overdue_total == 6
    assert len(full) == len(empty)


def test_dashboard_counts_only_visible_cases(login_as, coordinator, caseworker, workload):
    caseworker.user_permissions.add(permission("view_dashboard"))

    board = login_as(caseworker).get(DASHBOARD_URL).context["dashboard"]

    # Their own four cases and the open unassigned ones (the queue rule is the permission
    # selector's business); open and overdue counts are the same either way.
    visible = visible_complaints(user=caseworker)
    assert sum(count for _code, _label, count in board.per_status) == visible.count()
    assert visible.count() < 8
    assert (board.open_total, board.overdue_total) == (5, 3)
    assert [(load.username, load.open, load.overdue) for load in board.per_caseworker] == [
        ("caseworker1", 3, 2), ("caseworker2", 0, 0), ("coordinator1", 0, 0), ("", 2, 1)]


# --- Access log ----------------------------------------------------------------------------------


@pytest.fixture
def entries(office, coordinator, caseworker):
    first = ComplaintFactory()
    second = ComplaintFactory()
    made = [
        log_access(user=caseworker, action=AccessLog.Action.VIEW, complaint=first),
        log_access(user=caseworker, action=AccessLog.Action.DOWNLOAD, complaint=first,
                   detail={"attachment": 12}),
        log_access(user=coordinator, action=AccessLog.Action.VIEW, complaint=second),
        log_access(user=coordinator, action=AccessLog.Action.EXPORT,
                   detail={"format": "csv", "rows": 2, "filters": ["status", "q"]}),
    ]
    return {"first": first, "second": second, "log": made}


def logged(response) -> list[int]:
    assert response.status_code == 200
    return [entry.pk for entry in response.context["page"].object_list]


def test_access_log_newest_first(login_as, coordinator, entries):
    response = login_as(coordinator).get(AUDIT_URL, HTTP_ACCEPT_LANGUAGE="en")

    log = entries["log"]
    assert logged(response) == [log[3].pk, log[2].pk, log[1].pk, log[0].pk]
    rows = by_testid(response.content, "log-row")
    first, second = entries["first"].case_number, entries["second"].case_number
    assert [row.split(" ", 2)[2] for row in rows] == [
        "coordinator1 Exported case list Filters: Status, Search; Format: csv; Rows: 2",
        f"coordinator1 Opened case {second}",
        f"caseworker1 Downloaded attachment {first} Attachment: 12",
        f"caseworker1 Opened case {first}",
    ]


def test_access_log_is_translated(login_as, coordinator, entries):
    response = login_as(coordinator).get(AUDIT_URL, HTTP_ACCEPT_LANGUAGE="nl")

    rows = by_testid(response.content, "log-row")
    assert rows[0].split(" ", 2)[2] == (
        "coordinator1 Zaaklijst geëxporteerd Filters: Status, Zoeken; Formaat: csv; Rijen: 2")
    assert rows[0].split(" ", 2)[0].count("-") == 2  # 03-12-2026


def test_access_log_filters(login_as, coordinator, caseworker, entries):
    client = login_as(coordinator)
    log = entries["log"]
    first = entries["first"].case_number

    assert logged(client.get(AUDIT_URL, {"user": caseworker.pk})) == [log[1].pk, log[0].pk]
    assert logged(client.get(AUDIT_URL, {"user": coordinator.pk})) == [log[3].pk, log[2].pk]
    assert logged(client.get(AUDIT_URL, {"case": first})) == [log[1].pk, log[0].pk]
    assert logged(client.get(AUDIT_URL, {"case": first, "user": coordinator.pk})) == []
    assert logged(client.get(AUDIT_URL, {"case": "MDD-1999-0001"})) == []
    assert logged(client.get(AUDIT_URL, {"case": "", "user": ""})) == [
        log[3].pk, log[2].pk, log[1].pk, log[0].pk]


def test_access_log_reports_an_unknown_user(login_as, coordinator, entries):
    response = login_as(coordinator).get(AUDIT_URL, {"user": "999999"})

    errors = response.context["filter"].form.errors.as_data()
    assert {name: [e.code for e in errs] for name, errs in errors.items()} == {
        "user": ["invalid_choice"]}


def test_access_log_link_by_case_number(entries):
    from django.urls import reverse

    assert reverse("backoffice:access_log") + "?case=MDD-2020-0001" == (
        "/backoffice/audit/?case=MDD-2020-0001")


def test_access_log_pagination_keeps_the_filters(login_as, coordinator, caseworker, entries,
                                                 settings):
    settings.BACKOFFICE_PAGE_SIZE = 1
    client = login_as(coordinator)
    log = entries["log"]

    response = client.get(AUDIT_URL, {"user": caseworker.pk})
    assert logged(response) == [log[1].pk]
    links = [attrs["href"] for tag, attrs in parse(response.content).tags
             if tag == "a" and "page-link" in (attrs.get("class") or "")]
    assert links == [f"?user={caseworker.pk}&page=2"]
    assert logged(client.get(AUDIT_URL, {"user": caseworker.pk, "page": 2})) == [log[0].pk]
