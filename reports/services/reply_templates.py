"""Writes of the reply templates (issue 12 §3): coordinators create, edit and deactivate the
office's standard texts for messages to the reporter (``reports.manage_reply_templates``)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from reports.models import ReplyTemplate
from reports.types import User

logger = logging.getLogger(__name__)

MANAGE_REPLY_TEMPLATES = "reports.manage_reply_templates"
#: The longest text, in characters (as a message to the reporter).
MAX_BODY = 20000


@transaction.atomic
def save_reply_template(*, actor: User, template: ReplyTemplate | None, kind: str,
                        language: str, title: str, body: str,
                        is_active: bool = True) -> ReplyTemplate:
    """Create a template (``template`` ``None``) or change one; deactivating is
    ``is_active=False`` (templates are never deleted, so what was sent stays explainable).

    Args:
        kind: a ``ReplyTemplate.Kind`` value.
        language: ``nl``, ``en``, ``ar`` or ``tr``.
        title: shown in the case page's picker; unique per language; surrounding spaces dropped.
        body: the plain text; may hold ``{zaaknummer}`` and ``{organisatie}``
            (``reports.selectors.reply_templates.fill_reply_template``).

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_reply_templates``.
        ValidationError: by field: an empty title or text, an unknown kind or language, a text
            over 20,000 characters, or a title already used in that language; nothing changed.
    """
    if not actor.has_perm(MANAGE_REPLY_TEMPLATES):
        raise PermissionDenied
    if template is None:
        record = ReplyTemplate()
    else:
        record = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
    record.kind, record.language = kind, language
    record.title, record.body = title.strip(), body.strip()
    record.is_active, record.updated_by = is_active, actor
    record.full_clean(validate_constraints=False)
    if len(record.body) > MAX_BODY:  # a TextField's max_length is not validated by the model
        raise ValidationError({"body": _("Keep the text under %(max)d characters.")
                               % {"max": MAX_BODY}})
    taken = ReplyTemplate.objects.filter(language=record.language, title=record.title)
    if record.pk:
        taken = taken.exclude(pk=record.pk)
    if taken.exists():
        raise ValidationError({"title": _("A template with this title already exists in this "
                                          "language.")})
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # a concurrent save took the title first
        raise ValidationError({"title": _("A template with this title already exists in this "
                                          "language.")}) from None
    logger.info("reply templates: template %s saved by user %s (active: %s)", record.pk,
                actor.pk, record.is_active)
    return record
