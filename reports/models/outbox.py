"""The transactional outbox for e-mail: one row per recipient, written in the same transaction as
the event, delivered by Celery after commit and re-queued by a periodic relay until sent."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.fields import EncryptedEmailField


class OutboundEmail(models.Model):
    """One e-mail to one recipient. Bodies hold links and notices only, never report contents."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed permanently")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: What the message is about, e.g. ``annual_report_released`` (for logs and tests).
    kind = models.CharField(max_length=50)
    #: Unique per event and recipient (a keyed hash of the address), so a retried or repeated
    #: event never queues a second copy.
    dedup_key = models.CharField(max_length=200, unique=True)
    #: Encrypted at rest: a reporter's address is personal data.
    recipient = EncryptedEmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING,
                             db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"
