"""The back office's mass reports (issue 11 §2) and the case list's bulk actions (issue 12 §3):
selection, preview, confirmation, the incident page and its jobs, and constant query counts."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import CaseJob, Complaint, Incident, Message
from reports.services import complaints as case_services
from reports.services import incidents as services
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

BULK = "/backoffice/zaken/bulk/"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def incident(office, coordinator):
    return services.create_incident(office=office, actor=coordinator, title="Uitzending",
                                    grounds=["race"], societal_domain="media_advertising",
                                    nature="hostile_treatment")


def test_the_list_offers_labelled_checkboxes_to_coordinators_only(coordinator, caseworker,
                                                                  login_as):
    case = ComplaintFactory()
    html = login_as(coordinator).get("/backoffice/").content.decode()
    assert f'name="cases" value="{case.public_id}"' in html
    assert f'aria-label="Selecteer zaak {case.case_number}"' in html
    assert 'data-select-all hidden aria-label="Selecteer alle zaken op deze pagina"' in html
    assert 'name="cases"' not in login_as(caseworker).get("/backoffice/").content.decode()


def test_preview_says_what_will_happen_and_changes_nothing(coordinator, login_as,
                                                            django_capture_on_commit_callbacks):
    cases = [ComplaintFactory(), ComplaintFactory()]
    client = login_as(coordinator)
    data = {"cases": [str(c.public_id) for c in cases], "action": "status",
            "to_status": "in_progress"}

    response = client.post(BULK, data)

    assert response.status_code == 200
    summary = " ".join(response.content.decode().split())
    assert "Status wijzigen: 2 zaken worden gewijzigd." in summary
    assert "In behandeling" in summary
    assert Complaint.objects.filter(status="new").count() == 2
    assert CaseJob.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BULK, {**data, "confirmed": "1"})
    job = CaseJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:case_job",
                                           kwargs={"public_id": job.public_id})
    job.refresh_from_db()
    assert (job.state, job.changed) == ("succeeded", 2)
    assert Complaint.objects.filter(status="in_progress").count() == 2
    page = client.get(response["Location"])
    assert "2 van 2 zaken afgehandeld: 2 gewijzigd, 0 overgeslagen." in " ".join(
        page.content.decode().split())


def test_a_status_one_case_cannot_reach_is_refused_naming_it(coordinator, login_as):
    movable, closed = ComplaintFactory(), ComplaintFactory(status="closed")
    response = login_as(coordinator).post(BULK, {
        "cases": [str(movable.public_id), str(closed.public_id)], "action": "status",
        "to_status": "in_progress", "confirmed": "1"})
    assert response.status_code == 400
    assert closed.case_number in response.content.decode()
    assert 'name="confirmed"' not in response.content.decode()
    assert CaseJob.objects.count() == 0
    movable.refresh_from_db()
    assert movable.status == "new"


def test_more_than_500_cases_are_refused(coordinator, login_as):
    import uuid

    response = login_as(coordinator).post(BULK, {
        "cases": [str(uuid.uuid4()) for _ in range(501)], "action": "status",
        "to_status": "in_progress"})
    assert response.status_code == 302
    assert texts(response) == ["Selecteer ten hoogste 500 zaken tegelijk (je selecteerde 501)."]


def test_invisible_cases_are_counted_not_named(caseworker, coordinator, login_as):
    from django.contrib.auth.models import Permission

    caseworker.user_permissions.add(Permission.objects.get(codename="bulk_change_complaints"))
    mine = case_services.assign_complaint(complaint=ComplaintFactory(), actor=coordinator,
                                          assignee=caseworker)
    hidden = case_services.assign_complaint(complaint=ComplaintFactory(), actor=coordinator,
                                            assignee=coordinator)
    response = login_as(caseworker).post(BULK, {
        "cases": [str(mine.public_id), str(hidden.public_id), "nonsense"],
        "action": "status", "to_status": "in_progress"})
    html = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "2 geselecteerde zaken zijn niet gevonden." in html
    assert hidden.case_number not in html


def test_group_from_the_list_into_a_new_incident(coordinator, login_as,
                                                 django_capture_on_commit_callbacks):
    cases = [ComplaintFactory(), ComplaintFactory()]
    with django_capture_on_commit_callbacks(execute=True):
        login_as(coordinator).post(BULK, {
            "cases": [str(c.public_id) for c in cases], "action": "incident",
            "title": "Tv-uitzending", "confirmed": "1"})
    incident = Incident.objects.get()
    assert incident.title == "Tv-uitzending"
    assert set(incident.complaints.values_list("pk", flat=True)) == {c.pk for c in cases}


def test_same_incident_as_another_case_from_the_case_page(coordinator, login_as):
    other = ComplaintFactory(grounds=["religion"], societal_domain="media_advertising")
    case = ComplaintFactory()
    response = login_as(coordinator).post(
        reverse("backoffice:case_incident", kwargs={"public_id": case.public_id}),
        {"mode": "same_as", "case_number": other.case_number})
    assert response["Location"].endswith("#mass-report")
    incident = Incident.objects.get()
    assert incident.title == f"Massamelding {other.case_number}"
    case.refresh_from_db()
    assert case.incident == incident
    assert list(case.grounds.values_list("code", flat=True)) == ["religion"]
    other.refresh_from_db()
    assert other.incident == incident


def test_reply_and_close_from_the_incident_page(incident, coordinator, login_as,
                                                django_capture_on_commit_callbacks):
    cases = [ComplaintFactory(), ComplaintFactory(status="closed")]
    for case in cases:
        case_services.add_to_incident(complaint=case, actor=coordinator, incident=incident)
    client = login_as(coordinator)
    url = reverse("backoffice:incident_detail", kwargs={"public_id": incident.public_id})

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "antwoorden/", {"body": "Dank voor uw melding.", "confirm": "on"})
        response = client.post(url + "afsluiten/", {"outcome": "registered_only",
                                                     "handling": ["registration"],
                                                     "confirm": "on"})
    assert response["Location"] == url + "#jobs"
    assert [m.body for m in Message.objects.filter(direction="out")] == [
        "Dank voor uw melding."] * 2
    cases[0].refresh_from_db()
    assert cases[0].status == "closed"
    page = " ".join(client.get(url).content.decode().split())
    assert f"{cases[1].case_number}</bdi>: al afgesloten of niet in behandeling genomen" in page


def test_reply_without_confirmation_sends_nothing(incident, coordinator, login_as):
    url = reverse("backoffice:incident_reply", kwargs={"public_id": incident.public_id})
    login_as(coordinator).post(url, {"body": "Dank."})
    assert CaseJob.objects.count() == 0


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_incident_and_list_pages_cost_the_same_queries_whatever_their_size(
        incident, coordinator, login_as, settings):
    settings.BACKOFFICE_PAGE_SIZE = 25
    client = login_as(coordinator)
    url = reverse("backoffice:incident_detail", kwargs={"public_id": incident.public_id})

    def add(n: int) -> None:
        for _ in range(n):
            case = ComplaintFactory()
            case_services.add_to_incident(complaint=case, actor=coordinator, incident=incident)
        services.start_case_job(kind=CaseJob.Kind.REPLY, actor=coordinator, incident=incident,
                                case_ids=[])

    add(3)
    client.get("/backoffice/")  # reads the municipality choices, kept per process after that
    small = (_count_queries(client, url), _count_queries(client, "/backoffice/"))
    add(30)
    assert (_count_queries(client, url), _count_queries(client, "/backoffice/")) == small


def test_list_create_classify_and_remove(office, coordinator, login_as,
                                         django_capture_on_commit_callbacks):
    client = login_as(coordinator)
    response = client.post("/backoffice/massameldingen/nieuw/", {
        "title": "Toespraak", "grounds": ["race"], "societal_domain": "public_opinion",
        "nature": "hostile_treatment"})
    incident = Incident.objects.get()
    assert response["Location"] == reverse("backoffice:incident_detail",
                                           kwargs={"public_id": incident.public_id})
    cases = [ComplaintFactory(), ComplaintFactory()]
    for case in cases:
        case_services.add_to_incident(complaint=case, actor=coordinator, incident=incident)
    listing = client.get("/backoffice/massameldingen/")
    assert [(i.title, i.report_count) for i in listing.context["page"]] == [("Toespraak", 2)]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:incident_classify",
                            kwargs={"public_id": incident.public_id}),
                    {"title": "Toespraak", "grounds": ["religion"], "societal_domain": "",
                     "nature": "", "version": incident.version})
    assert [sorted(c.grounds.values_list("code", flat=True)) for c in cases] == [
        ["religion"], ["religion"]]

    response = client.post(reverse("backoffice:incident_remove_case", kwargs={
        "public_id": incident.public_id, "case_id": cases[0].public_id}))
    assert texts(response)[-1] == f"Zaak {cases[0].case_number} is uit de massamelding gehaald."
    cases[0].refresh_from_db()
    assert cases[0].incident is None


@pytest.mark.parametrize("data", [
    {"action": "nonsense"},
    {"action": "status", "to_status": "nonsense"},
    {"action": "incident"},
    {"action": "assign", "assignee": "999999"},
])
def test_bad_bulk_input_is_a_message_not_a_500(coordinator, login_as, data):
    case = ComplaintFactory()
    response = login_as(coordinator).post(BULK, {"cases": [str(case.public_id)], **data})
    assert response.status_code == 302
    assert texts(response)
    assert CaseJob.objects.count() == 0


def test_case_page_form_errors_are_messages(coordinator, login_as):
    case = ComplaintFactory()
    url = reverse("backoffice:case_incident", kwargs={"public_id": case.public_id})
    client = login_as(coordinator)
    response = client.post(url, {"mode": "existing"})
    assert texts(response) == ["Massamelding: Kies een massamelding."]
    response = client.post(url, {"mode": "same_as", "case_number": "MDD-1999-9999"})
    assert texts(response)[-1] == "Er is geen zaak met dit nummer die je kunt zien."
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(("data", "message"), [
    ({"to_status": "closed"},
     "Kies vóór het afsluiten een uitkomst. Er is niets gewijzigd."),
    ({"to_status": "rejected"},
     "Kies waarom deze melding niet in behandeling wordt genomen. Er is niets gewijzigd."),
])
def test_a_close_or_reject_without_its_condition_is_refused_on_the_preview(
        coordinator, login_as, data, message):
    """Tester finding 4: the preview refuses, before any job starts."""
    case = ComplaintFactory()
    response = login_as(coordinator).post(BULK, {
        "cases": [str(case.public_id)], "action": "status", "confirmed": "1", **data})
    html = " ".join(response.content.decode().split())
    assert response.status_code == 400
    assert f'data-testid="errors">{message}</div>' in html
    assert 'name="confirmed"' not in html
    assert CaseJob.objects.count() == 0
    case.refresh_from_db()
    assert case.status == "new"


def test_a_close_of_cases_without_handling_names_them_on_the_preview(coordinator, login_as):
    from reports.models import ComplaintHandling

    handled, unhandled = ComplaintFactory(), ComplaintFactory()
    ComplaintHandling.objects.create(complaint=handled, code="registration")
    data = {"cases": [str(handled.public_id), str(unhandled.public_id)], "action": "status",
            "to_status": "closed", "outcome": "resolved", "confirmed": "1"}
    client = login_as(coordinator)

    response = client.post(BULK, data)
    html = " ".join(response.content.decode().split())
    assert response.status_code == 400
    assert ("Leg vóór het afsluiten ten minste één vorm van klachtbehandeling vast; deze zaken "
            f"hebben er nog geen: {unhandled.case_number}. Er is niets gewijzigd.") in html
    assert 'name="confirmed"' not in html
    assert CaseJob.objects.count() == 0

    response = client.post(BULK, {**data, "cases": [str(handled.public_id)], "confirmed": ""})
    assert response.status_code == 200
    assert 'name="confirmed" value="1"' in response.content.decode()


def test_skip_reasons_are_shown_in_the_viewers_language(incident, coordinator, login_as):
    """Tester finding 9: stored untranslated, translated when shown; an old row stored in
    Dutch still shows as stored."""
    case = ComplaintFactory()
    job = services.group_into_incident(incident=incident, actor=coordinator, complaints=[case])
    services.run_case_job(job_id=job.pk)
    CaseJob.objects.filter(pk=job.pk).update(state="running", position=0)
    job = services.run_case_job(job_id=job.pk)
    assert job.skipped == [{"case": case.case_number, "reason": "already in this mass report"}]
    url = reverse("backoffice:case_job", kwargs={"public_id": job.public_id})
    client = login_as(coordinator)
    item = f"<li><bdi>{case.case_number}</bdi>: "
    assert item + "al in deze massamelding</li>" in client.get(
        url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert item + "موجود بالفعل في هذا البلاغ الجماعي</li>" in client.get(
        url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    CaseJob.objects.filter(pk=job.pk).update(
        skipped=[{"case": case.case_number, "reason": "al in deze massamelding"}])
    assert item + "al in deze massamelding</li>" in client.get(
        url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()


def test_counts_in_dutch_use_the_singular_for_one(coordinator, login_as,
                                                  django_capture_on_commit_callbacks):
    """Tester finding 8: "1 zaak", "1 voorval", not "1 zaken", "1 voorvallen"."""
    from django.template import Context, Template
    from django.utils import translation

    case = ComplaintFactory()
    client = login_as(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BULK, {"cases": [str(case.public_id)], "action": "status",
                                      "to_status": "in_progress", "confirmed": "1"})
    assert texts(response) == ["De wijziging van 1 zaak is gestart."]
    page = " ".join(client.get(response["Location"]).content.decode().split())
    assert "1 van 1 zaak afgehandeld: 1 gewijzigd, 0 overgeslagen." in page
    note = Template('{% load i18n %}{% blocktranslate trimmed with mass=mass count incidents=n %}'
                    "Of the cases: {{ mass }} mass reports about {{ incidents }} incident."
                    "{% plural %}Of the cases: {{ mass }} mass reports about {{ incidents }} "
                    "incidents.{% endblocktranslate %}")
    with translation.override("nl"):
        assert note.render(Context({"mass": 3, "n": 1})) == (
            "Waarvan massameldingen: 3, over 1 voorval.")
        assert note.render(Context({"mass": 3, "n": 2})) == (
            "Waarvan massameldingen: 3, over 2 voorvallen.")
