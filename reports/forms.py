"""Forms. They validate input and hand cleaned data to services; they never save by themselves."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import Complaint, Municipality
from reports.services.statistics import MAX_YEAR, MIN_YEAR
from reports.vocabulary import ContactType, Ground, Handling, Nature, SocietalDomain
from reports.workflow import allowed_next


def current_municipalities():
    """Municipalities that exist today, for choice lists."""
    return Municipality.objects.filter(dissolved_on__isnull=True).order_by("name")


class IntakeForm(forms.Form):
    """The public report form at ``/melden/``: short, plain language, everything but the
    description optional."""

    description = forms.CharField(
        label=_("What happened?"),
        help_text=_("Tell us in your own words what happened. You do not have to write "
                    "perfectly."),
        widget=forms.Textarea(attrs={"rows": 6}), max_length=10000,
        error_messages={"required": _("Please tell us what happened.")},
    )
    incident_date = forms.DateField(
        label=_("When did it happen?"), required=False,
        help_text=_("Leave empty if you do not know."),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date, for example 31-12-2020.")},
    )
    incident_municipality = forms.ModelChoiceField(
        label=_("Where did it happen?"), queryset=current_municipalities(), required=False,
        empty_label=_("Online / unknown"),
    )
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    reporter_email = forms.EmailField(
        label=_("Your e-mail address"), required=False,
        error_messages={"invalid": _("Enter an e-mail address such as name@example.nl.")},
    )
    reporter_phone = forms.RegexField(
        label=_("Your phone number"), required=False, max_length=40,
        regex=r"^[0-9+() \-]{6,40}$",
        error_messages={"invalid": _("Enter a phone number with digits only, such as "
                                     "0592 123456.")},
    )
    reporter_residence = forms.ModelChoiceField(
        label=_("Where do you live?"), queryset=current_municipalities(), required=False,
        empty_label=_("I would rather not say"),
    )
    consent_to_contact = forms.BooleanField(
        label=_("You may contact me about my report."), required=False,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Your report"), "description", "incident_date", "incident_municipality"),
            Fieldset(_("About you (optional)"), "reporter_name", "reporter_email",
                     "reporter_phone", "reporter_residence", "consent_to_contact"),
        )
        self.helper.add_input(Submit("submit", _("Send report")))

    def clean_incident_date(self) -> datetime.date | None:
        value = self.cleaned_data["incident_date"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")
        return value

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("consent_to_contact") and not data.get("reporter_email")
                and not data.get("reporter_phone") and not self.has_error("reporter_email")
                and not self.has_error("reporter_phone")):
            self.add_error("reporter_email", forms.ValidationError(
                _("To be contacted, leave an e-mail address or a phone number."),
                code="contact"))
        return data


class ClassificationForm(forms.Form):
    """The caseworker's classification (Regeling registratieformulier, tables 2 to 5)."""

    contact_type = forms.ChoiceField(label=_("Contact type"), choices=ContactType.choices)
    grounds = forms.MultipleChoiceField(label=_("Grounds"), choices=Ground.choices,
                                        required=False, widget=forms.CheckboxSelectMultiple)
    societal_domain = forms.ChoiceField(label=_("Societal domain"), required=False,
                                        choices=[("", "—"), *SocietalDomain.choices])
    nature = forms.ChoiceField(label=_("Nature"), required=False,
                               choices=[("", "—"), *Nature.choices])
    handling = forms.MultipleChoiceField(label=_("Handling"), choices=Handling.choices,
                                         required=False, widget=forms.CheckboxSelectMultiple)

    @classmethod
    def for_complaint(cls, complaint: Complaint) -> ClassificationForm:
        """An unbound form showing ``complaint``'s current classification."""
        return cls(initial={
            "contact_type": complaint.contact_type,
            "grounds": [g.code for g in complaint.grounds.all()],
            "societal_domain": complaint.societal_domain,
            "nature": complaint.nature,
            "handling": [h.code for h in complaint.handling.all()],
        })


class StatusForm(forms.Form):
    """Choose the next status; only transitions the workflow allows are offered."""

    to_status = forms.ChoiceField(label=_("New status"))

    def __init__(self, *args: object, complaint: Complaint, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        from reports.vocabulary import Status

        self.fields["to_status"].choices = [(s, Status(s).label)
                                            for s in allowed_next(complaint.status)]


class AssignForm(forms.Form):
    """Assign a case to a caseworker, or return it to the queue."""

    assignee = forms.ModelChoiceField(label=_("Caseworker"), queryset=None, required=False,
                                      empty_label=_("Nobody (back to the queue)"))

    def __init__(self, *args: object, users, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users


class NoteForm(forms.Form):
    """An internal note."""

    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=10000)


class StatisticsRunForm(forms.Form):
    """Start the annual statistics for a registration year."""

    year = forms.IntegerField(label=_("Registration year"), min_value=MIN_YEAR,
                              max_value=MAX_YEAR)
