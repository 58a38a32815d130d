"""Filters for the back-office case list (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from reports.forms import current_municipalities
from reports.models import Complaint
from reports.selectors.permissions import assignable_users
from reports.vocabulary import Status


class ComplaintFilter(django_filters.FilterSet):
    """Status, municipality (of residence or of the incident) and assignee."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    municipality = django_filters.ModelChoiceFilter(
        label=_("Municipality"), queryset=current_municipalities(),
        method="filter_municipality",
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("Caseworker"), field_name="assigned_to", queryset=None,
        null_label=_("Unassigned"),
    )

    class Meta:
        model = Complaint
        fields = ["status", "municipality", "assignee"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.filters["assignee"].queryset = assignable_users()

    def filter_municipality(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        """Cases where the reporter lives in, or the incident happened in, the municipality."""
        return queryset.filter(Q(reporter_residence=value) | Q(incident_municipality=value))
