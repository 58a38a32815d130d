"""Who may see and change which complaint.

Global named permissions (``Complaint.Meta.permissions``) are checked through Django's
``ModelBackend``; per-case rights are django-guardian object permissions (``view_complaint`` and
``change_complaint``) granted on assignment. No role names appear here.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from reports.models import (
    Complaint,
    ComplaintGroupObjectPermission,
    ComplaintUserObjectPermission,
)
from reports.types import AnyUser
from reports.vocabulary import FINAL_STATUSES


def visible_complaints(*, user: AnyUser) -> QuerySet[Complaint]:
    """The complaints ``user`` may see.

    Anyone with ``reports.view_all_complaints`` sees all; others see the cases they hold a
    guardian ``view_complaint`` permission on (directly or through a team), plus the queue of
    unassigned cases that are not closed or rejected when they hold
    ``reports.view_unassigned_complaints``. Anonymous users see nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return Complaint.objects.none()
    if user.has_perm("reports.view_all_complaints"):
        return Complaint.objects.all()
    # One id set, as a UNION of index scans: the cases granted to the user, to their groups,
    # and the open unassigned queue (partial index ``complaint_open_unassigned``). ``IN
    # (granted) OR <queue condition>`` made PostgreSQL run a subplan per complaint (issue 13).
    view = Permission.objects.filter(content_type__app_label="reports",
                                     codename="view_complaint")
    ids = ComplaintUserObjectPermission.objects.filter(
        user=user.pk, permission__in=view).values("content_object_id").union(
        ComplaintGroupObjectPermission.objects.filter(
            group__user=user.pk, permission__in=view).values("content_object_id"))
    if user.has_perm("reports.view_unassigned_complaints"):
        ids = ids.union(Complaint.objects.filter(open_unassigned_condition()).order_by()
                        .values("pk"))
    return Complaint.objects.filter(pk__in=ids)


def open_unassigned_condition() -> Q:
    """The queue: cases nobody holds that are not closed or rejected (keep in step with the
    partial index ``complaint_open_unassigned`` on ``Complaint``)."""
    return Q(assigned_to__isnull=True) & ~Q(status__in=FINAL_STATUSES)


def can_view(*, user: AnyUser, complaint: Complaint) -> bool:
    """True when ``user`` may see ``complaint`` (see ``visible_complaints``)."""
    if not user.is_authenticated or not user.is_active:
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
    return (user.has_perm("reports.change_all_complaints")
            or user.has_perm("reports.change_complaint", complaint))


def can_claim(*, user: AnyUser, complaint: Complaint) -> bool:
    """True when ``user`` may take the unassigned, open ``complaint`` for themselves."""
    return (complaint.assigned_to_id is None and complaint.status not in FINAL_STATUSES
            and user.is_authenticated and user.is_active
            and user.has_perm("reports.claim_complaint"))


def can_assign(*, user: AnyUser) -> bool:
    """True when ``user`` may assign complaints to any caseworker."""
    return user.is_authenticated and user.is_active and user.has_perm("reports.assign_complaint")


def can_view_contact(*, user: AnyUser) -> bool:
    """True when ``user`` may see reporter contact details."""
    return user.is_authenticated and user.has_perm("reports.view_reporter_contact")


def assignable_users() -> QuerySet:
    """Active users who may handle cases: those who may take unassigned complaints."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(content_type__app_label="reports",
                                        codename="claim_complaint")
    user_model = get_user_model()
    return user_model.objects.filter(
        Q(groups__permissions=permission) | Q(user_permissions=permission), is_active=True,
    ).distinct().order_by("username")
