"""Staff login: password, second factor (TOTP, recovery codes), lockouts, sessions, headers."""

from __future__ import annotations

import base64
import re
import time
import uuid
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.security import SECOND_FACTOR_EXEMPT, SESSION_LOGIN_AT, SESSION_SEEN_AT
from reports.services.accounts import create_demo_users, deactivate_user, new_recovery_codes
from tests.factories import PASSWORD, CaseworkerFactory

LOGIN_URL = "/backoffice/login/"
LIST_URL = "/backoffice/"
#: Where staff who handle cases land after logging in: "Mijn werkvoorraad".
HOME_URL = "/backoffice/werkvoorraad/"
SECOND_FACTOR_URL = "/backoffice/tweestaps/"
ENROL_URL = "/backoffice/tweestaps/instellen/"
CSP = sorted([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
])
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


def translated(message: str) -> str:
    """``message`` as the default (Dutch) language renders it."""
    from django.utils import translation

    with translation.override("nl"):
        return translation.gettext(message)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` periods later)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step,
                 digits=device.digits, drift=device.drift)
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A six-digit code that the authenticator does not accept now."""
    accepted = {code_for(device, steps_ahead=step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def password_login(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def security_events(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "meldpunt.security"]


def event_names(caplog) -> list[str]:
    return [record.security_event for record in caplog.records
            if record.name == "meldpunt.security"]


@pytest.fixture
def staff(reference_data):
    """A caseworker who has set up an authenticator."""
    user = CaseworkerFactory(username="staff1")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return user


def _example_kwargs(pattern) -> dict[str, object]:
    """An example value for each of the pattern's arguments that its converter accepts."""
    candidates = [uuid.uuid4(), 2020, "GM0106", "csv", "x"]
    return {name: next(value for value in candidates
                       if re.fullmatch(converter.regex, str(value)))
            for name, converter in pattern.pattern.converters.items()}


def protected_urls() -> list[str]:
    """Every back-office and municipal URL (example arguments), except the exempt ones."""
    urls = []
    for top in get_resolver().url_patterns:
        if not (isinstance(top, URLResolver)
                and str(top.pattern) in ("backoffice/", "gemeente/")):
            continue
        for pattern in top.url_patterns:
            assert isinstance(pattern, URLPattern)
            name = f"{top.namespace}:{pattern.name}"
            if name not in SECOND_FACTOR_EXEMPT:
                urls.append(reverse(name, kwargs=_example_kwargs(pattern)))
    return [*sorted(set(urls)), "/admin/", "/admin/auth/user/"]


# --- The second factor is required everywhere ----------------------------------------------


def test_the_url_list_covers_the_back_office():
    urls = protected_urls()
    assert {"/backoffice/", "/backoffice/export.csv", "/backoffice/audit/",
            "/backoffice/tweestaps/herstelcodes/", "/backoffice/wachtwoord/wijzigen/"} <= set(urls)
    assert any(url.startswith("/gemeente/") for url in urls)
    assert len(urls) >= 25


@pytest.mark.parametrize("method", ["get", "post"])
def test_enrolled_user_with_only_a_password_is_sent_to_the_second_factor(client, staff, method):
    assert password_login(client, "staff1").status_code == 302
    for url in protected_urls():
        response = getattr(client, method)(url)
        assert (url, response.status_code) == (url, 302)
        assert response["Location"] == f"{SECOND_FACTOR_URL}?next={quote(url, safe='')}"


def test_user_without_authenticator_is_sent_to_enrolment_everywhere(client, reference_data):
    CaseworkerFactory(username="new1")
    assert password_login(client, "new1").status_code == 302
    for url in protected_urls():
        response = client.get(url)
        assert (url, response.status_code) == (url, 302)
        assert response["Location"] == f"{ENROL_URL}?next={quote(url, safe='')}"


def test_anonymous_is_sent_to_login_from_admin(client, reference_data):
    response = client.get("/admin/")
    assert (response.status_code, response["Location"]) == (302, "/backoffice/login/?next=/admin/")


def test_public_form_needs_no_login(client, office):
    assert client.get("/melden/").status_code == 200


# --- Enrolment and the second-factor step ----------------------------------------------------


def test_enrolment_end_to_end(client, reference_data, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    user = CaseworkerFactory(username="new1")
    response = password_login(client, "new1")
    assert response["Location"] == HOME_URL
    response = client.get(LIST_URL)
    assert response["Location"] == f"{ENROL_URL}?next=%2Fbackoffice%2F"

    response = client.get(response["Location"])
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    assert response.context["secret"].replace(" ", "") == (
        base64.b32encode(device.bin_key).decode().rstrip("="))
    assert response.context["qr_code"].startswith("data:image/svg+xml;base64,")
    assert f'src="{response.context["qr_code"]}"'.encode() in response.content

    response = client.post(ENROL_URL, {"token": wrong_code(device), "next": LIST_URL})
    assert response.status_code == 200
    assert response.context["form"].errors == {"token": [translated("This code is not valid.")]}
    assert client.get(LIST_URL).status_code == 302

    response = client.post(ENROL_URL, {"token": code_for(device), "next": LIST_URL})
    assert response.status_code == 200
    assert response.templates[0].name == "auth/recovery_codes.html"
    codes = response.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert sorted(StaticToken.objects.filter(device__user=user).values_list(
        "token", flat=True)) == sorted(codes)
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(LIST_URL).status_code == 200
    # Enrolment cannot be repeated to swap the authenticator.
    response = client.get(ENROL_URL)
    assert (response.status_code, response["Location"]) == (302, SECOND_FACTOR_URL)
    response = client.get(f"{ENROL_URL}?next=/backoffice/audit/")
    assert response["Location"] == f"{SECOND_FACTOR_URL}?next=%2Fbackoffice%2Faudit%2F"
    assert event_names(caplog) == ["login_succeeded", "second_factor_failed",
                                   "second_factor_enrolled"]


def test_second_factor_with_a_totp_code(client, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    device = TOTPDevice.objects.get(user=staff)
    password_login(client, "staff1")
    session_key = client.session.session_key
    next_url = "/backoffice/dashboard/"

    response = client.get(f"{SECOND_FACTOR_URL}?next={next_url}")
    assert response.status_code == 200
    response = client.post(SECOND_FACTOR_URL, {"token": code_for(device), "next": next_url})

    assert (response.status_code, response["Location"]) == (302, next_url)
    assert client.session.session_key != session_key
    assert client.get(LIST_URL).status_code == 200
    assert security_events(caplog)[-1] == (
        f'second_factor_succeeded {{"user_id": {staff.pk}, "username": "staff1", '
        '"path": "/backoffice/tweestaps/"}')


def test_second_factor_ignores_an_external_next(client, staff):
    device = TOTPDevice.objects.get(user=staff)
    password_login(client, "staff1")
    response = client.post(SECOND_FACTOR_URL, {"token": code_for(device),
                                               "next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, HOME_URL)


def test_a_totp_code_works_once(client, staff):
    device = TOTPDevice.objects.get(user=staff)
    code = code_for(device)
    password_login(client, "staff1")
    assert client.post(SECOND_FACTOR_URL, {"token": code}).status_code == 302

    other = Client()
    password_login(other, "staff1")
    response = other.post(SECOND_FACTOR_URL, {"token": code})
    assert response.status_code == 200
    # Issue 12: the right but spent code says so, and is not counted as a wrong code.
    assert response.context["form"].errors == {"token": [translated(
        "This code was already used. Wait until your app shows the next code (a new one "
        "every 30 seconds) and enter that one.")]}
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert not other.session.get("otp_device_id")


def test_recovery_code_works_once(client, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    codes = new_recovery_codes(user=staff)
    password_login(client, "staff1")
    response = client.post(SECOND_FACTOR_URL, {"token": codes[3].upper(), "next": LIST_URL})
    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert client.get(LIST_URL).status_code == 200
    assert StaticToken.objects.filter(device__user=staff).count() == 9
    assert security_events(caplog)[-1] == (
        f'recovery_code_used {{"user_id": {staff.pk}, "username": "staff1", '
        '"path": "/backoffice/tweestaps/", "remaining": 9}')

    other = Client()
    password_login(other, "staff1")
    response = other.post(SECOND_FACTOR_URL, {"token": codes[3], "next": LIST_URL})
    assert response.status_code == 200
    assert response.context["form"].errors == {"token": [translated("This code is not valid.")]}
    assert other.get(LIST_URL).status_code == 302


def test_recovery_codes_page_makes_new_codes(login_as, staff):
    old = new_recovery_codes(user=staff)
    client = login_as(staff)
    response = client.get("/backoffice/tweestaps/herstelcodes/")
    assert response.context["remaining"] == 10
    response = client.post("/backoffice/tweestaps/herstelcodes/")
    assert response.status_code == 200
    new = response.context["codes"]
    assert len(new) == 10
    assert sorted(StaticToken.objects.filter(device__user=staff).values_list(
        "token", flat=True)) == sorted(new)
    assert not set(old) & set(new)


def test_second_factor_locks_after_five_wrong_codes(client, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    device = TOTPDevice.objects.get(user=staff)
    wrong = wrong_code(device)
    password_login(client, "staff1")
    for _attempt in range(4):
        response = client.post(SECOND_FACTOR_URL, {"token": wrong})
        assert response.status_code == 200
        assert response.context["form"].errors == {"token": [translated("This code is not valid.")]}
    response = client.post(SECOND_FACTOR_URL, {"token": wrong})
    assert response.status_code == 429
    assert response.context["locked_message"] == (
        translated("Too many wrong codes. Try again in 15 minutes."))

    # Locked: the right code is refused too, also from a new session.
    assert client.post(SECOND_FACTOR_URL, {"token": code_for(device)}).status_code == 429
    other = Client()
    password_login(other, "staff1")
    assert other.post(SECOND_FACTOR_URL, {"token": code_for(device)}).status_code == 429
    assert event_names(caplog)[-7:] == ["second_factor_failed"] * 5 + [
        "second_factor_locked_out", "login_succeeded"]

    # After 15 minutes the right code works again.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timezone.timedelta(minutes=15, seconds=1))
    response = other.post(SECOND_FACTOR_URL, {"token": code_for(device), "next": LIST_URL})
    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


# --- Passwords -------------------------------------------------------------------------------


def test_password_reset_does_not_skip_the_second_factor(client, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    response = client.post("/backoffice/wachtwoord/vergeten/", {"email": staff.email})
    assert (response.status_code, response["Location"]) == (
        302, "/backoffice/wachtwoord/vergeten/verstuurd/")
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/backoffice/wachtwoord/herstellen/\S+/)",
                     mail.outbox[0].body).group(1)
    response = client.get(link)
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert set_password_url.endswith("/set-password/")
    new_password = "een lange zin als wachtwoord"
    response = client.post(set_password_url, {"new_password1": new_password,
                                              "new_password2": new_password})
    assert (response.status_code, response["Location"]) == (
        302, "/backoffice/wachtwoord/hersteld/")
    # Not logged in by the reset ...
    assert client.get(LIST_URL)["Location"] == "/backoffice/login/?next=/backoffice/"
    # ... and the new password alone does not open the back office.
    assert password_login(client, "staff1", new_password).status_code == 302
    response = client.get(LIST_URL)
    assert (response.status_code, response["Location"]) == (
        302, f"{SECOND_FACTOR_URL}?next=%2Fbackoffice%2F")
    assert event_names(caplog) == ["password_reset_requested", "password_reset_completed",
                                   "login_succeeded"]


def test_password_reset_for_an_unknown_address_looks_the_same(client, staff):
    response = client.post("/backoffice/wachtwoord/vergeten/", {"email": "x@example.invalid"})
    assert (response.status_code, response["Location"]) == (
        302, "/backoffice/wachtwoord/vergeten/verstuurd/")
    assert mail.outbox == []


def test_password_change_ends_the_other_sessions(login_as, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    here, elsewhere = login_as(staff), login_as(staff)
    new_password = "een andere lange zin"
    response = here.post("/backoffice/wachtwoord/wijzigen/", {
        "old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password})
    assert (response.status_code, response["Location"]) == (
        302, "/backoffice/wachtwoord/gewijzigd/")
    assert here.get(LIST_URL).status_code == 200
    assert elsewhere.get(LIST_URL)["Location"] == "/backoffice/login/?next=/backoffice/"
    assert event_names(caplog)[-1] == "password_changed"


def test_password_change_refuses_weak_passwords(login_as, staff):
    response = login_as(staff).post("/backoffice/wachtwoord/wijzigen/", {
        "old_password": PASSWORD, "new_password1": "password1234",
        "new_password2": "password1234"})
    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()[
        "new_password2"]] == ["password_too_common"]


# --- Login brute force -----------------------------------------------------------------------


def test_login_locks_after_five_failures_per_username_and_address(client, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    for _attempt in range(4):
        response = password_login(client, "staff1", "wrong password")
        assert response.status_code == 200
        assert [error.code for error in response.context["form"].non_field_errors().as_data()
                ] == ["invalid_login"]
    response = password_login(client, "staff1", "wrong password")
    assert response.status_code == 429
    assert response.context["message"] == (
        translated("Too many failed login attempts. Try again in 30 minutes or reset your "
                   "password."))
    # The right password is refused during the lockout ...
    assert password_login(client, "staff1").status_code == 429
    # ... from this address only.
    response = password_login(Client(), "staff1", REMOTE_ADDR="192.0.2.7")
    assert (response.status_code, response["Location"]) == (302, HOME_URL)
    expected = f'{{"user_id": {staff.pk}, "username": "staff1", "path": "/backoffice/login/"}}'
    assert security_events(caplog) == [f"login_failed {expected}"] * 5 + [
        f"login_locked_out {expected}", f"login_failed {expected}",
        f"login_locked_out {expected}", f"login_succeeded {expected}"]


def test_failed_login_for_an_unknown_name_logs_no_name(client, reference_data, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    password_login(client, "my secret password", "x")
    assert security_events(caplog) == [
        'login_failed {"user_id": null, "username": null, "path": "/backoffice/login/"}']


# --- Sessions --------------------------------------------------------------------------------


def _shift_session(client: Client, **seconds_ago: float) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_idle_session_ends_after_30_minutes(login_as, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    client = login_as(staff)
    assert client.get(LIST_URL).status_code == 200
    _shift_session(client, **{SESSION_SEEN_AT: 29 * 60})
    assert client.get(LIST_URL).status_code == 200
    _shift_session(client, **{SESSION_SEEN_AT: 30 * 60 + 1})
    response = client.get(LIST_URL)
    assert (response.status_code, response["Location"]) == (
        302, "/backoffice/login/?next=/backoffice/")
    assert "_auth_user_id" not in client.session
    assert event_names(caplog)[-1] == "session_idle_timeout"


def test_session_ends_10_hours_after_login_even_when_active(login_as, staff, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    client = login_as(staff)
    assert client.get(LIST_URL).status_code == 200
    _shift_session(client, **{SESSION_LOGIN_AT: 10 * 3600 - 60, SESSION_SEEN_AT: 60})
    assert client.get(LIST_URL).status_code == 200
    _shift_session(client, **{SESSION_LOGIN_AT: 10 * 3600 + 1, SESSION_SEEN_AT: 60})
    response = client.get(LIST_URL)
    assert (response.status_code, response["Location"]) == (
        302, "/backoffice/login/?next=/backoffice/")
    assert event_names(caplog)[-1] == "session_absolute_timeout"


def test_session_cookie_and_row_expire_after_30_idle_minutes(login_as, staff):
    client = login_as(staff)
    client.get(LIST_URL)
    assert "sessionid" not in client.get(LIST_URL).cookies  # stamped less than a minute ago
    _shift_session(client, **{SESSION_SEEN_AT: 61})
    response = client.get(LIST_URL)
    assert response.cookies["sessionid"]["max-age"] == 1800
    row = Session.objects.get(session_key=client.session.session_key)
    assert 1790 <= (row.expire_date - timezone.now()).total_seconds() <= 1800


def test_login_gives_a_new_session_key(client, staff):
    client.get("/melden/")
    client.post("/melden/", {"description": "Iets."})
    before = client.session.session_key
    password_login(client, "staff1")
    assert client.session.session_key != before


def test_deactivation_ends_all_sessions_of_that_user(login_as, staff, coordinator, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    first, second, colleague = login_as(staff), login_as(staff), login_as(coordinator)
    assert first.get(LIST_URL).status_code == 200

    deactivate_user(user=staff, actor=coordinator)

    remaining = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert remaining == [str(coordinator.pk)]
    for client in (first, second):
        assert client.get(LIST_URL)["Location"] == "/backoffice/login/?next=/backoffice/"
    assert colleague.get(LIST_URL).status_code == 200
    assert security_events(caplog)[-1] == (
        f'user_deactivated {{"user_id": {staff.pk}, "username": "staff1", '
        f'"actor_id": {coordinator.pk}}}')
    assert get_user_model().objects.get(pk=staff.pk).is_active is False


# --- Headers ---------------------------------------------------------------------------------


def _csp(response) -> list[str]:
    return sorted(response["Content-Security-Policy"].split("; "))


def test_back_office_headers(login_as, staff):
    response = login_as(staff).get(LIST_URL)
    assert response.status_code == 200
    assert _csp(response) == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == NO_STORE
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", [LOGIN_URL, SECOND_FACTOR_URL, "/backoffice/wachtwoord/vergeten/"])
def test_login_pages_are_not_stored(client, reference_data, url):
    response = client.get(url)
    assert response["Cache-Control"] == NO_STORE
    assert _csp(response) == CSP


def test_public_form_headers(client, office):
    response = client.get("/melden/")
    assert _csp(response) == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Cache-Control" not in response


def test_receipt_page_headers(client, office):
    client.post("/melden/", {"description": "Ik werd geweigerd."})
    response = client.get("/melden/bedankt/")
    assert response.status_code == 200
    assert _csp(response) == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == NO_STORE
    assert response["Referrer-Policy"] == "no-referrer"


def test_no_inline_script_or_style_in_back_office_pages(login_as, coordinator, office):
    from tests.factories import ComplaintFactory

    complaint = ComplaintFactory()
    client = login_as(coordinator)
    for url in (LIST_URL, reverse("backoffice:complaint_detail", args=[complaint.public_id]),
                "/backoffice/registreren/", "/backoffice/dashboard/"):
        content = client.get(url).content.decode()
        assert " style=" not in content, url
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", content) == [], url


# --- Demo users ------------------------------------------------------------------------------


def test_demo_user_logs_in_with_the_printed_secret(client, reference_data):
    credentials = create_demo_users()["caseworker"]
    assert len(credentials.recovery_codes) == 10
    secret = credentials.totp_secret.replace(" ", "")
    assert f"secret={secret}" in credentials.totp_uri
    device = TOTPDevice.objects.get(user__username="caseworker")
    password_login(client, "caseworker", credentials.password)
    response = client.post(SECOND_FACTOR_URL, {"token": code_for(device), "next": LIST_URL})
    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert client.get(LIST_URL).status_code == 200


def test_the_last_seen_stamp_is_written_at_most_once_a_minute(login_as, staff):
    """Issue 13: no session write on every request; the stamp moves after a minute."""
    client = login_as(staff)
    assert client.get(LIST_URL).status_code == 200
    _shift_session(client, **{SESSION_SEEN_AT: 30})
    stamped = client.session[SESSION_SEEN_AT]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL).status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]
                and q["sql"].startswith("UPDATE")]
    assert client.session[SESSION_SEEN_AT] == stamped
    _shift_session(client, **{SESSION_SEEN_AT: 61})
    assert client.get(LIST_URL).status_code == 200
    assert time.time() - client.session[SESSION_SEEN_AT] < 5
