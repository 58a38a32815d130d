"""Reads for the caseworker's start page, "Mijn werkvoorraad" (my work queue).

Two short lists over the cases the user may see (``permissions.visible_complaints``): their own
open cases, unread ones first, then by first-response deadline; and the unassigned open cases of
their teams (and those of no team), oldest first. Each list is one query (plus one count when it
is longer than shown), whatever the number of cases.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, DateField, F, Q, QuerySet, When

from reports.models import Complaint
from reports.selectors.cases import with_overdue, with_unread
from reports.selectors.permissions import visible_complaints
from reports.types import User
from reports.vocabulary import FINAL_STATUSES

#: At most this many cases per list; the page links to the case list for the rest.
WORKLIST_LIMIT = 100


@dataclass(frozen=True)
class Worklist:
    """The start page's lists.

    Attributes:
        mine: the user's open cases (annotated ``is_unread``, ``is_overdue``, ``response_due``),
            at most ``WORKLIST_LIMIT``.
        mine_total: how many open cases the user has in all.
        queue: unassigned open cases of the user's teams or of no team, oldest first, at most
            ``WORKLIST_LIMIT``.
        queue_total: how many such cases there are in all.
    """

    mine: list[Complaint]
    mine_total: int
    queue: list[Complaint]
    queue_total: int


def _annotated(queryset: QuerySet[Complaint], user: User,
               today: datetime.date | None) -> QuerySet[Complaint]:
    queryset = queryset.exclude(status__in=FINAL_STATUSES).select_related(
        "incident_municipality", "team")
    queryset = with_unread(queryset=with_overdue(queryset=queryset, today=today), user=user)
    # The first-response deadline matters only while no first response was given.
    return queryset.annotate(response_due=Case(
        When(first_response_at__isnull=True, then=F("first_response_due")),
        default=None, output_field=DateField()))


def _take(queryset: QuerySet[Complaint], limit: int) -> tuple[list[Complaint], int]:
    rows = list(queryset[:limit + 1])
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], queryset.order_by().count()


def worklist(*, user: User, today: datetime.date | None = None,
             limit: int = WORKLIST_LIMIT) -> Worklist:
    """The work queue of ``user``.

    Mine: open cases assigned to ``user``, unread first, then by first-response deadline (only
    cases still awaiting their first response have one; earliest first, the rest after), then
    oldest received first. Queue: open unassigned cases the user may see that are shared with
    one of the user's teams or with no team, oldest received first.

    Args:
        today: the reference date for "overdue" (Europe/Amsterdam); defaults to today.
        limit: the most cases per list.
    """
    visible = visible_complaints(user=user)
    mine = _annotated(visible.filter(assigned_to=user), user, today).order_by(
        F("is_unread").desc(), F("response_due").asc(nulls_last=True), "received_at", "id")
    teams = Q(team__isnull=True) | Q(team__group__in=user.groups.values("pk"))
    queue = _annotated(visible.filter(teams, assigned_to__isnull=True), user, today).order_by(
        "received_at", "id")
    mine_rows, mine_total = _take(mine, limit)
    queue_rows, queue_total = _take(queue, limit)
    return Worklist(mine=mine_rows, mine_total=mine_total, queue=queue_rows,
                    queue_total=queue_total)
