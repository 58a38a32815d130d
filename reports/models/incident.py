"""Mass reports (massameldingen): one incident that many reporters report, and the background
jobs that handle many cases at once (grouping, reply to all, close all, bulk actions)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.fields import EncryptedTextField
from reports.vocabulary import Ground, Nature, SocietalDomain

from .reference import Office


class Incident(models.Model):
    """One incident many people report (a broadcast, a public statement): a mass report.

    Its classification (grounds, societal domain, nature: the vocabulary of ``Complaint``) is
    taken over by every report in it whose ``classification_overridden`` is false. Each report
    keeps counting on the legal form by itself; the statistics also count how many counted
    reports were part of an incident and how many distinct incidents they concern.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(_("title"), max_length=200)
    #: For staff only; encrypted at rest like every other free text.
    description = EncryptedTextField(_("description for staff"), blank=True)
    societal_domain = models.CharField(_("societal domain"), max_length=30, blank=True,
                                       choices=SocietalDomain.choices)
    nature = models.CharField(_("nature"), max_length=30, blank=True, choices=Nature.choices)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: Set when a "close all" job finished; ``None`` while open.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mass report")
        verbose_name_plural = _("mass reports")
        indexes = [
            # The incident list and the case page's choice of open incidents, newest first.
            models.Index(fields=["office", "-created_at"], name="incident_office_created"),
        ]

    def __str__(self) -> str:
        return self.title


class IncidentGround(models.Model):
    """One discrimination ground of an incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="grounds")
    code = models.CharField(max_length=30, choices=Ground.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "code"], name="unique_incident_ground"),
        ]

    def __str__(self) -> str:
        return self.code


class CaseJob(models.Model):
    """A change to many cases, run in the background in batches (``reports.tasks.run_case_job``,
    ``reports.services.casejobs.run_case_job``), with its progress for the back office.

    ``case_ids`` is fixed when the job is created (complaint primary keys in ascending order);
    ``position`` is how many of them were handled. Each batch is one transaction that handles
    its cases and moves ``position`` on, so a retried or restarted job continues after the last
    committed batch and handles no case twice.
    """

    class Kind(models.TextChoices):
        GROUP = "group", _("Add reports to the mass report")
        CLASSIFY = "classify", _("Apply the mass report's classification")
        REPLY = "reply", _("Reply to all reporters")
        CLOSE = "close", _("Close all reports")
        ASSIGN = "assign", _("Assign")
        SHARE = "share", _("Share with team")
        STATUS = "status", _("Change status")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="jobs")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    #: The job's arguments (status, outcome, handling codes, assignee id, team id; no text).
    params = models.JSONField(default=dict, blank=True)
    #: A reply's text (encrypted at rest; never logged).
    body = EncryptedTextField(blank=True)
    case_ids = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    #: Cases left alone, with why: ``[{"case": case number, "reason": text}]``.
    skipped = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "-created_at"], name="casejob_incident_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.state} {self.position}/{self.total})"

    @property
    def finished(self) -> bool:
        """True once the job succeeded or failed."""
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)
