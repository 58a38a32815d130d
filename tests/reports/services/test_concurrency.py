"""Concurrent writes on PostgreSQL: optimistic locking, assignment and case numbers under real
threads, each with its own database connection, started together at a barrier.

Needs row locks (``SELECT ... FOR UPDATE``) of PostgreSQL. Elsewhere these tests are skipped,
except on CI (``CI`` set in the environment), where running them on another database is an
error.
"""

from __future__ import annotations

import datetime
import os
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from reports.models import (
    CaseNumberSequence,
    Complaint,
    ComplaintHistory,
    ComplaintUserObjectPermission,
)
from reports.services.complaints import (
    StaleCaseError,
    assign_complaint,
    change_status,
    register_complaint,
)
from reports.services.reference import current_office, load_reference_data
from reports.vocabulary import Channel, Status
from tests.factories import CaseworkerFactory, CoordinatorFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TIMEOUT = 30


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        message = f"needs PostgreSQL row locks; the database is {connection.vendor}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def committed_office(transactional_db):
    """Reference data in a transactional test: the flush at teardown removes what migrations
    loaded, so it is loaded here explicitly."""
    load_reference_data()
    return current_office()


def run_together(*actions: Callable[[], object]) -> list[tuple[str, object]]:
    """Run each action in its own thread, all released at once by a barrier.

    Returns:
        Per action, in order: ``("ok", result)`` or ``("error", exception)``.
    """
    barrier = threading.Barrier(len(actions))
    outcomes: list[tuple[str, object] | None] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            outcomes[index] = ("ok", action())
        except BaseException as error:  # reported to the main thread
            outcomes[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)
    assert [thread.is_alive() for thread in threads] == [False] * len(threads)
    return outcomes


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def new_case(office) -> Complaint:
    return register_complaint(office=office, description="A concurrent case.",
                              channel=Channel.ONLINE,
                              received_at=datetime.datetime(2020, 3, 2, 12, 0, tzinfo=AMSTERDAM))


def split(outcomes) -> tuple[list[int], list[BaseException]]:
    """The indexes of the successful actions and the exceptions of the failed ones."""
    succeeded = [i for i, (kind, _value) in enumerate(outcomes) if kind == "ok"]
    errors = [value for kind, value in outcomes if kind == "error"]
    return succeeded, errors


def test_concurrent_changes_with_the_same_version_let_exactly_one_win(committed_office):
    first, second = CoordinatorFactory(username="coord_a"), CoordinatorFactory(username="coord_b")
    complaint = new_case(committed_office)
    targets = [Status.IN_PROGRESS, Status.AWAITING_REPORTER]

    outcomes = run_together(*[
        (lambda actor=actor, target=target: change_status(
            complaint=complaint, actor=fresh(actor), to_status=target, expected_version=1))
        for actor, target in zip([first, second], targets, strict=True)
    ])

    succeeded, errors = split(outcomes)
    assert len(succeeded) == 1
    assert [(type(error), error.code) for error in errors] == [(StaleCaseError, "stale")]
    winner = succeeded[0]
    after = Complaint.objects.get(pk=complaint.pk)
    assert (after.status, after.version) == (targets[winner], 2)
    assert list(ComplaintHistory.objects.filter(complaint=complaint).order_by("id")
                .values_list("action", "actor_id", "from_value", "to_value")) == [
        ("created", None, "", "new"),
        ("status", [first, second][winner].pk, "new", targets[winner]),
    ]


@pytest.mark.parametrize("with_version", [True, False], ids=["expected_version", "unversioned"])
def test_concurrent_assignments_leave_permissions_of_the_final_assignee_only(committed_office,
                                                                            with_version):
    coordinators = [CoordinatorFactory(username="coord_a"), CoordinatorFactory(username="coord_b")]
    assignees = [CaseworkerFactory(username="cw_a"), CaseworkerFactory(username="cw_b")]
    complaint = new_case(committed_office)
    expected_version = 1 if with_version else None

    outcomes = run_together(*[
        (lambda actor=actor, assignee=assignee: assign_complaint(
            complaint=complaint, actor=fresh(actor), assignee=fresh(assignee),
            expected_version=expected_version))
        for actor, assignee in zip(coordinators, assignees, strict=True)
    ])

    succeeded, errors = split(outcomes)
    rows = list(ComplaintHistory.objects.filter(complaint=complaint, action="assignment")
                .order_by("id").values_list("from_value", "to_value"))
    after = Complaint.objects.get(pk=complaint.pk)
    if with_version:
        assert len(succeeded) == 1
        assert [(type(error), error.code) for error in errors] == [(StaleCaseError, "stale")]
        final = assignees[succeeded[0]]
        assert rows == [("", final.username)]
        assert after.version == 2
    else:
        # Both succeed one after the other: the second sees and replaces the first.
        assert (succeeded, errors) == ([0, 1], [])
        final_name = rows[-1][1]
        first_name = rows[0][1]
        assert rows == [("", first_name), (first_name, final_name)]
        assert {first_name, final_name} == {"cw_a", "cw_b"}
        final = next(user for user in assignees if user.username == final_name)
        assert after.version == 3
    assert after.assigned_to_id == final.pk
    assert set(ComplaintUserObjectPermission.objects.filter(content_object=complaint)
               .values_list("user_id", "permission__codename")) == {
        (final.pk, "view_complaint"), (final.pk, "change_complaint")}
    loser = next(user for user in assignees if user.pk != final.pk)
    assert not fresh(loser).has_perm("reports.view_complaint", after)
    assert fresh(final).has_perm("reports.change_complaint", after)


def test_concurrent_claims_let_exactly_one_caseworker_take_the_case(committed_office):
    from django.core.exceptions import PermissionDenied

    caseworkers = [CaseworkerFactory(username="cw_a"), CaseworkerFactory(username="cw_b")]
    complaint = new_case(committed_office)

    outcomes = run_together(*[
        (lambda user=user: assign_complaint(complaint=complaint, actor=fresh(user),
                                            assignee=fresh(user)))
        for user in caseworkers
    ])

    succeeded, errors = split(outcomes)
    assert len(succeeded) == 1
    assert [type(error) for error in errors] == [PermissionDenied]
    winner = caseworkers[succeeded[0]]
    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id == winner.pk
    assert set(ComplaintUserObjectPermission.objects.filter(content_object=complaint)
               .values_list("user_id", "permission__codename")) == {
        (winner.pk, "view_complaint"), (winner.pk, "change_complaint")}
    assert ComplaintHistory.objects.filter(complaint=complaint, action="assignment").count() == 1


def test_concurrent_registrations_get_distinct_gap_free_case_numbers(committed_office):
    count = 20

    outcomes = run_together(*[
        (lambda i=i: register_complaint(
            office=committed_office, description=f"Concurrent report {i}.",
            channel=Channel.ONLINE,
            received_at=datetime.datetime(2020, 3, 1, 12, 0, tzinfo=AMSTERDAM)).case_number)
        for i in range(count)
    ])

    succeeded, errors = split(outcomes)
    assert errors == []
    assert sorted(value for _kind, value in outcomes) == [
        f"MDD-2020-{n:04d}" for n in range(1, count + 1)]
    assert len(succeeded) == count
    assert CaseNumberSequence.objects.get(office=committed_office, year=2020).last_number == count
    assert sorted(Complaint.objects.values_list("case_number", flat=True)) == [
        f"MDD-2020-{n:04d}" for n in range(1, count + 1)]
