"""The status workflow: one table of allowed transitions, enforced by
``reports.services.complaints.change_status`` and nowhere else.

Conditions on particular targets (also enforced there): closing needs at least one handling code
and an outcome; rejecting needs a rejection reason; reopening needs a written reason.
"""

from __future__ import annotations

from reports.vocabulary import Status

_WORKING = (Status.IN_PROGRESS, Status.AWAITING_REPORTER, Status.AWAITING_OTHER_PARTY)

#: from-status -> the statuses a complaint may move to next.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.AWAITING_REPORTER, Status.CLOSED,
                           Status.REJECTED}),
    Status.IN_PROGRESS: frozenset({Status.AWAITING_REPORTER, Status.AWAITING_OTHER_PARTY,
                                   Status.CLOSED, Status.REJECTED}),
    Status.AWAITING_REPORTER: frozenset({Status.IN_PROGRESS, Status.AWAITING_OTHER_PARTY,
                                         Status.CLOSED}),
    Status.AWAITING_OTHER_PARTY: frozenset({Status.IN_PROGRESS, Status.AWAITING_REPORTER,
                                            Status.CLOSED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset({*_WORKING, Status.CLOSED}),
    Status.REJECTED: frozenset({Status.REOPENED}),
}


def allowed_next(status: str) -> list[str]:
    """The statuses reachable from ``status``, in the order of ``Status``."""
    targets = TRANSITIONS.get(status, frozenset())
    return [value for value in Status.values if value in targets]


#: Status changes the reporter's own activity causes, without a staff member: a reply or file
#: through the follow-up portal ends "waiting for the reporter". Every pair is also in
#: ``TRANSITIONS`` (a test checks it), so the one table still decides what is allowed.
REPORTER_ACTIVITY_TRANSITIONS: dict[str, str] = {
    Status.AWAITING_REPORTER: Status.IN_PROGRESS,
}
