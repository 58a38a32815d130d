"""Released annual reports: immutable, versioned, per municipality and office-wide."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .complaint import AppendOnlyModel
from .reference import Municipality, Office
from .statistics import StatisticsRun

#: ``AnnualReport.scope`` of the office-wide summary across all its municipalities.
OFFICE_SCOPE = "office"


class AnnualReport(AppendOnlyModel):
    """One released version of the legal annual form for a municipality (``scope`` = its CBS
    code) or the office-wide summary (``scope`` = ``"office"``, ``municipality`` empty).

    Released reports are never changed: regenerating a year after late corrections creates the
    next ``version``, with ``changes`` listing the published cells that differ from the previous
    one. Only a protected form that passed the disclosure audit is released.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="annual_reports")
    year = models.PositiveSmallIntegerField(_("year"))
    scope = models.CharField(max_length=10)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="annual_reports")
    version = models.PositiveSmallIntegerField(_("version"))
    run = models.ForeignKey(StatisticsRun, on_delete=models.PROTECT, related_name="reports")
    released_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    threshold = models.PositiveSmallIntegerField()
    #: ``{"tables": {table: {row: {column: int}}}}`` as counted.
    exact_data = models.JSONField()
    #: The published form: the same shape, with suppressed cells ``None`` and a ``suppressed``
    #: map ``{table: {row: [column, ...]}}``.
    protected_data = models.JSONField()
    #: Published cells that differ from the previous version: ``[{"table", "row", "column",
    #: "before", "after"}]``; empty for version 1.
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-year", "scope", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year", "scope", "version"],
                                    name="unique_report_version"),
        ]
        permissions = [
            ("release_annual_reports", _("Can release annual reports")),
            ("view_exact_statistics", _("Can see and write unprotected (exact) counts")),
            ("export_national_report",
             _("Can export the exact counts for the national report")),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.scope} v{self.version}"


class MunicipalityUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key object permission of a user on a municipality (municipal accounts)."""

    content_object = models.ForeignKey(Municipality, on_delete=models.CASCADE)


class MunicipalityGroupObjectPermission(GroupObjectPermissionBase):
    """Direct foreign-key object permission of a group on a municipality."""

    content_object = models.ForeignKey(Municipality, on_delete=models.CASCADE)
