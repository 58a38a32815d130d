"""Reads for privacy by design: which cases are due for removal of their personal data
(retention) and what a data-subject access export (GDPR art. 15) contains.

Callers check permissions first (``reports.selectors.permissions``); nothing here does.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.models import Attachment, Complaint, ComplaintHistory, Message
from reports.timezones import AMSTERDAM, local_today
from reports.vocabulary import (
    FINAL_STATUSES,
    Anonymity,
    Channel,
    ContactType,
    Ground,
    Handling,
    Nature,
    Outcome,
    RejectionReason,
    SocietalDomain,
    Status,
)

History = ComplaintHistory.Action

#: Version of the layout of ``personal-data.json`` in a subject-access export.
EXPORT_FORMAT_VERSION = 1


def retention_cutoff(*, today: datetime.date | None = None,
                     years: int | None = None) -> datetime.date:
    """The first calendar date (Europe/Amsterdam) whose closures are *not* yet due.

    A case closed on local date D is due when D is more than ``years`` years ago, i.e.
    ``D < today - years`` (29 February counts back to 28 February).

    Args:
        today: the date to count from; defaults to today in Europe/Amsterdam.
        years: the retention period; defaults to ``settings.RETENTION_YEARS`` (5).
    """
    today = today or local_today()
    years = settings.RETENTION_YEARS if years is None else years
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        return today.replace(year=today.year - years, day=28)


def due_for_retention(*, today: datetime.date | None = None) -> QuerySet[Complaint]:
    """Cases whose personal data must go now: finished (``FINAL_STATUSES``), closed before
    ``retention_cutoff(today=today)`` as a calendar date in Europe/Amsterdam, and not already
    removed. Ordered by id (for batches)."""
    cutoff = retention_cutoff(today=today)
    start_of_cutoff = datetime.datetime.combine(cutoff, datetime.time(), tzinfo=AMSTERDAM)
    return (Complaint.objects.filter(status__in=FINAL_STATUSES, closed_at__isnull=False,
                                     closed_at__lt=start_of_cutoff,
                                     personal_data_removed_at__isnull=True)
            .order_by("pk"))


def _label(choices: type[models.TextChoices], code: str) -> str:
    """The label of ``code`` (in the active language), ``""`` for an empty code."""
    if not code:
        return ""
    return str(choices(code).label) if code in choices.values else code


def _iso(value: datetime.datetime | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(AMSTERDAM).isoformat()
    return value.isoformat()


#: Characters dropped from file names inside the export: controls, quotes, path separators.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"'/\\:*?<>|]")


def export_file_name(*, index: int, original_name: str) -> str:
    """The path of an attachment inside the export ZIP: ``attachments/<index>-<name>``, the name
    stripped of controls, quotes and path separators (no path can escape the folder)."""
    cleaned = _UNSAFE.sub("", original_name).strip().lstrip(".") or "file"
    return f"attachments/{index}-{cleaned[:120]}"


def _status_history(complaint: Complaint) -> list[dict[str, object]]:
    """Registration, status changes and removal of personal data, in plain terms (no staff
    names, no internal reasons)."""
    rows: list[dict[str, object]] = []
    for row in ComplaintHistory.objects.filter(
            complaint=complaint,
            action__in=[History.CREATED, History.STATUS, History.PERSONAL_DATA_REMOVED]):
        if row.action == History.CREATED:
            rows.append({"at": _iso(row.at), "event": str(History.CREATED.label),
                         "from": "", "to": _label(Status, row.to_value)})
        elif row.action == History.STATUS:
            rows.append({"at": _iso(row.at), "event": str(History.STATUS.label),
                         "from": _label(Status, row.from_value),
                         "to": _label(Status, row.to_value.partition(":")[0])})
        else:
            rows.append({"at": _iso(row.at), "event": str(History.PERSONAL_DATA_REMOVED.label),
                         "from": "", "to": ""})
    return rows


@dataclass(frozen=True)
class ExportAttachment:
    """One attachment of a subject-access export: its path in the ZIP and its row."""

    path: str
    attachment: Attachment


@dataclass(frozen=True)
class SubjectAccessData:
    """What a subject-access export holds: ``document`` (JSON-ready, see ``subject_access_data``)
    and the attachments to add as files."""

    document: dict[str, object]
    attachments: tuple[ExportAttachment, ...]


def subject_access_data(*, complaint: Complaint,
                        exported_at: datetime.datetime | None = None) -> SubjectAccessData:
    """The reporter's data held on ``complaint``, for a GDPR art. 15 export.

    Labels are in the active language (the caller chooses it). ``document`` has exactly the keys
    ``format``, ``case_number``, ``office``, ``exported_at``, ``reporter``, ``report``,
    ``classification``, ``status``, ``status_history``, ``messages``, ``attachments`` and
    ``personal_data_removed_at``; times are ISO 8601 in Europe/Amsterdam. Messages are those in
    both directions (never internal notes, which are the office's working notes); status history
    has no staff names or internal reasons. Four queries plus one per attachment file (read by
    the caller).

    Args:
        exported_at: the moment of export (defaults to now).
    """
    exported_at = exported_at or timezone.now()
    grounds = list(complaint.grounds.values_list("code", flat=True).order_by("code"))
    handling = list(complaint.handling.values_list("code", flat=True).order_by("code"))
    messages = [
        {"at": _iso(message.created_at),
         "direction": "to_reporter" if message.direction == Message.Direction.TO_REPORTER
         else "from_reporter",
         "direction_label": str(Message.Direction(message.direction).label),
         "body": message.body}
        for message in Message.objects.filter(complaint=complaint)
    ]
    files: list[ExportAttachment] = []
    listed = []
    for index, attachment in enumerate(Attachment.objects.filter(complaint=complaint), start=1):
        path = export_file_name(index=index, original_name=attachment.original_name)
        files.append(ExportAttachment(path=path, attachment=attachment))
        listed.append({"file": path, "name": attachment.original_name,
                       "content_type": attachment.content_type, "size": attachment.size,
                       "added_at": _iso(attachment.uploaded_at),
                       "added_by_reporter": attachment.uploaded_by_id is None})
    document: dict[str, object] = {
        "format": EXPORT_FORMAT_VERSION,
        "case_number": complaint.case_number,
        "office": complaint.office.name,
        "exported_at": _iso(exported_at),
        "reporter": {
            "name": complaint.reporter_name,
            "email": complaint.reporter_email,
            "phone": complaint.reporter_phone,
            "municipality_of_residence": (complaint.reporter_residence.name
                                          if complaint.reporter_residence else ""),
            "language": complaint.reporter_language,
            "anonymity": _label(Anonymity, complaint.anonymity),
            "consent_to_contact": complaint.consent_to_contact,
            "consents_to_mediation": complaint.reporter_consents_mediation,
        },
        "report": {
            "received_at": _iso(complaint.received_at),
            "channel": _label(Channel, complaint.channel),
            "incident_date": _iso(complaint.incident_date),
            "incident_municipality": (complaint.incident_municipality.name
                                      if complaint.incident_municipality else ""),
            "description": complaint.description,
        },
        "classification": {
            "contact_type": _label(ContactType, complaint.contact_type),
            "grounds": [_label(Ground, code) for code in grounds],
            "societal_domain": _label(SocietalDomain, complaint.societal_domain),
            "nature": _label(Nature, complaint.nature),
            "handling": [_label(Handling, code) for code in handling],
        },
        "status": {
            "current": _label(Status, complaint.status),
            "outcome": _label(Outcome, complaint.outcome),
            "reason_for_rejection": _label(RejectionReason, complaint.rejection_reason),
            "closed_at": _iso(complaint.closed_at),
        },
        "status_history": _status_history(complaint),
        "messages": messages,
        "attachments": listed,
        "personal_data_removed_at": _iso(complaint.personal_data_removed_at),
    }
    return SubjectAccessData(document=document, attachments=tuple(files))


def export_readme() -> str:
    """The plain-language README placed in every subject-access export (active language)."""
    return _(
        "This file contains the personal data that we hold about you for one report.\n\n"
        "personal-data.json: your details, what you reported, how we classified it, the status "
        "of your report and the messages between you and us.\n"
        "attachments/: the files that belong to your report.\n")
