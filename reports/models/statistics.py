"""Annual statistics: the job runs and the immutable per-municipality snapshots they produce."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .complaint import AppendOnlyModel
from .reference import Municipality, Office


class StatisticsRun(models.Model):
    """One run of the annual statistics job for one office and registration year."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="statistics_runs")
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    #: For scheduled runs: the schedule slot (timezone-aware). One run per office and slot.
    slot = models.DateTimeField(null=True, blank=True)
    #: Municipalities counted so far, out of ``progress_total``, for the back office.
    progress = models.PositiveSmallIntegerField(default=0)
    progress_total = models.PositiveSmallIntegerField(default=0)
    #: Complaints counted on at least one form of the run (a complaint can be on two forms:
    #: the reporter's residence and the incident municipality); ``None`` for older runs.
    counted_cases = models.PositiveIntegerField(null=True, blank=True)
    #: Of ``counted_cases``: those that were part of a mass report ("waarvan massameldingen"),
    #: and the number of distinct mass reports (incidents) they concern; ``None`` for older runs.
    mass_reports = models.PositiveIntegerField(null=True, blank=True)
    mass_incidents = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "slot"], name="unique_run_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year} run {self.pk} ({self.state})"


class AnnualSnapshot(AppendOnlyModel):
    """The legal annual form of one municipality for one year, as counted by one run.

    ``data`` holds ``{"tables": {table: {row: {column: int}}}}`` with the columns
    ``resident_here``, ``resident_elsewhere``, ``resident_total``, ``non_resident_here`` and
    ``total`` (Regeling registratieformulier antidiscriminatievoorzieningen).
    """

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="snapshots")
    year = models.PositiveSmallIntegerField()
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(StatisticsRun, on_delete=models.PROTECT, related_name="snapshots")
    created_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField()

    class Meta:
        ordering = ["year", "municipality__name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year", "municipality"],
                                    name="unique_snapshot_per_municipality_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.municipality_id}"
