"""Reply templates (issue 12 §3): the office's standard texts for messages to the reporter."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: The languages a template can be in: those of the public pages (nl, en, ar, tr).
TEMPLATE_LANGUAGES = [code for code, _name in settings.LANGUAGES]


class ReplyTemplate(models.Model):
    """A standard text a caseworker starts a message to the reporter from, in one language.

    The text is plain; ``reports.selectors.reply_templates.fill_reply_template`` replaces a
    fixed set of placeholders (``{zaaknummer}``, ``{organisatie}``) by plain string replacement,
    never through a template engine. Templates are deactivated, not deleted.
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of receipt")
        INFORMATION_REQUEST = "information_request", _("Request for information")
        REFERRAL = "referral", _("Referral")
        CLOSING_LETTER = "closing_letter", _("Closing letter")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=20000)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("changed by"))

    class Meta:
        ordering = ["language", "kind", "title"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        permissions = [
            ("manage_reply_templates", _("Can manage the reply templates")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["language", "title"],
                                    name="reply_template_unique_title"),
        ]
        indexes = [
            # The case page's picker: active templates, by language and kind.
            models.Index(fields=["language", "kind", "title"], condition=Q(is_active=True),
                         name="reply_template_active"),
        ]

    def __str__(self) -> str:
        return self.title
