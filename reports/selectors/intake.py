"""Reads for the public intake form."""

from __future__ import annotations

import uuid

from reports.models import Complaint


def submission_token_used(*, token: uuid.UUID) -> bool:
    """Whether a complaint was already stored with this form token (a repeated submission:
    double click, back button, retried request)."""
    return Complaint.objects.filter(submission_token=token).exists()
