"""The desk management page and moving a case on the case page (issue 11 §1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.models import Complaint, DeskMunicipality
from reports.services.complaints import assign_complaint
from reports.services.desks import default_desk
from tests.factories import (
    CaseworkerFactory,
    ComplaintFactory,
    CoordinatorFactory,
    OfficeCoordinatorFactory,
    make_desk,
)


@pytest.fixture
def national(office):
    return OfficeCoordinatorFactory(username="national")


def test_office_coordinator_gives_a_municipality_to_a_desk_and_overlap_is_refused(
        login_as, national, office):
    client = login_as(national)
    zuid = make_desk("zuid", "Zuid")
    url = reverse("backoffice:desk_settings")
    assert client.get(url).status_code == 200
    overlapping = client.post(url, {"action": "period", "period-desk": zuid.pk,
                                    "period-municipality": "GM0114",
                                    "period-valid_from": "2026-01-01"})
    assert overlapping.status_code == 400
    assert "valt al onder Meldpunt Discriminatie Drenthe" in overlapping.content.decode()
    emmen = DeskMunicipality.objects.get(municipality="GM0114")
    ended = client.post(url, {"action": "end", "end-period": emmen.pk,
                              "end-valid_to": "2025-12-31"})
    assert ended.status_code == 302
    moved = client.post(url, {"action": "period", "period-desk": zuid.pk,
                              "period-municipality": "GM0114",
                              "period-valid_from": "2026-01-01"})
    assert moved.status_code == 302
    assert list(DeskMunicipality.objects.filter(municipality="GM0114").order_by(
        "valid_from").values_list("desk__code", "valid_from", "valid_to")) == [
        ("default", emmen.valid_from, emmen.valid_from.replace(2025, 12, 31)),
        ("zuid", emmen.valid_from.replace(2026, 1, 1), None)]


def test_bad_input_on_the_desk_page_is_a_400_not_a_500(login_as, national):
    client = login_as(national)
    url = reverse("backoffice:desk_settings")
    assert client.post(url, {"action": "member", "member-desk": "x",
                             "member-username": "nobody"}).status_code == 400
    assert client.post(url, {"action": "end", "end-period": "999999",
                             "end-valid_to": "nonsense"}).status_code == 400
    assert client.post(url, {"action": "unknown"}).status_code == 400


def test_desk_coordinator_may_not_manage_desks(login_as, office):
    assert login_as(CoordinatorFactory()).get(
        reverse("backoffice:desk_settings")).status_code == 403


def test_moving_a_case_from_the_case_page(login_as, national, office):
    zuid = make_desk("zuid", "Zuid")
    case = ComplaintFactory(incident_municipality="GM0106")
    client = login_as(national)
    page = client.get(reverse("backoffice:complaint_detail", args=[case.public_id]))
    assert 'id="desk"' in page.content.decode()
    response = client.post(reverse("backoffice:move_desk", args=[case.public_id]),
                           {"desk": zuid.pk, "version": case.version})
    assert response.status_code == 302
    assert Complaint.objects.get(pk=case.pk).desk == zuid


def test_a_desk_coordinator_who_moves_a_case_away_lands_on_the_list(login_as, office):
    zuid = make_desk("zuid", "Zuid")
    coordinator = CoordinatorFactory()
    zuid.members.add(coordinator)          # coordinator of both desks
    case = ComplaintFactory(incident_municipality="GM0106")
    client = login_as(coordinator)
    response = client.post(reverse("backoffice:move_desk", args=[case.public_id]),
                           {"desk": zuid.pk, "version": case.version})
    assert response["Location"].endswith("#desk")
    default_desk(office=office).members.remove(coordinator)
    # A caseworker of the default desk may not move cases (no assign_complaint): 403.
    worker = CaseworkerFactory()
    other = ComplaintFactory(incident_municipality="GM0106")
    assert login_as(worker).post(reverse("backoffice:move_desk", args=[other.public_id]),
                                 {"desk": zuid.pk, "version": other.version}).status_code == 403


def test_dashboard_and_filters_list_only_the_desks_people(login_as, office):
    zuid = make_desk("zuid", "Zuid", ("GM0114",))
    coordinator = CoordinatorFactory()
    CaseworkerFactory(username="noordwerker")
    CaseworkerFactory(username="zuidwerker", desk=zuid)
    client = login_as(coordinator)
    dashboard = client.get(reverse("backoffice:dashboard")).content.decode()
    assert "noordwerker" in dashboard and "zuidwerker" not in dashboard
    listing = client.get(reverse("backoffice:complaint_list")).content.decode()
    assert "noordwerker" in listing and "zuidwerker" not in listing


def test_access_log_of_a_desk_coordinator_holds_only_their_desks_cases(login_as, office):
    zuid = make_desk("zuid", "Zuid", ("GM0114",))
    coordinator_a, coordinator_b = CoordinatorFactory(), CoordinatorFactory(desk=zuid)
    case_a = ComplaintFactory(incident_municipality="GM0106")
    case_b = ComplaintFactory(incident_municipality="GM0114")
    login_as(coordinator_a).get(reverse("backoffice:complaint_detail", args=[case_a.public_id]))
    login_as(coordinator_b).get(reverse("backoffice:complaint_detail", args=[case_b.public_id]))
    log = login_as(coordinator_a).get(reverse("backoffice:access_log")).content.decode()
    assert case_a.case_number in log and case_b.case_number not in log
    national = login_as(OfficeCoordinatorFactory()).get(
        reverse("backoffice:access_log")).content.decode()
    assert case_a.case_number in national and case_b.case_number in national


def test_a_duplicate_desk_code_is_a_human_message(login_as, national):
    """Tester finding 8: our own sentence, not Django's generated unique error."""
    client = login_as(national)
    url = reverse("backoffice:desk_settings")
    make_desk("zuid", "Zuid")
    response = client.post(url, {"action": "desk", "desk-code": "zuid", "desk-name": "Zuid 2"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Er is al een loket met deze code." in html
    assert "bestaat al" not in html
def test_removing_a_staff_member_says_how_many_cases_went_back_to_the_queue(login_as, national):
    zuid = make_desk("zuid", "Zuid", ("GM0114",))
    worker = CaseworkerFactory(username="leaver", desk=zuid)
    cases = [ComplaintFactory(incident_municipality="GM0114") for _ in range(3)]
    for case in cases:
        assign_complaint(complaint=case, actor=national, assignee=worker)
    client = login_as(national)
    response = client.post(reverse("backoffice:desk_settings"), {
        "action": "member", "member-desk": zuid.pk, "member-username": "leaver",
        "member-remove": "on"}, follow=True)
    page = response.content.decode()
    assert "Opgeslagen." in page
    assert "3 zaken van deze medewerker zijn terug in de wachtrij van het loket." in page
    assert Complaint.objects.filter(assigned_to=worker).count() == 0
    assert list(zuid.members.all()) == []


def test_a_municipality_the_office_does_not_serve_is_refused(login_as, national):
    zuid = make_desk("zuid", "Zuid")
    client = login_as(national)
    response = client.post(reverse("backoffice:desk_settings"), {
        "action": "period", "period-desk": zuid.pk, "period-municipality": "GM0363",
        "period-valid_from": "2026-01-01"})
    assert response.status_code == 400
    assert ("Meldpunt Discriminatie Drenthe werkt niet voor Amsterdam: een loket kan alleen "
            "gemeenten van de voorziening bedienen.") in response.content.decode()
    assert not DeskMunicipality.objects.filter(municipality="GM0363").exists()


def test_each_end_period_field_and_button_names_its_municipality(login_as, national):
    page = login_as(national).get(reverse("backoffice:desk_settings")).content.decode()
    emmen = DeskMunicipality.objects.get(municipality="GM0114")
    assert (f'<label class="visually-hidden" for="end-{emmen.pk}">Laatste dag van Emmen bij '
            "dit loket</label>") in page
    assert ('Beëindigen<span class="visually-hidden"> – periode van Emmen</span></button>'
            in page)
