"""Desks (issue 11 §1): municipalities over time, routing, the desk scope and moving a case."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from reports.models import (
    Complaint,
    ComplaintHistory,
    ComplaintUserObjectPermission,
    Desk,
    UnreadCase,
)
from reports.selectors.desks import desk_municipality_codes, desk_serving
from reports.selectors.permissions import (
    assignable_users,
    can_claim,
    can_view,
    covers_office,
    statistics_codes,
    visible_complaints,
)
from reports.services import casework
from reports.services.complaints import assign_complaint, share_with_team
from reports.services.desks import (
    assign_municipality,
    default_desk,
    end_municipality_period,
    move_to_desk,
    remove_desk_member,
    route_desk,
)
from reports.services.teams import create_team
from tests.factories import (
    AMSTERDAM,
    CaseworkerFactory,
    ComplaintFactory,
    CoordinatorFactory,
    OfficeCoordinatorFactory,
    UserFactory,
    make_desk,
)


@pytest.fixture
def desks(office):
    """Desk A (default, all of Drenthe but Emmen) and desk B (Emmen, GM0114, from 2000)."""
    return default_desk(office=office), make_desk("zuid", "Zuid", ("GM0114",))


def municipality(code):
    from reports.models import Municipality

    return Municipality.objects.get(code=code)


def test_migration_shape_one_default_desk_serves_every_office_municipality(office):
    desk = default_desk(office=office)
    assert list(Desk.objects.values_list("code", "is_default")) == [("default", True)]
    assert desk_municipality_codes(desk_id=desk.pk, year=2020) == sorted(
        office.municipalities.values_list("code", flat=True))
    assert desk.municipality_periods.filter(
        valid_from=datetime.date(2000, 1, 1), valid_to__isnull=True).count() == 12
    assert covers_office(user=CoordinatorFactory(), office_id=office.pk)


def test_overlapping_periods_of_one_municipality_are_refused(desks, office):
    desk_a, desk_b = desks
    with translation.override("en"), pytest.raises(ValidationError,
                                                   match="already served by Zuid"):
        assign_municipality(desk=desk_a, municipality=municipality("GM0114"),
                            valid_from=datetime.date(2024, 1, 1), actor=None)
    with pytest.raises(ValidationError):
        assign_municipality(desk=desk_b, municipality=municipality("GM0106"),
                            valid_from=datetime.date(1999, 1, 1),
                            valid_to=datetime.date(1999, 12, 31), actor=None)


def test_a_municipality_moves_to_another_desk_on_1_january(desks, office):
    desk_a, desk_b = desks
    assen = desk_a.municipality_periods.get(municipality="GM0106")
    end_municipality_period(period=assen, valid_to=datetime.date(2025, 12, 31), actor=None)
    assign_municipality(desk=desk_b, municipality=municipality("GM0106"),
                        valid_from=datetime.date(2026, 1, 1), actor=None)
    assert desk_serving(office=office, municipality=municipality("GM0106"),
                        on=datetime.date(2025, 12, 31)) == desk_a
    assert desk_serving(office=office, municipality=municipality("GM0106"),
                        on=datetime.date(2026, 1, 1)) == desk_b
    assert "GM0106" in desk_municipality_codes(desk_id=desk_a.pk, year=2025)
    assert "GM0106" not in desk_municipality_codes(desk_id=desk_a.pk, year=2026)
    assert desk_municipality_codes(desk_id=desk_b.pk, year=2026) == ["GM0106", "GM0114"]


def test_managing_desks_needs_the_permission(desks):
    desk_a, _ = desks
    with pytest.raises(PermissionDenied):
        assign_municipality(desk=desk_a, municipality=municipality("GM0114"),
                            valid_from=datetime.date(2030, 1, 1), actor=CoordinatorFactory())


@pytest.mark.parametrize(("incident", "residence", "expected"), [
    ("GM0114", "GM0106", "zuid"),     # the incident municipality's desk first
    (None, "GM0114", "zuid"),         # else the residence's
    ("GM0363", "GM0114", "zuid"),     # Amsterdam is served by no desk: the residence's
    ("GM0363", None, "default"),      # nothing served: the default desk
    (None, None, "default"),
])
def test_routing(desks, office, incident, residence, expected):
    complaint = ComplaintFactory(incident_municipality=incident, reporter_residence=residence)
    assert complaint.desk.code == expected


def test_routing_uses_the_incident_date(desks, office):
    desk_a, desk_b = desks
    assen = desk_a.municipality_periods.get(municipality="GM0106")
    end_municipality_period(period=assen, valid_to=datetime.date(2025, 12, 31), actor=None)
    assign_municipality(desk=desk_b, municipality=municipality("GM0106"),
                        valid_from=datetime.date(2026, 1, 1), actor=None)
    received = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=AMSTERDAM)
    assert route_desk(office=office, received_at=received,
                      incident_municipality=municipality("GM0106"),
                      incident_date=datetime.date(2025, 12, 30)) == desk_a
    assert route_desk(office=office, received_at=received,
                      incident_municipality=municipality("GM0106")) == desk_b


def test_desk_scope_of_lists_and_checks(desks, office):
    desk_a, desk_b = desks
    case_a = ComplaintFactory(incident_municipality="GM0106")
    case_b = ComplaintFactory(incident_municipality="GM0114")
    worker_a, coordinator_a = CaseworkerFactory(), CoordinatorFactory()
    worker_b = CaseworkerFactory(desk=desk_b)
    national = OfficeCoordinatorFactory()
    nobody = CaseworkerFactory(desk=False)
    assert set(visible_complaints(user=worker_a)) == {case_a}
    assert set(visible_complaints(user=coordinator_a)) == {case_a}
    assert set(visible_complaints(user=worker_b)) == {case_b}
    assert set(visible_complaints(user=national)) == {case_a, case_b}
    assert list(visible_complaints(user=nobody)) == []      # the secure default
    assert not can_view(user=coordinator_a, complaint=case_b)
    assert not can_claim(user=worker_a, complaint=case_b)
    assert can_claim(user=worker_b, complaint=case_b)
    assert set(assignable_users(desk_ids=[desk_b.pk])) == {worker_b, national}
    with pytest.raises(PermissionDenied):
        assign_complaint(complaint=case_b, actor=coordinator_a, assignee=worker_a)
    with pytest.raises(ValidationError):
        assign_complaint(complaint=case_b, actor=national, assignee=worker_a)
    assert not covers_office(user=coordinator_a, office_id=office.pk)
    assert statistics_codes(user=coordinator_a, office_id=office.pk, year=2020) == frozenset(
        desk_municipality_codes(desk_id=desk_a.pk, year=2020))
    assert statistics_codes(user=national, office_id=office.pk, year=2020) is None


def test_teams_of_another_desk_cannot_be_given_a_case(desks):
    desk_a, desk_b = desks
    case_a = ComplaintFactory(incident_municipality="GM0106")
    with pytest.raises(ValidationError):
        share_with_team(complaint=case_a, actor=OfficeCoordinatorFactory(),
                        team=create_team(name="Zuid-team", desk=desk_b))


def test_unread_marks_of_an_unassigned_case_go_to_its_desk_only(desks):
    _, desk_b = desks
    worker_a, worker_b = CaseworkerFactory(), CaseworkerFactory(desk=desk_b)
    case_b = ComplaintFactory(incident_municipality="GM0114")
    casework.record_reporter_activity(complaint=case_b)
    assert set(UnreadCase.objects.filter(complaint=case_b).values_list("user", flat=True)) == {
        worker_b.pk}
    assert worker_a.pk not in casework._handlers(case_b)


def test_moving_a_case_moves_its_rights(desks):
    desk_a, desk_b = desks
    coordinator_a = CoordinatorFactory()
    worker_a = CaseworkerFactory()
    team_a = create_team(name="Noord", desk=desk_a)
    member_a = UserFactory()
    member_a.groups.add(team_a.group)
    case = ComplaintFactory(incident_municipality="GM0106")
    case = assign_complaint(complaint=case, actor=coordinator_a, assignee=worker_a)
    case = share_with_team(complaint=case, actor=coordinator_a, team=team_a)
    national = OfficeCoordinatorFactory(username="national")

    with pytest.raises(PermissionDenied):   # desk A's coordinator may not move it to desk B
        move_to_desk(complaint=case, actor=coordinator_a, desk=desk_b)
    moved = move_to_desk(complaint=case, actor=national, desk=desk_b,
                         expected_version=case.version)

    assert moved.desk == desk_b and moved.assigned_to is None and moved.team is None
    assert not ComplaintUserObjectPermission.objects.filter(content_object=moved).exists()
    for user in (coordinator_a, worker_a, member_a):
        fresh = type(user).objects.get(pk=user.pk)
        assert not can_view(user=fresh, complaint=moved)
    assert list(ComplaintHistory.objects.filter(complaint=moved).order_by("id").values_list(
        "action", "actor__username", "from_value", "to_value"))[-3:] == [
        ("assignment", "national", worker_a.username, ""),
        ("team", "national", "Noord", ""),
        ("desk", "national", "Meldpunt Discriminatie Drenthe", "Zuid"),
    ]
    assert can_claim(user=CaseworkerFactory(desk=desk_b), complaint=moved)


def test_removing_a_staff_member_from_a_desk_returns_their_open_cases_to_the_queue(desks):
    desk_a, desk_b = desks
    national = OfficeCoordinatorFactory(username="national")
    worker = CaseworkerFactory(username="leaver", desk=desk_b)
    desk_a.members.add(worker)                  # also in desk A: those cases stay theirs
    open_b = [ComplaintFactory(incident_municipality="GM0114") for _ in range(2)]
    closed_b = ComplaintFactory(incident_municipality="GM0114")
    case_a = ComplaintFactory(incident_municipality="GM0106")
    for case in (*open_b, closed_b, case_a):
        assign_complaint(complaint=case, actor=national, assignee=worker)
    Complaint.objects.filter(pk=closed_b.pk).update(status="closed")
    for case in (open_b[0], case_a):
        UnreadCase.objects.create(user=worker, complaint=case, since=case.received_at)
    versions = {case.pk: Complaint.objects.get(pk=case.pk).version for case in open_b}

    assert remove_desk_member(desk=desk_b, user=worker, actor=national) == 2

    assert list(Complaint.objects.filter(assigned_to=worker).order_by("pk")) == [
        closed_b, case_a]                       # the finished case keeps its record
    for case in open_b:
        fresh = Complaint.objects.get(pk=case.pk)
        assert fresh.assigned_to is None and fresh.version == versions[case.pk] + 1
        assert list(ComplaintHistory.objects.filter(complaint=case).order_by("id").values_list(
            "action", "actor__username", "from_value", "to_value"))[-1] == (
            "assignment", "national", "leaver", "")
    assert list(ComplaintUserObjectPermission.objects.filter(user=worker).values_list(
        "content_object_id", flat=True).distinct()) == [case_a.pk]
    assert list(UnreadCase.objects.filter(user=worker).values_list(
        "complaint_id", flat=True)) == [case_a.pk]
    fresh_worker = type(worker).objects.get(pk=worker.pk)
    assert [c.pk for c in visible_complaints(user=fresh_worker)] == [case_a.pk]
    assert can_claim(user=CaseworkerFactory(desk=desk_b), complaint=open_b[0])


def test_removing_a_member_who_still_works_on_the_desk_through_a_team_keeps_their_cases(desks):
    _, desk_b = desks
    national = OfficeCoordinatorFactory()
    worker = CaseworkerFactory(desk=desk_b)
    worker.groups.add(create_team(name="Zuid-team", desk=desk_b).group)
    case = assign_complaint(complaint=ComplaintFactory(incident_municipality="GM0114"),
                            actor=national, assignee=worker)
    assert remove_desk_member(desk=desk_b, user=worker, actor=national) == 0
    case.refresh_from_db()
    assert case.assigned_to == worker
    with pytest.raises(PermissionDenied):
        remove_desk_member(desk=desk_b, user=worker, actor=CoordinatorFactory())


@pytest.mark.parametrize(("language", "message"), [
    ("nl", "Deze behandelaar werkt niet voor het loket van deze zaak."),
    ("en", "This caseworker does not work for this case's desk."),
])
def test_assigning_a_case_to_another_desks_caseworker_says_so(desks, language, message):
    _, desk_b = desks
    case_b = ComplaintFactory(incident_municipality="GM0114")
    with translation.override(language), pytest.raises(ValidationError) as error:
        assign_complaint(complaint=case_b, actor=OfficeCoordinatorFactory(),
                         assignee=CaseworkerFactory())
    assert (error.value.messages, error.value.code) == ([message], "assignee_desk")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        assign_complaint(complaint=case_b, actor=OfficeCoordinatorFactory(),
                         assignee=UserFactory())
    assert (error.value.messages, error.value.code) == (
        ["This user cannot handle cases."], "assignee")
