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

from reports.models import OutboundEmail

logger = logging.getLogger(__name__)
#: Seconds to wait before attempt n+1 (n = attempts so far); the last value repeats.
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
MAX_ATTEMPTS = 10


def _enqueue(ids: list[int]) -> None:
    from reports.tasks import deliver_email

    for email_id in ids:
        try:
            deliver_email.delay(email_id)
        except Exception:  # broker down: the relay picks the row up later
            logger.warning("outbox: could not queue e-mail %s; the relay will retry", email_id)


@transaction.atomic
def queue_email(*, kind: str, event_key: str, recipients: Iterable[str], subject: str,
                body: str) -> list[OutboundEmail]:
    """Store one e-mail per recipient and queue delivery after the transaction commits.

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
            dedup_key=f"{kind}:{event_key}:{recipient}"[:200],
            defaults={"kind": kind, "recipient": recipient, "subject": subject, "body": body},
        )
        if was_created:
            created.append(email)
    ids = [email.pk for email in created]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return created


def deliver(*, email_id: int) -> str:
    """Send one pending e-mail. Safe to call twice: a sent row is never sent again.

    Returns:
        The row's state afterwards (``"sent"``, ``"pending"`` when it will be retried, or
        ``"failed"`` after ``MAX_ATTEMPTS``).
    """
    with transaction.atomic():
        email = (OutboundEmail.objects.select_for_update(skip_locked=True)
                 .filter(pk=email_id).first())
        if email is None or email.state != OutboundEmail.State.PENDING:
            return email.state if email else "missing"
        try:
            send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.recipient])
        except Exception as exc:
            email.attempts += 1
            email.last_error = type(exc).__name__
            if email.attempts >= MAX_ATTEMPTS:
                email.state = OutboundEmail.State.FAILED
            else:
                delay = BACKOFF_SECONDS[min(email.attempts - 1, len(BACKOFF_SECONDS) - 1)]
                email.next_attempt_at = timezone.now() + datetime.timedelta(seconds=delay)
            email.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            logger.warning("outbox: e-mail %s attempt %s failed (%s)", email.pk, email.attempts,
                           email.last_error)
            return email.state
        email.state, email.sent_at = OutboundEmail.State.SENT, timezone.now()
        email.attempts += 1
        email.save(update_fields=["state", "sent_at", "attempts"])
        return email.state


def due_emails(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of pending e-mails whose next attempt is due (or that were never attempted)."""
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return list(OutboundEmail.objects.filter(due, state=OutboundEmail.State.PENDING)
                .values_list("pk", flat=True)[:500])


def relay_outbox() -> int:
    """Queue every due pending e-mail. Run periodically by Celery beat. Returns the count."""
    ids = due_emails()
    _enqueue(ids)
    return len(ids)
