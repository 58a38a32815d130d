"""Municipal accounts (issue 12, section 4): the coordinators' screen, where the accounts land,
the menu they see, 403 on the back office, and the two-factor pages without navigation."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.models import Municipality, OutboundEmail
from reports.selectors.accounts import linked_municipalities
from reports.services.accounts import create_municipal_account
from tests.factories import PASSWORD, CoordinatorFactory
from tests.reports.views.helpers import parse

pytestmark = pytest.mark.django_db
URL = "/backoffice/gemeenteaccounts/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def account(coordinator):
    user = create_municipal_account(
        username="assen", email="gemeente@assen.example.test",
        municipalities=[Municipality.objects.get(code="GM0106")], actor=coordinator)
    user.set_password(PASSWORD)
    user.save()
    return user


def shown(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m.message)) for m in response.context["messages"]]


def nav_links(html: bytes) -> list[str]:
    page = parse(html)
    return [attrs.get("href") for tag, attrs in page.tags
            if tag == "a" and "nav-link" in (attrs.get("class") or "")]


def test_only_coordinators_open_the_screen(client, login_as, caseworker, coordinator, account):
    assert client.get(URL)["Location"] == f"/backoffice/login/?next={URL}"
    assert login_as(caseworker).get(URL).status_code == 403
    assert login_as(account).get(URL).status_code == 403
    response = login_as(coordinator).get(URL)
    assert response.status_code == 200
    assert [(a.user.username, [m.code for m in a.municipalities])
            for a in response.context["accounts"]] == [("assen", ["GM0106"])]
    assert URL in nav_links(response.content)
    assert URL not in nav_links(login_as(caseworker).get("/backoffice/").content)


def test_a_coordinator_creates_an_account_and_it_is_invited(login_as, coordinator):
    response = login_as(coordinator).post(URL, {
        "username": "emmen", "email": "gemeente@emmen.example.test",
        "municipalities": ["GM0114", "GM0109"]}, follow=True)

    user = get_user_model().objects.get(username="emmen")
    assert response.redirect_chain == [(f"{URL}#account-{user.pk}", 302)]
    assert shown(response) == [("success", "Account emmen made. An invitation to choose a "
                                           "password was sent to gemeente@emmen.example.test.")]
    assert [m.code for m in linked_municipalities(user=user)] == ["GM0109", "GM0114"]
    assert OutboundEmail.objects.get(kind="account_invitation").recipient == (
        "gemeente@emmen.example.test")
    assert not user.has_usable_password()


@pytest.mark.parametrize(("data", "errors"), [
    ({"username": "assen", "email": "x@example.test", "municipalities": ["GM0106"]},
     {"username": ["This user name is already taken."]}),
    ({"username": "new", "email": "x@example.test", "municipalities": []},
     {"municipalities": ["This field is required."]}),
    ({"username": "new", "email": "x@example.test", "municipalities": ["GM0014"]},
     {"municipalities": ["Select a valid choice. GM0014 is not one of the available "
                         "choices."]}),
    ({"username": "new", "email": "geen-adres", "municipalities": ["GM0106"]},
     {"email": ["Enter a valid email address."]}),
])
def test_invalid_input_keeps_the_form_and_creates_nothing(login_as, coordinator, account, data,
                                                          errors):
    before = get_user_model().objects.count()
    response = login_as(coordinator).post(URL, data, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert get_user_model().objects.count() == before


def test_link_unlink_and_deactivate(login_as, coordinator, account):
    client = login_as(coordinator)
    base = f"{URL}{account.pk}/"
    response = client.post(f"{base}koppelen/", {"municipality": "GM0109"}, follow=True)
    assert shown(response) == [("success", "assen now sees the reports of Coevorden.")]
    response = client.post(f"{base}ontkoppelen/GM0106/", follow=True)
    assert shown(response) == [("success", "assen no longer sees the reports of Assen.")]
    assert [m.code for m in linked_municipalities(user=account)] == ["GM0109"]

    portal = login_as(account)
    assert portal.get("/gemeente/").status_code == 200
    response = client.post(f"{base}deactiveren/", follow=True)
    assert shown(response) == [("error", "Tick the box to confirm that the account must be "
                                         "deactivated.")]
    assert get_user_model().objects.get(pk=account.pk).is_active
    response = client.post(f"{base}deactiveren/", {"confirm": "on"}, follow=True)
    assert shown(response) == [("success", "Account assen is deactivated.")]
    assert not get_user_model().objects.get(pk=account.pk).is_active
    assert portal.get("/gemeente/").status_code == 302  # its session has ended
    page = client.get(URL)
    assert b"deactivated" in page.content


def test_staff_accounts_cannot_be_changed_here(login_as, coordinator, caseworker):
    client = login_as(coordinator)
    for action in ("koppelen/", "uitnodigen/", "deactiveren/"):
        assert client.post(f"{URL}{caseworker.pk}/{action}", {"confirm": "on",
                                                              "municipality": "GM0106"}
                           ).status_code == 404
    assert client.post(f"{URL}{coordinator.pk}/deactiveren/", {"confirm": "on"}
                       ).status_code == 404
    assert get_user_model().objects.get(pk=caseworker.pk).is_active
    assert not caseworker.has_perm("reports.view_municipality_reports")


def test_a_new_invitation_is_sent(login_as, coordinator, account):
    response = login_as(coordinator).post(f"{URL}{account.pk}/uitnodigen/", follow=True)
    assert shown(response) == [("success",
                                "A new invitation was sent to gemeente@assen.example.test.")]
    assert OutboundEmail.objects.filter(kind="account_invitation").count() == 2


def _login_with_code(client: Client, username: str) -> str:
    """Password and authenticator code through the real pages; the page it lands on."""
    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    response = client.post("/backoffice/login/", {"username": username, "password": PASSWORD})
    second_factor = client.get(response["Location"])
    assert second_factor.status_code == 302
    page = client.get(second_factor["Location"], **EN)
    # Before the second factor: no navigation at all, only "Cancel and log out".
    assert page.status_code == 200
    assert nav_links(page.content) == []
    assert username.encode() not in page.content
    assert b"Cancel and log out" in page.content
    response = client.post(second_factor["Location"], {"token": f"{totp(device.bin_key):06d}"})
    return response["Location"]


def test_a_municipal_account_lands_on_the_portal_and_never_sees_the_back_office(account):
    client = Client()
    assert _login_with_code(client, "assen") == "/gemeente/"
    portal = client.get("/gemeente/", **EN)
    assert portal.status_code == 200
    assert nav_links(portal.content) == ["/gemeente/"]
    account_page = client.get("/backoffice/tweestaps/herstelcodes/", **EN)
    assert account_page.status_code == 200
    assert nav_links(account_page.content) == ["/gemeente/"]
    assert client.get("/backoffice/wachtwoord/wijzigen/").status_code == 200
    for url in ("/backoffice/", "/backoffice/registreren/", "/backoffice/zaken/zoek/",
                "/backoffice/statistiek/", URL):
        response = client.get(url, **EN)
        assert response.status_code == 403, url
        assert nav_links(response.content) == ["/gemeente/"], url


def test_staff_land_on_the_back_office(caseworker):
    client = Client()
    assert _login_with_code(client, "caseworker1") == "/backoffice/werkvoorraad/"
    assert "/backoffice/" in nav_links(client.get("/backoffice/").content)


def test_a_desk_coordinator_links_only_their_desks_municipalities(login_as, account):
    from tests.factories import make_desk

    zuid = make_desk("zuid", "Zuid", ("GM0114",))
    client = login_as(CoordinatorFactory(username="zuidco", desk=zuid))
    page = client.get(URL)
    assert [m.code for m in page.context["choices"]] == ["GM0114"]
    base = f"{URL}{account.pk}/"
    response = client.post(f"{base}koppelen/", {"municipality": "GM0109"}, follow=True)
    assert shown(response) == [("error", "Choose a municipality.")]
    response = client.post(f"{base}koppelen/", {"municipality": "GM0114"}, follow=True)
    assert shown(response) == [("success", "assen now sees the reports of Emmen.")]
    assert [m.code for m in linked_municipalities(user=account)] == ["GM0106", "GM0114"]
