"""Forms of the desk management page (``/backoffice/loketten/``, ``reports.manage_desks``)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from reports.models import Desk, DeskMunicipality, Municipality


class DeskForm(forms.Form):
    """A new desk: a short code (letters, digits, hyphens) and a name."""

    code = forms.SlugField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=200)


class DeskPeriodForm(forms.Form):
    """``desk`` serves ``municipality`` from ``valid_from`` to ``valid_to`` (inclusive)."""

    desk = forms.ModelChoiceField(label=_("Desk"), queryset=Desk.objects.order_by("name"))
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.filter(dissolved_on__isnull=True).order_by("name"))
    valid_from = forms.DateField(label=_("Valid from"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("Valid to (inclusive; empty: still serving)"),
                               required=False, widget=forms.DateInput(attrs={"type": "date"}))


class EndPeriodForm(forms.Form):
    """End a period on ``valid_to`` (e.g. 31 December before the municipality moves)."""

    period = forms.ModelChoiceField(label=_("Period"), queryset=DeskMunicipality.objects.all(),
                                    widget=forms.HiddenInput)
    valid_to = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))


class DeskMemberForm(forms.Form):
    """Add a staff member to a desk, or remove them."""

    desk = forms.ModelChoiceField(label=_("Desk"), queryset=Desk.objects.order_by("name"))
    username = forms.CharField(label=_("User name"), max_length=150)
    remove = forms.BooleanField(label=_("Remove from this desk"), required=False)

    def clean_username(self) -> object:
        """The active user with this name (any case).

        Raises:
            ValidationError: no such active user.
        """
        user = get_user_model().objects.filter(
            username__iexact=self.cleaned_data["username"].strip(), is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active user with this name."))
        return user
