"""Teams: ``reports.services.teams.create_team`` and sharing a case with a team
(``reports.services.complaints.share_with_team``), and the object-permission rows of a case."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from guardian.models import GroupObjectPermission, UserObjectPermission

from reports.models import (
    Complaint,
    ComplaintGroupObjectPermission,
    ComplaintHistory,
    ComplaintUserObjectPermission,
    Team,
)
from reports.selectors.permissions import can_change, can_view, visible_complaints
from reports.services.complaints import assign_complaint, share_with_team
from reports.services.teams import create_team
from tests.factories import ComplaintFactory, UserFactory


def fresh(user):
    """The user re-read from the database, so no permission cache hides a change."""
    return get_user_model().objects.get(pk=user.pk)


def stored(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def group_permissions(complaint) -> set[tuple[str, str]]:
    return set(ComplaintGroupObjectPermission.objects.filter(content_object=complaint)
               .values_list("group__name", "permission__codename"))


def team_history(complaint) -> list[tuple]:
    return list(ComplaintHistory.objects.filter(complaint=complaint, action="team")
                .order_by("id").values_list("actor_id", "from_value", "to_value"))


def access(user, complaint) -> tuple[bool, bool, list[str]]:
    """What a freshly loaded ``user`` may do: view, change, and the visible case numbers."""
    user = fresh(user)
    return (can_view(user=user, complaint=complaint), can_change(user=user, complaint=complaint),
            sorted(visible_complaints(user=user).values_list("case_number", flat=True)))


@pytest.fixture
def north(reference_data):
    return create_team(name="Noord")


@pytest.fixture
def south(reference_data):
    return create_team(name="Zuid")


@pytest.fixture
def north_member(north):
    """A user without any role whose only rights come from team Noord."""
    user = UserFactory(username="north_member")
    user.groups.add(north.group)
    return user


@pytest.fixture
def south_member(south):
    user = UserFactory(username="south_member")
    user.groups.add(south.group)
    return user


# --- create_team ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_team_creates_the_team_with_its_own_empty_group(reference_data):
    team = create_team(name="Noord")

    team = Team.objects.get(pk=team.pk)
    assert (team.name, team.group.name) == ("Noord", "team:Noord")
    assert Group.objects.get(name="team:Noord").team == team
    assert team.group.permissions.count() == 0
    assert team.group.user_set.count() == 0


@pytest.mark.django_db
def test_a_team_name_can_be_used_once(north):
    with pytest.raises(IntegrityError):
        create_team(name="Noord")

    assert list(Team.objects.values_list("name", flat=True)) == ["Noord"]
    assert Group.objects.filter(name="team:Noord").count() == 1


# --- share_with_team ------------------------------------------------------------------------


@pytest.mark.django_db
def test_sharing_grants_the_team_members_view_and_change(office, coordinator, north,
                                                         north_member, south_member):
    complaint = ComplaintFactory()
    ComplaintFactory()  # another case, not shared
    assert access(north_member, complaint) == (False, False, [])

    result = share_with_team(complaint=complaint, actor=coordinator, team=north,
                             expected_version=1)

    after = stored(complaint)
    assert (result.team_id, after.team_id, after.version) == (north.pk, north.pk, 2)
    assert group_permissions(complaint) == {("team:Noord", "view_complaint"),
                                            ("team:Noord", "change_complaint")}
    assert access(north_member, complaint) == (True, True, ["MDD-2020-0001"])
    assert access(south_member, complaint) == (False, False, [])
    assert team_history(complaint) == [(coordinator.pk, "", "Noord")]


@pytest.mark.django_db
def test_sharing_with_another_team_revokes_the_first(office, coordinator, north, south,
                                                     north_member, south_member):
    complaint = ComplaintFactory()
    share_with_team(complaint=complaint, actor=coordinator, team=north)

    share_with_team(complaint=complaint, actor=coordinator, team=south, expected_version=2)

    after = stored(complaint)
    assert (after.team_id, after.version) == (south.pk, 3)
    assert group_permissions(complaint) == {("team:Zuid", "view_complaint"),
                                            ("team:Zuid", "change_complaint")}
    assert access(north_member, complaint) == (False, False, [])
    assert access(south_member, complaint) == (True, True, ["MDD-2020-0001"])
    assert team_history(complaint) == [(coordinator.pk, "", "Noord"),
                                       (coordinator.pk, "Noord", "Zuid")]


@pytest.mark.django_db
def test_unsharing_revokes_the_team(office, coordinator, north, north_member):
    complaint = ComplaintFactory()
    share_with_team(complaint=complaint, actor=coordinator, team=north)

    share_with_team(complaint=complaint, actor=coordinator, team=None, expected_version=2)

    after = stored(complaint)
    assert (after.team_id, after.version) == (None, 3)
    assert group_permissions(complaint) == set()
    assert access(north_member, complaint) == (False, False, [])
    assert team_history(complaint) == [(coordinator.pk, "", "Noord"),
                                       (coordinator.pk, "Noord", "")]


@pytest.mark.django_db
def test_sharing_with_the_current_team_records_nothing(office, coordinator, north):
    complaint = ComplaintFactory()
    share_with_team(complaint=complaint, actor=coordinator, team=north)

    share_with_team(complaint=complaint, actor=coordinator, team=north)

    assert stored(complaint).version == 2
    assert team_history(complaint) == [(coordinator.pk, "", "Noord")]


@pytest.mark.django_db
def test_sharing_keeps_the_assignees_own_permissions(office, coordinator, caseworker, north):
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    share_with_team(complaint=complaint, actor=coordinator, team=north)
    share_with_team(complaint=complaint, actor=coordinator, team=None)

    assert set(ComplaintUserObjectPermission.objects.filter(content_object=complaint)
               .values_list("user_id", "permission__codename")) == {
        (caseworker.pk, "view_complaint"), (caseworker.pk, "change_complaint")}
    assert access(caseworker, complaint)[:2] == (True, True)


@pytest.mark.django_db
def test_an_assigned_caseworker_may_not_share(office, coordinator, caseworker, north):
    """Caseworkers see their case but lack ``share_complaint``."""
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    with pytest.raises(PermissionDenied):
        share_with_team(complaint=stored(complaint), actor=fresh(caseworker), team=north)

    assert (stored(complaint).team_id, stored(complaint).version) == (None, 2)
    assert group_permissions(complaint) == set()
    assert team_history(complaint) == []


@pytest.mark.django_db
def test_sharing_a_case_one_cannot_see_is_denied(office, coordinator, caseworker, north):
    """``share_complaint`` alone is not enough: the actor must see the case."""
    sharer = UserFactory(username="sharer")
    sharer.user_permissions.add(Permission.objects.get(content_type__app_label="reports",
                                                       codename="share_complaint"))
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)

    with pytest.raises(PermissionDenied):
        share_with_team(complaint=stored(complaint), actor=fresh(sharer), team=north)

    assert stored(complaint).team_id is None
    assert group_permissions(complaint) == set()


@pytest.mark.django_db
def test_a_plain_user_may_not_share(office, plain_user, north):
    complaint = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        share_with_team(complaint=complaint, actor=plain_user, team=north)

    assert stored(complaint).team_id is None
    assert team_history(complaint) == []


# --- Deleting a case ------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_complaint_leaves_no_object_permission_rows(office, coordinator, caseworker,
                                                               north):
    complaint = ComplaintFactory()
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)
    share_with_team(complaint=complaint, actor=coordinator, team=north)
    assert (ComplaintUserObjectPermission.objects.count(),
            ComplaintGroupObjectPermission.objects.count(),
            UserObjectPermission.objects.count(), GroupObjectPermission.objects.count()) == (
        2, 2, 0, 0)

    stored(complaint).delete()

    assert (ComplaintUserObjectPermission.objects.count(),
            ComplaintGroupObjectPermission.objects.count(),
            UserObjectPermission.objects.count(), GroupObjectPermission.objects.count()) == (
        0, 0, 0, 0)
    assert Team.objects.filter(pk=north.pk).exists()
