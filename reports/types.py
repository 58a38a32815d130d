"""Types shared across the app.

``User`` is the project's user model, the one ``settings.AUTH_USER_MODEL`` names (Django's own
``auth.User``; ``tests/reports/test_types.py`` checks that they agree). Services, selectors and
forms type acting users, assignees and account holders with it, so mypy knows what they carry
(``email``, ``groups``, ``has_perm``). Should the user model ever change, change it here.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

__all__ = ["AnyUser", "AuthenticatedHttpRequest", "User"]

#: A request's user, logged in or not (what ``request.user`` is outside ``login_required``).
AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind ``login_required`` (or the back-office middleware): its
    ``user`` is a logged-in ``User``, never ``AnonymousUser``. Only an annotation: Django passes
    the usual ``HttpRequest``."""

    user: User
