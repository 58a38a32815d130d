"""The public intake at /melden/: form, submission, validation, confirmation."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from reports.models import Attachment, Complaint, ComplaintHistory, Municipality, Throttle
from reports.services.complaints import registration_year
from reports.views.public import SESSION_KEY
from tests.reports import upload_samples as samples
from tests.reports.views.helpers import by_testid, parse

pytestmark = pytest.mark.django_db

URL = "/melden/"
THANKS_URL = "/melden/bedankt/"
INTAKE_FIELDS = [
    "description", "incident_date", "incident_municipality", "reporter_name", "reporter_email",
    "reporter_phone", "reporter_residence", "consent_to_contact", "anonymity", "attachments",
    "extra_remark",
]


def _intake_form(page):
    """The intake form: the POST form without an action (the other one sets the language)."""
    forms = [form for form in page.forms if not form["attrs"].get("action")]
    assert len(forms) == 1
    return forms[0]


def test_get_shows_the_form_with_all_fields(client, office):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.templates[0].name == "reports/intake.html"
    form = _intake_form(parse(response.content))
    assert form["attrs"]["method"] == "post"
    assert form["names"] == [
        "csrfmiddlewaretoken", "description", "incident_date", "incident_municipality",
        "attachments", "anonymity", "anonymity", "anonymity", "reporter_name", "reporter_email",
        "reporter_phone", "reporter_residence", "consent_to_contact", "extra_remark", "submit",
        "submission_token"]
    assert form["attrs"]["enctype"] == "multipart/form-data"
    assert list(response.context["form"].fields) == INTAKE_FIELDS


def test_get_offers_only_current_municipalities(client, office):
    response = client.get(URL)

    field = response.context["form"].fields["incident_municipality"]
    codes = [code for code, _label in field.choices if code]
    expected = list(Municipality.objects.filter(dissolved_on__isnull=True)
                    .order_by("name").values_list("code", flat=True))
    assert [str(code) for code in codes] == ["online", *expected]  # "online": no municipality
    assert "GM0106" in expected
    assert "GM0007" not in expected  # Bellingwedde, dissolved in 2018
    assert len(expected) == 342


def test_page_loads_no_external_resources(client, office):
    response = client.get(URL)

    page = parse(response.content)
    resources = [(tag, attrs.get("src") or attrs.get("href"))
                 for tag, attrs in page.tags if tag in {"link", "script"}]
    assert resources == [
        ("link", "/static/vendor/bootstrap/bootstrap.min.css"),
        ("link", "/static/css/meldpunt.css"),
        ("script", "/static/vendor/bootstrap/bootstrap.bundle.min.js"),
    ]
    for tag, attrs in page.tags:
        if tag in {"link", "script", "img", "iframe", "source"}:
            for attribute in ("src", "href"):
                value = attrs.get(attribute) or ""
                assert not value.startswith(("http://", "https://", "//")), (tag, value)


def test_minimal_valid_post_stores_a_new_online_complaint(client, office):
    before = timezone.now()
    response = client.post(URL, {"description": "Ik werd geweigerd bij de ingang."})
    after = timezone.now()

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    assert Complaint.objects.count() == 1
    complaint = Complaint.objects.get()
    year = registration_year(complaint.received_at)
    assert complaint.case_number == f"MDD-{year}-0001"
    assert complaint.office == office
    assert complaint.status == "new"
    assert complaint.channel == "online"
    assert complaint.contact_type == "report"
    assert complaint.description == "Ik werd geweigerd bij de ingang."
    assert before <= complaint.received_at <= after
    assert complaint.incident_date is None
    assert complaint.incident_municipality is None
    assert complaint.reporter_residence is None
    assert complaint.reporter_name == ""
    assert complaint.reporter_email == ""
    assert complaint.reporter_phone == ""
    assert complaint.consent_to_contact is False
    assert complaint.assigned_to is None
    assert complaint.societal_domain == ""
    assert complaint.nature == ""
    assert complaint.grounds.count() == 0
    assert complaint.handling.count() == 0
    assert list(ComplaintHistory.objects.values_list("complaint_id", "action", "actor_id",
                                                     "to_value")) == [
        (complaint.pk, "created", None, "new"),
    ]
    assert client.session[SESSION_KEY]["case_number"] == complaint.case_number


def test_confirmation_shows_case_number_but_not_the_description(client, office):
    description = "Een unieke beschrijving 7f3a9 van wat er gebeurde."
    response = client.post(URL, {"description": description}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(THANKS_URL, 302)]
    assert response.templates[0].name == "reports/thanks.html"
    year = timezone.localdate().year
    assert by_testid(response.content, "case-number") == [f"MDD-{year}-0001"]
    assert description.encode() not in response.content
    assert b"7f3a9" not in response.content
    assert response["Cache-Control"] == (
        "max-age=0, no-cache, no-store, must-revalidate, private")


def test_case_numbers_count_up(client, office):
    client.post(URL, {"description": "Eerste melding."})
    response = client.post(URL, {"description": "Tweede melding."}, follow=True)

    year = timezone.localdate().year
    assert by_testid(response.content, "case-number") == [f"MDD-{year}-0002"]
    assert sorted(Complaint.objects.values_list("case_number", flat=True)) == [
        f"MDD-{year}-0001", f"MDD-{year}-0002"]


def test_full_valid_post_stores_every_field(client, office):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(URL, {
        "description": "Bij de sollicitatie werd naar mijn afkomst gevraagd.",
        "incident_date": yesterday.isoformat(),
        "incident_municipality": "GM0106",
        "reporter_name": "Jan Jansen",
        "reporter_email": "jan@example.nl",
        "reporter_phone": "0592 123456",
        "reporter_residence": "GM0114",
        "consent_to_contact": "on",
    })

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    assert Complaint.objects.count() == 1
    complaint = Complaint.objects.get()
    assert complaint.status == "new"
    assert complaint.channel == "online"
    assert complaint.description == "Bij de sollicitatie werd naar mijn afkomst gevraagd."
    assert complaint.incident_date == yesterday
    assert complaint.incident_municipality_id == "GM0106"
    assert complaint.reporter_residence_id == "GM0114"
    assert complaint.reporter_name == "Jan Jansen"
    assert complaint.reporter_email == "jan@example.nl"
    assert complaint.reporter_phone == "0592 123456"
    assert complaint.consent_to_contact is True
    assert complaint.assigned_to is None


def test_consent_with_phone_only_is_valid(client, office):
    response = client.post(URL, {"description": "Telefonisch contact graag.",
                                 "reporter_phone": "+31 6 12345678",
                                 "consent_to_contact": "on"})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.reporter_phone == "+31 6 12345678"
    assert complaint.reporter_email == ""
    assert complaint.consent_to_contact is True


def test_today_is_a_valid_incident_date(client, office):
    today = timezone.localdate()
    response = client.post(URL, {"description": "Vandaag gebeurd.",
                                 "incident_date": today.isoformat()})

    assert response.status_code == 302
    assert Complaint.objects.get().incident_date == today


def _tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("extra", "field", "code"), [
    pytest.param({"incident_date": "__tomorrow__"}, "incident_date", "future", id="future-date"),
    pytest.param({"incident_date": "31-02-2020"}, "incident_date", "invalid", id="bad-date"),
    pytest.param({"reporter_email": "not-an-address"}, "reporter_email", "invalid",
                 id="bad-email"),
    pytest.param({"reporter_phone": "call me"}, "reporter_phone", "invalid", id="bad-phone"),
    pytest.param({"consent_to_contact": "on"}, "reporter_email", "contact",
                 id="consent-without-contact"),
    pytest.param({"incident_municipality": "GM9999"}, "incident_municipality",
                 "invalid_choice", id="unknown-municipality"),
    pytest.param({"reporter_residence": "GM0007"}, "reporter_residence", "invalid_choice",
                 id="dissolved-municipality"),
])
def test_invalid_post_is_rejected_and_keeps_the_input(client, office, extra, field, code):
    description = 'Wat ik typte <b>blijft</b> "staan" & niets gaat verloren.'
    data = {"description": description, **extra}
    if data.get("incident_date") == "__tomorrow__":
        data["incident_date"] = _tomorrow()

    response = client.post(URL, data)

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    assert ComplaintHistory.objects.count() == 0
    assert SESSION_KEY not in client.session
    errors = response.context["form"].errors.as_data()
    assert {name: [error.code for error in field_errors]
            for name, field_errors in errors.items()} == {field: [code]}
    page = parse(response.content)
    assert page.textareas["description"] == description
    assert escape(description).encode() in response.content
    assert description.encode() not in response.content  # escaped, never raw HTML


def test_empty_description_is_required(client, office):
    response = client.post(URL, {"description": "", "reporter_email": "a@example.nl"})

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    errors = response.context["form"].errors.as_data()
    assert {name: [e.code for e in errs] for name, errs in errors.items()} == {
        "description": ["required"]}
    page = parse(response.content)
    assert page.textareas["description"] == ""
    # The other input is kept as well.
    inputs = {attrs.get("name"): attrs.get("value") for tag, attrs in page.tags
              if tag == "input"}
    assert inputs["reporter_email"] == "a@example.nl"


def test_several_errors_at_once(client, office):
    response = client.post(URL, {"description": "", "incident_date": _tomorrow(),
                                 "reporter_email": "x@", "consent_to_contact": "on",
                                 "incident_municipality": "GM0000"})

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    errors = response.context["form"].errors.as_data()
    # A malformed e-mail address is reported as such, not also as missing contact details.
    assert {name: [e.code for e in errs] for name, errs in errors.items()} == {
        "description": ["required"], "incident_date": ["future"],
        "reporter_email": ["invalid"], "incident_municipality": ["invalid_choice"],
    }


def test_empty_post_shows_the_required_error(client, office):
    # Regression: ``IntakeForm(request.POST or None)`` left an empty POST unbound, so it
    # answered 400 without saying what was wrong.
    response = client.post(URL, {})

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    assert response.context["form"].is_bound is True
    errors = response.context["form"].errors.as_data()
    assert {name: [e.code for e in errs] for name, errs in errors.items()} == {
        "description": ["required"]}


def test_blank_description_is_required(client, office):
    response = client.post(URL, {"description": "  \n  "})

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    errors = response.context["form"].errors.as_data()
    assert [e.code for e in errors["description"]] == ["required"]


def test_too_long_description_is_rejected(client, office):
    response = client.post(URL, {"description": "x" * 10001})

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    errors = response.context["form"].errors.as_data()
    assert [e.code for e in errors["description"]] == ["max_length"]


def test_error_message_in_english(client, office):
    response = client.post(URL, {"description": "Iets.", "incident_date": _tomorrow()},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert b'<html lang="en"' in response.content
    assert b"The date cannot be in the future." in response.content


def test_error_message_in_dutch(client, office):
    response = client.post(URL, {"description": "Iets.", "incident_date": _tomorrow()},
                           HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 400
    assert response["Content-Language"] == "nl"
    assert b'<html lang="nl"' in response.content
    # The Dutch catalogue is being written concurrently: compare with whatever the nl catalogue
    # says for the same message id, so this holds before and after it lands.
    with translation.override("nl"):
        dutch = gettext("The date cannot be in the future.")
    assert escape(dutch).encode() in response.content
    if dutch != "The date cannot be in the future.":
        assert b"The date cannot be in the future." not in response.content


def test_thanks_without_session_redirects_to_the_form(client, office):
    response = client.get(THANKS_URL)

    assert response.status_code == 302
    assert response["Location"] == URL


def test_thanks_after_a_rejected_post_redirects_to_the_form(client, office):
    client.post(URL, {"description": ""})
    response = client.get(THANKS_URL)

    assert response.status_code == 302
    assert response["Location"] == URL


def test_other_methods_are_not_allowed(client, office):
    response = client.put(URL, {"description": "x"})

    assert response.status_code == 405
    assert Complaint.objects.count() == 0


def test_root_redirects_to_the_form(client, office):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == URL


def test_repeated_submission_token_lands_on_the_same_confirmation(client, office):
    token = "8c1d3c52-6a55-4a6e-9d2b-0f0b1c2d3e4f"
    data = {"description": "Dubbel verstuurd.", "submission_token": token}

    first = client.post(URL, data)
    second = client.post(URL, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == "/melden/bedankt/"
    assert Complaint.objects.count() == 1
    complaint = Complaint.objects.get()
    assert str(complaint.submission_token) == token
    assert client.session[SESSION_KEY]["case_number"] == complaint.case_number


def test_a_different_token_is_a_new_complaint(client, office):
    client.post(URL, {"description": "Eerste.",
                      "submission_token": "8c1d3c52-6a55-4a6e-9d2b-0f0b1c2d3e4f"})
    client.post(URL, {"description": "Tweede.",
                      "submission_token": "11111111-2222-4333-8444-555555555555"})

    assert sorted(Complaint.objects.values_list("case_number", flat=True)) == [
        f"MDD-{timezone.localdate().year}-0001", f"MDD-{timezone.localdate().year}-0002"]


def test_the_confirmation_expires_after_thirty_minutes(client, office):
    client.post(URL, {"description": "Iets."})
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "at": session[SESSION_KEY]["at"] - 1801}
    session.save()

    response = client.get("/melden/bedankt/")

    assert response.status_code == 302
    assert response["Location"] == "/melden/"
    assert SESSION_KEY not in client.session


def test_failed_csrf_check_keeps_the_reporters_text(office):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(URL, {"description": "Mijn verhaal blijft bewaard."})

    assert response.status_code == 403
    assert response.templates[0].name == "reports/intake.html"
    assert parse(response.content).textareas["description"] == "Mijn verhaal blijft bewaard."
    assert Complaint.objects.count() == 0


def test_head_is_allowed(client, office):
    assert client.head(URL).status_code == 200


# --- attachments -----------------------------------------------------------------------------

@pytest.fixture
def client_en(client):
    """The test client with English as the browser's language (messages compared in English)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


TYPED = 'Wat ik typte <b>blijft</b> "staan".'
CHOOSE_AGAIN = "Please choose your files again: after an error your browser cannot keep them."


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _error_codes(response) -> dict[str, list[str]]:
    errors = response.context["form"].errors.as_data()
    return {name: [error.code for error in field_errors]
            for name, field_errors in errors.items()}


def test_the_file_chooser_takes_several_files(client_en, office):
    page = parse(client_en.get(URL).content)

    [chooser] = [attrs for tag, attrs in page.tags
                 if tag == "input" and attrs.get("name") == "attachments"]
    assert chooser["type"] == "file"
    assert "multiple" in chooser
    assert chooser["accept"] == (
        ".pdf,.jpg,.jpeg,.png,.docx,application/pdf,image/jpeg,image/png,"
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert [attrs for tag, attrs in page.tags if "style" in attrs] == []


def test_a_report_with_files_stores_them(client_en, office, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    response = client_en.post(URL, {
        "description": "Met bewijs.",
        "attachments": [_file("brief é.pdf", samples.PDF), _file("foto.jpg", samples.jpeg()),
                        _file("scherm.png", samples.png()), _file("verslag.docx", samples.docx())],
    })

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    complaint = Complaint.objects.get()
    assert list(complaint.attachments.order_by("id").values_list(
        "original_name", "content_type", "uploaded_by_id")) == [
        ("brief é.pdf", "application/pdf", None),
        ("foto.jpg", "image/jpeg", None),
        ("scherm.png", "image/png", None),
        ("verslag.docx", samples.DOCX_TYPE, None),
    ]
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 4


def test_exactly_ten_megabytes_is_accepted(client_en, office, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    response = client_en.post(URL, {"description": TYPED,
                                 "attachments": [_file("groot.pdf",
                                                       samples.pdf_of_size(10 * samples.MB))]})

    assert response.status_code == 302
    assert Attachment.objects.get().size == 10 * samples.MB


@pytest.mark.parametrize(("files", "codes", "first_message"), [
    pytest.param([("leeg.pdf", b"")], ["empty"], "“leeg.pdf” is empty.", id="zero-bytes"),
    pytest.param([("groot.pdf", samples.pdf_of_size(10 * 1024 * 1024 + 1))], ["too_large"],
                 "“groot.pdf” is larger than 10 MB.", id="ten-megabytes-plus-one"),
    pytest.param([("programma.pdf", samples.EXE)], ["file_type"],
                 "“programma.pdf” is not a PDF, JPEG, PNG or Word (.docx) file.",
                 id="exe-renamed-pdf"),
    pytest.param([("archief.docx", samples.plain_zip())], ["file_type"],
                 "“archief.docx” is not a PDF, JPEG, PNG or Word (.docx) file.",
                 id="zip-renamed-docx"),
    pytest.param([(f"{n}.pdf", samples.PDF) for n in range(6)], ["too_many"],
                 "You can add at most 5 files.", id="six-files"),
])
def test_file_errors_keep_what_was_typed(client_en, office, settings, tmp_path, files, codes,
                                         first_message):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    response = client_en.post(URL, {
        "description": TYPED, "reporter_email": "a@example.nl",
        "attachments": [_file(name, content) for name, content in files],
    })

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    assert _error_codes(response) == {"attachments": [*codes, "choose_again"]}
    assert response.context["form"].errors["attachments"] == [first_message, CHOOSE_AGAIN]
    page = parse(response.content)
    assert page.textareas["description"] == TYPED
    inputs = {attrs.get("name"): attrs.get("value") for tag, attrs in page.tags
              if tag == "input"}
    assert inputs["reporter_email"] == "a@example.nl"
    assert escape(first_message).encode() in response.content
    assert escape(CHOOSE_AGAIN).encode() in response.content


def test_an_odd_file_name_in_an_error_is_escaped(client_en, office):
    response = client_en.post(URL, {"description": TYPED,
                                 "attachments": [_file("<img src=x onerror=alert(1)>.pdf",
                                                       b"")]})

    assert response.status_code == 400
    # The name is shown as it will be stored: the characters a file name may not hold dropped
    # (reports.uploads.safe_display_name), and escaped like any other text.
    message = "“img srcx onerroralert(1).pdf” is empty."
    assert response.context["form"].errors["attachments"] == [message, CHOOSE_AGAIN]
    assert escape(message).encode() in response.content
    assert b"<img src=x" not in response.content


def test_chosen_files_are_not_kept_when_another_field_fails(client_en, office):
    response = client_en.post(URL, {"description": "",
                                 "attachments": [_file("brief.pdf", samples.PDF)]})

    assert response.status_code == 400
    assert _error_codes(response) == {"description": ["required"]}
    assert b"Files you chose were not sent: please choose them again." in response.content


# --- honeypot --------------------------------------------------------------------------------


def test_the_honeypot_is_hidden_from_people(client_en, office):
    page = parse(client_en.get(URL).content)

    [field] = [attrs for tag, attrs in page.tags
               if tag == "input" and attrs.get("name") == "extra_remark"]
    assert (field["type"], field["tabindex"], field["autocomplete"]) == ("text", "-1", "off")
    wrappers = [attrs for tag, attrs in page.tags
                if tag == "div" and "hp-field" in (attrs.get("class") or "").split()]
    assert wrappers == [{"class": "hp-field", "aria-hidden": "true"}]
    css = (settings_static_css()).read_text()
    assert ".hp-field {" in css


def settings_static_css():
    from pathlib import Path

    import meldpunt

    return Path(meldpunt.__file__).parent / "static" / "css" / "meldpunt.css"


def test_a_filled_honeypot_stores_nothing_and_keeps_the_text(client_en, office):
    response = client_en.post(URL, {"description": TYPED, "extra_remark": "http://spam.example"})

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    assert ComplaintHistory.objects.count() == 0
    assert SESSION_KEY not in client_en.session
    assert _error_codes(response) == {"__all__": ["honeypot"]}
    assert response.context["form"].non_field_errors() == [
        "Your report could not be sent. Please check the form and press “Send report” again."]
    page = parse(response.content)
    assert page.textareas["description"] == TYPED
    # Shown empty again, so that a person whose browser filled it can simply send again.
    [field] = [attrs for tag, attrs in page.tags
               if tag == "input" and attrs.get("name") == "extra_remark"]
    assert "value" not in field
    assert b"spam.example" not in response.content


def test_sending_again_with_an_empty_honeypot_works(client_en, office):
    client_en.post(URL, {"description": TYPED, "extra_remark": "x"})
    response = client_en.post(URL, {"description": TYPED, "extra_remark": ""})

    assert response.status_code == 302
    assert Complaint.objects.get().description == TYPED


# --- per-IP rate limit -----------------------------------------------------------------------

LIMIT_MESSAGE = ("You have sent many reports in a short time. Nothing was saved. Please try "
                 "again later; what you typed is still here.")


def test_the_default_limit_is_twenty_per_hour_outside_the_tests():
    from meldpunt.settings import base

    assert base.INTAKE_POSTS_PER_HOUR == 20


def test_the_fourth_post_from_one_address_is_refused(client_en, office, settings):
    settings.INTAKE_POSTS_PER_HOUR = 3
    for n in range(3):
        assert client_en.post(URL, {"description": f"Melding {n}."}).status_code == 302

    response = client_en.post(URL, {"description": TYPED, "reporter_name": "Jan"})

    assert response.status_code == 429
    # The window started at the first post, so the wait is the hour minus the seconds the
    # posts took (a slow machine may need a few).
    assert 3540 <= int(response["Retry-After"]) <= 3600
    assert Complaint.objects.count() == 3
    assert by_testid(response.content, "intake-message") == [LIMIT_MESSAGE]
    page = parse(response.content)
    assert page.textareas["description"] == TYPED
    inputs = {attrs.get("name"): attrs.get("value") for tag, attrs in page.tags
              if tag == "input"}
    assert inputs["reporter_name"] == "Jan"
    # Still refused on the next try, also for an invalid post.
    assert client_en.post(URL, {"description": ""}).status_code == 429
    assert Complaint.objects.count() == 3


def test_another_address_is_not_limited(client_en, office, settings):
    settings.INTAKE_POSTS_PER_HOUR = 3
    for n in range(4):
        client_en.post(URL, {"description": f"Melding {n}."})

    response = client_en.post(URL, {"description": "Van elders."}, REMOTE_ADDR="192.0.2.7")

    assert response.status_code == 302
    assert Complaint.objects.count() == 4
    assert Throttle.objects.count() == 2


def test_invalid_posts_count_too(client_en, office, settings):
    settings.INTAKE_POSTS_PER_HOUR = 3
    for _n in range(3):
        assert client_en.post(URL, {"description": ""}).status_code == 400

    assert client_en.post(URL, {"description": "Nu wel."}).status_code == 429
    assert Complaint.objects.count() == 0


def test_a_repeated_token_does_not_count_and_still_lands_on_the_confirmation(client_en, office,
                                                                             settings):
    settings.INTAKE_POSTS_PER_HOUR = 3
    token = str(uuid.uuid4())
    data = {"description": "Dubbel.", "submission_token": token}
    responses = [client_en.post(URL, data) for _ in range(5)]
    responses += [client_en.post(URL, {"description": f"Nieuw {n}."}) for n in range(2)]

    assert [(r.status_code, r["Location"]) for r in responses] == [(302, THANKS_URL)] * 7
    assert Complaint.objects.count() == 3
    # The allowance is used up by the three new reports; the repeated token still passes.
    assert client_en.post(URL, {"description": "Te veel."}).status_code == 429
    again = client_en.post(URL, data)
    assert (again.status_code, again["Location"]) == (302, THANKS_URL)
    assert Complaint.objects.count() == 3


def test_the_limit_message_in_dutch(client_en, office, settings):
    settings.INTAKE_POSTS_PER_HOUR = 0

    response = client_en.post(URL, {"description": "Iets."}, HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 429
    with translation.override("nl"):
        dutch = gettext(LIMIT_MESSAGE)
    assert by_testid(response.content, "intake-message") == [dutch]


# --- oversized requests ----------------------------------------------------------------------

TOO_LARGE = ("What you sent was too large (at most 5 files of 10 MB each). Nothing was saved. "
             "Please write your report again and choose fewer or smaller files.")


def test_a_request_over_the_intake_limit_gets_the_form_with_a_message(client_en, office,
                                                                     settings):
    settings.INTAKE_MAX_REQUEST_BYTES = 5000
    response = client_en.post(URL, {"description": TYPED,
                                 "attachments": [_file("groot.pdf", samples.pdf_of_size(6000))]})

    assert response.status_code == 413
    assert response.templates[0].name == "reports/intake.html"
    assert by_testid(response.content, "intake-message") == [TOO_LARGE]
    assert Complaint.objects.count() == 0
    page = parse(response.content)
    assert page.textareas["description"] == ""
    assert len([f for f in page.forms if not f["attrs"].get("action")]) == 1


def test_the_default_intake_limit_leaves_room_for_five_full_files(settings):
    assert settings.INTAKE_MAX_REQUEST_BYTES == 5 * 10 * 1024 * 1024 + 2 * 1024 * 1024


def test_too_much_form_data_gets_the_form_with_a_message(client_en, office, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client_en.post(URL, {"description": "x" * 2000})

    assert response.status_code == 413
    assert by_testid(response.content, "intake-message") == [TOO_LARGE]
    assert Complaint.objects.count() == 0


def test_too_many_files_for_django_get_the_form_with_a_message(client_en, office, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2

    response = client_en.post(URL, {"description": TYPED,
                                 "attachments": [_file(f"{n}.pdf", samples.PDF)
                                                 for n in range(3)]})

    assert response.status_code == 413
    assert by_testid(response.content, "intake-message") == [TOO_LARGE]
    assert Complaint.objects.count() == 0


def test_a_malformed_body_gets_the_form_with_a_message(client_en, office):
    response = client_en.generic("POST", URL, b"--XyZ\r\nbroken",
                              content_type="multipart/form-data; boundary=")

    assert response.status_code == 400
    assert by_testid(response.content, "intake-message") == [
        "Your report could not be read. Nothing was saved. Please try again."]
    assert Complaint.objects.count() == 0


# --- Anonymity (Besluit art. 5) ------------------------------------------------------------------


@pytest.mark.parametrize(("choice", "details", "stored"), [
    ("anonymous", {}, "anonymous"),
    ("anonymous_to_third_parties", {"reporter_email": "a@example.invalid"},
     "anonymous_to_third_parties"),
    ("named", {"reporter_name": "Sam", "reporter_phone": "0592 123456"}, "named"),
    ("named", {}, "anonymous"),  # no detail at all: nobody can know who reported
    (None, {"reporter_name": "Sam"}, "anonymous_to_third_parties"),  # not sent: the safe choice
    (None, {}, "anonymous"),
])
def test_the_reporter_chooses_who_may_know(client, office, choice, details, stored):
    data = {"description": "Keuze over anonimiteit.", **details}
    if choice:
        data["anonymity"] = choice
    response = client.post(URL, data)

    assert response.status_code == 302
    assert Complaint.objects.get().anonymity == stored


def test_fully_anonymous_with_contact_details_is_refused_and_keeps_the_text(client, office):
    response = client.post(URL, {"description": "Ik wil anoniem blijven.",
                                 "anonymity": "anonymous", "reporter_name": "Sam",
                                 "reporter_email": "sam@example.invalid"})

    assert response.status_code == 400
    assert Complaint.objects.count() == 0
    form = response.context["form"]
    assert sorted(form.errors) == ["reporter_email", "reporter_name"]
    assert [e.code for e in form.errors.as_data()["reporter_name"]] == ["anonymous"]
    assert "Ik wil anoniem blijven." in response.content.decode()


def test_the_form_offers_the_three_choices_with_the_protective_one_checked(client, office):
    response = client.get(URL)

    field = response.context["form"].fields["anonymity"]
    assert [code for code, _label in field.choices] == [
        "anonymous", "anonymous_to_third_parties", "named"]
    html = response.content.decode()
    radios = re.findall(r'<input[^>]*name="anonymity"[^>]*>', html)
    assert [(re.search(r'value="([^"]+)"', r).group(1), " checked" in r) for r in radios] == [
        ("anonymous", False), ("anonymous_to_third_parties", True), ("named", False)]


@pytest.mark.parametrize(("chosen", "place"), [("online", "online"), ("", "unknown"),
                                                ("GM0106", "municipality")])
def test_the_place_of_the_incident_is_stored_as_chosen(client, office, chosen, place):
    """"Online" on the public form is online, not "not known (yet)" (found by a tester)."""
    response = client.post(URL, {"description": "Het gebeurde op een forum.",
                                 "incident_municipality": chosen})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.incident_place == place
    assert complaint.incident_municipality_id == (chosen or None if place == "municipality"
                                                  else None)


def _post_queries(client, token: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, {"description": "Ik werd geweigerd bij de ingang.",
                                     "submission_token": token})
    assert response.status_code == 302
    return [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]


def test_a_report_costs_a_fixed_number_of_queries(client, office):
    """Issue 13: the intake POST's statements, counted. A first report from this browser creates
    the session (a new key inserted without a look-up, ``meldpunt.sessions``); a second report
    updates it. The complaint
    itself: the token look-up, the rate-limit upsert, the office, the default desk, the case
    number, the complaint, its history row and the per-status counter: one transaction without
    savepoints (in the test's own transaction the atomic blocks are savepoints)."""
    first = _post_queries(client, str(uuid.uuid4()))
    second = _post_queries(client, str(uuid.uuid4()))

    complaint = ["SELECT",  # the form token: a repeated submission?
                 "INSERT",  # the per-IP limit (one upsert)
                 "SELECT",  # the office
                 "SAVEPOINT", "SELECT",  # the default desk
                 "INSERT", "INSERT", "INSERT", "UPDATE",  # case number, complaint, history, count
                 "RELEASE"]
    assert first == [*complaint, "SAVEPOINT", "INSERT", "RELEASE"]
    assert second == ["SELECT", *complaint, "SAVEPOINT", "UPDATE", "RELEASE"]
    assert Complaint.objects.count() == 2


def test_a_repeated_report_stores_nothing_and_counts_nothing(client, office):
    token = str(uuid.uuid4())
    _post_queries(client, token)

    repeated = _post_queries(client, token)

    # The session, the token (found: no rate-limit count, no transaction), the office, the
    # stored complaint, the session again (the receipt kept).
    assert repeated == ["SELECT", "SELECT", "SELECT", "SELECT", "SAVEPOINT", "UPDATE",
                        "RELEASE"]
    assert Complaint.objects.count() == 1
