"""The complaint (klacht/melding) and everything recorded about it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from reports.fields import EncryptedCharField, EncryptedEmailField, EncryptedTextField
from reports.storage import encrypted_storage
from reports.vocabulary import (
    Anonymity,
    Channel,
    ContactType,
    Ground,
    Handling,
    IncidentPlace,
    Nature,
    Outcome,
    RejectionReason,
    SocietalDomain,
    Status,
)

from .incident import Incident
from .reference import Municipality, Office
from .team import Team


class AppendOnlyModel(models.Model):
    """A model whose rows are written once and never changed afterwards."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        """Insert the row.

        Raises:
            ValueError: the row already exists (rows are immutable).
        """
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)


class CaseNumberSequence(models.Model):
    """The last case number handed out per office and year; locked row by row to stay gap-free."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="unique_sequence_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last_number}"


class Complaint(models.Model):
    """One registration: a complaint (klacht), report (melding) or information request.

    Reporter data is optional throughout, since reporters may stay anonymous. ``received_at`` is
    timezone-aware; the registration year is its calendar year in Europe/Amsterdam.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: The public form's one-time token: a repeated submission finds the complaint it created.
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="complaints")
    #: The desk that handles it (routing: ``reports.services.desks.route_desk``); only the desk's
    #: people, and users who work across desks, see it. Empty only for rows written outside the
    #: services: then only users who work across desks see it.
    desk = models.ForeignKey("reports.Desk", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="complaints", verbose_name=_("desk"))
    case_number = models.CharField(_("case number"), max_length=32, editable=False)
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    contact_type = models.CharField(_("contact type"), max_length=30, choices=ContactType.choices,
                                    default=ContactType.REPORT)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices,
                              default=Status.NEW, db_index=True)
    #: Optimistic-locking counter: every change increments it; a save based on an older value is
    #: refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    outcome = models.CharField(_("outcome"), max_length=30, blank=True, choices=Outcome.choices)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=30, blank=True,
                                        choices=RejectionReason.choices)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("duplicate of"))

    # Encrypted at rest (reports.fields): identity, contact and the description.
    reporter_name = EncryptedCharField(_("name"), max_length=200, blank=True)
    reporter_email = EncryptedEmailField(_("e-mail address"), blank=True)
    reporter_phone = EncryptedCharField(_("phone number"), max_length=40, blank=True)
    #: The language the reporter used the public pages in (for e-mails to them).
    reporter_language = models.CharField(max_length=10, blank=True, editable=False)
    reporter_residence = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("municipality of residence"),
    )
    consent_to_contact = models.BooleanField(_("consent to be contacted"), default=False)
    anonymity = models.CharField(_("anonymity"), max_length=30, choices=Anonymity.choices,
                                 default=Anonymity.NAMED)
    reporter_consents_mediation = models.BooleanField(
        _("reporter consents to mediation"), default=False)
    other_party_consents_mediation = models.BooleanField(
        _("other party consents to mediation"), default=False)

    incident_date = models.DateField(_("date of the incident"), null=True, blank=True)
    incident_municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("municipality of the incident"),
    )
    #: ``municipality`` exactly when ``incident_municipality`` is set; else ``online`` (no
    #: municipality applies) or ``unknown`` (not known yet). See docs/case-handling.md for how
    #: each counts in the annual form.
    incident_place = models.CharField(_("place of the incident"), max_length=20,
                                      choices=IncidentPlace.choices,
                                      default=IncidentPlace.UNKNOWN)
    #: The incident municipality's name, copied by ``save`` (and by the municipality update
    #: service on a rename): the case list sorts by it through an index, not over a join to
    #: 342 municipalities (issue 13). Null exactly when ``incident_municipality`` is, so that
    #: cases without one sort last (ascending) as with the other columns.
    incident_municipality_name = models.CharField(  # noqa: DJ001  # null: see above
        max_length=100, null=True, blank=True, editable=False)
    description = EncryptedTextField(_("what happened"), blank=True)
    #: Keyed hashes of the description's words (reports.crypto.index_terms): search without
    #: plaintext.
    description_index = models.TextField(blank=True, editable=False)

    #: The receipt code (reports.services.receipts): its first group in clear, to find the case,
    #: and a keyed hash of the whole code (``k1$`` + Fernet token; older rows: Argon2id). Both
    #: blank: no code, or it no longer works.
    receipt_code_prefix = models.CharField(max_length=4, blank=True, db_index=True,
                                           editable=False)
    receipt_code_hash = models.CharField(max_length=200, blank=True, editable=False)
    #: When the personal data was removed (retention or an art. 17 request), and why.
    personal_data_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    personal_data_removal = models.CharField(max_length=20, blank=True, editable=False,
                                             choices=[("retention", _("retention period")),
                                                      ("request", _("erasure request"))])

    societal_domain = models.CharField(_("societal domain"), max_length=30, blank=True,
                                       choices=SocietalDomain.choices)
    nature = models.CharField(_("nature"), max_length=30, blank=True, choices=Nature.choices)
    #: The mass report this report is part of (``reports.services.incidents``); indexed by the
    #: partial index ``complaint_incident`` below, not by the default foreign-key index.
    incident = models.ForeignKey(Incident, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="complaints", db_index=False,
                                 verbose_name=_("mass report"))
    #: A caseworker changed this report's grounds, domain or nature while it was in a mass
    #: report: it keeps its own classification instead of the incident's.
    classification_overridden = models.BooleanField(_("own classification"), default=False)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_complaints", verbose_name=_("caseworker"),
    )
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="complaints", verbose_name=_("team"))
    first_response_due = models.DateField(_("first response due"), null=True, blank=True,
                                          db_index=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.UniqueConstraint(fields=["office", "case_number"],
                                    name="unique_case_number_per_office"),
            models.UniqueConstraint(fields=["office", "external_reference"],
                                    condition=~models.Q(external_reference=""),
                                    name="unique_external_reference_per_office"),
            models.CheckConstraint(
                condition=(models.Q(incident_place="municipality",
                                    incident_municipality__isnull=False)
                           | (~models.Q(incident_place="municipality")
                              & models.Q(incident_municipality__isnull=True))),
                name="incident_place_matches_municipality"),
        ]
        indexes = [
            # The coordinator's "place unknown" list before the annual run, newest first.
            models.Index(F("received_at").desc(), name="complaint_place_unknown_idx",
                         condition=models.Q(incident_place="unknown")),
            # The queue (reports.selectors.permissions.open_unassigned_condition): open cases
            # nobody holds, newest first, part of every caseworker's list (issue 13).
            models.Index(fields=["-received_at", "-id"], name="complaint_open_unassigned",
                         condition=models.Q(assigned_to__isnull=True)
                         & ~models.Q(status__in=["closed", "rejected"])),
            # Open cases someone holds, per holder: the daily reminder digest
            # (reports.selectors.reminders) reads only these, not the closed past.
            models.Index(fields=["assigned_to", "status"], name="complaint_open_assigned",
                         condition=models.Q(assigned_to__isnull=False)
                         & ~models.Q(status__in=["closed", "rejected"])),
            # The case list's default: open cases, newest first (issue 12 §5).
            models.Index(fields=["-received_at", "-id"], name="complaint_open_received",
                         condition=~models.Q(status__in=["closed", "rejected"])),
            # Desks (issue 11 §1): every list is scoped to the user's desks. A desk's open cases
            # newest first, its queue, and its cases per status (status filter, dashboard).
            # The holder is included so that a caseworker's queue condition is read from the
            # index (reports.selectors.permissions.visible_complaints; issue 13).
            models.Index(fields=["desk", "-received_at", "-id"], name="complaint_desk_open",
                         include=["assigned_to"],
                         condition=~models.Q(status__in=["closed", "rejected"])),
            # All of a desk's cases newest first (also closed ones, deep pages), with what the
            # queue condition needs (issue 13).
            models.Index(fields=["desk", "-received_at", "-id"], name="complaint_desk_received",
                         include=["assigned_to", "status"]),
            models.Index(fields=["desk", "-received_at", "-id"], name="complaint_desk_queue",
                         condition=models.Q(assigned_to__isnull=True)
                         & ~models.Q(status__in=["closed", "rejected"])),
            models.Index(fields=["desk", "status", "-received_at"], name="complaint_desk_status"),
            # The reports of one mass report, newest first (incident page, jobs, counting).
            models.Index(fields=["incident", "-received_at", "-id"], name="complaint_incident",
                         condition=models.Q(incident__isnull=False)),
            # The dashboard: open cases per holder (the queue too) with what "overdue" needs,
            # read index-only (reports.selectors.cases.dashboard).
            models.Index(fields=["assigned_to"],
                         include=["status", "first_response_due", "first_response_at"],
                         name="complaint_open_by_assignee",
                         condition=~models.Q(status__in=["closed", "rejected"])),
            # The case list sorted by municipality (either direction, read backwards).
            models.Index(fields=["incident_municipality_name", "id"],
                         name="complaint_municipality_sort"),
            models.Index(fields=["desk", "incident_municipality_name", "id"],
                         name="complaint_desk_municipality"),
        ]
        permissions = [
            ("view_all_complaints", _("Can see every complaint of the office")),
            ("view_unassigned_complaints", _("Can see the queue of unassigned complaints")),
            ("change_all_complaints", _("Can handle every complaint of the office")),
            ("claim_complaint", _("Can take an unassigned complaint")),
            ("assign_complaint", _("Can assign complaints to caseworkers")),
            ("view_reporter_contact", _("Can see reporter contact details")),
            ("run_annual_statistics", _("Can run and download the annual statistics")),
            ("register_complaint", _("Can register reports received by phone, e-mail, letter "
                                     "or in person")),
            ("share_complaint", _("Can share complaints with a team")),
            ("export_complaints", _("Can export the case list")),
            ("view_access_log", _("Can see the access log")),
            ("view_dashboard", _("Can see the coordinator dashboard")),
            ("export_personal_data", _("Can export a reporter's personal data (GDPR art. 15)")),
            ("erase_personal_data", _("Can erase a reporter's personal data (GDPR art. 17)")),
            ("manage_incidents", _("Can group reports into mass reports and handle them")),
            ("bulk_change_complaints", _("Can change many cases at once from the case list")),
        ]

    def __str__(self) -> str:
        return self.case_number

    def save(self, *args, **kwargs) -> None:
        """Save, keeping ``incident_municipality_name`` in step with ``incident_municipality``
        (also when ``update_fields`` names only the municipality)."""
        update_fields: Iterable[str] | None = kwargs.get("update_fields")
        named = update_fields is not None and "incident_municipality" in update_fields
        field = type(self).incident_municipality.field
        municipality = self.incident_municipality if field.is_cached(self) else None
        if self.incident_municipality_id is None:
            self.incident_municipality_name = None
        elif municipality is not None:
            self.incident_municipality_name = municipality.name
        elif named or self._state.adding:  # only an id was set: one read of the name
            self.incident_municipality_name = Municipality.objects.filter(
                pk=self.incident_municipality_id).values_list("name", flat=True).first()
        if named and update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "incident_municipality_name"}
        super().save(*args, **kwargs)


class ComplaintStatusCount(models.Model):
    """How many complaints have each status: the dashboard's per-status numbers without counting
    1,000,000 rows (issue 13).

    Kept by the services that set a status (``reports.services.complaints``: registration and
    every status change) in the same transaction; ``recount_statuses`` rebuilds it from the
    complaints (migration, benchmark loader). One row per status, zeros included.
    """

    status = models.CharField(max_length=30, choices=Status.choices, unique=True)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.status}: {self.count}"


class ComplaintGround(models.Model):
    """One discrimination ground of a complaint (a complaint may have several)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="grounds")
    code = models.CharField(max_length=30, choices=Ground.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["complaint", "code"], name="unique_ground"),
        ]

    def __str__(self) -> str:
        return self.code


class ComplaintHandling(models.Model):
    """One manner of handling of a complaint (a complaint may have several, or none yet)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="handling")
    code = models.CharField(max_length=30, choices=Handling.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["complaint", "code"], name="unique_handling"),
        ]

    def __str__(self) -> str:
        return self.code


class ComplaintHistory(AppendOnlyModel):
    """An append-only record of one change to a complaint: who, when, what, from and to."""

    class Action(models.TextChoices):
        CREATED = "created", _("Registered")
        STATUS = "status", _("Status changed")
        ASSIGNMENT = "assignment", _("Assigned")
        CLASSIFICATION = "classification", _("Classified")
        TEAM = "team", _("Shared with team")
        REPORTER_DATA = "reporter_data", _("Reporter data changed")
        PERSONAL_DATA_REMOVED = "personal_data", _("Personal data removed")
        REPORTER_MESSAGE = "reporter_message", _("Message from the reporter")
        INCIDENT = "incident", _("Incident details changed")
        LINK = "link", _("Related case linked")
        UNLINK = "unlink", _("Related case unlinked")
        DESK = "desk", _("Moved to another desk")
        MASS_ADDED = "mass_added", _("Added to mass report")
        MASS_REMOVED = "mass_removed", _("Removed from mass report")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    #: The reporter caused this change themselves (a reply through the follow-up portal moved
    #: the case on); ``actor`` is ``None`` then.
    by_reporter = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # The latest status change per case (reports.selectors.reminders).
            models.Index(fields=["complaint", "-at"], name="history_status_change_idx",
                         condition=models.Q(action="status")),
        ]
        verbose_name = _("history entry")
        verbose_name_plural = _("history")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Note(AppendOnlyModel):
    """An internal note by a caseworker. Never shown to the reporter."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    text = EncryptedTextField(_("note"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on complaint {self.complaint_id}"


class Message(AppendOnlyModel):
    """Correspondence with the reporter: a message sent to them or one received from them.

    A message from the reporter with no ``author`` came in through the follow-up portal
    (``/melden/opvolgen/``); one with an author was recorded by a caseworker. Messages to the
    reporter are shown in the portal."""

    class Direction(models.TextChoices):
        TO_REPORTER = "out", _("To the reporter")
        FROM_REPORTER = "in", _("From the reporter")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    body = EncryptedTextField(_("message"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.direction}) on complaint {self.complaint_id}"


class CaseLink(models.Model):
    """Two related cases, linked both ways: one row per pair (``first`` has the lower id).

    Read through ``reports.selectors.links``; written by ``reports.services.links``.
    """

    class Kind(models.TextChoices):
        SAME_INCIDENT = "same_incident", _("About the same incident")
        FOLLOW_UP = "follow_up", _("Follow-up complaint by the same person")
        DUPLICATE = "duplicate", _("Duplicate")

    first = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind of link"), max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="unique_case_link"),
            models.CheckConstraint(condition=models.Q(first__lt=F("second")),
                                   name="case_link_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} {self.kind} {self.second_id}"


class UnreadCase(models.Model):
    """Reporter activity on a case that ``user`` has not seen yet: one row per user and case.

    Written when the reporter replies or sends files through the follow-up portal, for the
    case's assignee (or, while unassigned, the members of its team; without a team, everyone
    who handles the unassigned queue). Deleted when that user opens the case. The unique
    constraint's index (user first) serves "my unread cases" and the list's unread marker.
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE,
                                  related_name="unread_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    #: The first reporter activity the user has not seen (timezone-aware).
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "complaint"], name="unique_unread_per_user"),
        ]

    def __str__(self) -> str:
        return f"complaint {self.complaint_id} unread for user {self.user_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A generated storage name; the uploaded filename is kept only in ``original_name``."""
    return f"attachments/{instance.complaint.public_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file belonging to a case, stored outside any public URL (``PRIVATE_MEDIA_ROOT``) and
    served only by a permission-checked view."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE,
                                  related_name="attachments")
    #: Encrypted on disk (reports.storage.EncryptedPrivateStorage).
    file = models.FileField(upload_to=attachment_path, storage=encrypted_storage, max_length=200)
    #: As uploaded (any Unicode); encrypted, and escaped wherever shown.
    original_name = EncryptedCharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    #: The staff member who added it; ``None``: the reporter (intake form or follow-up portal).
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"attachment {self.pk} on complaint {self.complaint_id}"


class ComplaintUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key object permission of a user on a complaint (django-guardian)."""

    content_object = models.ForeignKey(Complaint, on_delete=models.CASCADE)


class ComplaintGroupObjectPermission(GroupObjectPermissionBase):
    """Direct foreign-key object permission of a group on a complaint (django-guardian)."""

    content_object = models.ForeignKey(Complaint, on_delete=models.CASCADE)
