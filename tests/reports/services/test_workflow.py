"""The status workflow of ``reports.services.complaints.change_status``: the transition table of
``reports.workflow``, the conditions on particular targets, Besluit art. 5 and 11 and optimistic
locking (``expected_version``) of every service that takes it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reports.models import (
    Complaint,
    ComplaintGroupObjectPermission,
    ComplaintHistory,
    ComplaintUserObjectPermission,
)
from reports.services.complaints import (
    StaleCaseError,
    assign_complaint,
    change_status,
    classify_complaint,
    share_with_team,
    update_reporter_data,
)
from reports.services.teams import create_team
from reports.vocabulary import (
    FINAL_STATUSES,
    Anonymity,
    ContactType,
    Handling,
    Outcome,
    RejectionReason,
    Status,
)
from reports.workflow import TRANSITIONS, allowed_next
from tests.factories import ComplaintFactory

#: Every pair the table allows, and its complement over all statuses (self-transitions included).
ALLOWED = sorted((source, target) for source, targets in TRANSITIONS.items()
                 for target in targets)
FORBIDDEN = sorted((source, target) for source in Status.values for target in Status.values
                   if (source, target) not in set(ALLOWED))

#: How a fresh case reaches each status through real transitions: (target, extra arguments).
PATHS: dict[str, list[tuple[str, dict]]] = {
    Status.NEW: [],
    Status.IN_PROGRESS: [(Status.IN_PROGRESS, {})],
    Status.AWAITING_REPORTER: [(Status.AWAITING_REPORTER, {})],
    Status.AWAITING_OTHER_PARTY: [(Status.IN_PROGRESS, {}), (Status.AWAITING_OTHER_PARTY, {})],
    Status.CLOSED: [(Status.CLOSED, {"outcome": Outcome.RESOLVED})],
    Status.REJECTED: [(Status.REJECTED, {"rejection_reason": RejectionReason.SPAM})],
    Status.REOPENED: [(Status.CLOSED, {"outcome": Outcome.RESOLVED}),
                      (Status.REOPENED, {"reason": "The reporter came back."})],
}

#: What a transition to these targets needs besides the table (and besides a ``reason``, which
#: reopening needs and the tests below pass for every transition).
CONDITIONS: dict[str, dict] = {
    Status.CLOSED: {"outcome": Outcome.PARTIALLY_RESOLVED},
    Status.REJECTED: {"rejection_reason": RejectionReason.OUT_OF_SCOPE},
}

#: The history ``to_value`` of a transition to these targets carries the outcome or reason.
SUFFIXED_TO_VALUE = {
    Status.CLOSED: "closed:partially_resolved",
    Status.REJECTED: "rejected:out_of_scope",
}


def fresh(user):
    """The user re-read from the database, so no permission cache hides a change."""
    return get_user_model().objects.get(pk=user.pk)


def stored(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def history_count(complaint) -> int:
    return ComplaintHistory.objects.filter(complaint=complaint).count()


def case_in(status: str, actor, **fields) -> Complaint:
    """A case with one handling code, brought to ``status`` by real transitions."""
    complaint = ComplaintFactory(handling=[Handling.REGISTRATION], **fields)
    for target, arguments in PATHS[status]:
        change_status(complaint=complaint, actor=actor, to_status=target, **arguments)
    complaint = stored(complaint)
    assert complaint.status == status
    return complaint


# --- The table --------------------------------------------------------------------------------


def test_the_table_is_the_documented_adv_workflow():
    working = {Status.IN_PROGRESS, Status.AWAITING_REPORTER, Status.AWAITING_OTHER_PARTY}
    assert TRANSITIONS == {
        Status.NEW: {Status.IN_PROGRESS, Status.AWAITING_REPORTER, Status.CLOSED,
                     Status.REJECTED},
        Status.IN_PROGRESS: {Status.AWAITING_REPORTER, Status.AWAITING_OTHER_PARTY,
                             Status.CLOSED, Status.REJECTED},
        Status.AWAITING_REPORTER: {Status.IN_PROGRESS, Status.AWAITING_OTHER_PARTY,
                                   Status.CLOSED},
        Status.AWAITING_OTHER_PARTY: {Status.IN_PROGRESS, Status.AWAITING_REPORTER,
                                      Status.CLOSED},
        Status.CLOSED: {Status.REOPENED},
        Status.REOPENED: working | {Status.CLOSED},
        Status.REJECTED: {Status.REOPENED},
    }
    assert (len(ALLOWED), len(FORBIDDEN)) == (20, 29)
    assert set(PATHS) == set(Status.values)


def test_allowed_next_lists_the_targets_in_status_order():
    assert allowed_next(Status.NEW) == ["in_progress", "awaiting_reporter", "closed",
                                        "rejected"]
    assert allowed_next(Status.REOPENED) == ["in_progress", "awaiting_reporter",
                                             "awaiting_other_party", "closed"]
    assert allowed_next(Status.CLOSED) == ["reopened"]
    assert allowed_next("archived") == []


# --- Every allowed and every forbidden transition ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED,
                         ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_every_allowed_transition_succeeds_and_is_recorded(office, coordinator, from_status,
                                                          to_status):
    complaint = case_in(from_status, coordinator)
    last_row = ComplaintHistory.objects.filter(complaint=complaint).latest("id").pk
    started = timezone.now()

    result = change_status(complaint=complaint, actor=coordinator, to_status=to_status,
                           expected_version=complaint.version,
                           reason="  Spoke to the reporter.  ", **CONDITIONS.get(to_status, {}))

    finished = timezone.now()
    after = stored(complaint)
    assert (result.status, after.status) == (to_status, to_status)
    assert (result.version, after.version) == (complaint.version + 1, complaint.version + 1)
    assert list(ComplaintHistory.objects.filter(complaint=complaint, pk__gt=last_row)
                .values_list("action", "actor_id", "from_value", "to_value", "reason")) == [
        ("status", coordinator.pk, from_status, SUFFIXED_TO_VALUE.get(to_status, to_status),
         "Spoke to the reporter."),
    ]
    if to_status in FINAL_STATUSES:
        assert started <= after.closed_at <= finished
    else:
        assert after.closed_at is None
    expected_outcome = Outcome.PARTIALLY_RESOLVED if to_status == Status.CLOSED else ""
    expected_rejection = RejectionReason.OUT_OF_SCOPE if to_status == Status.REJECTED else ""
    assert (after.outcome, after.rejection_reason) == (expected_outcome, expected_rejection)


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), [*FORBIDDEN, (Status.NEW, "archived")],
                         ids=[f"{a}->{b}" for a, b in [*FORBIDDEN, (Status.NEW, "archived")]])
def test_every_forbidden_transition_raises_and_changes_nothing(office, coordinator, from_status,
                                                              to_status):
    complaint = case_in(from_status, coordinator)
    rows = history_count(complaint)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=to_status,
                      expected_version=complaint.version, reason="Because.",
                      **CONDITIONS.get(to_status, {}))

    assert excinfo.value.code == "transition"
    after = stored(complaint)
    assert (after.status, after.version, after.closed_at, after.first_response_at,
            after.outcome, after.rejection_reason) == (
        from_status, complaint.version, complaint.closed_at, complaint.first_response_at,
        complaint.outcome, complaint.rejection_reason)
    assert history_count(complaint) == rows


@pytest.mark.django_db
def test_the_history_suffix_is_only_the_detail_of_the_target(office, coordinator):
    """An outcome or rejection reason passed along with another target is not recorded."""
    complaint = case_in(Status.NEW, coordinator)

    change_status(complaint=complaint, actor=coordinator, to_status=Status.IN_PROGRESS,
                  outcome=Outcome.RESOLVED, rejection_reason=RejectionReason.SPAM)
    change_status(complaint=complaint, actor=coordinator, to_status=Status.CLOSED,
                  outcome=Outcome.RESOLVED, rejection_reason=RejectionReason.SPAM)

    assert list(ComplaintHistory.objects.filter(complaint=complaint, action="status")
                .values_list("to_value", flat=True)) == ["in_progress", "closed:resolved"]
    after = stored(complaint)
    assert (after.outcome, after.rejection_reason) == ("resolved", "")


# --- Conditions -------------------------------------------------------------------------------


def assert_unchanged(complaint: Complaint, rows: int) -> None:
    after = stored(complaint)
    assert (after.status, after.version, after.outcome, after.rejection_reason,
            after.duplicate_of_id, after.closed_at, after.first_response_at) == (
        complaint.status, complaint.version, complaint.outcome, complaint.rejection_reason,
        complaint.duplicate_of_id, complaint.closed_at, complaint.first_response_at)
    assert history_count(complaint) == rows


@pytest.mark.django_db
def test_closing_without_handling_is_refused(office, coordinator):
    complaint = stored(ComplaintFactory())

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=Status.CLOSED,
                      outcome=Outcome.RESOLVED)

    assert {field: [e.code for e in errors]
            for field, errors in excinfo.value.error_dict.items()} == {
        "handling": ["handling_required"]}
    assert_unchanged(complaint, 1)


@pytest.mark.django_db
def test_closing_without_handling_and_outcome_names_both(office, coordinator):
    complaint = stored(ComplaintFactory())

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=Status.CLOSED)

    assert {field: [e.code for e in errors]
            for field, errors in excinfo.value.error_dict.items()} == {
        "handling": ["handling_required"], "outcome": ["outcome_required"]}
    assert_unchanged(complaint, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("from_status", [Status.NEW, Status.IN_PROGRESS, Status.REOPENED])
def test_closing_without_outcome_is_refused(office, coordinator, from_status):
    complaint = case_in(from_status, coordinator)
    rows = history_count(complaint)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=Status.CLOSED)

    assert {field: [e.code for e in errors]
            for field, errors in excinfo.value.error_dict.items()} == {
        "outcome": ["outcome_required"]}
    assert_unchanged(complaint, rows)


@pytest.mark.django_db
def test_closing_with_an_unknown_outcome_is_refused(office, coordinator):
    complaint = case_in(Status.IN_PROGRESS, coordinator)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=Status.CLOSED,
                      outcome="solved_by_magic")

    assert list(excinfo.value.message_dict) == ["outcome"]
    assert_unchanged(complaint, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("rejection_reason", ["", "boring"])
def test_rejecting_without_a_valid_reason_is_refused(office, coordinator, rejection_reason):
    complaint = case_in(Status.NEW, coordinator)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=Status.REJECTED,
                      rejection_reason=rejection_reason)

    assert excinfo.value.code == "rejection_reason_required"
    assert_unchanged(complaint, 1)


@pytest.mark.django_db
def test_rejecting_as_a_duplicate_of_itself_is_refused(office, coordinator):
    complaint = case_in(Status.NEW, coordinator)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=Status.REJECTED,
                      rejection_reason=RejectionReason.DUPLICATE, duplicate_of=complaint)

    assert excinfo.value.code == "duplicate_of"
    assert_unchanged(complaint, 1)


@pytest.mark.django_db
def test_rejecting_as_a_duplicate_of_an_invisible_case_is_refused(office, coordinator, caseworker,
                                                                  other_caseworker):
    complaint = ComplaintFactory()
    hidden = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)
    assign_complaint(complaint=hidden, actor=coordinator, assignee=other_caseworker)
    complaint = stored(complaint)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=fresh(caseworker), to_status=Status.REJECTED,
                      rejection_reason=RejectionReason.DUPLICATE, duplicate_of=stored(hidden))

    assert excinfo.value.code == "duplicate_of"
    assert_unchanged(complaint, 2)


@pytest.mark.django_db
def test_rejecting_as_a_duplicate_records_the_original_and_reopening_clears_it(office,
                                                                              coordinator):
    original = ComplaintFactory()
    complaint = case_in(Status.NEW, coordinator)

    change_status(complaint=complaint, actor=coordinator, to_status=Status.REJECTED,
                  rejection_reason=RejectionReason.DUPLICATE, duplicate_of=original)

    after = stored(complaint)
    assert (after.status, after.rejection_reason, after.duplicate_of_id) == (
        "rejected", "duplicate", original.pk)
    assert after.closed_at is not None

    change_status(complaint=complaint, actor=coordinator, to_status=Status.REOPENED,
                  reason="Not a duplicate after all.")

    after = stored(complaint)
    assert (after.status, after.rejection_reason, after.duplicate_of_id, after.closed_at) == (
        "reopened", "", None, None)


@pytest.mark.django_db
def test_a_duplicate_case_is_ignored_for_another_rejection_reason(office, coordinator):
    original = ComplaintFactory()
    complaint = case_in(Status.NEW, coordinator)

    change_status(complaint=complaint, actor=coordinator, to_status=Status.REJECTED,
                  rejection_reason=RejectionReason.SPAM, duplicate_of=original)

    after = stored(complaint)
    assert (after.rejection_reason, after.duplicate_of_id) == ("spam", None)


@pytest.mark.django_db
@pytest.mark.parametrize("from_status", [Status.CLOSED, Status.REJECTED])
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_reopening_without_a_reason_is_refused(office, coordinator, from_status, reason):
    complaint = case_in(from_status, coordinator)
    rows = history_count(complaint)

    with pytest.raises(ValidationError) as excinfo:
        change_status(complaint=complaint, actor=coordinator, to_status=Status.REOPENED,
                      reason=reason)

    assert excinfo.value.code == "reason_required"
    assert_unchanged(complaint, rows)
    assert stored(complaint).closed_at is not None


@pytest.mark.django_db
def test_reopening_a_closed_case_clears_its_outcome_and_closing_time(office, coordinator):
    complaint = case_in(Status.CLOSED, coordinator)
    assert (complaint.outcome, complaint.closed_at is not None) == ("resolved", True)

    change_status(complaint=complaint, actor=coordinator, to_status=Status.REOPENED,
                  reason="New facts.")

    after = stored(complaint)
    assert (after.status, after.outcome, after.closed_at) == ("reopened", "", None)
    assert ComplaintHistory.objects.filter(complaint=complaint).latest("id").reason == (
        "New facts.")


@pytest.mark.django_db
def test_change_status_without_permission_is_denied_before_anything_else(office, caseworker):
    complaint = stored(ComplaintFactory())

    with pytest.raises(PermissionDenied):
        change_status(complaint=complaint, actor=caseworker, to_status=Status.NEW,
                      expected_version=99)

    assert_unchanged(complaint, 1)


# --- Besluit gemeentelijke ADV's art. 5 and art. 11 (through classification) ---------------


def classify(complaint, actor, handling, expected_version=None):
    return classify_complaint(complaint=complaint, actor=actor,
                              contact_type=ContactType.COMPLAINT, grounds=["race"],
                              societal_domain="", nature="", handling=handling,
                              expected_version=expected_version)


def with_consents(complaint, reporter: bool, other_party: bool) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(reporter_consents_mediation=reporter,
                                                     other_party_consents_mediation=other_party)
    return stored(complaint)


@pytest.mark.django_db
@pytest.mark.parametrize("anonymity", [Anonymity.ANONYMOUS, Anonymity.ANONYMOUS_TO_THIRD_PARTIES])
@pytest.mark.parametrize("code", [Handling.MEDIATION, Handling.OWN_INVESTIGATION])
def test_mediation_and_own_investigation_are_refused_for_anonymous_reporters(
        office, coordinator, anonymity, code):
    complaint = with_consents(ComplaintFactory(anonymity=anonymity, handling=["referral"]),
                              True, True)

    with pytest.raises(ValidationError) as excinfo:
        classify(complaint, coordinator, [Handling.REGISTRATION, code])

    assert excinfo.value.code == "anonymous"
    after = stored(complaint)
    assert (after.contact_type, after.version) == ("report", 1)
    assert list(after.handling.values_list("code", flat=True)) == ["referral"]
    assert list(after.grounds.values_list("code", flat=True)) == []
    assert history_count(complaint) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("anonymity", [Anonymity.ANONYMOUS, Anonymity.ANONYMOUS_TO_THIRD_PARTIES])
def test_other_handling_is_allowed_for_anonymous_reporters(office, coordinator, anonymity):
    complaint = ComplaintFactory(anonymity=anonymity)

    classify(complaint, coordinator, [Handling.REGISTRATION, Handling.REFERRAL])

    assert sorted(stored(complaint).handling.values_list("code", flat=True)) == [
        "referral", "registration"]


@pytest.mark.django_db
def test_mediation_is_allowed_for_a_named_reporter_with_both_consents(office, coordinator):
    complaint = with_consents(ComplaintFactory(anonymity=Anonymity.NAMED), True, True)

    classify(complaint, coordinator, [Handling.MEDIATION, Handling.OWN_INVESTIGATION])

    after = stored(complaint)
    assert sorted(after.handling.values_list("code", flat=True)) == [
        "mediation", "own_investigation"]
    assert after.version == 2


@pytest.mark.django_db
def test_own_investigation_needs_no_consent_for_a_named_reporter(office, coordinator):
    complaint = ComplaintFactory(anonymity=Anonymity.NAMED)

    classify(complaint, coordinator, [Handling.OWN_INVESTIGATION])

    assert list(stored(complaint).handling.values_list("code", flat=True)) == [
        "own_investigation"]


@pytest.mark.django_db
@pytest.mark.parametrize(("reporter", "other_party"), [(False, False), (True, False),
                                                       (False, True)])
def test_mediation_without_both_consents_is_refused(office, coordinator, reporter, other_party):
    complaint = with_consents(ComplaintFactory(anonymity=Anonymity.NAMED), reporter, other_party)

    with pytest.raises(ValidationError) as excinfo:
        classify(complaint, coordinator, [Handling.MEDIATION])

    assert excinfo.value.code == "mediation_consent"
    after = stored(complaint)
    assert after.version == 1
    assert after.handling.count() == 0
    assert history_count(complaint) == 1


# --- Optimistic locking -----------------------------------------------------------------------


@pytest.fixture
def team(reference_data):
    return create_team(name="Noord")


def _change_status(complaint, coordinator, caseworker, team, expected_version):
    return change_status(complaint=complaint, actor=coordinator,
                         to_status=Status.AWAITING_REPORTER, expected_version=expected_version)


def _assign(complaint, coordinator, caseworker, team, expected_version):
    return assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker,
                            expected_version=expected_version)


def _share(complaint, coordinator, caseworker, team, expected_version):
    return share_with_team(complaint=complaint, actor=coordinator, team=team,
                           expected_version=expected_version)


def _classify(complaint, coordinator, caseworker, team, expected_version):
    return classify(complaint, coordinator, [Handling.REFERRAL], expected_version)


def _update_reporter_data(complaint, coordinator, caseworker, team, expected_version):
    return update_reporter_data(complaint=complaint, actor=coordinator,
                                expected_version=expected_version, reporter_name="A. Jansen",
                                consent_to_contact=True)


#: Each service that takes ``expected_version``, with the history rows its change writes.
VERSIONED_SERVICES = [(_change_status, 1), (_assign, 1), (_share, 1), (_classify, 1),
                      (_update_reporter_data, 2)]
SERVICE_IDS = [service.__name__.strip("_") for service, _rows in VERSIONED_SERVICES]


def snapshot(complaint) -> tuple:
    after = stored(complaint)
    return (
        after.status, after.version, after.assigned_to_id, after.team_id, after.contact_type,
        sorted(after.grounds.values_list("code", flat=True)),
        sorted(after.handling.values_list("code", flat=True)),
        after.reporter_name, after.consent_to_contact, history_count(complaint),
        ComplaintUserObjectPermission.objects.filter(content_object=after).count(),
        ComplaintGroupObjectPermission.objects.filter(content_object=after).count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("service", "rows"), VERSIONED_SERVICES, ids=SERVICE_IDS)
def test_a_stale_expected_version_raises_and_changes_nothing(office, coordinator, caseworker,
                                                            team, service, rows):
    complaint = ComplaintFactory()
    change_status(complaint=complaint, actor=coordinator, to_status=Status.IN_PROGRESS,
                  expected_version=1)
    before = snapshot(complaint)
    assert before[:2] == ("in_progress", 2)

    with pytest.raises(StaleCaseError) as excinfo:
        service(stored(complaint), coordinator, caseworker, team, expected_version=1)

    assert excinfo.value.code == "stale"
    assert isinstance(excinfo.value, ValidationError)
    assert snapshot(complaint) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("service", "rows"), VERSIONED_SERVICES, ids=SERVICE_IDS)
def test_the_current_expected_version_is_accepted_and_bumped_once(office, coordinator,
                                                                 caseworker, team, service,
                                                                 rows):
    complaint = ComplaintFactory()
    change_status(complaint=complaint, actor=coordinator, to_status=Status.IN_PROGRESS,
                  expected_version=1)

    result = service(stored(complaint), coordinator, caseworker, team, expected_version=2)

    assert (result.version, stored(complaint).version) == (3, 3)
    assert history_count(complaint) == 2 + rows
