"""Forms of the reply templates (issue 12 §3): the coordinators' edit form and the case page's
picker. They only validate input; writes go through ``reports.services.reply_templates``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from reports.forms import typed_field
from reports.models import ReplyTemplate


class ReplyTemplateForm(forms.Form):
    """One template: kind, language, title, text and whether it is offered."""

    title = forms.CharField(label=_("Title"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=ReplyTemplate.Kind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    body = forms.CharField(
        label=_("Text"), max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}),
        help_text=_("Plain text. {zaaknummer} becomes the case number and {organisatie} the "
                    "name of the office; nothing else is replaced."))
    is_active = forms.BooleanField(
        label=_("Active (offered on the case page)"), required=False, initial=True)

    @classmethod
    def for_template(cls, template: ReplyTemplate) -> ReplyTemplateForm:
        """An unbound form showing ``template``."""
        return cls(initial={"title": template.title, "kind": template.kind,
                            "language": template.language, "body": template.body,
                            "is_active": template.is_active})


class ReplyTemplatePickForm(forms.Form):
    """The case page's "use a standard text": the active templates, grouped by language, the
    reporter's language first (preselected: its first template)."""

    template = forms.TypedChoiceField(
        label=_("Standard text"), coerce=int,
        error_messages={"invalid_choice": _("This standard text is not (or no longer) "
                                            "available.")})

    def __init__(self, data: QueryDict | None = None, *,
                 templates: QuerySet[ReplyTemplate], language: str) -> None:
        super().__init__(data)
        names = dict(settings.LANGUAGES)
        groups: dict[str, list[tuple[int, str]]] = {}
        for template in templates:
            groups.setdefault(template.language, []).append(
                (template.pk, f"{template.title} ({template.get_kind_display()})"))
        order = [language] + [code for code, _name in settings.LANGUAGES if code != language]
        typed_field(self, "template", forms.TypedChoiceField).choices = [
            (str(names[code]), groups[code]) for code in order if code in groups]
        first = groups.get(language) or next(iter(groups.values()), [])
        if first:
            self.initial["template"] = first[0][0]
