"""The case page's corrections (issue 12 §2): incident place/date/channel, related cases, and
the case list's "place of the incident" filter."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest

from reports.models import CaseLink, Complaint
from reports.services.complaints import assign_complaint
from reports.services.links import link_cases
from tests.factories import ComplaintFactory
from tests.reports.views.helpers import by_testid

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(case: Complaint, action: str) -> str:
    return f"/backoffice/zaken/{case.public_id}/{action}/"


def test_incident_anonymous_is_sent_to_login(client, reference_data):
    case = ComplaintFactory()
    target = url(case, "incident")

    response = client.post(target, {})

    assert (response.status_code, response["Location"]) == (
        302, f"/backoffice/login/?next={quote(target)}")


def test_incident_without_permission(login_as, caseworker, other_caseworker, coordinator):
    case = ComplaintFactory()  # in the queue: visible to caseworkers, not changeable
    mine = ComplaintFactory()
    assign_complaint(complaint=mine, actor=coordinator, assignee=caseworker)
    data = {"incident_municipality": "online", "channel": "phone", "version": 1}

    assert login_as(other_caseworker).post(url(case, "incident"), data).status_code == 403
    assert login_as(other_caseworker).post(url(mine, "incident"), data).status_code == 404
    closed = ComplaintFactory(status="closed")
    assert login_as(caseworker).post(url(closed, "incident"), data).status_code == 404
    assert Complaint.objects.get(pk=case.pk).channel == "online"


def test_incident_with_permission(login_as, caseworker, coordinator):
    case = ComplaintFactory()
    case = assign_complaint(complaint=case, actor=coordinator, assignee=caseworker)
    client = login_as(caseworker)

    response = client.post(url(case, "incident"), {
        "incident_municipality": "online", "incident_date": "2020-06-01", "channel": "phone",
        "version": case.version}, **EN)

    assert response.status_code == 302
    case = Complaint.objects.get(pk=case.pk)
    assert (case.incident_place, case.incident_date, case.channel) == (
        "online", datetime.date(2020, 6, 1), "phone")
    page = client.get(url(case, "")[:-1], **EN)
    assert "Online (no municipality)" in page.content.decode()


def test_incident_stale_and_invalid(login_as, coordinator):
    case = ComplaintFactory()
    client = login_as(coordinator)

    stale = client.post(url(case, "incident"), {"incident_municipality": "online",
                                                "channel": "phone", "version": 7}, **EN)
    invalid = client.post(url(case, "incident"), {"incident_municipality": "GM9999",
                                                  "channel": "pigeon", "version": 1}, **EN)

    assert stale.status_code == invalid.status_code == 302
    assert Complaint.objects.get(pk=case.pk).version == 1


def test_link_and_unlink_views(login_as, coordinator):
    a, b = ComplaintFactory(), ComplaintFactory()
    client = login_as(coordinator)

    response = client.post(url(a, "koppelen"), {"case_number": b.case_number.lower(),
                                                "kind": "same_incident"})

    assert response.status_code == 302
    assert CaseLink.objects.count() == 1
    for case, other in ((a, b), (b, a)):
        [shown] = by_testid(client.get(url(case, "")[:-1], **EN).content, "related-case")
        assert shown.startswith(f"{other.case_number} (About the same incident)")

    response = client.post(f"{url(b, 'koppelen')}{a.public_id}/ontkoppelen/")

    assert response.status_code == 302
    assert CaseLink.objects.count() == 0


def test_link_to_unknown_or_invisible_case(login_as, coordinator, caseworker):
    a, hidden = ComplaintFactory(), ComplaintFactory(status="closed")
    assign_complaint(complaint=a, actor=coordinator, assignee=caseworker)
    client = login_as(caseworker)

    for number in (hidden.case_number, "MDD-1999-0001", ""):
        response = client.post(url(a, "koppelen"), {"case_number": number,
                                                    "kind": "duplicate"})
        assert response.status_code == 302
    assert CaseLink.objects.count() == 0
    link_cases(complaint=a, other=hidden, kind="duplicate", actor=coordinator)
    response = client.post(f"{url(a, 'koppelen')}{hidden.public_id}/ontkoppelen/")
    assert response.status_code == 404
    assert CaseLink.objects.count() == 1


def test_link_anonymous_and_without_permission(client, login_as, plain_user, reference_data):
    a, b = ComplaintFactory(), ComplaintFactory()
    data = {"case_number": b.case_number, "kind": "duplicate"}

    assert client.post(url(a, "koppelen"), data).status_code == 302
    assert login_as(plain_user).post(url(a, "koppelen"), data).status_code == 404
    assert CaseLink.objects.count() == 0


def test_place_unknown_filter(login_as, coordinator):
    unknown = ComplaintFactory()
    online = ComplaintFactory(incident_place="online")
    assen = ComplaintFactory(incident_municipality="GM0106")
    client = login_as(coordinator)

    def listed(place: str) -> list[bool]:
        rows = by_testid(client.get(f"/backoffice/?incident_place={place}").content,
                         "case-row")
        return [any(case.case_number in row for row in rows)
                for case in (unknown, online, assen)]

    assert listed("unknown") == [True, False, False]
    assert listed("online") == [False, True, False]
    assert listed("municipality") == [False, False, True]
    assert client.get("/backoffice/?incident_place=mars").status_code == 400


# --- The header's "go to case" box (issue 12 §3) -------------------------------------------------


def test_jump_to_case(client, login_as, coordinator, caseworker):
    case = ComplaintFactory()
    closed = ComplaintFactory(status="closed")

    assert client.get("/backoffice/zaken/ga/?number=x").status_code == 302  # to login
    typed = f" {case.case_number.lower()} "
    response = login_as(coordinator).get("/backoffice/zaken/ga/", {"number": typed})
    assert response["Location"] == f"/backoffice/zaken/{case.public_id}/"
    client = login_as(caseworker)
    response = client.get(f"/backoffice/zaken/ga/?number={closed.case_number}")
    # Not visible: search, closed cases included (a look-up, not the list of open work); the
    # text is a stored search, not part of the URL.
    assert response["Location"].startswith("/backoffice/?closed=1&s=")
    assert closed.case_number not in response["Location"]
    searched = client.get(response["Location"])
    assert searched.context["filter"].form["q"].value() == closed.case_number
    coordinator_client = login_as(coordinator)
    response = coordinator_client.post("/backoffice/zaken/ga/", {"number": "2020-00"})
    assert response["Location"].startswith("/backoffice/?closed=1&s=")
    assert coordinator_client.get(response["Location"]).context["filter"].form[
        "q"].value() == "2020-00"
    # Posted (the header's form), a visible case opens directly.
    response = coordinator_client.post("/backoffice/zaken/ga/", {"number": case.case_number})
    assert response["Location"] == f"/backoffice/zaken/{case.public_id}/"
    assert login_as(coordinator).post("/backoffice/zaken/ga/", {"number": ""})[
        "Location"] == "/backoffice/?closed=1"
    page = login_as(caseworker).get("/backoffice/werkvoorraad/")
    assert by_testid(page.content, "jump-form") != []
    assert 'method="post" action="/backoffice/zaken/ga/"' in page.content.decode()
