"""Reading the reply templates (issue 12 §3): the picker's order, the reporter's language and
the safe filling of placeholders."""

from __future__ import annotations

import pytest

from reports.models import ReplyTemplate
from reports.selectors.reply_templates import (
    active_reply_templates,
    fill_reply_template,
    reply_language,
)
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def template(body: str, **fields) -> ReplyTemplate:
    return ReplyTemplate(kind="other", language="nl", title="T", body=body, **fields)


def test_placeholders_become_the_case_number_and_the_office(office):
    case = ComplaintFactory()

    text = fill_reply_template(template=template("Zaak {zaaknummer} – {organisatie}, "
                                                 "nogmaals {zaaknummer}."), complaint=case)

    assert text == f"Zaak {case.case_number} – {office.name}, nogmaals {case.case_number}."


@pytest.mark.parametrize("body", [
    "{{ complaint.reporter_email }} {% debug %} {{ settings.SECRET_KEY }}",
    "{case_number} {zaaknummer!r} {0} %(name)s {ZAAKNUMMER}",
    "{zaaknummer",
])
def test_nothing_but_the_fixed_placeholders_is_replaced(office, body):
    # Plain replacement, never a template engine: anything else stays exactly as typed.
    assert fill_reply_template(template=template(body), complaint=ComplaintFactory()) == body


def test_a_value_holding_a_placeholder_is_not_replaced_again(office):
    office.name = "Meldpunt {zaaknummer}"
    office.save()
    case = ComplaintFactory()
    case.office.name = office.name

    assert fill_reply_template(template=template("{organisatie}/{zaaknummer}"),
                               complaint=case) == f"Meldpunt {{zaaknummer}}/{case.case_number}"


@pytest.mark.parametrize(("used", "expected"), [
    ("ar", "ar"), ("tr", "tr"), ("en", "en"), ("nl", "nl"), ("en-gb", "en"), ("", "nl"),
    ("de", "nl")])
def test_the_reply_language_is_the_reporters_or_dutch(office, used, expected):
    assert reply_language(complaint=ComplaintFactory(reporter_language=used)) == expected


def test_only_active_templates_are_offered(coordinator):
    ReplyTemplate.objects.filter(title="Doorverwijzing").update(is_active=False)

    assert list(active_reply_templates().values_list("title", flat=True)) == [
        "Ontvangstbevestiging", "Verzoek om informatie", "Afsluitbrief"]
