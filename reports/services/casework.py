"""Writes for the daily casework loop: reporter activity marks a case unread for whoever
handles it, tells the assignee by e-mail and ends "waiting for the reporter"; opening the case
marks it read again.

Unread is per user (``UnreadCase``): the assignee, or while unassigned the members of the case's
team, or without a team everyone of the case's desk who handles the unassigned queue (and
those who work across desks).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.models import Complaint, OutboundEmail, UnreadCase
from reports.selectors.permissions import assignable_users
from reports.services.complaints import resume_after_reporter_activity
from reports.services.outbox import queue_email
from reports.types import User

REPORTER_ACTIVITY = "reporter_activity"


def _handlers(complaint: Complaint) -> list[int]:
    """Ids of the users for whom reporter activity on ``complaint`` is unread news."""
    if complaint.assigned_to_id is not None:
        return [complaint.assigned_to_id]
    if complaint.team_id is not None:
        return list(get_user_model().objects.filter(
            groups__team__pk=complaint.team_id, is_active=True)
            .values_list("pk", flat=True).distinct())
    return list(assignable_users(desk_ids=[complaint.desk_id]).values_list("pk", flat=True))


@transaction.atomic
def record_reporter_activity(*, complaint: Complaint,
                             at: datetime.datetime | None = None) -> Complaint:
    """Everything that follows a reply or new file from the reporter (follow-up portal).

    In one transaction (the caller's): the case becomes unread for its handlers (see the module
    docstring; a user who already has it unread keeps the earlier ``since``), the case leaves
    "waiting for the reporter" (``complaints.resume_after_reporter_activity``), and the assignee,
    if they have an e-mail address and had not yet an unread mark on it, gets a notice through
    the outbox (published after commit): the case number and a link, never content.

    Args:
        complaint: the case the reporter's session opened.
        at: when the activity happened (timezone-aware); defaults to now.

    Returns:
        The case after the status change (locked).
    """
    at = at or timezone.now()
    locked = resume_after_reporter_activity(complaint=complaint)
    handlers = _handlers(locked)
    already = set(UnreadCase.objects.filter(complaint=locked, user_id__in=handlers)
                  .values_list("user_id", flat=True))
    UnreadCase.objects.bulk_create(
        [UnreadCase(complaint=locked, user_id=user_id, since=at)
         for user_id in handlers if user_id not in already], ignore_conflicts=True)
    if locked.assigned_to_id is not None and locked.assigned_to_id not in already:
        notify_assignee_of_reporter_activity(complaint=locked, at=at)
    return locked


def notify_assignee_of_reporter_activity(*, complaint: Complaint,
                                         at: datetime.datetime) -> list[OutboundEmail]:
    """Queue a notice to the case's assignee that the reporter wrote or sent files.

    In ``LANGUAGE_CODE`` (the office's language). Holds the case number and a link to the case
    (``SITE_URL``; login required), nothing the reporter wrote. Once per ``at`` (outbox
    deduplication); nothing without an assignee or without their e-mail address.
    """
    assignee = complaint.assigned_to
    address = (getattr(assignee, "email", "") or "").strip() if assignee else ""
    if not address:
        return []
    path = reverse("backoffice:complaint_detail", kwargs={"public_id": complaint.public_id})
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Reply from the reporter in %(case_number)s") % {
            "case_number": complaint.case_number}
        body = _("The reporter of case %(case_number)s sent a message or a file.\n\n"
                 "Read it in the back office (login required):\n%(link)s\n") % {
            "case_number": complaint.case_number, "link": f"{settings.SITE_URL}{path}"}
    return queue_email(kind=REPORTER_ACTIVITY,
                       event_key=f"complaint:{complaint.public_id}:{at.isoformat()}",
                       recipients=[address], subject=subject, body=body)


@transaction.atomic
def mark_case_read(*, complaint: Complaint, user: User) -> bool:
    """``user`` opened ``complaint``: its unread mark for them goes. Other users' marks stay.

    Returns:
        Whether there was a mark to remove.
    """
    deleted, _by_model = UnreadCase.objects.filter(complaint=complaint, user=user).delete()
    return bool(deleted)
