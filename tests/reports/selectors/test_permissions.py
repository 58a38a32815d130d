"""Who may see, change, claim and assign which case (``reports.selectors.permissions``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from reports.models import Complaint
from reports.selectors.permissions import (
    assignable_users,
    can_assign,
    can_change,
    can_claim,
    can_view,
    can_view_contact,
    visible_complaints,
)
from reports.services.complaints import assign_complaint, share_with_team
from reports.services.teams import create_team
from tests.factories import CaseworkerFactory, ComplaintFactory, UserFactory

#: The cases of the ``world`` fixture, by name.
CASES = ("queue", "mine", "theirs", "shared", "retired")

#: For each kind of user: the cases it may see, change and claim, and whether it may assign.
EXPECTED: dict[str, tuple[set[str], set[str], set[str], bool]] = {
    "anonymous": (set(), set(), set(), False),
    "inactive": (set(), set(), set(), False),
    "plain": (set(), set(), set(), False),
    "caseworker": ({"queue", "mine"}, {"mine"}, {"queue"}, False),
    "other_caseworker": ({"queue", "theirs", "shared"}, {"theirs", "shared"}, {"queue"}, False),
    "team_member": ({"shared"}, {"shared"}, set(), False),
    "coordinator": (set(CASES), set(CASES), {"queue"}, True),
}


@pytest.fixture
def world(office, coordinator, caseworker, other_caseworker, plain_user):
    """Five cases and one user of every kind.

    * ``queue``: unassigned;
    * ``mine``: assigned to ``caseworker``; ``theirs``: to ``other_caseworker``;
    * ``shared``: assigned to ``other_caseworker`` and shared with team Noord, whose only
      member (``team_member``) has no role;
    * ``retired``: assigned to a caseworker who was deactivated afterwards (``inactive``).
    """
    team = create_team(name="Noord")
    team_member = UserFactory(username="team_member")
    team_member.groups.add(team.group)
    inactive = CaseworkerFactory(username="retired")

    cases = {name: ComplaintFactory() for name in CASES}
    for name, assignee in [("mine", caseworker), ("theirs", other_caseworker),
                           ("shared", other_caseworker), ("retired", inactive)]:
        assign_complaint(complaint=cases[name], actor=coordinator, assignee=assignee)
    share_with_team(complaint=cases["shared"], actor=coordinator, team=team)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])

    users = {"caseworker": caseworker, "other_caseworker": other_caseworker,
             "team_member": team_member, "coordinator": coordinator, "plain": plain_user,
             "inactive": inactive}
    user_model = get_user_model()
    fresh_users = {kind: user_model.objects.get(pk=user.pk) for kind, user in users.items()}
    fresh_users["anonymous"] = AnonymousUser()
    fresh_cases = {name: Complaint.objects.get(pk=case.pk) for name, case in cases.items()}
    return fresh_users, fresh_cases


def test_every_kind_of_user_is_covered():
    assert set(EXPECTED) == {"anonymous", "inactive", "plain", "caseworker",
                             "other_caseworker", "team_member", "coordinator"}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EXPECTED)
def test_visible_complaints_are_exactly_the_expected_cases(world, kind):
    users, cases = world
    names = {case.case_number: name for name, case in cases.items()}

    visible = visible_complaints(user=users[kind])

    assert {names[number] for number in visible.values_list("case_number", flat=True)} == (
        EXPECTED[kind][0])
    assert visible.count() == len(EXPECTED[kind][0])


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EXPECTED)
def test_can_view_agrees_with_visible_complaints(world, kind):
    users, cases = world

    assert {name for name, case in cases.items()
            if can_view(user=users[kind], complaint=case)} == EXPECTED[kind][0]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EXPECTED)
def test_can_change(world, kind):
    users, cases = world

    assert {name for name, case in cases.items()
            if can_change(user=users[kind], complaint=case)} == EXPECTED[kind][1]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EXPECTED)
def test_can_claim_only_unassigned_cases(world, kind):
    users, cases = world

    assert {name for name, case in cases.items()
            if can_claim(user=users[kind], complaint=case)} == EXPECTED[kind][2]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", EXPECTED)
def test_can_assign(world, kind):
    users, _cases = world

    assert can_assign(user=users[kind]) is EXPECTED[kind][3]


@pytest.mark.django_db
def test_contact_details_are_for_caseworkers_and_coordinators(world):
    users, _cases = world

    assert {kind for kind, user in users.items() if can_view_contact(user=user)} == {
        "caseworker", "other_caseworker", "coordinator"}


@pytest.mark.django_db
def test_assignable_users_are_the_active_users_who_may_claim(world):
    assert list(assignable_users().values_list("username", flat=True)) == [
        "caseworker1", "caseworker2", "coordinator1"]
