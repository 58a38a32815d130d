"""Writes on complaints: registration and case numbers, workflow, assignment, classification
and notes, each with its history row."""

from __future__ import annotations

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from reports.models import (
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    ComplaintHistory,
    Note,
)
from reports.selectors.reference import current_office
from reports.services.complaints import (
    add_note,
    assign_complaint,
    change_status,
    classify_complaint,
    register_complaint,
)
from reports.services.reference import load_reference_data
from reports.vocabulary import Channel, ContactType, Status
from tests.factories import ComplaintFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Action = ComplaintHistory.Action

#: The allowed transitions of ``reports.workflow.TRANSITIONS``, written out.
ALLOWED = [
    (Status.NEW, Status.IN_PROGRESS), (Status.NEW, Status.CLOSED), (Status.NEW, Status.REJECTED),
    (Status.IN_PROGRESS, Status.CLOSED), (Status.IN_PROGRESS, Status.REJECTED),
    (Status.CLOSED, Status.IN_PROGRESS),
    (Status.REJECTED, Status.NEW),
]
FORBIDDEN = [(a, b) for a in Status.values for b in Status.values if (a, b) not in ALLOWED]


def fresh(user):
    """The user re-read from the database, so no permission cache of guardian or Django
    hides a change."""
    return get_user_model().objects.get(pk=user.pk)


def history(complaint) -> list[tuple]:
    return list(ComplaintHistory.objects.filter(complaint=complaint).order_by("id")
                .values_list("action", "actor_id", "from_value", "to_value"))


# --- register_complaint -----------------------------------------------------------------------


@pytest.mark.django_db
def test_register_hands_out_sequential_case_numbers_per_year(office):
    def at(year, month=6):
        return ComplaintFactory(received_at=datetime.datetime(year, month, 1, tzinfo=AMSTERDAM))

    numbers = [at(2020).case_number, at(2020).case_number, at(2021).case_number,
               at(2020, 12).case_number, at(2021).case_number]

    assert numbers == ["MDD-2020-0001", "MDD-2020-0002", "MDD-2021-0001", "MDD-2020-0003",
                       "MDD-2021-0002"]
    assert dict(CaseNumberSequence.objects.values_list("year", "last_number")) == {
        2020: 3, 2021: 2}


@pytest.mark.django_db
def test_case_number_year_is_the_year_in_amsterdam(office):
    # 00:30 on 1 January 2021 in Amsterdam is still 2020 in UTC.
    new_year = ComplaintFactory(received_at=datetime.datetime(2021, 1, 1, 0, 30,
                                                              tzinfo=AMSTERDAM))
    # 23:30 UTC on 31 December 2020 is 00:30 on 1 January 2021 in Amsterdam.
    utc = ComplaintFactory(received_at=datetime.datetime(2020, 12, 31, 23, 30,
                                                         tzinfo=datetime.UTC))
    old_year = ComplaintFactory(received_at=datetime.datetime(2020, 12, 31, 23, 30,
                                                              tzinfo=AMSTERDAM))

    assert [new_year.case_number, utc.case_number, old_year.case_number] == [
        "MDD-2021-0001", "MDD-2021-0002", "MDD-2020-0001"]


@pytest.mark.django_db
def test_register_stores_the_complaint_with_a_created_history_row(office, coordinator):
    complaint = register_complaint(
        office=office, description="Refused entry at the door.", channel=Channel.PHONE,
        received_at=datetime.datetime(2020, 5, 4, 10, 0, tzinfo=AMSTERDAM),
        contact_type=ContactType.COMPLAINT, status=Status.IN_PROGRESS,
        reporter_residence=None, grounds=["race", "age", "race"], handling=["registration"],
        actor=coordinator,
    )

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert (complaint.case_number, complaint.office_id, complaint.channel,
            complaint.contact_type, complaint.status) == (
        "MDD-2020-0001", office.pk, "phone", "complaint", "in_progress")
    assert sorted(complaint.grounds.values_list("code", flat=True)) == ["age", "race"]
    assert list(complaint.handling.values_list("code", flat=True)) == ["registration"]
    assert history(complaint) == [("created", coordinator.pk, "", "in_progress")]


@pytest.mark.django_db
def test_register_from_the_public_form_has_no_actor(office):
    complaint = ComplaintFactory()

    assert history(complaint) == [("created", None, "", "new")]


@pytest.mark.django_db
def test_register_rejects_a_naive_time_and_hands_out_no_number(office):
    with pytest.raises(ValidationError):
        ComplaintFactory(received_at=datetime.datetime(2020, 6, 1, 12, 0))

    assert Complaint.objects.count() == 0
    assert CaseNumberSequence.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "invalid"), [
    ({"channel": "carrier_pigeon"}, "channel"),
    ({"nature": "rudeness"}, "nature"),
    ({"grounds": ["race", "astrology"]}, "code"),
    ({"handling": ["prayer"]}, "code"),
])
def test_an_invalid_complaint_rolls_back_its_case_number(office, fields, invalid):
    with pytest.raises(ValidationError) as excinfo:
        ComplaintFactory(**fields)

    assert list(excinfo.value.message_dict) == [invalid]
    assert Complaint.objects.count() == 0
    assert ComplaintGround.objects.count() == 0
    assert ComplaintFactory().case_number == "MDD-2020-0001"


# --- change_status --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_transition_succeeds_and_is_recorded(office, coordinator, from_status,
                                                          to_status):
    complaint = ComplaintFactory(status=from_status)

    result = change_status(complaint=complaint, actor=coordinator, to_status=to_status)

    assert result.status == to_status
    assert Complaint.objects.get(pk=complaint.pk).status == to_status
    assert history(complaint) == [
        ("created", None, "", from_status),
        ("status", coordinator.pk, from_status, to_status),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), [*FORBIDDEN, (Status.NEW, "archived")])
def test_a_forbidden_transition_raises_and_changes_nothing(office, coordinator, from_status,
                                                          to_status):
    complaint = ComplaintFactory(status=from_status)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=to_status)

    assert excinfo.value.code == "transition"
    assert Complaint.objects.get(pk=complaint.pk).status == from_status
    assert ComplaintHistory.objects.filter(complaint=complaint).count() == 1


def test_the_forbidden_list_is_the_complement_of_the_allowed_one():
    assert len(ALLOWED) == 7
    assert len(FORBIDDEN) == 9
    assert (Status.CLOSED, Status.REJECTED) in FORBIDDEN
    assert (Status.NEW, Status.NEW) in FORBIDDEN
    assert (Status.REJECTED, Status.CLOSED) in FORBIDDEN


@pytest.mark.django_db
@pytest.mark.parametrize("user_fixture", ["caseworker", "plain_user"])
def test_change_status_without_permission_is_denied(office, request, user_fixture):
    user = request.getfixturevalue(user_fixture)
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        change_status(complaint=complaint, actor=user, to_status=Status.IN_PROGRESS)

    assert Complaint.objects.get(pk=complaint.pk).status == Status.NEW
    assert ComplaintHistory.objects.filter(complaint=complaint).count() == 1


@pytest.mark.django_db
def test_the_assigned_caseworker_may_change_the_status(office, coordinator, caseworker):
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    change_status(complaint=complaint, actor=fresh(caseworker), to_status=Status.IN_PROGRESS)

    assert Complaint.objects.get(pk=complaint.pk).status == Status.IN_PROGRESS
    assert history(complaint)[-1] == ("status", caseworker.pk, "new", "in_progress")


# --- assign_complaint -----------------------------------------------------------------------


@pytest.mark.django_db
def test_assignment_moves_the_object_permissions_and_is_recorded(office, coordinator,
                                                                 caseworker, other_caseworker):
    complaint = ComplaintFactory()
    assert not fresh(caseworker).has_perm("reports.view_complaint", complaint)

    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id == caseworker.pk
    assert fresh(caseworker).has_perm("reports.view_complaint", complaint)
    assert fresh(caseworker).has_perm("reports.change_complaint", complaint)
    assert not fresh(other_caseworker).has_perm("reports.view_complaint", complaint)

    assign_complaint(complaint=complaint, actor=coordinator, assignee=other_caseworker)

    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id == other_caseworker.pk
    assert not fresh(caseworker).has_perm("reports.view_complaint", complaint)
    assert not fresh(caseworker).has_perm("reports.change_complaint", complaint)
    assert fresh(other_caseworker).has_perm("reports.view_complaint", complaint)
    assert fresh(other_caseworker).has_perm("reports.change_complaint", complaint)

    assign_complaint(complaint=complaint, actor=coordinator, assignee=None)

    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id is None
    assert not fresh(other_caseworker).has_perm("reports.view_complaint", complaint)
    assert not fresh(other_caseworker).has_perm("reports.change_complaint", complaint)
    assert history(complaint) == [
        ("created", None, "", "new"),
        ("assignment", coordinator.pk, "", "caseworker1"),
        ("assignment", coordinator.pk, "caseworker1", "caseworker2"),
        ("assignment", coordinator.pk, "caseworker2", ""),
    ]


@pytest.mark.django_db
def test_assigning_to_the_current_assignee_records_nothing(office, coordinator, caseworker):
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    assert ComplaintHistory.objects.filter(complaint=complaint).count() == 2
    assert fresh(caseworker).has_perm("reports.change_complaint", complaint)


@pytest.mark.django_db
def test_a_caseworker_may_claim_an_unassigned_complaint(office, caseworker):
    complaint = ComplaintFactory()

    assign_complaint(complaint=complaint, actor=caseworker, assignee=caseworker)

    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id == caseworker.pk
    assert fresh(caseworker).has_perm("reports.view_complaint", complaint)
    assert fresh(caseworker).has_perm("reports.change_complaint", complaint)
    assert history(complaint)[-1] == ("assignment", caseworker.pk, "", "caseworker1")


@pytest.mark.django_db
def test_a_caseworker_may_not_claim_an_assigned_complaint(office, coordinator, caseworker,
                                                          other_caseworker):
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    with pytest.raises(PermissionDenied):
        assign_complaint(complaint=complaint, actor=other_caseworker, assignee=other_caseworker)

    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id == caseworker.pk
    assert not fresh(other_caseworker).has_perm("reports.view_complaint", complaint)
    assert ComplaintHistory.objects.filter(complaint=complaint).count() == 2


@pytest.mark.django_db
def test_a_caseworker_may_not_assign_to_someone_else(office, caseworker, other_caseworker):
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        assign_complaint(complaint=complaint, actor=caseworker, assignee=other_caseworker)

    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id is None
    assert not fresh(other_caseworker).has_perm("reports.view_complaint", complaint)


@pytest.mark.django_db
def test_a_user_who_cannot_handle_cases_cannot_be_assigned(office, coordinator, plain_user):
    complaint = ComplaintFactory()

    with pytest.raises(ValidationError) as excinfo:
        assign_complaint(complaint=complaint, actor=coordinator, assignee=plain_user)

    assert excinfo.value.code == "assignee"
    assert Complaint.objects.get(pk=complaint.pk).assigned_to_id is None
    assert not fresh(plain_user).has_perm("reports.view_complaint", complaint)
    assert ComplaintHistory.objects.filter(complaint=complaint).count() == 1


# --- classify_complaint ---------------------------------------------------------------------


@pytest.mark.django_db
def test_classification_stores_the_codes_and_writes_one_history_row(office, coordinator):
    complaint = ComplaintFactory()

    classify_complaint(complaint=complaint, actor=coordinator,
                       contact_type=ContactType.COMPLAINT, grounds=["race", "age", "race"],
                       societal_domain="labour_market", nature="threat",
                       handling=["registration", "mediation"])

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.contact_type, stored.societal_domain, stored.nature) == (
        "complaint", "labour_market", "threat")
    assert sorted(stored.grounds.values_list("code", flat=True)) == ["age", "race"]
    assert sorted(stored.handling.values_list("code", flat=True)) == ["mediation", "registration"]
    assert history(complaint) == [
        ("created", None, "", "new"),
        ("classification", coordinator.pk,
         "type=report;grounds=;domain=;nature=;handling=",
         "type=complaint;grounds=age,race;domain=labour_market;nature=threat;"
         "handling=mediation,registration"),
    ]


@pytest.mark.django_db
def test_reclassification_replaces_the_codes(office, coordinator):
    complaint = ComplaintFactory(grounds=["race", "age"], handling=["mediation"])

    classify_complaint(complaint=complaint, actor=coordinator, contact_type=ContactType.REPORT,
                       grounds=["religion"], societal_domain="", nature="", handling=[])

    assert list(ComplaintGround.objects.filter(complaint=complaint)
                .values_list("code", flat=True)) == ["religion"]
    assert ComplaintHandling.objects.filter(complaint=complaint).count() == 0
    assert history(complaint)[-1] == (
        "classification", coordinator.pk,
        "type=report;grounds=age,race;domain=;nature=;handling=mediation",
        "type=report;grounds=religion;domain=;nature=;handling=")


@pytest.mark.django_db
def test_classification_without_change_writes_no_history(office, coordinator):
    complaint = ComplaintFactory(grounds=["race"], societal_domain="housing", nature="violence",
                                 handling=["referral"])

    classify_complaint(complaint=complaint, actor=coordinator, contact_type=ContactType.REPORT,
                       grounds=["race"], societal_domain="housing", nature="violence",
                       handling=["referral"])

    assert history(complaint) == [("created", None, "", "new")]


@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    {"grounds": ["race", "astrology"]},
    {"handling": ["prayer"]},
    {"nature": "rudeness"},
    {"contact_type": "gossip"},
])
def test_classification_with_an_unknown_code_raises_and_changes_nothing(office, coordinator,
                                                                         change):
    complaint = ComplaintFactory(grounds=["age"], handling=["referral"])
    arguments = {"contact_type": ContactType.COMPLAINT, "grounds": ["race"],
                 "societal_domain": "housing", "nature": "violence",
                 "handling": ["registration"], **change}

    with pytest.raises(ValidationError):
        classify_complaint(complaint=complaint, actor=coordinator, **arguments)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.contact_type, stored.societal_domain, stored.nature) == ("report", "", "")
    assert list(stored.grounds.values_list("code", flat=True)) == ["age"]
    assert list(stored.handling.values_list("code", flat=True)) == ["referral"]
    assert ComplaintHistory.objects.filter(complaint=complaint).count() == 1


@pytest.mark.django_db
def test_classification_without_permission_is_denied(office, caseworker):
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        classify_complaint(complaint=complaint, actor=caseworker, contact_type="complaint",
                           grounds=["race"], societal_domain="", nature="", handling=[])

    assert ComplaintGround.objects.filter(complaint=complaint).count() == 0
    assert ComplaintHistory.objects.filter(complaint=complaint).count() == 1


# --- add_note and append-only history -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_an_empty_note_is_refused(office, coordinator, text):
    complaint = ComplaintFactory()

    with pytest.raises(ValidationError) as excinfo:
        add_note(complaint=complaint, author=coordinator, text=text)

    assert excinfo.value.code == "empty"
    assert Note.objects.count() == 0


@pytest.mark.django_db
def test_a_note_is_stored_stripped_and_cannot_be_edited(office, coordinator):
    complaint = ComplaintFactory()

    note = add_note(complaint=complaint, author=coordinator, text="  Called the reporter.\n")

    assert list(Note.objects.values_list("complaint_id", "author_id", "text")) == [
        (complaint.pk, coordinator.pk, "Called the reporter.")]
    note.text = "Rewritten"
    with pytest.raises(ValueError, match="Note rows are append-only."):
        note.save()
    assert Note.objects.get(pk=note.pk).text == "Called the reporter."


@pytest.mark.django_db
def test_a_note_without_permission_is_denied(office, caseworker):
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        add_note(complaint=complaint, author=caseworker, text="Hello")

    assert Note.objects.count() == 0


@pytest.mark.django_db
def test_history_rows_cannot_be_changed(office):
    complaint = ComplaintFactory()
    entry = ComplaintHistory.objects.get(complaint=complaint)
    entry.to_value = Status.CLOSED

    with pytest.raises(ValueError, match="ComplaintHistory rows are append-only."):
        entry.save()

    assert ComplaintHistory.objects.get(pk=entry.pk).to_value == "new"


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.fixture
def committed_office(transactional_db):
    """Reference data in a transactional test (the flush at teardown removes what migrations
    loaded, so it is loaded here explicitly)."""
    load_reference_data()
    return current_office()


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs row locks (SELECT ... FOR UPDATE) of PostgreSQL")
def test_concurrent_registrations_get_distinct_gap_free_case_numbers(committed_office):
    threads_count = 20
    barrier = threading.Barrier(threads_count)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            complaint = register_complaint(
                office=committed_office, description=f"Concurrent report {i}.",
                channel=Channel.ONLINE,
                received_at=datetime.datetime(2020, 3, 1, 12, 0, tzinfo=AMSTERDAM))
            with lock:
                numbers.append(complaint.case_number)
        except BaseException as error:  # reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(numbers) == [f"MDD-2020-{n:04d}" for n in range(1, threads_count + 1)]
    assert CaseNumberSequence.objects.get(office=committed_office, year=2020).last_number == 20
    assert Complaint.objects.count() == 20
