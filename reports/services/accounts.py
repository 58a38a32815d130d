"""Staff accounts: demonstration users, roles, deactivation."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.roles import CASEWORKER, COORDINATOR, ROLE_PERMISSIONS
from reports.security import (
    TOTP_DEVICE_NAME,
    SecurityEvent,
    log_security_event,
    new_recovery_codes,
    totp_secret,
)


@dataclass(frozen=True)
class DemoCredentials:
    """What a demo user needs to log in: password, authenticator secret, recovery codes."""

    password: str
    totp_secret: str
    totp_uri: str
    recovery_codes: list[str]


@transaction.atomic
def create_demo_users() -> dict[str, DemoCredentials]:
    """Create (or reset) the users ``coordinator`` and ``caseworker`` with fresh random passwords,
    a fresh authenticator (TOTP) secret and fresh recovery codes.

    Returns:
        ``{username: credentials}`` so the caller can show them once.
    """
    user_model = get_user_model()
    credentials: dict[str, DemoCredentials] = {}
    for username, role in ((COORDINATOR, COORDINATOR), (CASEWORKER, CASEWORKER)):
        user, _ = user_model.objects.get_or_create(username=username)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_active = True
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        credentials[username] = DemoCredentials(
            password=password, totp_secret=totp_secret(device=device),
            totp_uri=device.config_url, recovery_codes=new_recovery_codes(user=user))
    return credentials


@transaction.atomic
def set_roles(*, user: Any, roles: Iterable[str], actor: Any) -> None:
    """Give ``user`` exactly the roles ``roles`` (names from ``reports.roles``).

    Raises:
        ValueError: for a name that is not a role.
    """
    roles = sorted(set(roles))
    unknown = [role for role in roles if role not in ROLE_PERMISSIONS]
    if unknown:
        raise ValueError(f"Unknown roles: {', '.join(unknown)}")
    user.groups.set(Group.objects.filter(name__in=roles))
    log_security_event(event=SecurityEvent.ROLES_CHANGED, user=user, actor_id=actor.pk,
                       roles=roles)


def user_sessions(*, user: Any) -> list[Session]:
    """The unexpired database sessions logged in as ``user``."""
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            found.append(session)
    return found


@transaction.atomic
def deactivate_user(*, user: Any, actor: Any) -> None:
    """Deactivate ``user`` and end all their sessions at once."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    Session.objects.filter(pk__in=[s.pk for s in user_sessions(user=user)]).delete()
    log_security_event(event=SecurityEvent.USER_DEACTIVATED, user=user, actor_id=actor.pk)
