"""Security settings, password rules and the security log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from reports.roles import CASEWORKER, COORDINATOR
from reports.security import SecurityEvent, log_security_event
from reports.services.accounts import set_roles
from tests.meldpunt.test_settings import GOOD
from tests.reports.views.test_auth import LIST_URL

ROOT = Path(__file__).resolve().parents[2]
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


def security_events(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "meldpunt.security"]


# --- Settings --------------------------------------------------------------------------------


def test_base_settings_hash_with_argon2_first():
    from meldpunt.settings import base

    assert base.PASSWORD_HASHERS[0] == ARGON2
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("een lange zin als wachtwoord", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("een lange zin als wachtwoord", encoded)


def test_base_settings_security_values():
    from meldpunt.settings import base

    assert base.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert base.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert (base.SESSION_COOKIE_AGE, base.STAFF_SESSION_IDLE_SECONDS,
            base.STAFF_SESSION_MAX_SECONDS) == (1800, 1800, 36000)
    assert (base.SESSION_COOKIE_HTTPONLY, base.SESSION_COOKIE_SAMESITE) == (True, "Lax")
    assert (base.AXES_FAILURE_LIMIT, base.AXES_COOLOFF_TIME) == (5, 0.5)
    assert base.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert (base.SECOND_FACTOR_FAILURE_LIMIT, base.SECOND_FACTOR_LOCKOUT_SECONDS) == (5, 900)
    assert (base.X_FRAME_OPTIONS, base.SECURE_REFERRER_POLICY) == ("DENY", "no-referrer")


def test_production_settings():
    env = {key: value for key, value in os.environ.items()
           if key not in GOOD and key not in ("DEBUG", "CELERY_TASK_ALWAYS_EAGER")}
    env.update(GOOD)
    code = ("import json; from django.conf import settings as s; print(json.dumps(["
            "s.PASSWORD_HASHERS[0], s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [
        ARGON2, True, True, "__Host-sessionid", "__Host-csrftoken", 31536000, True, True, True]


# --- Passwords -------------------------------------------------------------------------------


def _codes(password: str) -> list[str]:
    try:
        validate_password(password)
    except ValidationError as error:
        return [item.code for item in error.error_list]
    return []


@pytest.mark.parametrize(("password", "codes"), [
    ("password1234", ["password_too_common"]),
    ("123456789012", ["password_entirely_numeric"]),
    ("kort wachtw", ["password_too_short"]),
    ("een lange zin als wachtwoord", []),
    ("paarse olifant fietst langzaam", []),
])
def test_password_rules(password, codes):
    assert _codes(password) == codes


@pytest.mark.django_db
def test_password_similar_to_the_username_is_refused():
    from tests.factories import UserFactory

    user = UserFactory(username="fatimabakker2024")
    with pytest.raises(ValidationError) as raised:
        validate_password("fatimabakker2024!", user=user)
    assert [item.code for item in raised.value.error_list] == ["password_too_similar"]


# --- The security log ------------------------------------------------------------------------


def test_log_security_event_writes_identifiers_as_json(rf, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    request = rf.get("/backoffice/export.csv")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    log_security_event(event=SecurityEvent.EXPORT, request=request, format="csv", rows=3)

    [record] = [r for r in caplog.records if r.name == "meldpunt.security"]
    assert record.getMessage() == (
        'export {"user_id": null, "username": null, "path": "/backoffice/export.csv", '
        '"format": "csv", "rows": 3}')
    assert record.security_event == "export"
    assert record.security_fields == {"user_id": None, "username": None,
                                      "path": "/backoffice/export.csv", "format": "csv",
                                      "rows": 3}


def test_log_security_event_refuses_other_values():
    with pytest.raises(TypeError, match="Security event field 'data' is not an identifier."):
        log_security_event(event=SecurityEvent.EXPORT, data={"description": "x"})


def test_role_change_is_logged(caseworker, coordinator, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    set_roles(user=caseworker, roles=[COORDINATOR, CASEWORKER], actor=coordinator)

    assert sorted(caseworker.groups.values_list("name", flat=True)) == [CASEWORKER, COORDINATOR]
    assert security_events(caplog) == [
        f'roles_changed {{"user_id": {caseworker.pk}, "username": "caseworker1", '
        f'"actor_id": {coordinator.pk}, "roles": ["caseworker", "coordinator"]}}']


def test_unknown_role_is_refused(caseworker, coordinator):
    with pytest.raises(ValueError, match="Unknown roles: admin"):
        set_roles(user=caseworker, roles=["admin"], actor=coordinator)
    assert list(caseworker.groups.values_list("name", flat=True)) == [CASEWORKER]


def test_export_is_logged(login_as, coordinator, caplog):
    client = login_as(coordinator)
    caplog.clear()
    assert client.get("/backoffice/export.csv").status_code == 200
    assert security_events(caplog) == [
        f'export {{"user_id": {coordinator.pk}, "username": "coordinator1", '
        '"path": "/backoffice/export.csv", "format": "csv"}']


def test_permission_denied_in_the_back_office_is_logged(login_as, caseworker, caplog):
    client = login_as(caseworker)
    caplog.clear()
    assert client.get("/backoffice/dashboard/").status_code == 403
    assert client.get(LIST_URL).status_code == 200
    assert security_events(caplog) == [
        f'permission_denied {{"user_id": {caseworker.pk}, "username": "caseworker1", '
        '"path": "/backoffice/dashboard/"}']


def test_security_log_holds_no_report_contents(client, office, caplog):
    caplog.set_level("INFO", logger="meldpunt.security")
    client.post("/melden/", {"description": "Unieke beschrijving 9d2e."})
    client.get("/melden/bedankt/")
    assert security_events(caplog) == []


@pytest.mark.parametrize(("origin", "fetch_site", "status"), [
    ("null", "same-origin", 200),  # our own page under no-referrer
    ("http://testserver", None, 200),
    ("null", "cross-site", 403),  # a form on another site
    ("null", "same-site", 403),  # another host of the same site
    ("null", "none", 403),  # typed into the address bar: no page posted it
    ("null", None, 403),  # a browser without Fetch Metadata, or a sandboxed frame
    ("https://evil.example", "cross-site", 403),
])
def test_csrf_accepts_a_null_origin_only_from_our_own_pages(reference_data, origin, fetch_site,
                                                            status):
    """Under ``Referrer-Policy: no-referrer`` Chromium sends ``Origin: null`` with our own form
    POSTs; reports/csrf.py accepts that only with ``Sec-Fetch-Site: same-origin``."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    token = client.get("/backoffice/login/").context["csrf_token"]
    data = {"csrfmiddlewaretoken": str(token), "username": "x", "password": "y"}
    headers = {"HTTP_ORIGIN": origin}
    if fetch_site:
        headers["HTTP_SEC_FETCH_SITE"] = fetch_site
    assert client.post("/backoffice/login/", data, **headers).status_code == status


def test_csrf_token_is_still_required_with_a_same_origin_null_origin(reference_data):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.get("/backoffice/login/")
    response = client.post("/backoffice/login/", {"username": "x", "password": "y"},
                           HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 403
