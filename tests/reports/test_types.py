"""``reports.types``: the user type the code is checked against is the configured user model."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from reports.types import AnyUser, User


def test_user_is_the_configured_user_model():
    assert get_user_model() is User
    assert settings.AUTH_USER_MODEL == f"{User._meta.app_label}.{User.__name__}"


def test_any_user_also_admits_the_anonymous_user():
    assert AnyUser.__args__ == (User, AnonymousUser)
