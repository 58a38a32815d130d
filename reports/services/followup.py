"""Writes for the reporter's follow-up portal (``/melden/opvolgen/``): checking a receipt code
under guessing protection, and the reporter's messages and files.

Guessing protection (``reports.throttling``): failed code checks are counted per client IP and
per code prefix (the first group of four characters, stored in clear to find the case). After
``FOLLOWUP_IP_FREE_FAILURES`` failures within ``FOLLOWUP_IP_WINDOW_SECONDS`` (default 5 per
hour), each further failure of that IP blocks it for ``FOLLOWUP_BASE_DELAY_SECONDS`` doubled per
further failure (2 s, 4 s, 8 s ...), at most ``FOLLOWUP_MAX_DELAY_SECONDS`` (1 hour); the same for
a prefix with ``FOLLOWUP_PREFIX_FREE_FAILURES`` per ``FOLLOWUP_PREFIX_WINDOW_SECONDS`` (default 5
per day), whatever IPs the failures come from. While blocked, a code is not even checked. A
correct code clears nothing: someone holding one valid code must not be able to reset the limit
between guesses; the counters expire with their window. Malformed, unknown and withdrawn codes are
all the same failure.

The codes themselves carry 80 secret bits beyond the prefix (``reports.services.receipts``); the
limits are defence in depth, not the protection itself. Requests checked at the same moment from
one IP are all checked before their failures are counted, so a burst of parallel guesses is only
stopped afterwards; the delays then grow accordingly.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from reports import throttling
from reports.models import Attachment, Complaint, ComplaintHistory, Message
from reports.services import receipts
from reports.services.casework import record_reporter_activity

if TYPE_CHECKING:
    from reports.uploads import CleanUpload

logger = logging.getLogger(__name__)
#: The longest message the portal accepts, in characters.
MESSAGE_MAX_LENGTH = 10_000


def ip_limit() -> throttling.Limit:
    """The per-IP failure limit, from the ``FOLLOWUP_IP_*`` and ``FOLLOWUP_*_DELAY_SECONDS``
    settings (read at each call, so tests and deployments may change them)."""
    return throttling.Limit(
        scope="followup_ip", free=settings.FOLLOWUP_IP_FREE_FAILURES,
        window=datetime.timedelta(seconds=settings.FOLLOWUP_IP_WINDOW_SECONDS),
        base_delay=datetime.timedelta(seconds=settings.FOLLOWUP_BASE_DELAY_SECONDS),
        max_delay=datetime.timedelta(seconds=settings.FOLLOWUP_MAX_DELAY_SECONDS))


def prefix_limit() -> throttling.Limit:
    """The per-prefix failure limit, from the ``FOLLOWUP_PREFIX_*`` and
    ``FOLLOWUP_*_DELAY_SECONDS`` settings."""
    return throttling.Limit(
        scope="followup_prefix", free=settings.FOLLOWUP_PREFIX_FREE_FAILURES,
        window=datetime.timedelta(seconds=settings.FOLLOWUP_PREFIX_WINDOW_SECONDS),
        base_delay=datetime.timedelta(seconds=settings.FOLLOWUP_BASE_DELAY_SECONDS),
        max_delay=datetime.timedelta(seconds=settings.FOLLOWUP_MAX_DELAY_SECONDS))


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of :func:`check_receipt_code`.

    Attributes:
        complaint: the case the code opens, or ``None``.
        wait_seconds: when ``complaint`` is ``None``: how many seconds the IP or prefix is
            blocked now (0: a plain failure, the reporter may try again at once).
        checked: whether the code was checked at all (``False`` while blocked).
    """

    complaint: Complaint | None
    wait_seconds: int = 0
    checked: bool = True


def accepts_portal(complaint: Complaint) -> bool:
    """Whether the portal still works for ``complaint``: its receipt code is not withdrawn and
    its personal data was not removed."""
    return bool(complaint.receipt_code_hash) and complaint.personal_data_removed_at is None


@transaction.atomic
def check_receipt_code(*, code: str, ip: str) -> CodeCheck:
    """Look up the case of a receipt code typed by a reporter, under guessing protection.

    Args:
        code: as typed (any case, spaces or dashes; ``receipts.normalise_code``).
        ip: the client's address (``reports.throttling.client_ip``); only a keyed hash of it is
            stored.

    Returns:
        A ``CodeCheck``: the case, or ``None`` with the seconds the caller must tell the reporter
        to wait. While the IP or the code's prefix is blocked the code is not checked and
        nothing is counted. A failure is counted for the IP and, for a well-formed code, for its
        prefix; a success leaves the counters as they are (they expire with their window).
    """
    wait = throttling.seconds_blocked(limit=ip_limit(), key=ip)
    raw = receipts.normalise_code(code)
    prefix = receipts.code_prefix(raw) if raw is not None else None
    if not wait and prefix is not None:
        wait = throttling.seconds_blocked(limit=prefix_limit(), key=prefix)
    if wait:
        return CodeCheck(complaint=None, wait_seconds=wait, checked=False)
    complaint = receipts.find_by_receipt_code(code=code) if raw is not None else None
    if complaint is not None and accepts_portal(complaint):
        return CodeCheck(complaint=complaint)
    wait = throttling.record_failure(limit=ip_limit(), key=ip)
    if prefix is not None:
        wait = max(wait, throttling.record_failure(limit=prefix_limit(), key=prefix))
    return CodeCheck(complaint=None, wait_seconds=wait)


def _lock_open_case(complaint: Complaint) -> Complaint:
    """Lock ``complaint``'s row and check that the portal still works for it.

    Raises:
        PermissionDenied: the receipt code was withdrawn or the personal data removed.
    """
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not accepts_portal(locked):
        raise PermissionDenied
    return locked


@transaction.atomic
def add_reporter_message(*, complaint: Complaint, body: str) -> Message:
    """Store a message the reporter sent through the portal: direction "in", no author, and a
    ``ComplaintHistory`` row (``REPORTER_MESSAGE``, no actor) in the same transaction, and the
    follow-ups of reporter activity (``casework.record_reporter_activity``: unread for the
    handlers, e-mail to the assignee, "waiting for the reporter" ends).

    Args:
        complaint: the case the reporter's session opened.
        body: the text (surrounding white space dropped; at most ``MESSAGE_MAX_LENGTH``
            characters). Stored encrypted; never logged.

    Raises:
        PermissionDenied: the portal no longer works for the case (code withdrawn, personal
            data removed).
        ValidationError: the message is empty or too long.
    """
    body = body.strip()
    if not body:
        raise ValidationError(_("Please write a message."), code="empty")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError(_("Your message is too long. Write at most %(max)d characters.")
                              % {"max": MESSAGE_MAX_LENGTH}, code="too_long")
    locked = _lock_open_case(complaint)
    message = Message.objects.create(complaint=locked, direction=Message.Direction.FROM_REPORTER,
                                     author=None, body=body)
    ComplaintHistory.objects.create(complaint=locked, actor=None,
                                    action=ComplaintHistory.Action.REPORTER_MESSAGE,
                                    to_value=f"message:{message.pk}")
    record_reporter_activity(complaint=locked, at=message.created_at)
    logger.info("followup: reporter message id=%s complaint id=%s", message.pk, locked.pk)
    return message


@transaction.atomic
def add_reporter_files(*, complaint: Complaint, files: Sequence[CleanUpload]) -> list[Attachment]:
    """Store files the reporter sent through the portal (``uploaded_by`` ``None``), with the
    follow-ups of reporter activity (``casework.record_reporter_activity``).

    Args:
        complaint: the case the reporter's session opened.
        files: at most ``ATTACHMENT_MAX_FILES`` uploads already checked by
            ``reports.uploads.validate_upload``.

    Returns:
        The new attachments, in the order given.

    Raises:
        PermissionDenied: the portal no longer works for the case.
        ValidationError: no files, or more than ``ATTACHMENT_MAX_FILES``.
    """
    from reports.services.attachments import store_reporter_attachments

    if not files:
        raise ValidationError(_("Choose at least one file."), code="empty")
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise ValidationError(_("You can send at most %(max)d files at a time.")
                              % {"max": settings.ATTACHMENT_MAX_FILES}, code="too_many")
    locked = _lock_open_case(complaint)
    attachments = store_reporter_attachments(complaint=locked, files=files)
    record_reporter_activity(complaint=locked, at=attachments[0].uploaded_at)
    logger.info("followup: %d reporter file(s) complaint id=%s", len(attachments), locked.pk)
    return attachments
