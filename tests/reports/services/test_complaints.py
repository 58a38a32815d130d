"""Writes on complaints: registration and case numbers, first-response deadline, staff
registration, assignment, classification, reporter data, notes, messages and attachments, each
with its history row. The status workflow is tested in ``test_workflow.py``, concurrent writes
in ``test_concurrency.py`` and teams in ``test_teams.py``."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.functional import empty

from reports import crypto
from reports.models import (
    Attachment,
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    ComplaintHistory,
    ComplaintUserObjectPermission,
    Message,
    Municipality,
    Note,
)
from reports.services.complaints import (
    add_attachment,
    add_note,
    assign_complaint,
    change_status,
    classify_complaint,
    record_message,
    register_complaint,
    register_staff_complaint,
    update_reporter_data,
)
from reports.storage import private_storage
from reports.vocabulary import Anonymity, Channel, ContactType, Handling, Outcome, Status
from tests.factories import ComplaintFactory, UserFactory
from tests.reports import upload_samples as samples

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Action = ComplaintHistory.Action


def stored(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def user_with(*codenames: str, username: str):
    """A user holding exactly the given ``reports`` permissions, directly."""
    user = UserFactory(username=username)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="reports",
                                                         codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)


def case_permissions(complaint) -> set[tuple[int, str]]:
    return set(ComplaintUserObjectPermission.objects.filter(content_object=complaint)
               .values_list("user_id", "permission__codename"))


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
    assert case_permissions(complaint) == {(caseworker.pk, "view_complaint"),
                                           (caseworker.pk, "change_complaint")}

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
    assert case_permissions(complaint) == set()
    assert stored(complaint).version == 4
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
    assert stored(complaint).version == 2
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
                       handling=["registration", "referral"])

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.contact_type, stored.societal_domain, stored.nature) == (
        "complaint", "labour_market", "threat")
    assert sorted(stored.grounds.values_list("code", flat=True)) == ["age", "race"]
    assert sorted(stored.handling.values_list("code", flat=True)) == ["referral", "registration"]
    assert history(complaint) == [
        ("created", None, "", "new"),
        ("classification", coordinator.pk,
         "type=report;grounds=;domain=;nature=;handling=",
         "type=complaint;grounds=age,race;domain=labour_market;nature=threat;"
         "handling=referral,registration"),
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


# --- First-response deadline and first response -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("received_at", "due"), [
    # Monday: five working days later is the next Monday.
    (datetime.datetime(2020, 6, 15, 12, 0, tzinfo=AMSTERDAM), datetime.date(2020, 6, 22)),
    # Friday before King's Day (Mon 27 April 2020): Tue 28, Wed 29, Thu 30, Fri 1, Mon 4 May.
    (datetime.datetime(2020, 4, 24, 16, 0, tzinfo=AMSTERDAM), datetime.date(2020, 5, 4)),
    # Christmas Eve: Christmas (Fri 25, Sat 26), the weekend and New Year's Day are skipped:
    # Mon 28, Tue 29, Wed 30, Thu 31 December, Mon 4 January.
    (datetime.datetime(2020, 12, 24, 10, 0, tzinfo=AMSTERDAM), datetime.date(2021, 1, 4)),
])
def test_registration_sets_the_first_response_due_date(office, received_at, due):
    complaint = ComplaintFactory(received_at=received_at)

    after = stored(complaint)
    assert (after.first_response_due, after.first_response_at) == (due, None)


LEAVING_NEW = [
    (Status.IN_PROGRESS, {}),
    (Status.AWAITING_REPORTER, {}),
    (Status.CLOSED, {"outcome": Outcome.REGISTERED_ONLY}),
    (Status.REJECTED, {"rejection_reason": "spam"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("to_status", "arguments"), LEAVING_NEW,
                         ids=[status for status, _arguments in LEAVING_NEW])
def test_leaving_new_records_the_first_response(office, coordinator, to_status, arguments):
    complaint = ComplaintFactory(handling=[Handling.REGISTRATION])
    started = timezone.now()

    change_status(complaint=complaint, actor=coordinator, to_status=to_status, **arguments)

    assert started <= stored(complaint).first_response_at <= timezone.now()


@pytest.mark.django_db
def test_later_transitions_keep_the_first_response(office, coordinator):
    complaint = ComplaintFactory()
    change_status(complaint=complaint, actor=coordinator, to_status=Status.IN_PROGRESS)
    first = stored(complaint).first_response_at

    change_status(complaint=complaint, actor=coordinator, to_status=Status.AWAITING_REPORTER)
    change_status(complaint=complaint, actor=coordinator, to_status=Status.IN_PROGRESS)

    assert first is not None
    assert stored(complaint).first_response_at == first


@pytest.mark.django_db
def test_a_first_message_to_the_reporter_records_the_first_response(office, coordinator):
    complaint = ComplaintFactory()

    record_message(complaint=complaint, author=coordinator,
                              direction=Message.Direction.FROM_REPORTER, body="Any news?")
    assert stored(complaint).first_response_at is None

    first = record_message(complaint=complaint, author=coordinator,
                           direction=Message.Direction.TO_REPORTER, body="We received it.")
    record_message(complaint=complaint, author=coordinator,
                   direction=Message.Direction.TO_REPORTER, body="A second message.")

    assert stored(complaint).first_response_at == first.created_at
    # Leaving ``new`` afterwards keeps the message as the first response.
    change_status(complaint=complaint, actor=coordinator, to_status=Status.IN_PROGRESS)
    assert stored(complaint).first_response_at == first.created_at


@pytest.mark.django_db
def test_a_message_after_leaving_new_keeps_the_first_response(office, coordinator):
    complaint = ComplaintFactory()
    change_status(complaint=complaint, actor=coordinator, to_status=Status.IN_PROGRESS)
    first = stored(complaint).first_response_at

    record_message(complaint=complaint, author=coordinator,
                   direction=Message.Direction.TO_REPORTER, body="We are on it.")

    assert stored(complaint).first_response_at == first


# --- register_staff_complaint ---------------------------------------------------------------


PHONE_CALL = {"description": "Called about a refused job interview.",
              "received_at": datetime.datetime(2020, 4, 24, 16, 0, tzinfo=AMSTERDAM)}


@pytest.mark.django_db
def test_a_caseworker_registers_a_phone_report_and_is_assigned_to_it(office, caseworker):
    complaint = register_staff_complaint(office=office, actor=caseworker,
                                         channel=Channel.PHONE, **PHONE_CALL)

    after = stored(complaint)
    assert (complaint.version, complaint.assigned_to_id) == (2, caseworker.pk)
    assert (after.case_number, after.channel, after.status, after.assigned_to_id,
            after.version, after.first_response_due) == (
        "MDD-2020-0001", "phone", "new", caseworker.pk, 2, datetime.date(2020, 5, 4))
    assert case_permissions(complaint) == {(caseworker.pk, "view_complaint"),
                                           (caseworker.pk, "change_complaint")}
    assert history(complaint) == [
        ("created", caseworker.pk, "", "new"),
        ("assignment", caseworker.pk, "", "caseworker1"),
    ]


@pytest.mark.django_db
def test_a_registrar_who_cannot_handle_cases_leaves_the_report_in_the_queue(office):
    registrar = user_with("register_complaint", username="frontdesk")

    complaint = register_staff_complaint(office=office, actor=registrar,
                                         channel=Channel.LETTER, **PHONE_CALL)

    after = stored(complaint)
    assert (after.channel, after.assigned_to_id, after.version) == ("letter", None, 1)
    assert case_permissions(complaint) == set()
    assert history(complaint) == [("created", registrar.pk, "", "new")]


@pytest.mark.django_db
def test_staff_registration_needs_the_permission(office, plain_user):
    with pytest.raises(PermissionDenied):
        register_staff_complaint(office=office, actor=plain_user, channel=Channel.PHONE,
                                 **PHONE_CALL)

    assert Complaint.objects.count() == 0
    assert CaseNumberSequence.objects.count() == 0


@pytest.mark.django_db
def test_staff_registration_refuses_the_online_channel(office, caseworker):
    with pytest.raises(ValidationError) as excinfo:
        register_staff_complaint(office=office, actor=caseworker, channel=Channel.ONLINE,
                                 **PHONE_CALL)

    assert excinfo.value.code == "channel"
    assert Complaint.objects.count() == 0
    assert CaseNumberSequence.objects.count() == 0


# --- update_reporter_data -------------------------------------------------------------------


def history_texts() -> list[str]:
    """Every value of every history column of every row, as text."""
    return [str(value) for row in ComplaintHistory.objects.values_list(
        "action", "from_value", "to_value", "reason") for value in row]


@pytest.mark.django_db
def test_reporter_data_history_names_personal_fields_but_never_their_values(office,
                                                                             coordinator):
    assen = Municipality.objects.get(code="GM0106")
    complaint = ComplaintFactory()

    update_reporter_data(complaint=complaint, actor=coordinator, expected_version=1,
                         reporter_name="Fatima El Amrani",
                         reporter_email="f.elamrani@example.invalid",
                         reporter_phone="06-12345678", reporter_residence=assen,
                         consent_to_contact=True)
    update_reporter_data(complaint=complaint, actor=coordinator, expected_version=2,
                         reporter_name="Fatima El-Amrani", reporter_residence=None)

    after = stored(complaint)
    assert (after.reporter_name, after.reporter_email, after.reporter_phone,
            after.reporter_residence_id, after.consent_to_contact, after.version) == (
        "Fatima El-Amrani", "f.elamrani@example.invalid", "06-12345678", None, True, 3)
    assert history(complaint) == [
        ("created", None, "", "new"),
        ("reporter_data", coordinator.pk, "reporter_name", "reporter_name"),
        ("reporter_data", coordinator.pk, "reporter_email", "reporter_email"),
        ("reporter_data", coordinator.pk, "reporter_phone", "reporter_phone"),
        ("reporter_data", coordinator.pk, "reporter_residence", "reporter_residence"),
        ("reporter_data", coordinator.pk, "consent_to_contact=False", "consent_to_contact=True"),
        ("reporter_data", coordinator.pk, "reporter_name", "reporter_name"),
        ("reporter_data", coordinator.pk, "reporter_residence", "reporter_residence"),
    ]
    texts = history_texts()
    for secret in ("Fatima", "Amrani", "f.elamrani", "example.invalid", "12345678", "GM0106",
                   "Assen"):
        assert [text for text in texts if secret in text] == []


@pytest.mark.django_db
def test_unchanged_reporter_data_writes_nothing(office, coordinator):
    complaint = ComplaintFactory(reporter_name="Jan", anonymity=Anonymity.NAMED)

    update_reporter_data(complaint=complaint, actor=coordinator, reporter_name="Jan",
                         anonymity=Anonymity.NAMED)

    assert stored(complaint).version == 1
    assert history(complaint) == [("created", None, "", "new")]


@pytest.mark.django_db
def test_the_assigned_caseworker_may_update_reporter_data(office, coordinator, caseworker):
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    update_reporter_data(complaint=complaint, actor=fresh(caseworker), reporter_phone="0201234")

    assert stored(complaint).reporter_phone == "0201234"
    assert history(complaint)[-1] == ("reporter_data", caseworker.pk, "reporter_phone",
                                      "reporter_phone")


@pytest.mark.django_db
def test_reporter_data_needs_the_contact_permission(office):
    handler = user_with("change_all_complaints", "view_all_complaints", username="handler")
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        update_reporter_data(complaint=complaint, actor=handler, reporter_name="Jan")

    assert (stored(complaint).reporter_name, stored(complaint).version) == ("", 1)
    assert history(complaint) == [("created", None, "", "new")]


@pytest.mark.django_db
def test_reporter_data_of_a_case_one_cannot_change_is_denied(office, caseworker):
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        update_reporter_data(complaint=complaint, actor=caseworker, reporter_name="Jan")

    assert (stored(complaint).reporter_name, stored(complaint).version) == ("", 1)


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "key"), [
    ({"description": "rewritten"}, None),
    ({"reporter_email": "not an address"}, "reporter_email"),
    ({"anonymity": "invisible"}, "anonymity"),
])
def test_invalid_reporter_data_is_refused(office, coordinator, changes, key):
    complaint = ComplaintFactory()

    with pytest.raises(ValidationError) as excinfo:
        update_reporter_data(complaint=complaint, actor=coordinator, reporter_name="Jan",
                             **changes)

    if key is None:
        assert excinfo.value.messages == ["Unknown reporter fields: ['description']"]
    else:
        assert list(excinfo.value.message_dict) == [key]
    after = stored(complaint)
    assert (after.reporter_name, after.anonymity, after.version) == ("", "named", 1)
    assert history(complaint) == [("created", None, "", "new")]


def with_handling(complaint, actor, handling: list[str]) -> Complaint:
    """A named case with both mediation consents and ``handling`` classified."""
    update_reporter_data(complaint=complaint, actor=actor, reporter_consents_mediation=True,
                         other_party_consents_mediation=True)
    classify_complaint(complaint=complaint, actor=actor, contact_type=ContactType.COMPLAINT,
                       grounds=["race"], societal_domain="", nature="", handling=handling)
    return stored(complaint)


@pytest.mark.django_db
@pytest.mark.parametrize("code", [Handling.MEDIATION, Handling.OWN_INVESTIGATION])
@pytest.mark.parametrize("anonymity", [Anonymity.ANONYMOUS, Anonymity.ANONYMOUS_TO_THIRD_PARTIES])
def test_becoming_anonymous_is_refused_while_identity_handling_is_recorded(office, coordinator,
                                                                          code, anonymity):
    complaint = with_handling(ComplaintFactory(), coordinator, [code])
    rows = ComplaintHistory.objects.filter(complaint=complaint).count()

    with pytest.raises(ValidationError) as excinfo:
        update_reporter_data(complaint=complaint, actor=coordinator, anonymity=anonymity)

    assert excinfo.value.code == "anonymous"
    after = stored(complaint)
    assert (after.anonymity, after.version) == ("named", complaint.version)
    assert ComplaintHistory.objects.filter(complaint=complaint).count() == rows


@pytest.mark.django_db
@pytest.mark.parametrize("consent", ["reporter_consents_mediation",
                                     "other_party_consents_mediation"])
def test_withdrawing_a_mediation_consent_is_refused_while_mediation_is_recorded(
        office, coordinator, consent):
    complaint = with_handling(ComplaintFactory(), coordinator, [Handling.MEDIATION])

    with pytest.raises(ValidationError) as excinfo:
        update_reporter_data(complaint=complaint, actor=coordinator, **{consent: False})

    assert excinfo.value.code == "mediation_consent"
    after = stored(complaint)
    assert getattr(after, consent) is True
    assert after.version == complaint.version


@pytest.mark.django_db
def test_becoming_anonymous_is_allowed_without_identity_handling(office, coordinator):
    complaint = with_handling(ComplaintFactory(), coordinator, [Handling.REGISTRATION])

    update_reporter_data(complaint=complaint, actor=coordinator, anonymity=Anonymity.ANONYMOUS,
                         reporter_consents_mediation=False)

    after = stored(complaint)
    assert (after.anonymity, after.reporter_consents_mediation, after.version) == (
        "anonymous", False, complaint.version + 1)
    assert history(complaint)[-2:] == [
        ("reporter_data", coordinator.pk, "anonymity=named", "anonymity=anonymous"),
        ("reporter_data", coordinator.pk, "reporter_consents_mediation=True",
         "reporter_consents_mediation=False"),
    ]


# --- record_message -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_is_stored_stripped_and_cannot_be_edited(office, coordinator):
    complaint = ComplaintFactory()

    message = record_message(complaint=complaint, author=coordinator,
                             direction=Message.Direction.FROM_REPORTER, body="  Thanks!\n")

    assert list(Message.objects.values_list("complaint_id", "author_id", "direction",
                                            "body")) == [
        (complaint.pk, coordinator.pk, "in", "Thanks!")]
    message.body = "Rewritten"
    with pytest.raises(ValueError, match="Message rows are append-only."):
        message.save()
    assert Message.objects.get(pk=message.pk).body == "Thanks!"


@pytest.mark.django_db
@pytest.mark.parametrize(("notify", "emails"), [(True, 1), (False, 0)])
def test_a_message_to_the_reporter_emails_only_when_asked(office, coordinator, notify, emails):
    from reports.models import OutboundEmail

    complaint = ComplaintFactory(reporter_email="melder@example.invalid",
                                 consent_to_contact=True)

    record_message(complaint=complaint, author=coordinator, direction="out", body="Bedankt.",
                   notify_by_email=notify)

    assert list(Message.objects.values_list("direction", "body")) == [("out", "Bedankt.")]
    assert OutboundEmail.objects.count() == emails
    assert list(OutboundEmail.objects.values_list("recipient", flat=True)) == (
        ["melder@example.invalid"] * emails)


@pytest.mark.django_db
@pytest.mark.parametrize(("direction", "body", "code"), [
    ("out", "", "empty"),
    ("out", " \n ", "empty"),
    ("sideways", "Hello", "direction"),
])
def test_an_invalid_message_is_refused(office, coordinator, direction, body, code):
    complaint = ComplaintFactory()

    with pytest.raises(ValidationError) as excinfo:
        record_message(complaint=complaint, author=coordinator, direction=direction, body=body)

    assert excinfo.value.code == code
    assert Message.objects.count() == 0
    assert stored(complaint).first_response_at is None


@pytest.mark.django_db
def test_a_message_without_permission_is_denied(office, caseworker):
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        record_message(complaint=complaint, author=caseworker, direction="out", body="Hello")

    assert Message.objects.count() == 0
    assert stored(complaint).first_response_at is None


# --- add_attachment -------------------------------------------------------------------------


@pytest.fixture
def private_media(settings, tmp_path):
    """``PRIVATE_MEDIA_ROOT`` in a temporary directory.

    ``reports.storage.private_storage`` reads the setting once, when first used, so it is reset
    here to pick up the override, and again afterwards.
    """
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    yield tmp_path
    private_storage._wrapped = empty


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


PDF = samples.pdf_containing(b"synthetic test document")


@pytest.mark.django_db
def test_an_attachment_is_stored_under_a_generated_name(office, coordinator, private_media):
    complaint = ComplaintFactory()
    upload = SimpleUploadedFile("Klacht Jansen.pdf", PDF, content_type="application/pdf")

    attachment = add_attachment(complaint=complaint, uploaded_by=coordinator, upload=upload)

    saved = Attachment.objects.get()
    assert (saved.pk, saved.complaint_id, saved.original_name, saved.content_type, saved.size,
            saved.uploaded_by_id) == (
        attachment.pk, complaint.pk, "Klacht Jansen.pdf", "application/pdf", len(PDF),
        coordinator.pk)
    assert re.fullmatch(rf"attachments/{complaint.public_id}/[0-9a-f]{{32}}", saved.file.name)
    assert "Jansen" not in saved.file.name
    assert stored_files(private_media) == [saved.file.name]
    stored = (private_media / saved.file.name).read_bytes()
    assert PDF not in stored  # encrypted at rest
    assert crypto.decrypt_bytes(stored) == PDF
    with saved.file.open("rb") as handle:
        assert handle.read() == PDF


@pytest.mark.django_db
def test_an_attachment_of_exactly_the_maximum_size_is_accepted(office, coordinator,
                                                               private_media, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PDF)
    complaint = ComplaintFactory()

    add_attachment(complaint=complaint, uploaded_by=coordinator,
                   upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"))

    assert Attachment.objects.get().size == len(PDF)
    assert len(stored_files(private_media)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "code"), [(PDF + b"!", "too_large"), (b"", "empty")])
def test_a_too_large_or_empty_attachment_is_refused(office, coordinator, private_media, settings,
                                                    content, code):
    settings.ATTACHMENT_MAX_BYTES = len(PDF)
    complaint = ComplaintFactory()

    with pytest.raises(ValidationError) as excinfo:
        add_attachment(complaint=complaint, uploaded_by=coordinator,
                       upload=SimpleUploadedFile("a.pdf", content,
                                                 content_type="application/pdf"))

    assert excinfo.value.code == code
    assert Attachment.objects.count() == 0
    assert stored_files(private_media) == []


@pytest.mark.django_db
def test_an_attachment_without_permission_is_denied(office, caseworker, private_media):
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        add_attachment(complaint=complaint, uploaded_by=caseworker,
                       upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"))

    assert Attachment.objects.count() == 0
    assert stored_files(private_media) == []
