"""Reply templates (issue 12 §3): the coordinators' screen ``/backoffice/antwoordsjablonen/`` and
"use a standard text" in the case page's correspondence section (without JavaScript)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.models import Message, ReplyTemplate
from reports.services.complaints import assign_complaint
from reports.services.reply_templates import save_reply_template
from tests.factories import ComplaintFactory
from tests.reports.views.helpers import by_testid, parse

pytestmark = pytest.mark.django_db

LIST_URL = "/backoffice/antwoordsjablonen/"
NEW_URL = "/backoffice/antwoordsjablonen/nieuw/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
VALID = {"title": "Receipt", "kind": "acknowledgement", "language": "en",
         "body": "Dear reporter,\n\nYour case number is {zaaknummer}.", "is_active": "on"}


def edit_url(template: ReplyTemplate) -> str:
    return f"/backoffice/antwoordsjablonen/{template.pk}/"


def detail_url(complaint) -> str:
    return f"/backoffice/zaken/{complaint.public_id}/"


def test_urls():
    assert reverse("backoffice:reply_templates") == LIST_URL
    assert reverse("backoffice:reply_template_new") == NEW_URL
    assert reverse("backoffice:reply_template_edit", args=[7]) == "/backoffice/antwoordsjablonen/7/"


def test_anonymous_is_sent_to_the_login(client, reference_data):
    template = ReplyTemplate.objects.first()
    for url in (LIST_URL, NEW_URL, edit_url(template)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/backoffice/login/?next=")
    assert client.post(NEW_URL, VALID).status_code == 302
    assert not ReplyTemplate.objects.filter(title="Receipt").exists()


@pytest.mark.parametrize("who", ["plain_user", "caseworker"])
def test_without_the_permission(request, login_as, who):
    client = login_as(request.getfixturevalue(who))
    template = ReplyTemplate.objects.first()

    assert [client.get(url).status_code for url in (LIST_URL, NEW_URL, edit_url(template))] == [
        403, 403, 403]
    assert client.post(NEW_URL, VALID).status_code == 403
    assert client.post(edit_url(template), {**VALID, "is_active": ""}).status_code == 403
    assert not ReplyTemplate.objects.filter(title="Receipt").exists()
    assert ReplyTemplate.objects.get(pk=template.pk).is_active


def test_the_menu_shows_the_screen_only_with_the_permission(login_as, caseworker, coordinator):
    assert LIST_URL not in login_as(caseworker).get("/backoffice/").content.decode()
    assert LIST_URL in login_as(coordinator).get("/backoffice/").content.decode()


def test_a_coordinator_lists_creates_edits_and_deactivates(login_as, coordinator):
    client = login_as(coordinator)

    listed = client.get(LIST_URL)
    assert listed.status_code == 200
    assert len(by_testid(listed.content, "reply-template")) == 4
    assert client.get(NEW_URL).status_code == 200

    created = client.post(NEW_URL, VALID, **EN)
    assert (created.status_code, created["Location"]) == (302, LIST_URL)
    template = ReplyTemplate.objects.get(title="Receipt")
    assert (template.kind, template.language, template.body, template.is_active,
            template.updated_by) == ("acknowledgement", "en", VALID["body"], True, coordinator)

    page = client.get(edit_url(template))
    assert page.status_code == 200
    assert page.context["form"].initial["body"] == VALID["body"]
    # Unticking "active" deactivates it (templates are not deleted).
    saved = client.post(edit_url(template), {**VALID, "title": "Receipt (old)",
                                             "is_active": ""})
    assert saved.status_code == 302
    template.refresh_from_db()
    assert (template.title, template.is_active) == ("Receipt (old)", False)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"title": ""}, "title", "This field is required."),
    ({"language": "de"}, "language",
     "Select a valid choice. de is not one of the available choices."),
    ({"title": "Ontvangstbevestiging", "language": "nl"}, "title",
     "A template with this title already exists in this language."),
])
def test_invalid_input_shows_the_errors(login_as, coordinator, data, field, message):
    before = ReplyTemplate.objects.count()

    response = login_as(coordinator).post(NEW_URL, {**VALID, **data}, **EN)

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert ReplyTemplate.objects.count() == before


def test_an_unknown_template_is_not_found(login_as, coordinator):
    assert login_as(coordinator).get("/backoffice/antwoordsjablonen/999999/").status_code == 404


# The case page: pick, fill, edit, send.

@pytest.fixture
def arabic_case(office, coordinator, caseworker):
    case = ComplaintFactory(reporter_language="ar")
    assign_complaint(complaint=case, actor=coordinator, assignee=caseworker)
    return case


def picker_options(content: bytes) -> list[tuple[str, bool]]:
    return [(attrs["value"], "selected" in attrs) for tag, attrs in parse(content).tags
            if tag == "option" and attrs.get("value", "").isdigit()]


def test_the_picker_offers_the_reporters_language_first(login_as, coordinator, caseworker,
                                                        arabic_case):
    arabic = save_reply_template(actor=coordinator, template=None, kind="acknowledgement",
                                 language="ar", title="إشعار", body="رقم {zaaknummer}")
    inactive = save_reply_template(actor=coordinator, template=None, kind="other",
                                   language="ar", title="قديم", body="x", is_active=False)

    response = login_as(caseworker).get(detail_url(arabic_case))

    options = picker_options(response.content)
    assert options[0] == (str(arabic.pk), True)
    assert str(inactive.pk) not in [value for value, _selected in options]
    assert len(options) == 5  # the Arabic one and the four Dutch defaults
    form = response.context["message_form"]
    assert form.initial == {}


def test_without_a_template_in_their_language_dutch_comes_first(login_as, caseworker,
                                                                arabic_case):
    response = login_as(caseworker).get(detail_url(arabic_case))

    first = ReplyTemplate.objects.get(title="Ontvangstbevestiging")
    assert picker_options(response.content)[0] == (str(first.pk), True)


def test_using_a_template_fills_the_message_and_it_is_sent_as_edited(
        login_as, caseworker, arabic_case, office):
    client = login_as(caseworker)
    template = ReplyTemplate.objects.get(title="Verzoek om informatie")

    page = client.get(detail_url(arabic_case), {"template": template.pk})

    assert page.status_code == 200
    body = page.context["message_form"].initial["body"]
    assert body == template.body.replace("{zaaknummer}", arabic_case.case_number).replace(
        "{organisatie}", office.name)
    assert page.context["message_form"].initial["direction"] == Message.Direction.TO_REPORTER
    textarea = page.content.decode()
    assert f"(zaaknummer {arabic_case.case_number})" in textarea
    # The picker keeps the chosen template selected.
    assert (str(template.pk), True) in picker_options(page.content)
    # Edited and recorded through the existing message action.
    edited = body.replace("- \n", "- uw woonplaats\n")
    response = client.post(f"{detail_url(arabic_case)}bericht/",
                           {"direction": Message.Direction.TO_REPORTER, "body": edited})
    assert response.status_code == 302
    message = Message.objects.get(complaint=arabic_case)
    assert (message.direction, message.body, message.author) == (
        Message.Direction.TO_REPORTER, edited.strip(), caseworker)


@pytest.mark.parametrize("value", ["999999", "abc", "", "inactive"])
def test_an_unknown_or_inactive_template_is_refused(login_as, caseworker, arabic_case, value):
    if value == "inactive":
        template = ReplyTemplate.objects.get(title="Doorverwijzing")
        ReplyTemplate.objects.filter(pk=template.pk).update(is_active=False)
        value = str(template.pk)

    response = login_as(caseworker).get(detail_url(arabic_case), {"template": value}, **EN)

    assert response.status_code == 400
    assert list(response.context["reply_template_form"].errors) == ["template"]
    assert response.context["message_form"].initial == {}
    assert Message.objects.filter(complaint=arabic_case).count() == 0


def test_a_case_the_user_may_not_see_stays_hidden(login_as, other_caseworker, arabic_case):
    template = ReplyTemplate.objects.first()

    response = login_as(other_caseworker).get(detail_url(arabic_case),
                                              {"template": template.pk})

    assert response.status_code == 404


def test_an_inactive_template_is_a_human_message(login_as, coordinator, caseworker,
                                                 arabic_case):
    """Tester finding 8: not Django's "Selecteer een geldige keuze. 5 is geen beschikbare
    keuze."."""
    inactive = save_reply_template(actor=coordinator, template=None, kind="other",
                                   language="ar", title="قديم", body="x", is_active=False)
    page = login_as(caseworker).get(detail_url(arabic_case), {"template": inactive.pk})
    html = page.content.decode()
    assert page.status_code == 400
    assert page.context["reply_template_form"].errors == {
        "template": ["Deze standaardtekst is niet (meer) beschikbaar."]}
    assert "Deze standaardtekst is niet (meer) beschikbaar." in html
    assert "geldige keuze" not in html
    assert page.context["message_form"].initial == {}
