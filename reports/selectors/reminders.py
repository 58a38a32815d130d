"""Reads for the daily reminder digest (issue 12 §3): each caseworker's overdue cases.

A case assigned to an active user who still works on its desk (a member of the desk or of one
of its teams, or across desks) is *overdue* when it is not final and

- its first response is late: no ``first_response_at`` and ``first_response_due`` before today
  (``reports.selectors.cases.overdue_condition``); or
- it has been "in progress" longer than its office's ``reminder_in_progress_days``; or
- it has been "awaiting reporter" longer than its office's ``reminder_awaiting_reporter_days``.

Time in a status runs from the latest status change (a ``ComplaintHistory`` row with action
``status``; the receipt when there is none) and is counted in working days, Europe/Amsterdam,
Dutch public holidays excluded (``reports.deadlines``). The working-day arithmetic is done once per
office in Python (``latest_overdue_start``), so the database compares a timestamp with a fixed
bound: two queries in all (offices, then cases), whatever the number of cases or users.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import DateTimeField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from reports.deadlines import latest_overdue_start, working_days_between
from reports.models import Complaint, ComplaintHistory, Desk, Office
from reports.selectors.cases import overdue_condition
from reports.selectors.desks import across_desk_users
from reports.timezones import AMSTERDAM, local_today
from reports.types import User
from reports.vocabulary import FINAL_STATUSES, Status


@dataclass(frozen=True)
class OverdueCase:
    """One overdue case in a digest. Holds no case content and no reporter data.

    Attributes:
        public_id: the case's public id (for the link).
        case_number: e.g. ``"ADV-2026-00012"``.
        status: the status value (``reports.vocabulary.Status``).
        days_in_status: working days since the latest status change, up to today.
        first_response_late: the first-response deadline has passed without a first response.
    """

    public_id: str
    case_number: str
    status: str
    days_in_status: int
    first_response_late: bool


@dataclass(frozen=True)
class Digest:
    """The overdue cases of one user, oldest status change first."""

    user: User
    cases: list[OverdueCase]


def _start_of_day_after(day: datetime.date) -> datetime.datetime:
    """Midnight Europe/Amsterdam at the start of the day after ``day`` (tz-aware)."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(),
                                     tzinfo=AMSTERDAM)


def _assignee_works_on_the_desk() -> Q:
    """The case's assignee may still see it: a member of its desk or of one of that desk's
    teams, or a user who works across desks (``selectors.permissions``). An assignee who left
    the desk gets no reminder about its cases (subqueries: still one query)."""
    user_model = get_user_model()
    member = Exists(Desk.members.through.objects.filter(
        desk_id=OuterRef("desk_id"), user_id=OuterRef("assigned_to_id")))
    in_team = Exists(user_model.groups.through.objects.filter(
        user_id=OuterRef("assigned_to_id"), group__team__desk_id=OuterRef("desk_id")))
    return member | in_team | Q(assigned_to__in=across_desk_users().values("pk"))


def overdue_digests(*, today: datetime.date | None = None) -> list[Digest]:
    """The overdue cases of every active user with at least one, by user id.

    Args:
        today: the reference date (Europe/Amsterdam); defaults to today.

    Returns:
        One ``Digest`` per active assignee with at least one overdue case (users without any are
        left out), cases oldest status change first. Two queries.
    """
    today = today or local_today()
    latest_change = Subquery(
        ComplaintHistory.objects.filter(complaint=OuterRef("pk"),
                                        action=ComplaintHistory.Action.STATUS)
        .order_by("-at").values("at")[:1], output_field=DateTimeField())
    late_in_status = Q()
    for office in Office.objects.only("pk", "reminder_in_progress_days",
                                      "reminder_awaiting_reporter_days"):
        for status, days in ((Status.IN_PROGRESS, office.reminder_in_progress_days),
                             (Status.AWAITING_REPORTER, office.reminder_awaiting_reporter_days)):
            bound = _start_of_day_after(latest_overdue_start(today, days))
            late_in_status |= Q(office_id=office.pk, status=status, status_since__lt=bound)
    first_late = overdue_condition(today=today)
    rows = (Complaint.objects
            .filter(assigned_to__isnull=False, assigned_to__is_active=True)
            .filter(_assignee_works_on_the_desk())
            .exclude(status__in=FINAL_STATUSES)  # the partial index complaint_open_assigned
            .annotate(status_since=Coalesce(latest_change, "received_at"))
            .filter(first_late | late_in_status)
            .select_related("assigned_to")
            .only("public_id", "case_number", "status", "received_at", "first_response_at",
                  "first_response_due", "assigned_to")
            .order_by("assigned_to_id", "status_since", "id"))
    digests: dict[int, Digest] = {}
    for row in rows:
        assert row.assigned_to is not None  # filtered above
        since = row.status_since.astimezone(AMSTERDAM).date()
        late = (row.first_response_at is None and row.first_response_due is not None
                and row.first_response_due < today)
        digest = digests.setdefault(row.assigned_to.pk, Digest(user=row.assigned_to, cases=[]))
        digest.cases.append(OverdueCase(
            public_id=str(row.public_id), case_number=row.case_number, status=row.status,
            days_in_status=working_days_between(since, today), first_response_late=late))
    return list(digests.values())
