"""Desks (loketten) of the office, and the municipalities each desk serves over time."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .reference import Municipality, Office


class Desk(models.Model):
    """A local desk (loket) of the office. Staff and teams belong to desks; every case has one.

    One regional office has one desk, its default; a national organisation has many. Cases,
    queues, lists and statistics of a desk are seen by its members only, unless a user holds
    ``reports.work_across_desks`` (``reports.selectors.permissions.desk_scope``). The default desk
    receives a new report when no desk serves its municipalities (``reports.services.desks``).
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="desks",
                               verbose_name=_("office"))
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    is_default = models.BooleanField(
        _("default desk"), default=False,
        help_text=_("Receives the reports that no desk's municipalities route elsewhere."))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="desks",
                                     blank=True, verbose_name=_("staff"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="unique_desk_code"),
            models.UniqueConstraint(fields=["office"], condition=Q(is_default=True),
                                    name="one_default_desk_per_office"),
        ]
        permissions = [
            ("work_across_desks", _("Can work on the cases and statistics of every desk")),
            ("manage_desks", _("Can manage desks, their staff and their municipalities")),
        ]

    def __str__(self) -> str:
        return self.name


class DeskMunicipality(models.Model):
    """``desk`` serves ``municipality`` from ``valid_from`` up to and including ``valid_to``
    (empty: still serving). Dates are calendar days in Europe/Amsterdam.

    A municipality is served by at most one desk on any day: periods of one municipality never
    overlap (``clean``; the service ``reports.services.desks.assign_municipality`` also locks the
    municipality's row so two concurrent assignments cannot both pass). A municipality moves to
    another desk by ending its period (e.g. ``valid_to`` 31 December) and starting a new one on
    1 January.
    """

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="municipality_periods",
                             verbose_name=_("desk"))
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="desk_periods",
                                     verbose_name=_("municipality"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (inclusive)"), null=True, blank=True,
                                help_text=_("Empty: still serving."))

    class Meta:
        ordering = ["municipality_id", "valid_from"]
        verbose_name = _("municipality served by a desk")
        verbose_name_plural = _("municipalities served by desks")
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__isnull=True)
                                   | Q(valid_to__gte=models.F("valid_from")),
                                   name="desk_period_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["municipality", "valid_from"], name="desk_period_municipality"),
            models.Index(fields=["desk", "valid_from"], name="desk_period_desk"),
        ]

    def __str__(self) -> str:
        end = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.municipality_id} → {self.desk_id} ({self.valid_from.isoformat()}–{end})"

    def overlapping(self) -> models.QuerySet[DeskMunicipality]:
        """Other periods of the same municipality that share at least one day with this one."""
        others = DeskMunicipality.objects.filter(municipality_id=self.municipality_id)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
        if self.valid_to is not None:
            others = others.filter(valid_from__lte=self.valid_to)
        return others

    def clean(self) -> None:
        """Refuse an end before the start and a period overlapping another of the municipality.

        Raises:
            ValidationError: with a translated message naming the overlapping desk and dates.
        """
        if self.valid_from is None or self.municipality_id is None:
            return
        if self.valid_from < datetime.date(2000, 1, 1):
            raise ValidationError({"valid_from": _("Choose a date from 1 January 2000.")})
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})
        clash = self.overlapping().select_related("desk").first()
        if clash is not None:
            raise ValidationError(
                _("%(municipality)s is already served by %(desk)s from %(start)s%(end)s; periods "
                  "of one municipality may not overlap.") % {
                    "municipality": self.municipality.name, "desk": clash.desk.name,
                    "start": clash.valid_from.isoformat(),
                    "end": _(" to %(date)s") % {"date": clash.valid_to.isoformat()}
                    if clash.valid_to else ""},
                code="overlap")
