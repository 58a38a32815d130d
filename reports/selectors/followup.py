"""Reads for the reporter's follow-up portal (``/melden/opvolgen/``).

The portal shows a reporter, who has no account, what they may know about their own case: the
status in one plain sentence (B1), the messages a caseworker sent them, their own messages and
the names of the files they sent. Nothing internal: no notes, no history, no classification, no
names of staff members, no files staff added.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reports.models import Attachment, Complaint, Message
from reports.vocabulary import Status

#: One plain-language sentence per ``Status`` (B1), as the portal shows it.
STATUS_SENTENCES: dict[str, Promise] = {
    Status.NEW: _("We have received your report. Someone from our team will look at it soon."),
    Status.IN_PROGRESS: _("Someone from our team is working on your report."),
    Status.AWAITING_REPORTER: _("We are waiting for an answer from you. Please read our "
                                "message below and reply."),
    Status.AWAITING_OTHER_PARTY: _("We have asked the other party for a reaction. We are "
                                   "waiting for their answer."),
    Status.CLOSED: _("We have finished working on your report."),
    Status.REOPENED: _("We are working on your report again."),
    Status.REJECTED: _("We will not handle this report. You can send us a message if you "
                       "have a question about this."),
}


def status_sentence(*, status: str) -> str:
    """The plain sentence for ``status`` (a ``Status`` code) in the active language.

    Raises:
        KeyError: ``status`` is not a ``Status`` code.
    """
    return str(STATUS_SENTENCES[status])


def portal_complaint(*, public_id: uuid.UUID | str) -> Complaint | None:
    """The complaint with ``public_id`` if the portal may still show it, else ``None``.

    The portal closes for a case whose receipt code was withdrawn (``receipt_code_hash`` blank)
    or whose personal data was removed (``personal_data_removed_at`` set): retention and erasure
    requests (docs/privacy.md).
    """
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return (Complaint.objects.filter(public_id=public_id, personal_data_removed_at__isnull=True)
            .exclude(receipt_code_hash="").first())


@dataclass(frozen=True)
class PortalMessage:
    """One message as the reporter sees it.

    Attributes:
        from_reporter: ``True`` for the reporter's own message (sent through the portal),
            ``False`` for a message from the office. Never says which staff member wrote it.
        at: when it was recorded (timezone-aware).
        body: the text.
    """

    from_reporter: bool
    at: datetime.datetime
    body: str


def portal_messages(*, complaint: Complaint) -> list[PortalMessage]:
    """The conversation of ``complaint`` in the portal, oldest first: every message to the
    reporter and the reporter's own messages sent through the portal (``author`` ``None``).

    Messages "from the reporter" that a caseworker recorded (a phone call, a letter) are the
    office's own notes of them and are not shown. One query.
    """
    rows = Message.objects.filter(
        Q(direction=Message.Direction.TO_REPORTER)
        | Q(direction=Message.Direction.FROM_REPORTER, author__isnull=True),
        complaint=complaint)
    return [PortalMessage(from_reporter=row.direction == Message.Direction.FROM_REPORTER,
                          at=row.created_at, body=row.body)
            for row in rows.order_by("created_at", "id")]


@dataclass(frozen=True)
class PortalFile:
    """A file the reporter sent: its name as uploaded, its size in bytes, when."""

    name: str
    size: int
    at: datetime.datetime


def portal_files(*, complaint: Complaint) -> list[PortalFile]:
    """The files the reporter sent for ``complaint`` (intake form or portal), oldest first.
    Files staff added are not listed. One query."""
    rows = Attachment.objects.filter(complaint=complaint, uploaded_by__isnull=True)
    return [PortalFile(name=row.original_name, size=row.size, at=row.uploaded_at)
            for row in rows.order_by("uploaded_at", "id")]


def reporter_waiting_since(*, conversation: list[PortalMessage],
                           files: list[PortalFile]) -> datetime.datetime | None:
    """When the reporter last sent something the office has not answered yet, else ``None``.

    The reporter's latest message or file counts when no office message came after it; the
    portal then says "your message was sent on ...; we will answer". Works on what
    ``portal_messages`` and ``portal_files`` returned (no query).
    """
    last_office = max((m.at for m in conversation if not m.from_reporter), default=None)
    last_reporter = max([*(m.at for m in conversation if m.from_reporter),
                         *(f.at for f in files)], default=None)
    if last_reporter is None or (last_office is not None and last_office >= last_reporter):
        return None
    return last_reporter
