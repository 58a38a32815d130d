"""Staff and municipal accounts: creation without a password, the first-login link, linking,
deactivation (issue 14 section 4, issue 12 section 4)."""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from reports.models import Municipality, OutboundEmail
from reports.security import invitation_tokens
from reports.selectors.accounts import (
    home_url,
    is_municipal_account,
    linked_municipalities,
    municipal_account_by_id,
    municipal_accounts,
)
from reports.services.accounts import (
    create_municipal_account,
    create_staff_user,
    deactivate_user,
    invitation_link,
    link_account,
    send_invitation,
    unlink_account,
)
from tests.conftest import login
from tests.factories import PASSWORD, CoordinatorFactory

pytestmark = pytest.mark.django_db
LINK = re.compile(r"^http://meldpunt\.example\.test/backoffice/welkom/(\w+)/([\w-]+)/$")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://meldpunt.example.test"


def municipality(code: str) -> Municipality:
    return Municipality.objects.get(code=code)


def test_a_staff_user_gets_a_role_no_password_and_a_first_login_link(reference_data, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    user = create_staff_user(username="j.jansen", role="caseworker", email="j@example.test")

    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["caseworker"]
    assert user.has_perm("reports.claim_complaint")
    link = invitation_link(user=user)
    match = LINK.match(link)
    assert match and invitation_tokens.check_token(user, match.group(2))
    assert [r.security_event for r in caplog.records] == ["user_created", "invitation_issued"]
    assert "j@example.test" not in caplog.text


@pytest.mark.parametrize(("arguments", "errors"), [
    ({"username": "caseworker1", "role": "caseworker"},
     {"username": ["This user name is already taken."]}),
    ({"username": "CASEWORKER1", "role": "caseworker"},
     {"username": ["This user name is already taken."]}),
    ({"username": "with space", "role": "caseworker"},
     {"username": ["Enter a valid username. This value may contain only letters, numbers, "
                   "and @/./+/-/_ characters."]}),
    ({"username": "new", "role": "caseworker", "email": "not-an-address"},
     {"email": ["Enter a valid email address."]}),
    ({"username": "new", "role": "municipality"},
     {"role": ["Choose one of the roles: caseworker, coordinator, office_coordinator."]}),
])
def test_invalid_staff_users_are_refused(caseworker, arguments, errors, settings):
    settings.LANGUAGE_CODE = "en"
    before = get_user_model().objects.count()
    with pytest.raises(ValidationError) as raised:
        create_staff_user(**arguments)
    assert raised.value.message_dict == errors
    assert get_user_model().objects.count() == before


def test_the_link_works_once_and_expires(reference_data, settings):
    user = create_staff_user(username="new", role="coordinator")
    token = invitation_tokens.make_token(user)
    assert invitation_tokens.check_token(user, token)

    later = datetime.datetime.now() + datetime.timedelta(days=settings.STAFF_INVITATION_DAYS,
                                                         hours=1)
    with mock.patch.object(type(invitation_tokens), "_now", return_value=later):
        assert not invitation_tokens.check_token(user, token)
    # A password-reset token is no invitation, and the other way round.
    from django.contrib.auth.tokens import default_token_generator

    assert not invitation_tokens.check_token(user, default_token_generator.make_token(user))
    user.set_password("een-lang-genoeg-wachtwoord")
    user.save()
    assert not invitation_tokens.check_token(user, token)  # used


def test_deactivation_ends_sessions_and_the_link(reference_data, coordinator):
    user = create_staff_user(username="new", role="caseworker")
    user.set_password(PASSWORD)
    user.save()
    client = login(user)
    assert client.get("/backoffice/").status_code == 200
    fresh = get_user_model().objects.get(pk=user.pk)
    token = invitation_tokens.make_token(fresh)

    deactivate_user(user=fresh, actor=coordinator)

    assert client.get("/backoffice/").status_code == 302
    assert not invitation_tokens.check_token(get_user_model().objects.get(pk=user.pk), token)


def test_a_municipal_account_is_linked_invited_and_lands_on_the_portal(reference_data,
                                                                        coordinator):
    user = create_municipal_account(
        username="assen", email="gemeente@assen.example.test",
        municipalities=[municipality("GM0106"), municipality("GM0114")], actor=coordinator)

    assert not user.has_usable_password()
    assert [m.code for m in linked_municipalities(user=user)] == ["GM0106", "GM0114"]
    assert is_municipal_account(user=user) and home_url(user=user) == "/gemeente/"
    assert not is_municipal_account(user=coordinator)
    assert home_url(user=coordinator) == "/backoffice/werkvoorraad/"
    email = OutboundEmail.objects.get(kind="account_invitation")
    assert email.recipient == "gemeente@assen.example.test"
    link = next(line for line in email.body.splitlines() if line.startswith("http"))
    assert LINK.match(link)
    assert [(a.user.username, [m.code for m in a.municipalities], a.enrolled)
            for a in municipal_accounts()] == [("assen", ["GM0106", "GM0114"], False)]


def test_a_municipal_account_needs_an_address_and_a_municipality(reference_data, coordinator,
                                                                  settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as raised:
        create_municipal_account(username="x", email="", municipalities=[municipality("GM0106")],
                                 actor=coordinator)
    assert raised.value.message_dict == {"email": ["Enter a valid email address."]}
    with pytest.raises(ValidationError) as raised:
        create_municipal_account(username="x", email="x@example.test", municipalities=[],
                                 actor=coordinator)
    assert raised.value.message_dict == {"municipalities": ["Choose at least one municipality."]}
    assert not get_user_model().objects.filter(username="x").exists()


def test_link_and_unlink_are_logged_and_staff_cannot_be_linked(reference_data, coordinator,
                                                                caseworker, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    user = create_municipal_account(username="assen", email="a@example.test",
                                    municipalities=[municipality("GM0106")], actor=coordinator)
    link_account(user=user, municipality=municipality("GM0109"), actor=coordinator)
    unlink_account(user=user, municipality=municipality("GM0106"), actor=coordinator)
    assert [m.code for m in linked_municipalities(user=user)] == ["GM0109"]
    events = [(r.security_event, r.security_fields.get("municipality"))
              for r in caplog.records if r.security_event.startswith("municipality_")]
    assert events == [("municipality_linked", "GM0106"), ("municipality_linked", "GM0109"),
                      ("municipality_unlinked", "GM0106")]
    with pytest.raises(ValidationError):
        link_account(user=caseworker, municipality=municipality("GM0106"), actor=coordinator)
    assert municipal_account_by_id(user_id=caseworker.pk) is None
    assert municipal_account_by_id(user_id=coordinator.pk) is None
    assert municipal_account_by_id(user_id=user.pk) == user


def test_a_new_invitation_needs_an_active_account_with_an_address(reference_data, coordinator):
    user = create_municipal_account(username="assen", email="a@example.test",
                                    municipalities=[municipality("GM0106")], actor=coordinator)
    send_invitation(user=user, actor=coordinator)
    assert OutboundEmail.objects.filter(kind="account_invitation").count() == 2
    deactivate_user(user=user, actor=coordinator)
    with pytest.raises(ValidationError):
        send_invitation(user=user, actor=coordinator)
    assert municipal_account_by_id(user_id=user.pk) == user  # still listed, deactivated


def test_the_first_login_link_sets_a_password_and_leads_to_enrolment(reference_data):
    user = create_staff_user(username="nieuw", role="caseworker")
    path = invitation_link(user=user).removeprefix("http://meldpunt.example.test")
    client = Client()
    page = client.get(path, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "Een lang genoeg wachtwoord 7",
                                      "new_password2": "Een lang genoeg wachtwoord 7"})
    assert (response.status_code, response["Location"]) == (302, "/backoffice/login/")
    # It does not log in, and it works once.
    assert client.get("/backoffice/").status_code == 302
    assert not Client().get(path, follow=True).context["validlink"]
    response = client.post("/backoffice/login/", {"username": "nieuw",
                                                  "password": "Een lang genoeg wachtwoord 7"})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"].startswith(
        "/backoffice/tweestaps/instellen/")


def test_a_coordinator_created_by_the_factory_is_no_municipal_account(reference_data):
    assert not is_municipal_account(user=CoordinatorFactory(username="c2"))


def test_a_desk_coordinator_links_accounts_only_to_municipalities_their_desks_serve(office):
    from django.core.exceptions import PermissionDenied

    from reports.services.accounts import linkable_codes
    from tests.factories import OfficeCoordinatorFactory, make_desk

    zuid = make_desk("zuid", "Zuid", ("GM0114",))
    desk_coordinator = CoordinatorFactory(desk=zuid)
    national = OfficeCoordinatorFactory()
    assert linkable_codes(actor=desk_coordinator, codes=["GM0106", "GM0114"]) == {"GM0114"}
    assert linkable_codes(actor=national, codes=["GM0106", "GM0114"]) == {"GM0106", "GM0114"}
    account = create_municipal_account(
        username="emmen", email="gemeente@emmen.example.test", invite_by_email=False,
        municipalities=[Municipality.objects.get(code="GM0114")], actor=desk_coordinator)
    with pytest.raises(PermissionDenied):
        link_account(user=account, municipality=Municipality.objects.get(code="GM0106"),
                     actor=desk_coordinator)
    link_account(user=account, municipality=Municipality.objects.get(code="GM0106"),
                 actor=national)
    assert [m.code for m in linked_municipalities(user=account)] == ["GM0106", "GM0114"]
