"""Forms for mass reports (incidents) and the case list's bulk actions. They only validate
input; the views hand the cleaned data to ``reports.services.incidents``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from reports.forms import typed_field
from reports.models import Incident, Team
from reports.services.incidents import MAX_BULK_CASES
from reports.types import User
from reports.vocabulary import (
    Ground,
    Handling,
    Nature,
    Outcome,
    RejectionReason,
    SocietalDomain,
    Status,
)
from reports.widgets import FastSelect, ListedModelChoiceField


class MassReportForm(forms.Form):
    """A mass report's title, description for staff and classification."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description (for staff)"), required=False,
                                  max_length=10000,
                                  widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
    grounds = forms.MultipleChoiceField(label=_("Grounds"), choices=Ground.choices,
                                        required=False, widget=forms.CheckboxSelectMultiple)
    societal_domain = forms.ChoiceField(label=_("Societal domain"), required=False,
                                        choices=[("", "—"), *SocietalDomain.choices])
    nature = forms.ChoiceField(label=_("Nature"), required=False,
                               choices=[("", "—"), *Nature.choices])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    @classmethod
    def for_incident(cls, incident: Incident) -> MassReportForm:
        """An unbound form showing ``incident``'s current values."""
        return cls(initial={
            "title": incident.title, "description": incident.description,
            "grounds": [g.code for g in incident.grounds.all()],
            "societal_domain": incident.societal_domain, "nature": incident.nature,
            "version": incident.version})


class CaseIncidentForm(forms.Form):
    """On the case page: put this case in a mass report: an existing one, the one of another
    case ("about the same incident as case X"), or a new one."""

    MODES = (("existing", _("Add to an existing mass report")),
             ("same_as", _("About the same incident as case …")),
             ("new", _("New mass report")))
    mode = forms.ChoiceField(label=_("How"), choices=MODES, widget=forms.RadioSelect,
                             initial="existing")
    incident: forms.ModelChoiceField[Incident] = ListedModelChoiceField(
        label=_("Mass report"), queryset=Incident.objects.none(), required=False)
    case_number = forms.CharField(label=_("Case number of the other case"), max_length=32,
                                  required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                "dir": "ltr"}))
    title = forms.CharField(label=_("Title of the new mass report"), max_length=200,
                            required=False)

    def __init__(self, data: QueryDict | None = None, *,
                 incidents: QuerySet[Incident]) -> None:
        super().__init__(data)
        typed_field(self, "incident", forms.ModelChoiceField).queryset = incidents

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode = data.get("mode")
        if mode == "existing" and not data.get("incident"):
            self.add_error("incident", _("Choose a mass report."))
        if mode == "same_as" and not (data.get("case_number") or "").strip():
            self.add_error("case_number", _("Give the number of the other case."))
        if mode == "new" and not (data.get("title") or "").strip():
            self.add_error("title", _("Give the mass report a title."))
        return data


class ReplyAllForm(forms.Form):
    """One message to every reporter of a mass report."""

    body = forms.CharField(label=_("Message to all reporters"), max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
                           help_text=_("Shown in each reporter's follow-up page; reporters who "
                                       "left an e-mail address get a notice with a link (not "
                                       "the text)."))
    confirm = forms.BooleanField(label=_("Yes, send this message to every reporter of this "
                                         "mass report"))


class CloseAllForm(forms.Form):
    """Close every open report of a mass report with one outcome and handling."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices])
    handling = forms.MultipleChoiceField(
        label=_("Handling"), choices=Handling.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("Mediation and own investigation need a named reporter; reports where "
                    "this is not allowed are skipped and listed."))
    reason = forms.CharField(label=_("Note for the history"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))
    confirm = forms.BooleanField(label=_("Yes, close every open report of this mass report"))


class BulkActionForm(forms.Form):
    """The case list's action on the selected cases (at most ``MAX_BULK_CASES``)."""

    ACTIONS = (("", _("Choose…")), ("assign", _("Assign to a caseworker")),
               ("share", _("Share with a team")), ("status", _("Change status")),
               ("incident", _("Group into a mass report")))
    # Drop-downs rendered in Python (reports.widgets): this form is on every case-list page.
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS, widget=FastSelect)
    assignee: forms.ModelChoiceField[User] = ListedModelChoiceField(
        label=_("Caseworker"), queryset=None, required=False,
        empty_label=_("Nobody (back to the queue)"), widget=FastSelect)
    team: forms.ModelChoiceField[Team] = ListedModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False,
        empty_label=_("No team"), widget=FastSelect)
    to_status = forms.ChoiceField(label=_("New status"), required=False,
                                  choices=[("", "—"), *Status.choices], widget=FastSelect)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             help_text=_("Required for reopening; otherwise optional."))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", "—"), *Outcome.choices],
                                help_text=_("Required for closing."), widget=FastSelect)
    rejection_reason = forms.ChoiceField(label=_("Reason for rejection"), required=False,
                                         choices=[("", "—"), *RejectionReason.choices],
                                         help_text=_("Required for rejecting."),
                                         widget=FastSelect)
    incident: forms.ModelChoiceField[Incident] = ListedModelChoiceField(
        label=_("Existing mass report"), queryset=Incident.objects.none(), required=False,
        empty_label=_("A new mass report"), widget=FastSelect)
    title = forms.CharField(label=_("Title of the new mass report"), max_length=200,
                            required=False)

    def __init__(self, data: QueryDict | None = None, *, users: QuerySet[User],
                 teams: QuerySet[Team], incidents: QuerySet[Incident]) -> None:
        super().__init__(data)
        typed_field(self, "assignee", forms.ModelChoiceField).queryset = users
        typed_field(self, "team", forms.ModelChoiceField).queryset = teams
        typed_field(self, "incident", forms.ModelChoiceField).queryset = incidents

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "status" and not data.get("to_status"):
            self.add_error("to_status", _("Choose the new status."))
        # The workflow's conditions that hold for the whole selection are checked here, so the
        # preview refuses them before any job starts (tester finding 4); handling is per case
        # (``incident_selectors.cases_without_handling``).
        to_status = data.get("to_status") if action == "status" else ""
        if to_status == Status.CLOSED and not data.get("outcome"):
            self.add_error("outcome", _("Choose an outcome before closing."))
        if to_status == Status.REJECTED and not data.get("rejection_reason"):
            self.add_error("rejection_reason", _("Choose why this report is not taken on."))
        if to_status == Status.REOPENED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for reopening."))
        if action == "incident" and not data.get("incident") and not (
                data.get("title") or "").strip():
            self.add_error("title", _("Choose a mass report or give a new one a title."))
        return data

    def params(self) -> dict[str, Any]:
        """The job's parameters for ``bulk_change`` (valid forms, actions other than
        ``incident``)."""
        data = self.cleaned_data
        action = data["action"]
        if action == "assign":
            return {"assignee": data["assignee"].pk if data["assignee"] else None}
        if action == "share":
            return {"team": data["team"].pk if data["team"] else None}
        return {"to_status": data["to_status"], "reason": data["reason"],
                "outcome": data["outcome"], "rejection_reason": data["rejection_reason"]}


__all__ = ["MAX_BULK_CASES", "BulkActionForm", "CaseIncidentForm", "CloseAllForm",
           "MassReportForm", "ReplyAllForm"]
