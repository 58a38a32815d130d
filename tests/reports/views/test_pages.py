"""The privacy statement at /melden/privacy/ and what every public page shares (base.html):
language, text direction, stylesheet, language switcher, footer and form-error association."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from reports.views.pages import rate_limit_hours
from tests.reports.views.helpers import parse

pytestmark = pytest.mark.django_db

URL = "/melden/privacy/"
LANGUAGES = {"nl": "ltr", "en": "ltr", "ar": "rtl", "tr": "ltr"}


def _tags(response, name: str) -> list[dict]:
    return [attrs for tag, attrs in parse(response.content).tags if tag == name]


def _get(client, url: str, language: str):
    client.cookies["django_language"] = language
    return client.get(url)


def test_privacy_page_is_public(client, office):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.templates[0].name == "reports/privacy.html"
    assert response["Content-Language"] == "nl"


def test_privacy_page_for_logged_in_users_without_and_with_permissions(
        login_as, plain_user, caseworker):
    assert login_as(plain_user).get(URL).status_code == 200
    assert login_as(caseworker).get(URL).status_code == 200


def test_privacy_page_refuses_post(client, office):
    assert client.post(URL).status_code == 405


def test_rate_limit_hours_come_from_the_purge_default():
    assert rate_limit_hours() == 24


@override_settings(RETENTION_YEARS=7)
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_privacy_page_uses_the_configured_numbers_and_office(client, office, language):
    response = _get(client, URL, language)

    text = response.content.decode()
    with translation.override(language):
        retention = ngettext(
            "We remove your personal data %(years)s year after we close your case. We keep the "
            "counts, because they have no personal data.",
            "We remove your personal data %(years)s years after we close your case. We keep the "
            "counts, because they have no personal data.", 7) % {"years": 7}
        rate = ngettext(
            "We do not store your IP address. To stop misuse, we count how often a computer "
            "sends the form. For this we keep a coded version of the IP address (a hash), for "
            "at most %(hours)s hour.",
            "We do not store your IP address. To stop misuse, we count how often a computer "
            "sends the form. For this we keep a coded version of the IP address (a hash), for "
            "at most %(hours)s hours.", 24) % {"hours": 24}
        rights = gettext("Do you want this? Contact %(office)s. Give your case number if you "
                         "have one. You may also complain to the Autoriteit Persoonsgegevens "
                         "(the Dutch privacy authority).") % {"office": office.name}
        heading = gettext("Privacy statement")
    assert response.status_code == 200
    assert text.count(retention) == 1
    assert text.count(rate) == 1
    assert text.count(rights) == 1
    assert parse(response.content).tags.count(("h1", {})) == 1
    assert f"<h1>{heading}</h1>" in text
    assert " 7 " in retention and "24" in rate


def test_privacy_text_in_dutch(client, office):
    with override_settings(RETENTION_YEARS=5):
        text = _get(client, URL, "nl").content.decode()

    assert ("We verwijderen je persoonsgegevens 5 jaar nadat we je zaak hebben afgesloten. "
            "De cijfers houden we, want daarin staan geen persoonsgegevens.") in text
    assert "We bewaren je IP-adres niet." in text
    assert "hoogstens 24 uur." in text
    assert f"Alleen de medewerkers van {office.name} die je melding behandelen." in text


@pytest.mark.parametrize(("language", "direction"), list(LANGUAGES.items()))
@pytest.mark.parametrize("url", ["/melden/", URL, "/melden/bestaat-niet/"])
def test_public_pages_set_language_direction_and_stylesheet(client, office, url, language,
                                                            direction):
    response = _get(client, url, language)

    assert response.status_code == (404 if "bestaat" in url else 200)
    assert _tags(response, "html") == [{"lang": language, "dir": direction}]
    stylesheets = [attrs["href"] for attrs in _tags(response, "link")
                   if attrs.get("rel") == "stylesheet"]
    bootstrap = ("/static/vendor/bootstrap/bootstrap.rtl.min.css" if direction == "rtl"
                 else "/static/vendor/bootstrap/bootstrap.min.css")
    assert stylesheets == [bootstrap, "/static/css/meldpunt.css"]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_language_switcher_lists_the_languages_by_their_own_names(client, office, language):
    response = _get(client, "/melden/", language)

    page = parse(response.content)
    options = [attrs for tag, attrs in page.tags if tag == "option" and attrs.get("lang")]
    assert [(o["value"], o["lang"], o["dir"], "selected" in o) for o in options] == [
        ("nl", "nl", "ltr", language == "nl"), ("en", "en", "ltr", language == "en"),
        ("ar", "ar", "rtl", language == "ar"), ("tr", "tr", "ltr", language == "tr")]
    text = response.content.decode()
    for name in ("Nederlands", "English", "العربية", "Türkçe"):
        assert text.count(f">{name}</option>") == 1
    assert _tags(response, "label")[0] == {"for": "language", "class": "form-label mb-0"}
    assert [f["attrs"]["action"] for f in page.forms if f["attrs"].get("action")] == [
        "/i18n/setlang/"]


def test_switching_the_language_sets_the_cookie(client, office):
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/melden/"})

    assert response.status_code == 302
    assert response["Location"] == "/melden/"
    assert response.cookies["django_language"].value == "ar"
    assert _tags(client.get("/melden/"), "html") == [{"lang": "ar", "dir": "rtl"}]


@pytest.mark.parametrize("url", ["/melden/", URL])
def test_footer_and_intake_link_to_the_privacy_statement(client, office, url):
    response = _get(client, url, "nl")

    links = [attrs["href"] for attrs in _tags(response, "a")]
    expected = 2 if url == "/melden/" else 1  # the intake form links it once more
    assert links.count(URL) == expected
    assert [tag for tag, _attrs in parse(response.content).tags
            if tag in {"header", "main", "footer"}] == ["header", "main", "footer"]


def test_skip_link_is_first_and_targets_main(client, office):
    response = _get(client, "/melden/", "nl")

    first_link = _tags(response, "a")[0]
    assert first_link == {"class": "visually-hidden-focusable skip-link", "href": "#main"}
    assert {"id": "main", "class": "container mb-5"} in _tags(response, "main")


def test_form_errors_are_tied_to_their_fields(client, office):
    response = client.post("/melden/", {"description": "", "reporter_email": "fatima@voorbeeld"})

    assert response.status_code == 400
    tags = parse(response.content).tags
    fields = {attrs["name"]: attrs for tag, attrs in tags
              if tag in {"textarea", "input"} and attrs.get("name") in {
                  "description", "reporter_email"}}
    assert fields["description"]["aria-invalid"] == "true"
    assert fields["description"]["aria-describedby"] == (
        "id_description_helptext id_description_error")
    assert fields["reporter_email"]["aria-invalid"] == "true"
    assert fields["reporter_email"]["aria-describedby"] == "id_reporter_email_error"
    ids = {attrs.get("id") for _tag, attrs in tags}
    assert {"id_description_helptext", "id_description_error", "id_reporter_email_error"} <= ids
