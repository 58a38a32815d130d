"""The privacy statement at /melden/privacy/ and what every public page shares (base.html):
language, text direction, stylesheet, language switcher, footer and form-error association."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from reports.views.pages import OfficeContact, office_contact, rate_limit_hours
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
    assert "die je melding behandelen." not in text  # the old, untrue "only your caseworkers"


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
    assert fields["reporter_email"]["aria-describedby"] == (
        "id_reporter_email_helptext id_reporter_email_error")
    ids = {attrs.get("id") for _tag, attrs in tags}
    assert {"id_description_helptext", "id_description_error", "id_reporter_email_helptext",
            "id_reporter_email_error"} <= ids


# --- Controller, contact details, legal basis, who sees a report, e-mails (GDPR art. 13) ----------

CONTACT = {"email": "info@meldpunt.example", "phone": "+31 (0)12 345-6789",
           "address": "Voorbeeldstraat 1, 1234 AB Voorbeeldplaats",
           "website": "meldpunt.example/", "privacy_officer_email": "fg@meldpunt.example"}
NO_CONTACT = dict.fromkeys(CONTACT, "")


def _office_settings(**contact: str) -> dict:
    return {**settings.MELDPUNT_OFFICE, **contact}


def _hrefs(response) -> list[str]:
    return [attrs["href"] for attrs in _tags(response, "a") if "href" in attrs]


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def test_contact_settings_are_empty_by_default():
    """Production shows no invented details: every contact setting defaults to ""."""
    assert {key: settings.MELDPUNT_OFFICE[key] for key in CONTACT} == NO_CONTACT


def test_office_contact_normalises_the_settings():
    assert office_contact(config=CONTACT) == OfficeContact(
        email="info@meldpunt.example", phone="+31 (0)12 345-6789", phone_href="tel:+310123456789",
        address="Voorbeeldstraat 1, 1234 AB Voorbeeldplaats",
        website="https://meldpunt.example/", website_text="meldpunt.example",
        privacy_officer_email="fg@meldpunt.example")
    assert office_contact(config={"phone": " 012 345 6789 ", "website": "HTTP://x.example"}) == (
        OfficeContact(phone="012 345 6789", phone_href="tel:0123456789",
                      website="HTTP://x.example", website_text="x.example"))
    assert office_contact(config={"code": "MDD"}) == OfficeContact()
    assert office_contact(config={"code": "MDD"}).any is False
    assert office_contact(config={"address": "Postbus 1"}).any is True
    assert office_contact(config={"privacy_officer_email": "fg@x.example"}).any is False


def test_privacy_page_shows_the_configured_contact_details(client, office):
    with override_settings(MELDPUNT_OFFICE=_office_settings(**CONTACT)):
        response = _get(client, URL, "en")

    page = parse(response.content)
    assert response.status_code == 200
    assert _lines(page.testids["office-contact"][0]) == [
        "E-mail: info@meldpunt.example", "Phone: +31 (0)12 345-6789",
        "Address: Voorbeeldstraat 1, 1234 AB Voorbeeldplaats", "Website: meldpunt.example"]
    assert page.testids["privacy-officer"] == [
        "Do you have a question about your privacy? You can also e-mail our data protection "
        "officer: fg@meldpunt.example"]
    hrefs = _hrefs(response)
    assert hrefs.count("mailto:info@meldpunt.example") == 2  # the contact list and the footer
    assert hrefs.count("tel:+310123456789") == 1
    assert hrefs.count("https://meldpunt.example/") == 1
    assert hrefs.count("mailto:fg@meldpunt.example") == 1
    assert hrefs.count("#contact") == 1
    assert {"href": "mailto:info@meldpunt.example", "dir": "ltr"} in _tags(response, "a")
    text = response.content.decode()
    assert text.count(f"{office.name} is responsible for what happens with your data.") == 1
    assert text.count("You can reach us here:") == 1


def test_privacy_page_in_dutch_with_contact_details(client, office):
    with override_settings(MELDPUNT_OFFICE=_office_settings(**CONTACT)):
        page = parse(_get(client, URL, "nl").content)

    assert _lines(page.testids["office-contact"][0]) == [
        "E-mail: info@meldpunt.example", "Telefoon: +31 (0)12 345-6789",
        "Adres: Voorbeeldstraat 1, 1234 AB Voorbeeldplaats", "Website: meldpunt.example"]
    assert page.testids["privacy-officer"] == [
        "Heb je een vraag over je privacy? Je kunt ook mailen naar onze functionaris "
        "gegevensbescherming: fg@meldpunt.example"]


def test_privacy_page_without_contact_details_leaves_their_lines_out(client, office):
    with override_settings(MELDPUNT_OFFICE=_office_settings(**NO_CONTACT)):
        response = _get(client, URL, "en")

    page = parse(response.content)
    text = response.content.decode()
    assert response.status_code == 200
    assert "office-contact" not in page.testids
    assert "privacy-officer" not in page.testids
    assert [href for href in _hrefs(response) if href.startswith(("mailto:", "tel:"))] == []
    assert "#contact" not in _hrefs(response)
    assert "You can reach us here:" not in text
    assert "E-mail:" not in text and "Phone:" not in text and "Address:" not in text
    # The page still names the controller and says how to use one's rights.
    assert text.count(f"{office.name} is responsible for what happens with your data.") == 1
    assert text.count(f"Do you want this? Contact {office.name}.") == 1


def test_only_some_contact_details_show_only_their_lines(client, office):
    with override_settings(MELDPUNT_OFFICE=_office_settings(
            **{**NO_CONTACT, "address": "Postbus 12, 1234 AB Voorbeeldplaats"})):
        response = _get(client, URL, "en")

    page = parse(response.content)
    assert _lines(page.testids["office-contact"][0]) == [
        "Address: Postbus 12, 1234 AB Voorbeeldplaats"]
    assert "privacy-officer" not in page.testids
    assert [href for href in _hrefs(response) if href.startswith(("mailto:", "tel:"))] == []


@pytest.mark.parametrize(("email", "expected"), [("info@meldpunt.example", 1), ("", 0)])
@pytest.mark.parametrize("url", ["/melden/", "/melden/opvolgen/"])
def test_footer_shows_the_office_email_when_set(client, office, url, email, expected):
    with override_settings(MELDPUNT_OFFICE=_office_settings(**{**NO_CONTACT, "email": email})):
        response = _get(client, url, "nl")

    assert response.status_code == 200
    footer = response.content.decode().split("<footer", 1)[1]
    assert footer.count('<a href="mailto:info@meldpunt.example">info@meldpunt.example</a>') == (
        expected)
    assert footer.count("mailto:") == expected


def test_privacy_page_gives_the_legal_basis_in_plain_words_and_the_articles(client, office):
    response = _get(client, URL, "en")

    text = response.content.decode()
    assert text.count(
        "Every municipality must make sure that people can report discrimination. A law says "
        "so: the Wet gemeentelijke antidiscriminatievoorzieningen (Wga). "
        f"{office.name} does this work for the municipalities. So handling your report is a "
        "task that the law gives us. That is why we may use your data for it.") == 1
    assert text.count(
        "A report about discrimination often says something about your origin, skin colour, "
        "religion, sexual orientation, health or disability. This is extra sensitive data. We "
        "only use it because we need it for this task: to handle your report and to count the "
        "reports.") == 1
    assert parse(response.content).testids["legal-basis"] == [
        "Legal basis: AVG (GDPR) article 6(1)(e), a task in the public interest, and article "
        "9(2)(g), an important public interest; with Wga article 2."]
    assert {"class": "small", "data-testid": "legal-basis"} in _tags(response, "p")


def test_privacy_page_legal_basis_in_dutch(client, office):
    page = parse(_get(client, URL, "nl").content)

    assert page.testids["legal-basis"] == [
        "Grondslag: AVG artikel 6 lid 1 onder e (een taak van algemeen belang) en artikel 9 "
        "lid 2 onder g (zwaarwegend algemeen belang), samen met Wga artikel 2."]


def test_privacy_page_names_the_data_protection_authority_with_a_plain_link(client, office):
    response = _get(client, URL, "en")

    assert _hrefs(response).count("https://www.autoriteitpersoonsgegevens.nl/") == 1
    text = response.content.decode()
    assert text.count(
        'Website of the Autoriteit Persoonsgegevens: <a href="https://www.'
        'autoriteitpersoonsgegevens.nl/" dir="ltr">autoriteitpersoonsgegevens.nl</a>') == 1
    # Nothing is loaded from it: no image, script, frame or stylesheet from another site.
    for tag, attribute in (("img", "src"), ("script", "src"), ("iframe", "src"),
                           ("link", "href")):
        assert [attrs[attribute] for attrs in _tags(response, tag)
                if attrs.get(attribute, "").startswith(("http:", "https:", "//"))] == []


def test_privacy_page_says_who_can_see_a_report(client, office):
    page = parse(_get(client, URL, "en").content)

    assert _lines(page.testids["who-can-see"][0]) == [
        f"A new report goes to all caseworkers of {office.name}. They can all see it, until one "
        "caseworker gets your report.",
        "After that, the caseworker who handles your report can see it. Sometimes we share a "
        "report with a team of caseworkers. Then that team can see it too.",
        f"The coordinators of {office.name} can see all reports. They divide the work and check "
        "that it goes well.",
        "Municipalities only get counts. They never see your report, your name or your details.",
        "We never share your details with others without your permission.",
    ]


def test_privacy_page_says_who_can_see_a_report_in_dutch(client, office):
    text = _get(client, URL, "nl").content.decode()

    assert text.count(
        f"Een nieuwe melding gaat naar alle behandelaars van {office.name}. Zij kunnen hem "
        "allemaal zien, tot één behandelaar je melding krijgt.") == 1
    assert text.count(
        f"De coördinatoren van {office.name} kunnen alle meldingen zien. Zij verdelen het werk "
        "en controleren of het goed gaat.") == 1


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["Did you fill in your e-mail address? Then we send you an e-mail when we have "
            "received your report. We also send you an e-mail when there is a new message for "
            "you.",
            "These e-mails only have a link to the page where you can follow your report. They "
            "do not say what your report is about. They do not have your case number or your "
            "receipt code. So someone else who reads your e-mail cannot learn anything about "
            "your report.",
            "You get these e-mails even if you did not tick this box: “You may contact me about "
            "my report.” That box is only about whether a caseworker may contact you about your "
            "report. Do you not want the e-mails? Then do not fill in your e-mail address."]),
    ("nl", ["Heb je je e-mailadres ingevuld? Dan sturen we je een e-mail als we je melding "
            "hebben ontvangen. We sturen je ook een e-mail als er een nieuw bericht voor je is.",
            "In deze e-mails staat alleen een link naar de pagina waar je je melding kunt "
            "volgen. Er staat niet in waar je melding over gaat. Je zaaknummer en je "
            "ontvangstcode staan er ook niet in. Iemand anders die je e-mail leest, komt dus "
            "niets te weten over je melding.",
            "Je krijgt deze e-mails ook als je dit vakje niet hebt aangevinkt: “Jullie mogen "
            "contact met mij opnemen over mijn melding.” Dat vakje gaat alleen over de vraag of "
            "een behandelaar contact met je mag opnemen over je melding. Wil je de e-mails niet? "
            "Vul dan je e-mailadres niet in."]),
])
def test_privacy_page_explains_the_e_mails_to_the_reporter(client, office, language, expected):
    page = parse(_get(client, URL, language).content)

    assert _lines(page.testids["reporter-emails"][0]) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "If you fill this in, we send you an e-mail when we have received your report and "
           "when there is a new message for you. The e-mail only has a link to the page where "
           "you can follow your report. There is nothing about your report in it, no case "
           "number and no code. You get these e-mails even if you do not tick the box below."),
    ("nl", "Als je dit invult, sturen we je een e-mail als we je melding hebben ontvangen en als "
           "er een nieuw bericht voor je is. In de e-mail staat alleen een link naar de pagina "
           "waar je je melding kunt volgen. Er staat niets over je melding in, geen zaaknummer "
           "en geen code. Je krijgt deze e-mails ook als je het vakje hieronder niet aanvinkt."),
])
def test_intake_form_says_what_the_e_mail_address_is_used_for(client, office, language, expected):
    response = _get(client, "/melden/", language)

    page = parse(response.content)
    helptext = [attrs for _tag, attrs in page.tags
                if attrs.get("id") == "id_reporter_email_helptext"]
    assert response.status_code == 200
    assert len(helptext) == 1
    assert response.content.decode().count(expected) == 1
    email = [attrs for tag, attrs in page.tags
             if tag == "input" and attrs.get("name") == "reporter_email"]
    assert email[0]["aria-describedby"] == "id_reporter_email_helptext"
