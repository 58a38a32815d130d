"""Who may see and change which complaint.

Global named permissions (``Complaint.Meta.permissions``) are checked through Django's
``ModelBackend``; per-case rights are django-guardian object permissions (``view_complaint`` and
``change_complaint``) granted on assignment. No role names appear here.

**Desk scope (issue 11 §1), decided here and nowhere else.** Every permission above holds only
for the cases of the desks the user is a member of (``Desk.members``, or through a team of the
desk): a coordinator's
``view_all_complaints`` means every case *of their desks*, a caseworker's queue is their desks'
queue. ``reports.work_across_desks`` (an office coordinator) lifts the scope: all desks, and
cases without a desk. A user in no desk without that permission sees no case at all (the secure
default). Superusers hold every permission, so they work across desks.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from reports.models import (
    Complaint,
    ComplaintGroupObjectPermission,
    ComplaintUserObjectPermission,
)
from reports.types import AnyUser
from reports.vocabulary import FINAL_STATUSES

#: Attribute on the user object caching the ids of their desks for one request.
DESK_CACHE = "_meldpunt_desk_ids"
ACROSS_DESKS = "reports.work_across_desks"


def desk_scope(*, user: AnyUser) -> frozenset[int] | None:
    """The ids of the desks whose cases ``user``'s permissions apply to: the desks they are a
    member of and the desks of their teams; ``None``: every desk (``reports.work_across_desks``).
    Anonymous and inactive users: the empty set.

    Cached on the user object (one query per request).
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.has_perm(ACROSS_DESKS):
        return None
    cached = getattr(user, DESK_CACHE, None)
    if cached is None:
        from reports.models import Desk, Team

        member_of = Desk.members.through.objects.filter(user_id=user.pk).values("desk_id")
        teams_of = Team.objects.filter(group__user=user.pk).values("desk_id")
        cached = frozenset(Desk.objects.filter(Q(pk__in=member_of) | Q(pk__in=teams_of))
                           .values_list("pk", flat=True))
        setattr(user, DESK_CACHE, cached)
    return cached


def in_desk_scope(*, user: AnyUser, desk_id: int | None) -> bool:
    """Whether ``user``'s permissions apply to cases of desk ``desk_id`` (``None``: a case
    without a desk, only for users who work across desks)."""
    scope = desk_scope(user=user)
    return scope is None or (desk_id is not None and desk_id in scope)


def scope_to_desks(*, user: AnyUser, queryset: QuerySet, field: str = "desk") -> QuerySet:
    """``queryset`` narrowed to rows whose ``field`` (a desk foreign key) is one of ``user``'s
    desks; unchanged for users who work across desks."""
    scope = desk_scope(user=user)
    if scope is None:
        return queryset
    return queryset.filter(**{f"{field}__in": sorted(scope)})


def _permission_id(codename: str) -> Subquery:
    """The id of the ``reports`` permission ``codename`` as a scalar subquery: part of the
    query that uses it (no query of its own), and estimated by PostgreSQL from the column's
    statistics as a constant would be."""
    return Subquery(Permission.objects.filter(
        content_type__app_label="reports", codename=codename).values("pk")[:1])


def visible_complaints(*, user: AnyUser) -> QuerySet[Complaint]:
    """The complaints ``user`` may see, always within their desks (``desk_scope``).

    Anyone with ``reports.view_all_complaints`` sees all; others see the cases they hold a
    guardian ``view_complaint`` permission on (directly or through a team), plus the queue of
    unassigned cases that are not closed or rejected when they hold
    ``reports.view_unassigned_complaints``. Anonymous users see nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return Complaint.objects.none()
    scope = desk_scope(user=user)
    if scope is not None and not scope:
        return Complaint.objects.none()
    if user.has_perm("reports.view_all_complaints"):
        return scope_to_desks(user=user, queryset=Complaint.objects.all())
    # Per case: a granted permission (the user's own or a group's, EXISTS on guardian's unique
    # index (user, permission, object) or a hash of the granted ids, as PostgreSQL chooses), or
    # the open unassigned queue. Always within the user's desks, so PostgreSQL walks one desk's
    # rows (complaint_desk_received, which includes assigned_to and status: the queue condition
    # is read from the index) and stops after a page. Issue 13: an id set of the granted cases
    # (UNION, then IN) looked up each of them by primary key, 10,000 for a caseworker with
    # 10,000 grants, before sorting (150-500 ms at 1,000,000 complaints); without the desk
    # scope such a condition was a subplan for each of the 1,000,000 rows. The permission is a
    # scalar subquery (``permission_id = (SELECT ...)``), evaluated once.
    view = _permission_id("view_complaint")
    visible = Q(Exists(ComplaintUserObjectPermission.objects.filter(
        user=user.pk, permission=view, content_object_id=OuterRef("pk")))) | Q(Exists(
            ComplaintGroupObjectPermission.objects.filter(
                group__user=user.pk, permission=view, content_object_id=OuterRef("pk"))))
    if user.has_perm("reports.view_unassigned_complaints"):
        visible |= open_unassigned_condition()
    return scope_to_desks(user=user, queryset=Complaint.objects.filter(visible))


def sees_every_complaint(*, user: AnyUser) -> bool:
    """True when ``visible_complaints(user=user)`` is every complaint of every desk, unrestricted
    (then office-wide counters such as ``ComplaintStatusCount`` describe exactly what the user
    sees); a desk coordinator's view is scoped to their desks and is counted instead."""
    return (user.is_authenticated and user.is_active
            and user.has_perm("reports.view_all_complaints")
            and desk_scope(user=user) is None)


def open_unassigned_condition() -> Q:
    """The queue: cases nobody holds that are not closed or rejected (keep in step with the
    partial index ``complaint_open_unassigned`` on ``Complaint``)."""
    return Q(assigned_to__isnull=True) & ~Q(status__in=FINAL_STATUSES)


def can_view(*, user: AnyUser, complaint: Complaint) -> bool:
    """True when ``user`` may see ``complaint`` (see ``visible_complaints``)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if not in_desk_scope(user=user, desk_id=complaint.desk_id):
        return False
    return (
        user.has_perm("reports.view_all_complaints")
        or user.has_perm("reports.view_complaint", complaint)
        or (complaint.assigned_to_id is None and complaint.status not in FINAL_STATUSES
            and user.has_perm("reports.view_unassigned_complaints"))
    )


def can_change(*, user: AnyUser, complaint: Complaint) -> bool:
    """True when ``user`` may classify, annotate and move ``complaint`` through its workflow."""
    if not user.is_authenticated or not user.is_active:
        return False
    if not in_desk_scope(user=user, desk_id=complaint.desk_id):
        return False
    return (user.has_perm("reports.change_all_complaints")
            or user.has_perm("reports.change_complaint", complaint))


def can_claim(*, user: AnyUser, complaint: Complaint) -> bool:
    """True when ``user`` may take the unassigned, open ``complaint`` for themselves."""
    return (complaint.assigned_to_id is None and complaint.status not in FINAL_STATUSES
            and user.is_authenticated and user.is_active
            and user.has_perm("reports.claim_complaint")
            and in_desk_scope(user=user, desk_id=complaint.desk_id))


def can_assign(*, user: AnyUser, complaint: Complaint | None = None) -> bool:
    """True when ``user`` may assign complaints (of ``complaint``'s desk, when given) to the
    caseworkers of that desk (``assignable_users``)."""
    return (user.is_authenticated and user.is_active
            and user.has_perm("reports.assign_complaint")
            and (complaint is None or in_desk_scope(user=user, desk_id=complaint.desk_id)))


def can_view_contact(*, user: AnyUser) -> bool:
    """True when ``user`` may see reporter contact details."""
    return user.is_authenticated and user.has_perm("reports.view_reporter_contact")


def assignable_users(*, desk_ids: Iterable[int | None] | None = None) -> QuerySet:
    """Active users who may handle cases: those who may take unassigned complaints.

    Args:
        desk_ids: only users who may work on cases of one of these desks (their members, and
            users who work across desks); ``None``: all of them. A ``None`` among the ids (a case
            without a desk) adds nobody but those who work across desks.
    """
    from django.contrib.auth import get_user_model

    from reports.selectors.desks import across_desk_users

    # The permission as a subquery: no query of its own (this runs on every case-list page).
    permission = _permission_id("claim_complaint")
    user_model = get_user_model()
    users = user_model.objects.filter(
        Q(groups__permissions=permission) | Q(user_permissions=permission), is_active=True)
    if desk_ids is not None:
        from reports.selectors.desks import desk_people

        ids = sorted(pk for pk in desk_ids if pk is not None)
        # Subqueries, not joins: OR over several many-to-many joins multiplies rows.
        users = users.filter(Q(pk__in=desk_people(desk_ids=ids))
                             | Q(pk__in=across_desk_users().values("pk")))
    return users.distinct().order_by("username")


def assignable_users_for(*, user: AnyUser) -> QuerySet:
    """The users ``user`` may see in assignee lists and filters: those of ``user``'s desks."""
    scope = desk_scope(user=user)
    return assignable_users(desk_ids=None if scope is None else scope)


def visible_teams(*, user: AnyUser, desk_id: int | None = None) -> QuerySet:
    """Teams of ``user``'s desks (of desk ``desk_id`` only, when given), by name."""
    from reports.models import Team

    teams = scope_to_desks(user=user, queryset=Team.objects.order_by("name"))
    if desk_id is not None:
        teams = teams.filter(desk_id=desk_id)
    return teams


def visible_desks(*, user: AnyUser) -> QuerySet:
    """The desks ``user`` works on: all for users who work across desks, else their own."""
    from reports.models import Desk

    desks = Desk.objects.order_by("-is_default", "name")
    scope = desk_scope(user=user)
    return desks if scope is None else desks.filter(pk__in=sorted(scope))


def covers_office(*, user: AnyUser, office_id: int) -> bool:
    """Whether ``user``'s desks are all the desks of the office (or they work across desks):
    then office-wide outputs (release of the reports, the office summary, the national-report
    export) are theirs. A coordinator of a regional office's only desk covers the office."""
    scope = desk_scope(user=user)
    if scope is None:
        return True
    from reports.models import Desk

    desks = set(Desk.objects.filter(office_id=office_id).values_list("pk", flat=True))
    return bool(desks) and desks <= scope


def statistics_codes(*, user: AnyUser, office_id: int, year: int) -> frozenset[str] | None:
    """The CBS codes whose annual forms of ``year`` ``user`` may see: those of the
    municipalities their desks served on at least one day of ``year``; ``None``: every one
    (``covers_office``). A desk coordinator gets 404 for any other municipality's form."""
    if covers_office(user=user, office_id=office_id):
        return None
    from reports.selectors.desks import served_in_year

    scope = desk_scope(user=user) or frozenset()
    return frozenset(served_in_year(year=year).filter(desk_id__in=sorted(scope))
                     .values_list("municipality_id", flat=True))


def can_see_statistics_scope(*, user: AnyUser, office_id: int, year: int, scope: str) -> bool:
    """Whether ``user`` may see the annual form of ``scope`` (a CBS code; any other scope, the
    office summary, needs ``covers_office``) for ``year``."""
    codes = statistics_codes(user=user, office_id=office_id, year=year)
    return codes is None or scope in codes
