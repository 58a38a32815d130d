"""Reads of the reply templates (issue 12 §3): the back-office list, the case page's picker and
the text a template gives for a case."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When

from reports.models import Complaint, ReplyTemplate
from reports.models.reply_templates import TEMPLATE_LANGUAGES

#: The placeholders a template may hold, and what each becomes. Replaced by plain string
#: replacement (``str.replace``), never by a template engine: a template is text typed in the
#: back office, and nothing in it is ever evaluated.
PLACEHOLDERS = ("{zaaknummer}", "{organisatie}")


#: Kinds in the order of a case: acknowledgement, request for information, referral, closing
#: letter, other.
KIND_ORDER = Case(*(When(kind=kind, then=Value(position))
                    for position, kind in enumerate(ReplyTemplate.Kind.values)),
                  default=Value(len(ReplyTemplate.Kind.values)), output_field=IntegerField())


def all_reply_templates() -> QuerySet[ReplyTemplate]:
    """Every template, active or not, by language, kind (in ``KIND_ORDER``) and title (the
    back-office list)."""
    return ReplyTemplate.objects.order_by("language", KIND_ORDER, "title")


def active_reply_templates() -> QuerySet[ReplyTemplate]:
    """The active templates, by language, kind (in ``KIND_ORDER``) and title (partial index
    ``reply_template_active``; a handful of rows)."""
    return ReplyTemplate.objects.filter(is_active=True).order_by("language", KIND_ORDER,
                                                                 "title")


def reply_language(*, complaint: Complaint) -> str:
    """The language to answer ``complaint``'s reporter in: the language they used the public
    pages in when it is one of ``settings.LANGUAGES`` (nl, en, ar, tr), else Dutch (``nl``,
    also for cases registered by staff)."""
    language = (complaint.reporter_language or "").split("-")[0].lower()
    return language if language in TEMPLATE_LANGUAGES else settings.LANGUAGE_CODE


def fill_reply_template(*, template: ReplyTemplate, complaint: Complaint) -> str:
    """``template``'s text for ``complaint``: ``{zaaknummer}`` becomes the case number and
    ``{organisatie}`` the office's name; any other text, including other braces, stays exactly
    as typed. Plain replacement, so a value can never introduce a further placeholder."""
    values = {"{zaaknummer}": complaint.case_number, "{organisatie}": complaint.office.name}
    text = template.body
    # One pass over the text: a value that itself contains a placeholder is not replaced again.
    parts = [text]
    for placeholder in PLACEHOLDERS:
        parts = [piece for part in parts for piece in _split_keep(part, placeholder)]
    return "".join(values.get(part, part) for part in parts)


def _split_keep(text: str, placeholder: str) -> list[str]:
    """``text`` split at ``placeholder``, the placeholder kept as a part of its own."""
    pieces = text.split(placeholder)
    result = [pieces[0]]
    for piece in pieces[1:]:
        result += [placeholder, piece]
    return result
