"""Mass reports (issue 11 §2) and bulk changes (issue 12 §3) through the services: grouping,
inherited classification and its override, reply to all, close all, batching and retries."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import CaseJob, Complaint, ComplaintHistory, Message, OutboundEmail
from reports.services import complaints as case_services
from reports.services import incidents as services
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def codes(complaint: Complaint) -> list[str]:
    return sorted(complaint.grounds.values_list("code", flat=True))


@pytest.fixture
def incident(office, coordinator):
    return services.create_incident(office=office, actor=coordinator, title="Uitzending",
                                    grounds=["race", "religion"],
                                    societal_domain="media_advertising",
                                    nature="hostile_treatment")


def run(job: CaseJob, batch_size: int | None = None) -> CaseJob:
    return services.run_case_job(job_id=job.pk, batch_size=batch_size)


def test_grouping_gives_each_report_the_incident_classification(incident, coordinator):
    reports = [ComplaintFactory(grounds=["age"]) for _ in range(3)]

    job = run(services.group_into_incident(incident=incident, actor=coordinator,
                                           complaints=reports), batch_size=2)

    assert (job.state, job.total, job.position, job.changed, job.skipped) == (
        "succeeded", 3, 3, 3, [])
    for report in reports:
        report.refresh_from_db()
        assert (report.incident_id, codes(report), report.societal_domain, report.nature,
                report.classification_overridden) == (
            incident.pk, ["race", "religion"], "media_advertising", "hostile_treatment", False)
        actions = list(report.history.order_by("id").values_list("action", "actor"))
        assert actions == [("created", None), ("mass_added", coordinator.pk),
                           ("classification", coordinator.pk)]


def test_a_retried_job_changes_nothing_twice(incident, coordinator):
    reports = [ComplaintFactory() for _ in range(3)]
    job = services.group_into_incident(incident=incident, actor=coordinator, complaints=reports)
    run(job)
    # A retry of the finished job, and a forced second pass from the start, add no history.
    run(job)
    CaseJob.objects.filter(pk=job.pk).update(state="running", position=0)
    again = run(job)
    assert ComplaintHistory.objects.filter(action="mass_added").count() == 3
    assert [item["reason"] for item in again.skipped] == ["already in this mass report"] * 3


def test_changing_a_reports_classification_in_an_incident_overrides_it(incident, coordinator):
    report = ComplaintFactory()
    run(services.group_into_incident(incident=incident, actor=coordinator, complaints=[report]))
    report.refresh_from_db()
    case_services.classify_complaint(complaint=report, actor=coordinator, contact_type="report",
                                     grounds=["age"], societal_domain="media_advertising",
                                     nature="hostile_treatment", handling=[])
    other = ComplaintFactory()
    run(services.group_into_incident(incident=incident, actor=coordinator, complaints=[other]))

    job = services.classify_incident(incident=incident, actor=coordinator, grounds=["gender"],
                                     societal_domain="police_justice", nature="violence")
    run(job)

    report.refresh_from_db()
    other.refresh_from_db()
    assert report.classification_overridden is True
    assert (codes(report), report.societal_domain) == (["age"], "media_advertising")
    assert (codes(other), other.societal_domain, other.nature) == (
        ["gender"], "police_justice", "violence")
    assert job.total == 1  # only the report that follows the incident


def test_handling_alone_does_not_override(incident, coordinator):
    report = ComplaintFactory()
    run(services.group_into_incident(incident=incident, actor=coordinator, complaints=[report]))
    report.refresh_from_db()
    case_services.classify_complaint(complaint=report, actor=coordinator, contact_type="report",
                                     grounds=["race", "religion"],
                                     societal_domain="media_advertising",
                                     nature="hostile_treatment",
                                     handling=["registration"])
    report.refresh_from_db()
    assert report.classification_overridden is False


def test_removing_keeps_the_classification(incident, coordinator):
    report = ComplaintFactory()
    run(services.group_into_incident(incident=incident, actor=coordinator, complaints=[report]))
    report.refresh_from_db()
    assert case_services.remove_from_incident(complaint=report, actor=coordinator) is True
    report.refresh_from_db()
    assert (report.incident_id, codes(report)) == (None, ["race", "religion"])
    assert report.history.filter(action="mass_removed", actor=coordinator).count() == 1


def test_reply_to_all_records_a_message_per_case_and_emails_who_left_an_address(
        incident, coordinator):
    with_email = ComplaintFactory(reporter_email="melder@example.invalid",
                                  consent_to_contact=True)
    without = ComplaintFactory()
    run(services.group_into_incident(incident=incident, actor=coordinator,
                                     complaints=[with_email, without]))

    job = run(services.reply_to_all(incident=incident, actor=coordinator,
                                    body="We hebben uw melding ontvangen."))

    assert (job.state, job.changed) == ("succeeded", 2)
    for report in (with_email, without):
        message = Message.objects.get(complaint=report)
        assert (message.direction, message.author, message.body) == (
            "out", coordinator, "We hebben uw melding ontvangen.")
    assert list(OutboundEmail.objects.filter(kind="reporter_new_message")
                .values_list("recipient", flat=True)) == ["melder@example.invalid"]
    run(job)  # finished: a retry sends nothing again
    assert Message.objects.count() == 2
    job.refresh_from_db()
    assert job.body == ""  # the text lives on in the cases' messages only


def test_reply_must_not_be_empty(incident, coordinator):
    with pytest.raises(ValidationError):
        services.reply_to_all(incident=incident, actor=coordinator, body="   ")


def test_close_all_closes_open_reports_and_skips_closed_ones(incident, coordinator):
    open_one = ComplaintFactory()
    waiting = ComplaintFactory(status="in_progress")
    closed = ComplaintFactory(status="closed")
    anonymous = ComplaintFactory(anonymity="anonymous")
    run(services.group_into_incident(incident=incident, actor=coordinator,
                                     complaints=[open_one, waiting, closed, anonymous]))

    job = run(services.close_incident(incident=incident, actor=coordinator,
                                      outcome="registered_only", handling=["mediation"]),
              batch_size=1)

    # Mediation needs both parties' consent (Besluit art. 11) and, for the anonymous
    # reporter, a name (art. 5): every open report is refused and listed, none changes.
    assert (job.state, job.changed) == ("succeeded", 0)
    skipped = {item["case"]: item["reason"] for item in job.skipped}
    assert skipped[closed.case_number] == "already closed or not taken on"
    assert skipped[anonymous.case_number].endswith("(Besluit art. 5).")
    assert skipped[open_one.case_number].endswith("(Besluit art. 11).")
    for report in (open_one, waiting, anonymous):
        report.refresh_from_db()
        assert report.status != "closed"
        assert not report.handling.exists()


def test_close_all_with_one_outcome_and_handling(incident, coordinator):
    reports = [ComplaintFactory(), ComplaintFactory(status="in_progress")]
    closed = ComplaintFactory(status="closed")
    run(services.group_into_incident(incident=incident, actor=coordinator,
                                     complaints=[*reports, closed]))

    job = run(services.close_incident(incident=incident, actor=coordinator,
                                      outcome="registered_only", handling=["registration"]))

    assert (job.state, job.total, job.changed) == ("succeeded", 3, 2)
    assert job.skipped == [{"case": closed.case_number,
                            "reason": "already closed or not taken on"}]
    for report in reports:
        report.refresh_from_db()
        assert (report.status, report.outcome,
                list(report.handling.values_list("code", flat=True))) == (
            "closed", "registered_only", ["registration"])
        assert report.history.filter(action="status", actor=coordinator,
                                     to_value="closed:registered_only").count() == 1
    incident.refresh_from_db()
    assert incident.closed_at is not None
    closed.refresh_from_db()
    assert closed.history.filter(action="status").count() == 0


def test_close_all_needs_outcome_and_handling(incident, coordinator):
    with pytest.raises(ValidationError):
        services.close_incident(incident=incident, actor=coordinator, outcome="",
                                handling=["registration"])
    with pytest.raises(ValidationError):
        services.close_incident(incident=incident, actor=coordinator, outcome="registered_only",
                                handling=[])


def test_incident_actions_need_the_permission(office, incident, caseworker):
    with pytest.raises(PermissionDenied):
        services.create_incident(office=office, actor=caseworker, title="x")
    with pytest.raises(PermissionDenied):
        services.reply_to_all(incident=incident, actor=caseworker, body="x")
    with pytest.raises(PermissionDenied):
        services.close_incident(incident=incident, actor=caseworker, outcome="registered_only",
                                handling=["registration"])


def test_cases_the_actor_may_not_change_are_refused_not_changed(incident, coordinator,
                                                                caseworker):
    # A caseworker who somehow got the job (e.g. permission withdrawn later) changes nothing.
    report = ComplaintFactory()
    job = services.start_case_job(kind=CaseJob.Kind.GROUP, actor=caseworker,
                                  incident=incident, case_ids=[report.pk])
    job = run(job)
    report.refresh_from_db()
    assert report.incident_id is None
    assert job.skipped == [{"case": report.case_number,
                            "reason": "you may not change this case"}]


def test_bulk_status_is_refused_when_one_case_cannot_move(coordinator):
    movable = ComplaintFactory()
    closed = ComplaintFactory(status="closed")
    with pytest.raises(ValidationError) as error:
        services.bulk_change(actor=coordinator, complaints=[movable, closed], kind="status",
                             params={"to_status": "in_progress"})
    assert closed.case_number in error.value.messages[0]
    assert CaseJob.objects.count() == 0


def test_bulk_status_assign_and_share_per_case(coordinator, caseworker):
    from reports.services.teams import create_team

    team = create_team(name="Noord")
    reports = [ComplaintFactory(), ComplaintFactory()]
    run(services.bulk_change(actor=coordinator, complaints=reports, kind="status",
                             params={"to_status": "in_progress"}))
    run(services.bulk_change(actor=coordinator, complaints=reports, kind="assign",
                             params={"assignee": caseworker.pk}))
    job = run(services.bulk_change(actor=coordinator, complaints=reports, kind="share",
                                   params={"team": team.pk}))
    assert job.changed == 2
    for report in reports:
        report.refresh_from_db()
        assert (report.status, report.assigned_to, report.team) == ("in_progress", caseworker,
                                                                    team)
        assert list(report.history.exclude(action="created").values_list("action", "actor")) \
            == [("status", coordinator.pk), ("assignment", coordinator.pk),
                ("team", coordinator.pk)]


def test_bulk_needs_the_permission_and_at_most_500(caseworker, coordinator):
    report = ComplaintFactory()
    with pytest.raises(PermissionDenied):
        services.bulk_change(actor=caseworker, complaints=[report], kind="status",
                             params={"to_status": "in_progress"})
    with pytest.raises(ValidationError) as error:
        services.check_selection_size(501)
    assert error.value.code == "too_many"
    with pytest.raises(ValidationError):
        services.bulk_change(actor=coordinator, complaints=[], kind="status",
                             params={"to_status": "in_progress"})


def test_a_thousand_reports_in_batches(incident, coordinator):
    """1,000 reports grouped and closed in batches of 250: four transactions per job, every
    report changed once with its own history rows."""
    from reports.models import ComplaintHandling

    office = incident.office
    first = ComplaintFactory()
    # Bulk-insert synthetic reports (registering each through the service takes too long).
    Complaint.objects.bulk_create([
        Complaint(office=office, desk=first.desk, case_number=f"MDD-2020-X{n:05d}",
                  received_at=first.received_at, channel="online", description="",
                  first_response_due=first.first_response_due)
        for n in range(999)])
    ids = list(Complaint.objects.values_list("pk", flat=True))
    job = services.start_case_job(kind=CaseJob.Kind.GROUP, actor=coordinator,
                                  incident=incident, case_ids=ids)
    job = run(job, batch_size=250)
    assert (job.state, job.changed, job.position) == ("succeeded", 1000, 1000)
    assert Complaint.objects.filter(incident=incident,
                                    societal_domain="media_advertising").count() == 1000
    job = run(services.close_incident(incident=incident, actor=coordinator,
                                      outcome="registered_only", handling=["registration"]),
              batch_size=250)
    assert (job.state, job.changed) == ("succeeded", 1000)
    assert Complaint.objects.filter(status="closed").count() == 1000
    assert ComplaintHandling.objects.count() == 1000


def test_the_timeline_names_the_mass_report(incident, coordinator):
    from reports.selectors.timeline import case_timeline

    report = ComplaintFactory()
    case_services.add_to_incident(complaint=report, actor=coordinator, incident=incident)
    case_services.remove_from_incident(complaint=report, actor=coordinator)
    entries = [(e.title, e.actor, e.changes) for e in case_timeline(complaint=report)
               if e.title in ("Toegevoegd aan massamelding", "Verwijderd uit massamelding")]
    assert [(title, actor, [(c.label, c.old, c.new) for c in changes])
            for title, actor, changes in entries] == [
        ("Toegevoegd aan massamelding", "coordinator1", [("Massamelding", "", "Uitzending")]),
        ("Verwijderd uit massamelding", "coordinator1", [("Massamelding", "Uitzending", "")])]


@pytest.mark.parametrize(("params", "code"), [
    ({"to_status": "closed", "outcome": ""}, "outcome_required"),
    ({"to_status": "closed", "outcome": "resolved"}, "handling_required"),
    ({"to_status": "rejected", "rejection_reason": ""}, "rejection_reason_required"),
])
def test_bulk_status_change_refuses_missing_conditions_before_the_job(coordinator, params,
                                                                       code):
    """Tester finding 4: no job starts for a close/reject the workflow would refuse per case."""

    case = ComplaintFactory()
    with pytest.raises(ValidationError) as error:
        services.bulk_change(actor=coordinator, complaints=[case], kind="status", params=params)
    assert error.value.code == code
    assert CaseJob.objects.count() == 0


# --- Reply to all: e-mail only with consent (issue 11 §2) ---------------------------------------


def test_reply_to_all_emails_only_reporters_who_consented(incident, coordinator):
    consented = ComplaintFactory(reporter_email="ja@example.invalid", consent_to_contact=True)
    refused = ComplaintFactory(reporter_email="nee@example.invalid", consent_to_contact=False)
    run(services.group_into_incident(incident=incident, actor=coordinator,
                                     complaints=[consented, refused]))

    job = run(services.reply_to_all(incident=incident, actor=coordinator, body="Bedankt."))

    assert (job.state, job.changed, job.skipped) == ("succeeded", 2, [])
    # The portal message always; the e-mail notice only with consent.
    assert Message.objects.filter(complaint__in=[consented, refused], direction="out").count() == 2
    assert OutboundEmail.objects.count() == 1
    assert list(OutboundEmail.objects.values_list("recipient", "kind")) == [
        ("ja@example.invalid", "reporter_new_message")]


def test_no_consent_no_email_but_the_portal_message(incident, coordinator):
    refused = ComplaintFactory(reporter_email="nee@example.invalid", consent_to_contact=False)
    run(services.group_into_incident(incident=incident, actor=coordinator, complaints=[refused]))

    run(services.reply_to_all(incident=incident, actor=coordinator, body="Bedankt."))

    assert OutboundEmail.objects.count() == 0
    assert list(Message.objects.filter(complaint=refused).values_list("direction", "body")) == [
        ("out", "Bedankt.")]


# --- Desks (issue 11 §1): a desk coordinator's jobs reach their own desks' reports only -------


@pytest.fixture
def desks(office, coordinator):
    """Desk A (default) with ``coordinator``; desk B with its coordinator; an office
    coordinator; a national mass report holding one report of each desk."""
    from tests.factories import CoordinatorFactory, OfficeCoordinatorFactory, make_desk

    desk_b = make_desk("zuid", "Zuid", ("GM0114",))
    national = OfficeCoordinatorFactory(username="national")
    coordinator_b = CoordinatorFactory(username="coordinator_b", desk=desk_b)
    case_a = ComplaintFactory(incident_municipality="GM0106", status="in_progress",
                              reporter_email="a@example.invalid", consent_to_contact=True)
    case_b = ComplaintFactory(incident_municipality="GM0114", status="in_progress",
                              reporter_email="b@example.invalid", consent_to_contact=True)
    assert case_a.desk != case_b.desk == desk_b
    incident = services.create_incident(office=office, actor=national, title="Landelijk")
    run(services.group_into_incident(incident=incident, actor=national,
                                     complaints=[case_a, case_b]))
    return {"incident": incident, "a": coordinator, "b": coordinator_b, "national": national,
            "case_a": case_a, "case_b": case_b}


def test_reply_by_a_desk_coordinator_reaches_their_desk_only(desks):
    job = run(services.reply_to_all(incident=desks["incident"], actor=desks["a"],
                                    body="Bedankt."))

    assert (job.total, job.changed, job.skipped, job.case_ids) == (
        1, 1, [], [desks["case_a"].pk])
    assert list(Message.objects.values_list("complaint_id", flat=True)) == [desks["case_a"].pk]
    assert list(OutboundEmail.objects.values_list("recipient", flat=True)) == [
        "a@example.invalid"]


def test_close_by_a_desk_coordinator_closes_their_desk_only(desks):
    incident = desks["incident"]
    job = run(services.close_incident(incident=incident, actor=desks["a"],
                                      outcome="registered_only", handling=["registration"]))

    assert (job.total, job.changed, job.skipped) == (1, 1, [])
    desks["case_a"].refresh_from_db()
    desks["case_b"].refresh_from_db()
    assert (desks["case_a"].status, desks["case_b"].status) == ("closed", "in_progress")
    incident.refresh_from_db()
    assert incident.closed_at is None  # desk B's report is still open

    job = run(services.close_incident(incident=incident, actor=desks["national"],
                                      outcome="registered_only", handling=["registration"]))
    assert (job.total, job.changed) == (2, 1)
    assert [item["case"] for item in job.skipped] == [desks["case_a"].case_number]
    incident.refresh_from_db()
    assert incident.closed_at == job.finished_at


def test_classification_by_a_desk_coordinator_reaches_their_desk_only(desks):
    job = services.classify_incident(incident=desks["incident"], actor=desks["b"],
                                     grounds=["age"], societal_domain="", nature="")
    assert job is not None
    job = run(job)
    assert (job.case_ids, job.changed) == ([desks["case_b"].pk], 1)
    desks["case_a"].refresh_from_db()
    assert codes(desks["case_a"]) == []


def test_a_case_out_of_sight_is_skipped_without_its_number(desks):
    """A job holding a case the actor cannot see (moved to another desk since it started)
    leaves it alone and lists it without naming it."""
    job = services.start_case_job(kind=CaseJob.Kind.REPLY, actor=desks["a"],
                                  incident=desks["incident"], body="Bedankt.",
                                  case_ids=[desks["case_a"].pk, desks["case_b"].pk])
    job = run(job)

    assert (job.changed, job.skipped) == (1, [{"case": "", "reason":
                                               "a case you can no longer see"}])
    assert Message.objects.filter(complaint=desks["case_b"]).count() == 0


def test_only_the_actor_and_across_desk_coordinators_follow_a_job(desks, caseworker):
    from django.contrib.auth.models import AnonymousUser

    from reports.selectors.incidents import can_follow_job

    job = services.reply_to_all(incident=desks["incident"], actor=desks["b"], body="Bedankt.")
    assert {name: can_follow_job(user=user, job=job) for name, user in (
        ("anonymous", AnonymousUser()), ("caseworker", caseworker), ("a", desks["a"]),
        ("b", desks["b"]), ("national", desks["national"]))} == {
        "anonymous": False, "caseworker": False, "a": False, "b": True, "national": True}
    with pytest.raises(PermissionDenied):
        services.requeue_case_job(job=job, actor=desks["a"])


def test_incident_counts_only_the_viewers_reports(desks, office, caseworker):
    from reports.selectors.incidents import incidents

    only_b = services.create_incident(office=office, actor=desks["b"], title="Alleen zuid")
    other = ComplaintFactory(incident_municipality="GM0114")
    run(services.group_into_incident(incident=only_b, actor=desks["b"], complaints=[other]))

    def counts(user):
        return {i.title: i.report_count for i in incidents(office=office, user=user)}

    assert counts(desks["a"]) == {"Landelijk": 1, "Alleen zuid": 0}
    assert counts(desks["b"]) == {"Landelijk": 1, "Alleen zuid": 1}
    assert counts(desks["national"]) == {"Landelijk": 2, "Alleen zuid": 1}
    # A caseworker sees the (open, unassigned) queue of desk A only.
    assert counts(caseworker) == {"Landelijk": 1, "Alleen zuid": 0}
