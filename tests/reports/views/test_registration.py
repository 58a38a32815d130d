"""Staff registration of reports received by phone, e-mail, letter or in person (Besluit art. 7)
at /backoffice/registreren/."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from reports.models import Complaint, ComplaintHistory
from tests.factories import UserFactory
from tests.reports.views.helpers import parse

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
URL = "/backoffice/registreren/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

VALID = {
    "channel": "phone", "received_at": "2020-06-15T09:30", "contact_type": "complaint",
    "description": "Telefonisch gemeld: geweigerd bij de ingang.",
    "incident_date": "2020-06-13", "incident_municipality": "GM0106",
    "reporter_name": "Bram Beller", "reporter_email": "", "reporter_phone": "0592 123456",
    "reporter_residence": "GM0114", "anonymity": "anonymous_to_third_parties",
    "consent_to_contact": "on",
}


def error_codes(response) -> dict[str, list[str]]:
    return {name: [error.code for error in errors]
            for name, errors in response.context["form"].errors.as_data().items()}


@pytest.fixture
def registrar_only(reference_data):
    """May register reports but neither take nor see cases."""
    user = UserFactory(username="registrar")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="reports",
                                                     codename="register_complaint"))
    return user


@pytest.fixture
def reader(reference_data):
    user = UserFactory(username="reader")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="reports",
                                                     codename="view_all_complaints"))
    return user


def test_anonymous_is_sent_to_login(client, office):
    for method in ("get", "post"):
        response = getattr(client, method)(URL, VALID if method == "post" else None)
        assert response.status_code == 302
        assert response["Location"] == "/backoffice/login/?next=/backoffice/registreren/"
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize("user_fixture", ["plain_user", "reader"])
def test_users_without_the_permission_get_403(request, login_as, office, user_fixture):
    client = login_as(request.getfixturevalue(user_fixture))

    assert client.get(URL).status_code == 403
    assert client.post(URL, VALID).status_code == 403
    assert Complaint.objects.count() == 0


def test_registration_refuses_other_methods(login_as, caseworker, office):
    assert login_as(caseworker).put(URL).status_code == 405


@pytest.mark.parametrize(("user_fixture", "shown"), [
    ("caseworker", True), ("coordinator", True), ("reader", False), ("plain_user", False)])
def test_nav_link_only_with_the_permission(request, login_as, office, user_fixture, shown):
    response = login_as(request.getfixturevalue(user_fixture)).get("/backoffice/")

    links = [attrs["href"] for tag, attrs in parse(response.content).tags
             if tag == "a" and attrs.get("href") == URL]
    assert links == ([URL] if shown else [])


def test_form_offers_every_channel_but_online_and_defaults_to_now(login_as, caseworker, office):
    before = timezone.localtime(timezone.now(), AMSTERDAM).replace(second=0, microsecond=0)

    response = login_as(caseworker).get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert [value for value, _label in form.fields["channel"].choices] == [
        "phone", "email", "letter", "in_person", "other"]
    initial = form["received_at"].initial
    after = timezone.localtime(timezone.now(), AMSTERDAM)
    assert before <= initial <= after
    assert initial.tzinfo is not None
    value = [attrs.get("value") for tag, attrs in parse(response.content).tags
             if tag == "input" and attrs.get("name") == "received_at"]
    assert value == [initial.strftime("%Y-%m-%dT%H:%M")]


def test_caseworker_registers_a_phone_report(login_as, caseworker, office):
    response = login_as(caseworker).post(URL, VALID, follow=True, **EN)

    complaint = Complaint.objects.get()
    assert response.redirect_chain == [(f"/backoffice/zaken/{complaint.public_id}/", 302)]
    assert [(m.level_tag, m.message) for m in response.context["messages"]] == [
        ("success", "Registered as case MDD-2020-0001.")]
    assert complaint.received_at == datetime.datetime(2020, 6, 15, 9, 30, tzinfo=AMSTERDAM)
    assert timezone.is_aware(complaint.received_at)
    assert complaint.received_at.utcoffset() is not None
    assert (complaint.case_number, complaint.channel, complaint.contact_type, complaint.status,
            complaint.description, complaint.incident_date, complaint.incident_municipality_id,
            complaint.reporter_name, complaint.reporter_email, complaint.reporter_phone,
            complaint.reporter_residence_id, complaint.anonymity, complaint.consent_to_contact,
            complaint.assigned_to) == (
        "MDD-2020-0001", "phone", "complaint", "new",
        "Telefonisch gemeld: geweigerd bij de ingang.", datetime.date(2020, 6, 13), "GM0106",
        "Bram Beller", "", "0592 123456", "GM0114", "anonymous_to_third_parties", True,
        caseworker)
    assert complaint.first_response_due == datetime.date(2020, 6, 22)
    assert list(ComplaintHistory.objects.filter(complaint=complaint).values_list(
        "action", "actor_id", "to_value")) == [
        ("created", caseworker.pk, "new"), ("assignment", caseworker.pk, "caseworker1")]


def test_winter_time_is_stored_with_its_own_offset(login_as, coordinator, office):
    login_as(coordinator).post(URL, {**VALID, "channel": "letter",
                                     "received_at": "2021-01-04T08:00"})

    complaint = Complaint.objects.get()
    assert complaint.received_at == datetime.datetime(2021, 1, 4, 7, 0, tzinfo=datetime.UTC)
    assert (complaint.case_number, complaint.channel, complaint.assigned_to) == (
        "MDD-2021-0001", "letter", coordinator)


def test_registrar_who_cannot_see_the_case_goes_to_the_list(login_as, registrar_only, office):
    response = login_as(registrar_only).post(URL, VALID)

    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.assigned_to) == ("phone", None)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"channel": "online"}, {"channel": ["invalid_choice"]}),
    ({"channel": ""}, {"channel": ["required"]}),
    ({"received_at": ""}, {"received_at": ["required"]}),
    ({"received_at": "gisteren"}, {"received_at": ["invalid"]}),
    ({"description": "  "}, {"description": ["required"]}),  # staff form: still required
    ({"anonymity": "secret"}, {"anonymity": ["invalid_choice"]}),
    ({"reporter_phone": "", "consent_to_contact": "on"}, {"reporter_email": ["contact"]}),
    ({"incident_municipality": "GM9999"}, {"incident_municipality": ["invalid_choice"]}),
])
def test_invalid_registrations_are_refused(login_as, caseworker, office, changes, expected):
    response = login_as(caseworker).post(URL, {**VALID, **changes})

    assert response.status_code == 400
    assert error_codes(response) == expected
    assert Complaint.objects.count() == 0


def test_a_future_time_of_receipt_is_refused(login_as, caseworker, office):
    soon = timezone.localtime(timezone.now(), AMSTERDAM) + datetime.timedelta(minutes=2)

    response = login_as(caseworker).post(URL, {**VALID,
                                               "received_at": soon.strftime("%Y-%m-%dT%H:%M")},
                                         **EN)

    assert response.status_code == 400
    assert error_codes(response) == {"received_at": ["future"]}
    assert response.context["form"].errors["received_at"] == [
        "The time of receipt cannot be in the future."]
    assert Complaint.objects.count() == 0


def test_a_future_incident_date_is_refused(login_as, caseworker, office):
    tomorrow = timezone.localdate(timezone=AMSTERDAM) + datetime.timedelta(days=1)

    response = login_as(caseworker).post(URL, {**VALID, "incident_date": tomorrow.isoformat()})

    assert response.status_code == 400
    assert error_codes(response) == {"incident_date": ["future"]}
    assert Complaint.objects.count() == 0


def test_the_current_minute_is_accepted(login_as, caseworker, office):
    now = timezone.localtime(timezone.now(), AMSTERDAM)

    response = login_as(caseworker).post(URL, {**VALID,
                                               "received_at": now.strftime("%Y-%m-%dT%H:%M")})

    assert response.status_code == 302
    assert Complaint.objects.get().received_at == now.replace(second=0, microsecond=0)


# --- issue 10 §6: the time of receipt follows reports.received, like the import ---------------


@pytest.mark.parametrize(("received_at", "code"), [
    ("0001-01-01T00:00", "too_early"),
    ("1999-12-31T23:59", "too_early"),
    ("2020-03-29T02:30", "nonexistent"),
])
def test_times_no_statistics_year_counts_are_a_form_error(login_as, caseworker, office,
                                                          received_at, code):
    response = login_as(caseworker).post(URL, {**VALID, "received_at": received_at}, **EN)

    assert response.status_code == 400
    assert error_codes(response) == {"received_at": [code]}
    assert Complaint.objects.count() == 0


def test_before_2000_says_why_in_dutch(login_as, caseworker, office):
    response = login_as(caseworker).post(URL, {**VALID, "received_at": "0001-01-01T00:00"},
                                         HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 400
    assert response.context["form"].errors["received_at"] == [
        "Het tijdstip van ontvangst moet op of na 1 januari 2000 liggen; de jaarcijfers tellen "
        "geen eerdere meldingen."]


def test_the_first_of_2000_is_accepted(login_as, caseworker, office):
    response = login_as(caseworker).post(URL, {**VALID, "received_at": "2000-01-01T00:00"})

    assert response.status_code == 302
    assert Complaint.objects.get().received_at == datetime.datetime(1999, 12, 31, 23, 0,
                                                                    tzinfo=datetime.UTC)


def test_the_repeated_autumn_hour_is_its_first_occurrence_as_in_the_import(login_as, caseworker,
                                                                           office):
    # 26 October 2025, 02:30 happened twice; the first (summer time, UTC+2) one is taken.
    response = login_as(caseworker).post(URL, {**VALID, "received_at": "2025-10-26T02:30"})

    assert response.status_code == 302
    assert Complaint.objects.get().received_at == datetime.datetime(2025, 10, 26, 0, 30,
                                                                    tzinfo=datetime.UTC)


@pytest.mark.parametrize(("chosen", "place"), [("online", "online"), ("", "unknown")])
def test_the_place_of_the_incident_is_stored_as_chosen(login_as, caseworker, office, chosen,
                                                       place):
    response = login_as(caseworker).post(URL, {**VALID, "incident_municipality": chosen})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.incident_place == place
    assert complaint.incident_municipality_id is None
