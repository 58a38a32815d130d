"""Writing the reply templates (issue 12 §3): create, edit, deactivate, and who may."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import ReplyTemplate
from reports.services.reply_templates import save_reply_template

pytestmark = pytest.mark.django_db

TEXT = "Beste melder,\n\nUw zaaknummer is {zaaknummer}.\n\n{organisatie}"


def create(actor, **fields) -> ReplyTemplate:
    values = {"kind": "acknowledgement", "language": "en", "title": "Receipt", "body": TEXT,
              **fields}
    return save_reply_template(actor=actor, template=None, **values)


def test_the_migration_created_the_dutch_defaults(reference_data):
    assert list(ReplyTemplate.objects.filter(language="nl").order_by("kind").values_list(
        "kind", "title", "is_active")) == [
        ("acknowledgement", "Ontvangstbevestiging", True),
        ("closing_letter", "Afsluitbrief", True),
        ("information_request", "Verzoek om informatie", True),
        ("referral", "Doorverwijzing", True)]
    assert all("{zaaknummer}" in body and "{organisatie}" in body
               for body in ReplyTemplate.objects.values_list("body", flat=True))


def test_a_coordinator_creates_edits_and_deactivates(coordinator):
    template = create(coordinator, title="  Receipt  ", body="  Thank you.  ")

    stored = ReplyTemplate.objects.get(pk=template.pk)
    assert (stored.kind, stored.language, stored.title, stored.body, stored.is_active,
            stored.updated_by) == ("acknowledgement", "en", "Receipt", "Thank you.", True,
                                   coordinator)
    save_reply_template(actor=coordinator, template=stored, kind="referral", language="tr",
                        title="Yönlendirme", body="Metin.", is_active=False)
    stored.refresh_from_db()
    assert (stored.kind, stored.language, stored.title, stored.body, stored.is_active) == (
        "referral", "tr", "Yönlendirme", "Metin.", False)


@pytest.mark.parametrize("who", ["caseworker", "plain_user"])
def test_without_the_permission_nothing_is_saved(request, who):
    before = ReplyTemplate.objects.count()

    with pytest.raises(PermissionDenied):
        create(request.getfixturevalue(who))

    assert ReplyTemplate.objects.count() == before


@pytest.mark.parametrize(("fields", "errors"), [
    ({"title": "   "}, ["title"]),
    ({"body": " \n "}, ["body"]),
    ({"language": "de"}, ["language"]),
    ({"kind": "poem"}, ["kind"]),
    ({"body": "x" * 20001}, ["body"]),
    ({"title": "Ontvangstbevestiging", "language": "nl"}, ["title"]),
])
def test_invalid_templates_are_refused_by_field(coordinator, fields, errors):
    before = list(ReplyTemplate.objects.values_list("pk", "title", "body"))

    with pytest.raises(ValidationError) as excinfo:
        create(coordinator, **fields)

    assert sorted(excinfo.value.message_dict) == errors
    assert list(ReplyTemplate.objects.values_list("pk", "title", "body")) == before


def test_the_same_title_in_another_language_is_fine(coordinator):
    template = create(coordinator, title="Ontvangstbevestiging", language="en")

    assert ReplyTemplate.objects.filter(title="Ontvangstbevestiging").count() == 2
    # Saving a template under its own title is no conflict.
    save_reply_template(actor=coordinator, template=template, kind="acknowledgement",
                        language="en", title="Ontvangstbevestiging", body="Changed.")
    assert ReplyTemplate.objects.get(pk=template.pk).body == "Changed."
