"""The access log. Entries hold identifiers (user, case, filter names), never contents."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from reports.models import AccessLog, Complaint
from reports.types import User


@transaction.atomic
def log_access(*, user: User, action: str, complaint: Complaint | None = None,
               detail: Mapping[str, object] | None = None) -> AccessLog:
    """Append one access-log entry.

    Args:
        action: an ``AccessLog.Action`` code.
        complaint: the case opened or whose attachment was downloaded; ``None`` for exports.
        detail: identifiers only, such as ``{"attachment": 12}`` or
            ``{"format": "csv", "rows": 40, "filters": ["status", "ground"]}``.
    """
    return AccessLog.objects.create(
        user=user, action=action, complaint=complaint,
        case_number=complaint.case_number if complaint else "", detail=dict(detail or {}))
