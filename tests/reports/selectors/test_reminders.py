"""The reminder selector: each caseworker's overdue cases, in working days (issue 12 §3).

Reference day: Thursday 30 April 2026. Monday 27 April 2026 is King's Day (a public holiday), so
three working days before it are Wednesday, Tuesday and Friday 24 April.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import Complaint, ComplaintHistory
from reports.selectors.reminders import overdue_digests
from reports.vocabulary import Status
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 4, 30)


def local(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM)


def case(*, status: str, assignee, changed_at: datetime.datetime | None = None,
         first_response: bool = True, due: datetime.date | None = None,
         received_at: datetime.datetime | None = None) -> Complaint:
    """A case in ``status`` assigned to ``assignee``, its latest status change at ``changed_at``."""
    complaint = ComplaintFactory(received_at=received_at or local(4, 1))
    Complaint.objects.filter(pk=complaint.pk).update(
        status=status, assigned_to=assignee,
        first_response_at=local(4, 2) if first_response else None,
        first_response_due=due or datetime.date(2026, 4, 8))
    if changed_at is not None:
        row = ComplaintHistory.objects.create(complaint=complaint, action="status",
                                              from_value="new", to_value=status)
        ComplaintHistory.objects.filter(pk=row.pk).update(at=changed_at)
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def periods(office):
    office.reminder_in_progress_days = 3
    office.reminder_awaiting_reporter_days = 5
    office.save()
    return office


def summary(digests) -> dict[str, list[tuple[str, str, int, bool]]]:
    return {d.user.username: [(c.case_number, c.status, c.days_in_status, c.first_response_late)
                              for c in d.cases] for d in digests}


def test_in_progress_longer_than_the_period_across_a_weekend_and_kings_day(
        periods, caseworker, other_caseworker):
    # Thursday 23 April 23:30 local (21:30 UTC): Fri 24, Tue 28, Wed 29, Thu 30 = 4 > 3.
    late = case(status=Status.IN_PROGRESS, assignee=caseworker, changed_at=local(4, 23, 23, 30))
    # Friday 24 April 00:30 local (Thursday 22:30 UTC): 3 working days, not more than 3.
    case(status=Status.IN_PROGRESS, assignee=caseworker, changed_at=local(4, 24, 0, 30))
    # Awaiting reporter since Tuesday 21 April: 6 > 5; since Wednesday 22 April: 5, not more.
    waiting = case(status=Status.AWAITING_REPORTER, assignee=other_caseworker,
                   changed_at=local(4, 21, 9))
    case(status=Status.AWAITING_REPORTER, assignee=other_caseworker, changed_at=local(4, 22, 9))

    assert summary(overdue_digests(today=TODAY)) == {
        caseworker.username: [(late.case_number, "in_progress", 4, False)],
        other_caseworker.username: [(waiting.case_number, "awaiting_reporter", 6, False)],
    }


def test_the_latest_status_change_counts(periods, caseworker):
    complaint = case(status=Status.IN_PROGRESS, assignee=caseworker, changed_at=local(4, 1))
    row = ComplaintHistory.objects.create(complaint=complaint, action="status",
                                          from_value="awaiting_reporter", to_value="in_progress")
    ComplaintHistory.objects.filter(pk=row.pk).update(at=local(4, 29))

    assert overdue_digests(today=TODAY) == []


def test_without_a_status_change_the_receipt_counts(periods, caseworker):
    complaint = case(status=Status.IN_PROGRESS, assignee=caseworker, received_at=local(4, 20))

    assert summary(overdue_digests(today=TODAY)) == {
        caseworker.username: [(complaint.case_number, "in_progress", 7, False)]}


def test_first_response_deadline_passed(periods, caseworker):
    late = case(status=Status.NEW, assignee=caseworker, first_response=False,
                due=datetime.date(2026, 4, 29), received_at=local(4, 22))
    case(status=Status.NEW, assignee=caseworker, first_response=False, due=TODAY,
         received_at=local(4, 23))

    assert summary(overdue_digests(today=TODAY)) == {
        caseworker.username: [(late.case_number, "new", 5, True)]}


def test_final_unassigned_inactive_and_other_statuses_are_left_out(periods, caseworker):
    long_ago = local(1, 5)
    inactive = UserFactory(username="left", is_active=False)
    case(status=Status.CLOSED, assignee=caseworker, changed_at=long_ago, first_response=False)
    case(status=Status.IN_PROGRESS, assignee=None, changed_at=long_ago)
    case(status=Status.IN_PROGRESS, assignee=inactive, changed_at=long_ago)
    case(status=Status.AWAITING_OTHER_PARTY, assignee=caseworker, changed_at=long_ago)

    assert overdue_digests(today=TODAY) == []


def test_two_queries_whatever_the_number_of_cases_and_users(periods, caseworker,
                                                           other_caseworker):
    for assignee in (caseworker, other_caseworker) * 3:
        case(status=Status.IN_PROGRESS, assignee=assignee, changed_at=local(4, 1))

    with CaptureQueriesContext(connection) as queries:
        digests = overdue_digests(today=TODAY)

    assert [len(d.cases) for d in digests] == [3, 3]
    assert len(queries) == 2


def test_a_case_of_a_desk_the_assignee_left_is_not_in_their_digest(periods, caseworker):
    from reports.services.desks import default_desk
    from tests.factories import OfficeCoordinatorFactory, make_desk

    desk_b = make_desk("zuid", "Zuid")
    national = OfficeCoordinatorFactory(username="national")
    kept = case(status=Status.IN_PROGRESS, assignee=caseworker, changed_at=local(4, 1))
    left = case(status=Status.IN_PROGRESS, assignee=caseworker, changed_at=local(4, 1))
    across = case(status=Status.IN_PROGRESS, assignee=national, changed_at=local(4, 1))
    Complaint.objects.filter(pk__in=[left.pk, across.pk]).update(desk=desk_b)
    assert default_desk(office=kept.office).members.filter(pk=caseworker.pk).exists()

    digests = overdue_digests(today=TODAY)

    assert [(d.user.username, [c.case_number for c in d.cases]) for d in digests] == [
        (caseworker.username, [kept.case_number]), ("national", [across.case_number])]
