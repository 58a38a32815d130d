"""Forms of the coordinators' screen for municipal accounts. They only validate input; the
views hand the cleaned data to ``reports.services.accounts``."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from reports.forms import typed_field
from reports.models import Municipality


class MunicipalAccountForm(forms.Form):
    """A new municipal account: user name, e-mail address (for the invitation) and the
    municipalities whose reports it sees."""

    username = forms.CharField(
        label=_("User name"), max_length=150,
        help_text=_("Letters, digits and @ . + - _ only, for example j.jansen@assen."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The invitation to choose a password goes to this address."))
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities"), queryset=Municipality.objects.none(),
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, data: QueryDict | None = None, *,
                 municipalities: QuerySet[Municipality]) -> None:
        super().__init__(data)
        typed_field(self, "municipalities", forms.ModelMultipleChoiceField).queryset = (
            municipalities)


class MunicipalityChoiceForm(forms.Form):
    """One municipality to link an account to."""

    municipality = forms.ModelChoiceField(label=_("Municipality"),
                                          queryset=Municipality.objects.none())

    def __init__(self, data: QueryDict | None = None, *,
                 municipalities: QuerySet[Municipality]) -> None:
        super().__init__(data)
        typed_field(self, "municipality", forms.ModelChoiceField).queryset = municipalities


class DeactivateForm(forms.Form):
    """Deactivating needs an explicit confirmation."""

    confirm = forms.BooleanField(label=_("Yes, deactivate this account"),
                                 error_messages={"required": _(
                                     "Tick the box to confirm that the account must be "
                                     "deactivated.")})
