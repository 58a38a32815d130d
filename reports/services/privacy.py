"""Privacy by design: removing personal data (retention period and GDPR art. 17 requests) and
exporting it (GDPR art. 15).

What "personal data" means here (docs/privacy.md): the reporter's name, e-mail address and phone
number, the description (and its search index), messages to and from the reporter, attachments
(rows and encrypted files), internal notes (they routinely hold names), outbox e-mails about the
case or its messages and the receipt code. The classification (contact type, grounds, societal
domain, nature, handling, municipalities of the incident and of residence), dates, status and
outcome stay, so that released annual statistics remain reproducible.

Logs hold counts only, never contents.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.models import (
    AccessLog,
    Attachment,
    Complaint,
    ComplaintHistory,
    Message,
    Note,
    OutboundEmail,
)
from reports.selectors import permissions
from reports.selectors.privacy import due_for_retention, export_readme, subject_access_data
from reports.services import receipts
from reports.services.audit import log_access
from reports.services.notifications import REPORTER_MESSAGE
from reports.storage import encrypted_storage
from reports.types import User

logger = logging.getLogger(__name__)

#: ``Complaint.personal_data_removal`` values.
RETENTION = "retention"
REQUEST = "request"
#: Cases handled per transaction by ``apply_retention``.
BATCH_SIZE = 100


@dataclass(frozen=True)
class Removal:
    """Counts of what a removal deleted or cleared (numbers only, for logs and messages)."""

    cases: int = 0
    messages: int = 0
    attachments: int = 0
    notes: int = 0
    emails: int = 0

    def __add__(self, other: Removal) -> Removal:
        return Removal(self.cases + other.cases, self.messages + other.messages,
                       self.attachments + other.attachments, self.notes + other.notes,
                       self.emails + other.emails)

    def as_dict(self) -> dict[str, int]:
        """The counts as a dict (for the audit log's ``detail``)."""
        return {"cases": self.cases, "messages": self.messages,
                "attachments": self.attachments, "notes": self.notes, "emails": self.emails}


def _delete_attachment_files(*, folder: str, names: list[str]) -> None:
    """Delete the encrypted files ``names`` and anything else left in ``folder`` (the case's
    attachment folder), then the folder itself. Missing files are ignored."""
    for name in names:
        encrypted_storage.delete(name)
    try:
        _dirs, leftovers = encrypted_storage.listdir(folder)
    except FileNotFoundError:
        return
    for leftover in leftovers:
        encrypted_storage.delete(f"{folder}/{leftover}")
    try:
        os.rmdir(encrypted_storage.path(folder))
    except OSError:
        pass


def _emails_about(complaint: Complaint) -> Q:
    """The outbox rows about ``complaint``: their deduplication key holds its public id
    (``complaint:<public id>`` events) or one of its messages (``notifications.REPORTER_MESSAGE``
    events, ``message:<id>``)."""
    condition = Q(dedup_key__contains=str(complaint.public_id))
    for pk in Message.objects.filter(complaint=complaint).values_list("pk", flat=True):
        condition |= Q(dedup_key__startswith=f"{REPORTER_MESSAGE}:message:{pk}:")
    return condition


@transaction.atomic
def remove_personal_data(*, complaint: Complaint, removal: str,
                         actor: User | None = None, reason: str = "") -> Removal:
    """Remove the personal data of one case (see the module docstring for what goes and what
    stays), record ``personal_data_removed_at``/``personal_data_removal`` and append a
    ``ComplaintHistory`` row (``PERSONAL_DATA_REMOVED``, ``to_value`` = ``removal``).

    Attachment files are deleted from storage after the transaction commits (a rollback keeps
    them with their rows). A case whose data was already removed is left alone.

    Args:
        removal: ``RETENTION`` or ``REQUEST``.
        actor: who asked (``None`` for the retention job).
        reason: stored in the history row, e.g. the reference of an erasure request; never
            personal data.

    Returns:
        What was removed; all zero when the case had been removed before.

    Raises:
        ValueError: ``removal`` is not ``RETENTION`` or ``REQUEST``.
    """
    if removal not in (RETENTION, REQUEST):
        raise ValueError(f"Unknown removal {removal!r}")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.personal_data_removed_at is not None:
        return Removal()
    files = list(Attachment.objects.filter(complaint=locked).values_list("file", flat=True))
    attachments = Attachment.objects.filter(complaint=locked).delete()[0]
    emails = OutboundEmail.objects.filter(_emails_about(locked)).delete()[0]
    messages = Message.objects.filter(complaint=locked).delete()[0]
    notes = Note.objects.filter(complaint=locked).delete()[0]
    now = timezone.now()
    Complaint.objects.filter(pk=locked.pk).update(
        reporter_name="", reporter_email="", reporter_phone="", description="",
        description_index="", personal_data_removed_at=now, personal_data_removal=removal,
        version=F("version") + 1, updated_at=now)
    receipts.withdraw_receipt_code(complaint=locked)
    ComplaintHistory.objects.create(complaint=locked, actor=actor,
                                    action=ComplaintHistory.Action.PERSONAL_DATA_REMOVED,
                                    to_value=removal, reason=reason)
    folder = f"attachments/{locked.public_id}"
    transaction.on_commit(lambda: _delete_attachment_files(folder=folder, names=files))
    complaint.refresh_from_db()
    return Removal(cases=1, messages=messages, attachments=attachments, notes=notes,
                   emails=emails)


@transaction.atomic
def _remove_batch(*, ids: list[int]) -> Removal:
    """Apply retention to the cases ``ids`` in one transaction."""
    total = Removal()
    for complaint in Complaint.objects.filter(pk__in=ids).order_by("pk"):
        total += remove_personal_data(complaint=complaint, removal=RETENTION)
    return total


def apply_retention(*, today: datetime.date | None = None,
                    batch_size: int = BATCH_SIZE) -> Removal:
    """Remove the personal data of every case due under the retention period
    (``reports.selectors.privacy.due_for_retention``: finished cases closed more than
    ``RETENTION_YEARS`` years ago, as calendar dates in Europe/Amsterdam).

    Runs one transaction per batch of ``batch_size`` cases, so a long run holds no long locks
    and an interruption keeps what was done; running it again continues where it stopped and
    touches no case twice. Logs one line of counts, nothing else.

    Args:
        today: the date to count from (default: today in Europe/Amsterdam).

    Returns:
        The totals.
    """
    total = Removal()
    seen: set[int] = set()
    while True:
        ids = [pk for pk in due_for_retention(today=today).exclude(pk__in=seen)
               .values_list("pk", flat=True)[:batch_size]]
        if not ids:
            break
        seen.update(ids)
        total += _remove_batch(ids=ids)
    logger.info("retention: %d cases, %d messages, %d attachments, %d notes, %d e-mails",
                total.cases, total.messages, total.attachments, total.notes, total.emails)
    return total


def count_due_for_retention(*, today: datetime.date | None = None) -> int:
    """How many cases ``apply_retention`` would handle now (for ``--dry-run``)."""
    return due_for_retention(today=today).count()


@dataclass(frozen=True)
class SubjectAccessExport:
    """A subject-access export ready to send: ZIP bytes and a file name."""

    content: bytes
    filename: str
    attachments: int


def _require(user: User, complaint: Complaint, permission: str) -> None:
    """Raise ``PermissionDenied`` unless ``user`` holds ``permission`` and may see the case."""
    if not (user.is_authenticated and user.is_active and user.has_perm(permission)
            and permissions.can_view(user=user, complaint=complaint)):
        raise PermissionDenied


def _export_language(complaint: Complaint) -> str:
    """The reporter's language when it is one of ``settings.LANGUAGES``, else the default."""
    codes = {code for code, _name in settings.LANGUAGES}
    return complaint.reporter_language if complaint.reporter_language in codes \
        else settings.LANGUAGE_CODE


@transaction.atomic
def export_personal_data(*, complaint: Complaint, user: User) -> SubjectAccessExport:
    """A GDPR art. 15 export of the reporter's data on ``complaint``, recorded in the access log
    (``AccessLog.Action.SUBJECT_ACCESS``, detail: numbers of messages and attachments).

    The ZIP holds ``README.txt``, ``personal-data.json`` (``reports.selectors.privacy.
    subject_access_data``; labels in the reporter's language, else the default language) and the
    attachments decrypted under ``attachments/`` (a file missing from storage is listed with
    ``"missing": true``).

    Raises:
        PermissionDenied: ``user`` lacks ``reports.export_personal_data`` or may not see the case.
    """
    _require(user, complaint, "reports.export_personal_data")
    with translation.override(_export_language(complaint)):
        data = subject_access_data(complaint=complaint)
        readme = export_readme()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        listed = data.document["attachments"]
        assert isinstance(listed, list)
        for entry, item in zip(listed, data.attachments, strict=True):
            try:
                with item.attachment.file.open("rb") as handle:
                    archive.writestr(item.path, handle.read())
            except FileNotFoundError:
                entry["missing"] = True
        archive.writestr("personal-data.json",
                         json.dumps(data.document, ensure_ascii=False, indent=2))
    messages = data.document["messages"]
    log_access(user=user, action=AccessLog.Action.SUBJECT_ACCESS, complaint=complaint,
               detail={"messages": len(messages) if isinstance(messages, list) else 0,
                       "attachments": len(data.attachments)})
    return SubjectAccessExport(content=buffer.getvalue(),
                               filename=f"personal-data-{complaint.case_number}.zip",
                               attachments=len(data.attachments))


@transaction.atomic
def erase_personal_data(*, complaint: Complaint, actor: User,
                        reason: str) -> Removal:
    """Erase the personal data of ``complaint`` on the reporter's request (GDPR art. 17): the
    same removal as retention (``remove_personal_data``) with ``personal_data_removal =
    "request"``, the actor in the history row and an ``AccessLog.Action.ERASURE`` entry
    (detail: the counts).

    Args:
        reason: the request's reference (required; stored in the history row; not personal
            data).

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.erase_personal_data`` or may not see the case.
        ValidationError: ``reason`` is blank, or the data was removed before.
    """
    _require(actor, complaint, "reports.erase_personal_data")
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reference of the erasure request."),
                              code="reason_required")
    removed = remove_personal_data(complaint=complaint, removal=REQUEST, actor=actor,
                                   reason=reason)
    if not removed.cases:
        raise ValidationError(_("The personal data of this case has already been removed."),
                              code="already_removed")
    log_access(user=actor, action=AccessLog.Action.ERASURE, complaint=complaint,
               detail=removed.as_dict())
    logger.info("erasure: case %s, %d messages, %d attachments, %d notes, %d e-mails",
                complaint.pk, removed.messages, removed.attachments, removed.notes,
                removed.emails)
    return removed
