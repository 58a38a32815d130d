"""Filters for the back-office case list, its export and the access log (django-filter).

The filters only narrow the queryset they are given; what a user may see is decided before, by
``reports.selectors.permissions.visible_complaints``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import django_filters
import django_filters.fields
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from reports.models import AccessLog, Complaint, Team
from reports.selectors import cases, reference
from reports.selectors.permissions import assignable_users_for, visible_teams
from reports.vocabulary import Channel, Ground, IncidentPlace, SocietalDomain, Status
from reports.widgets import FastSelect, FastSelectMixin, ListedChoices

if TYPE_CHECKING:
    from django.forms.utils import _DataT, _FilesT


#: The values a yes/no filter accepts: "all" (no filter), yes, no.
YES_NO_VALUES: dict[str, bool | None] = {"": None, "unknown": None, "true": True, "false": False}


class AllYesNoSelect(FastSelectMixin, forms.NullBooleanSelect):
    """Django's yes/no/unknown select, with "All" instead of "Unknown" for "no filter".

    Unlike Django's, it hands any other submitted value on as it is, so that
    ``StrictYesNoField`` refuses it instead of reading it as "all".
    """

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]

    def value_from_datadict(self, data: _DataT, files: _FilesT, name: str) -> Any:
        value = data.get(name)
        if value is None:
            return None
        return YES_NO_VALUES.get(value, value)


class StrictYesNoField(forms.Field):
    """``true``, ``false`` or all (empty, ``unknown``); any other value is a form error, so the
    list answers 400 as for any other invalid filter rather than showing every case."""

    widget = AllYesNoSelect

    def to_python(self, value: object) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value in YES_NO_VALUES:
            return YES_NO_VALUES[value]
        raise forms.ValidationError(_("Choose yes, no or all."), code="invalid_choice")

    def validate(self, value: object) -> None:
        """Any of the three is fine (no ``required``)."""


class StrictYesNoFilter(django_filters.BooleanFilter):
    """A yes/no/all filter that refuses other values (``StrictYesNoField``)."""

    field_class = StrictYesNoField


class _ListedFilterChoices(django_filters.fields.ModelChoiceIterator, ListedChoices):
    """django-filter's choices (with the "null" choice) read through ``ListedChoices``."""


class _ListedFilterChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _ListedFilterChoices


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` whose drop-down is read with one plain query
    (``reports.widgets.ListedChoices``)."""

    field_class = _ListedFilterChoiceField


class _MunicipalityChoiceField(django_filters.fields.ChoiceField):
    """The municipality drop-down's field: a code missing from the per-process copy of the
    choices (``reference.filter_municipality_choices``, up to five minutes old) is checked in
    the database, so a municipality a case names for the first time filters at once; the copy
    is then read again, so the drop-down shows it too."""

    def valid_value(self, value: Any) -> bool:
        if super().valid_value(value):
            return True
        if not reference.is_filter_municipality(code=str(value)):
            return False
        reference.forget_filter_municipality_choices()
        return True


class MunicipalityFilter(django_filters.ChoiceFilter):
    """``ChoiceFilter`` over ``reference.filter_municipality_choices`` (see
    ``_MunicipalityChoiceField``)."""

    field_class = _MunicipalityChoiceField


class ComplaintFilter(django_filters.FilterSet):
    """Search, status, caseworker, team, municipality (of residence or of the incident), ground,
    societal domain, channel, received-date range and overdue.

    Query parameters: ``q``, ``status``, ``assignee`` (a user id or ``null`` for unassigned),
    ``team``, ``municipality`` (CBS code), ``incident_place`` (``municipality``, ``online`` or
    ``unknown``: "place unknown" before the annual run), ``ground``, ``societal_domain``,
    ``channel``,
    ``received_after`` and ``received_before`` (inclusive ``YYYY-MM-DD`` dates in
    Europe/Amsterdam), ``overdue`` and ``unread`` (``true`` or ``false``; unread: the
    reporter replied or sent files since the requesting user last opened the case, so pass
    ``request``), ``closed`` (``1``: include closed and rejected cases).

    Without a ``status`` and without ``closed`` only open cases (status not in
    ``FINAL_STATUSES``) are listed, also when the filter set is unbound: the daily list is the
    work still to do (issue 12 §5). A ``status`` names exactly the cases shown, closed ones too.
    """

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    # Drop-downs rendered in Python (reports.widgets): the municipality's 350 options through
    # Django's per-option templates were most of the list page's time (issue 13).
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices,
                                         widget=FastSelect)
    assignee = ListedModelChoiceFilter(
        label=_("Caseworker"), field_name="assigned_to", queryset=None,
        null_label=_("Unassigned"), widget=FastSelect,
    )
    team = ListedModelChoiceFilter(label=_("Team"), queryset=Team.objects.all(),
                                   widget=FastSelect)
    # Codes and names kept per process for a few minutes (reference.filter_municipality_choices).
    municipality = MunicipalityFilter(
        label=_("Municipality"), choices=[], method="filter_municipality", widget=FastSelect,
    )
    incident_place = django_filters.ChoiceFilter(label=_("Place of the incident"),
                                                 choices=IncidentPlace.choices,
                                                 widget=FastSelect)
    ground = django_filters.ChoiceFilter(label=_("Ground"), choices=Ground.choices,
                                         method="filter_ground", widget=FastSelect)
    societal_domain = django_filters.ChoiceFilter(label=_("Societal domain"),
                                                  choices=SocietalDomain.choices,
                                                  widget=FastSelect)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices,
                                          widget=FastSelect)
    received_after = django_filters.DateFilter(label=_("Received from"),
                                               method="filter_received_after")
    received_before = django_filters.DateFilter(label=_("Received until"),
                                                method="filter_received_before")
    overdue = StrictYesNoFilter(label=_("Overdue"), method="filter_overdue",
                                widget=AllYesNoSelect)
    unread = StrictYesNoFilter(label=_("Unread reply"), method="filter_unread",
                               widget=AllYesNoSelect)
    closed = django_filters.BooleanFilter(label=_("Also closed and rejected cases"),
                                          method="filter_closed",
                                          widget=forms.CheckboxInput(attrs={"value": "1"}))

    class Meta:
        model = Complaint
        fields = ["q", "status", "assignee", "team", "municipality", "incident_place", "ground",
                  "societal_domain", "channel", "received_after", "received_before", "overdue",
                  "unread", "closed"]

    def __init__(self, data: QueryDict | None = None,
                 queryset: QuerySet[Complaint] | None = None,
                 request: HttpRequest | None = None) -> None:
        super().__init__(data, queryset=queryset, request=request)
        # Only the people and teams of the user's desks (reports.selectors.permissions).
        user = getattr(request, "user", None)
        if user is not None:
            self.filters["assignee"].queryset = assignable_users_for(user=user)
            self.filters["team"].queryset = visible_teams(user=user)
        else:
            self.filters["assignee"].queryset = assignable_users_for(user=AnonymousUser())
            self.filters["team"].queryset = Team.objects.none()
        # The office's own municipalities and those that occur in cases, not all 342.
        # A callable: read when the drop-down is drawn or a value checked, not copied per form.
        self.filters["municipality"].extra["choices"] = reference.filter_municipality_choices

    @property
    def qs(self) -> QuerySet:
        """The filtered cases; open cases only unless ``status`` or ``closed`` is given.

        An unbound filter set filters nothing else (django-filter), but still lists open cases
        only.
        """
        if not hasattr(self, "_qs"):
            queryset = super().qs
            if not self.is_bound:
                queryset = cases.open_cases(queryset=queryset)
            self._qs = queryset
        return self._qs

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """The declared filters, then open cases only unless ``status`` or ``closed`` is given."""
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not data.get("status") and not data.get("closed"):
            queryset = cases.open_cases(queryset=queryset)
        return queryset

    def active_filter_names(self) -> list[str]:
        """Names of the filters given a non-blank value in the bound data, in declaration order.

        Names only, never values: this goes into the access log.
        """
        data = self.data or {}
        return [name for name in self.filters if str(data.get(name) or "").strip()]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Full-text search; see ``reports.selectors.cases.search_cases``."""
        return cases.search_cases(queryset=queryset, text=value)

    def filter_municipality(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Cases where the reporter lives in, or the incident happened in, the municipality
        (``value``: its CBS code)."""
        return queryset.filter(Q(reporter_residence=value) | Q(incident_municipality=value))

    def filter_ground(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Cases with this ground among their grounds."""
        return cases.filter_ground(queryset=queryset, code=value)

    def filter_received_after(self, queryset: QuerySet, name: str,
                              value: datetime.date) -> QuerySet:
        """Cases received on or after this date (Europe/Amsterdam)."""
        return cases.filter_received(queryset=queryset, after=value)

    def filter_received_before(self, queryset: QuerySet, name: str,
                               value: datetime.date) -> QuerySet:
        """Cases received on or before this date (Europe/Amsterdam)."""
        return cases.filter_received(queryset=queryset, before=value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Only overdue cases (``true``) or only cases that are not overdue (``false``)."""
        return cases.filter_overdue(queryset=queryset, overdue=value)

    def filter_closed(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Nothing by itself: ``filter_queryset`` leaves closed cases out unless this is set."""
        return queryset

    def filter_unread(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Only cases unread for the requesting user (``true``) or only the others."""
        user = getattr(self.request, "user", None)
        return cases.filter_unread(queryset=queryset, user=user, unread=value)


class AccessLogFilter(django_filters.FilterSet):
    """The access log by user (``user``: a user id) and by case (``case``: a case number)."""

    user = django_filters.ModelChoiceFilter(label=_("User"), queryset=None)
    case = django_filters.CharFilter(label=_("Case number"), field_name="case_number")

    class Meta:
        model = AccessLog
        fields = ["user", "case"]

    def __init__(self, data: QueryDict | None = None,
                 queryset: QuerySet[AccessLog] | None = None) -> None:
        super().__init__(data, queryset=queryset)
        self.filters["user"].queryset = get_user_model().objects.order_by("username")
