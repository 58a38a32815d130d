"""Queueing e-mail through the transactional outbox (``OutboundEmail``).

``queue_email`` writes one row per recipient inside the caller's transaction and, after commit,
asks Celery to deliver each. If the broker is down the rows stay pending and the periodic
``relay_outbox`` task queues them later: a queued e-mail is delayed, never lost.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reports import crypto
from reports.models import OutboundEmail

logger = logging.getLogger(__name__)
#: Seconds to wait before attempt n+1 (n = attempts so far); the last value repeats.
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
MAX_ATTEMPTS = 10


def _enqueue(ids: list[int]) -> int:
    """Ask Celery to deliver each e-mail; return how many were published.

    Never raises: when the broker is down (or hangs past the 1 s socket timeout) it gives up on
    the first failure, so a web request waits at most about one timeout, and the rows stay
    pending for ``relay_outbox``.
    """
    from reports.tasks import deliver_email

    for published, email_id in enumerate(ids):
        try:
            deliver_email.delay(email_id)
        except Exception as exc:  # broker down: the relay picks the rows up later
            logger.warning("outbox: could not queue %d e-mail(s) (%s); the relay will retry",
                           len(ids) - published, type(exc).__name__)
            return published
    return len(ids)


def recipient_key(recipient: str) -> str:
    """A keyed hash of ``recipient`` for the deduplication key (no address in clear)."""
    return crypto.keyed_hash(purpose="outbox-recipient", value=recipient.casefold())[:32]


@transaction.atomic
def queue_email(*, kind: str, event_key: str, recipients: Iterable[str], subject: str,
                body: str) -> list[OutboundEmail]:
    """Store one e-mail per recipient and queue delivery after the transaction commits.

    One transaction (a savepoint inside the caller's): if storing any recipient's row fails,
    no row of this call is kept.

    Args:
        kind: what the message is about, e.g. ``"annual_report_released"``.
        event_key: identifies the event (e.g. ``"report:<public id>"``); together with the
            recipient it makes the row unique, so repeating the event queues nothing new.
        recipients: e-mail addresses; duplicates and blanks are ignored.
        subject, body: plain text. Never put report contents or personal data of reporters here.

    Returns:
        The rows created now (rows that already existed for this event are not repeated).
    """
    created: list[OutboundEmail] = []
    for recipient in dict.fromkeys(r.strip() for r in recipients if r and r.strip()):
        email, was_created = OutboundEmail.objects.get_or_create(
            dedup_key=f"{kind}:{event_key}:{recipient_key(recipient)}"[:200],
            defaults={"kind": kind, "recipient": recipient, "subject": subject, "body": body},
        )
        if was_created:
            created.append(email)
    ids = [email.pk for email in created]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return created


def backoff_seconds(*, attempts: int) -> int:
    """Seconds to wait after ``attempts`` failed attempts (1, 2, ...) before the next one."""
    return BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]


def deliver(*, email_id: int) -> str:
    """Send one pending e-mail. Safe to call twice, or concurrently: a sent row is never sent
    again.

    The row is locked (``SELECT ... FOR UPDATE SKIP LOCKED``) while the message is handed to the
    mail server, so a second delivery of the same row either skips it (still locked) or finds it
    sent. A failure counts an attempt and schedules the next one with exponential backoff
    (``BACKOFF_SECONDS``); after ``MAX_ATTEMPTS`` the row is ``failed``. The only way to send a
    copy twice is a crash between the mail server's acceptance and the commit (at-least-once).

    Returns:
        The row's state afterwards (``"sent"``, ``"pending"`` when it will be retried, or
        ``"failed"`` after ``MAX_ATTEMPTS``), ``"busy"`` when another delivery holds the row, or
        ``"missing"``.
    """
    with transaction.atomic():
        email = (OutboundEmail.objects.select_for_update(skip_locked=True)
                 .filter(pk=email_id).first())
        if email is None:
            exists = OutboundEmail.objects.filter(pk=email_id).exists()
            return "busy" if exists else "missing"
        if email.state != OutboundEmail.State.PENDING:
            return email.state
        try:
            send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.recipient])
        except Exception as exc:
            email.attempts += 1
            email.last_error = type(exc).__name__[:200]
            if email.attempts >= MAX_ATTEMPTS:
                email.state, email.next_attempt_at = OutboundEmail.State.FAILED, None
            else:
                email.next_attempt_at = timezone.now() + datetime.timedelta(
                    seconds=backoff_seconds(attempts=email.attempts))
            email.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            logger.warning("outbox: e-mail %s attempt %s failed (%s)", email.pk, email.attempts,
                           email.last_error)
            return email.state
        email.state, email.sent_at = OutboundEmail.State.SENT, timezone.now()
        email.attempts += 1
        email.next_attempt_at, email.last_error = None, ""
        email.save(update_fields=["state", "sent_at", "attempts", "next_attempt_at",
                                  "last_error"])
        return email.state


def due_emails(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of pending e-mails whose next attempt is due (or that were never attempted)."""
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return list(OutboundEmail.objects.filter(due, state=OutboundEmail.State.PENDING)
                .values_list("pk", flat=True)[:500])


def relay_outbox() -> int:
    """Queue every due pending e-mail. Run periodically by Celery beat.

    Queueing a row that is already queued is harmless: ``deliver`` sends it once.

    Returns:
        How many e-mails were published to the broker.
    """
    return _enqueue(due_emails())
