"""Reads about accounts: which kind of account a user is, where they land, municipal accounts.

A *municipal account* holds the municipal portal's permission (``view_municipality_reports``)
and no back-office permission: it sees ``/gemeente/`` only (``reports.security`` answers 403 on
back-office pages). Everything is decided by named permissions, never by group names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.shortcuts import resolve_url
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import get_objects_for_user

from reports.models import Municipality, MunicipalityUserObjectPermission
from reports.roles import CASEWORKER, COORDINATOR, MUNICIPALITY, ROLE_PERMISSIONS
from reports.types import AnyUser, User

PORTAL_PERMISSION = "reports.view_municipality_reports"
#: Every permission of the back-office roles: holding one makes an account back-office staff.
BACKOFFICE_PERMISSIONS: tuple[str, ...] = tuple(sorted(
    {f"reports.{name}" for name in ROLE_PERMISSIONS[CASEWORKER] + ROLE_PERMISSIONS[COORDINATOR]}))


def is_backoffice_user(*, user: AnyUser) -> bool:
    """Whether ``user`` holds any back-office permission (superusers do)."""
    return user.is_authenticated and any(user.has_perm(p) for p in BACKOFFICE_PERMISSIONS)


def is_municipal_account(*, user: AnyUser) -> bool:
    """Whether ``user`` is a municipal account: the portal permission and no back-office one."""
    return (user.is_authenticated and user.has_perm(PORTAL_PERMISSION)
            and not is_backoffice_user(user=user))


def home_url(*, user: AnyUser) -> str:
    """Where ``user`` lands after logging in: ``/gemeente/`` for a municipal account, the work
    queue ("Mijn werkvoorraad") for those who handle cases (``claim_complaint``), else the back
    office's case list (``LOGIN_REDIRECT_URL``)."""
    if is_municipal_account(user=user):
        return reverse("municipal:reports")
    if user.is_authenticated and user.has_perm("reports.claim_complaint"):
        return reverse("backoffice:worklist")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@dataclass(frozen=True)
class MunicipalAccount:
    """A municipal account for the coordinators' screen."""

    user: User
    municipalities: list[Municipality]
    enrolled: bool


def municipal_accounts() -> list[MunicipalAccount]:
    """Every account in the municipal role or linked to a municipality: active ones first, then
    by username; with their municipalities (by name) and whether they have set up their
    authenticator. Four queries, however many accounts."""
    user_model = get_user_model()
    links = MunicipalityUserObjectPermission.objects.filter(
        permission__codename="view_municipality_reports")
    users = list(user_model.objects.filter(
        Q(groups__name=MUNICIPALITY) | Q(pk__in=links.values("user_id"))
    ).distinct().order_by("-is_active", "username"))
    linked: dict[int, list[Municipality]] = defaultdict(list)
    for link in links.filter(user__in=users).select_related("content_object").order_by(
            "content_object__name"):
        linked[link.user_id].append(link.content_object)
    enrolled = set(TOTPDevice.objects.filter(user__in=users, confirmed=True)
                   .values_list("user_id", flat=True))
    return [MunicipalAccount(user=user, municipalities=linked[user.pk],
                             enrolled=user.pk in enrolled) for user in users]


def linked_municipalities(*, user: User) -> QuerySet[Municipality]:
    """The municipalities ``user`` is linked to (object permission only), by name; also for a
    deactivated account (the portal itself shows a deactivated account nothing)."""
    return get_objects_for_user(user, PORTAL_PERMISSION, klass=Municipality,
                                accept_global_perms=False, with_superuser=False,
                                use_groups=False).order_by("name")


def municipal_account_by_id(*, user_id: int) -> User | None:
    """The municipal account ``user_id`` (active or deactivated), or ``None`` for any other
    account (back-office staff, superusers, accounts without a municipality or the role)."""
    links = MunicipalityUserObjectPermission.objects.filter(
        permission__codename="view_municipality_reports", user_id=user_id)
    user = get_user_model().objects.filter(
        Q(groups__name=MUNICIPALITY) | Q(pk__in=links.values("user_id")), pk=user_id,
        is_superuser=False).distinct().first()
    if user is None or is_backoffice_user(user=user):
        return None
    return user
