"""Staff accounts for demonstrations."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from reports.roles import CASEWORKER, COORDINATOR


@transaction.atomic
def create_demo_users() -> dict[str, str]:
    """Create (or reset) the users ``coordinator`` and ``caseworker`` with fresh random passwords.

    Returns:
        ``{username: password}`` so the caller can show them once.
    """
    user_model = get_user_model()
    credentials: dict[str, str] = {}
    for username, role in ((COORDINATOR, COORDINATOR), (CASEWORKER, CASEWORKER)):
        user, _ = user_model.objects.get_or_create(username=username)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_active = True
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        credentials[username] = password
    return credentials
