"""The status workflow: one table of allowed transitions, enforced by
``reports.services.complaints.change_status`` and nowhere else."""

from __future__ import annotations

from reports.vocabulary import Status

#: from-status -> the statuses a complaint may move to next.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.CLOSED, Status.REJECTED}),
    Status.IN_PROGRESS: frozenset({Status.CLOSED, Status.REJECTED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
    Status.REJECTED: frozenset({Status.NEW}),
}


def allowed_next(status: str) -> list[str]:
    """The statuses reachable from ``status``, in the order of ``Status``."""
    targets = TRANSITIONS.get(status, frozenset())
    return [value for value in Status.values if value in targets]
