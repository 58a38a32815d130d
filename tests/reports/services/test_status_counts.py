"""The per-status counter behind the dashboard (issue 13), kept by the status services in the
same transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from reports.models import Complaint, ComplaintStatusCount
from reports.services.complaints import change_status, resume_after_reporter_activity
from reports.services.status_counts import count_status_change, recount_statuses
from reports.vocabulary import Status
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def counter() -> dict[str, int]:
    return {status: n for status, n in ComplaintStatusCount.objects.values_list("status", "count")
            if n}


def actual() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Complaint.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_the_migration_leaves_a_row_per_status(db):
    assert sorted(ComplaintStatusCount.objects.values_list("status", flat=True)) == sorted(
        Status.values)


def test_registration_and_status_changes_keep_the_counter(office, coordinator):
    first, second = ComplaintFactory(), ComplaintFactory(status=Status.IN_PROGRESS)
    assert counter() == {Status.NEW: 1, Status.IN_PROGRESS: 1}

    change_status(complaint=first, actor=coordinator, to_status=Status.IN_PROGRESS)
    change_status(complaint=second, actor=coordinator, to_status=Status.AWAITING_REPORTER)
    resume_after_reporter_activity(complaint=second)

    assert counter() == {Status.IN_PROGRESS: 2} == actual()


def test_a_refused_change_leaves_the_counter(office, coordinator):
    complaint = ComplaintFactory()
    with pytest.raises(ValidationError), transaction.atomic():
        change_status(complaint=complaint, actor=coordinator, to_status=Status.CLOSED)

    assert counter() == {Status.NEW: 1} == actual()


def test_a_missing_row_is_created_with_the_exact_count(office):
    ComplaintFactory()
    ComplaintStatusCount.objects.filter(status=Status.NEW).delete()

    ComplaintFactory()  # the service finds no row for "new" and counts it

    assert counter() == {Status.NEW: 2}


def test_no_change_counts_nothing(office):
    ComplaintFactory()
    count_status_change(leaving=Status.NEW, entering=Status.NEW)
    assert counter() == {Status.NEW: 1}


def test_recount_rebuilds_from_the_complaints(office):
    ComplaintFactory()
    ComplaintFactory(status=Status.CLOSED, handling=["registration"])
    ComplaintStatusCount.objects.update(count=99)

    counts = recount_statuses()

    assert counter() == {Status.NEW: 1, Status.CLOSED: 1} == actual()
    assert counts[Status.REJECTED] == 0
