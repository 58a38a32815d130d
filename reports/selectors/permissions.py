"""Who may see and change which complaint.

Global named permissions (``Complaint.Meta.permissions``) are checked through Django's
``ModelBackend``; per-case rights are django-guardian object permissions (``view_complaint`` and
``change_complaint``) granted on assignment. No role names appear here.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from reports.models import Complaint
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
    granted = get_objects_for_user(user, "reports.view_complaint", klass=Complaint,
                                   accept_global_perms=False, with_superuser=False)
    condition = Q(pk__in=granted.values("pk"))
    if user.has_perm("reports.view_unassigned_complaints"):
        condition |= Q(assigned_to__isnull=True) & ~Q(status__in=FINAL_STATUSES)
    return Complaint.objects.filter(condition)


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
