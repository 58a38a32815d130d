"""Shared pytest fixtures."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from reports.services.reference import load_reference_data
from tests.factories import PASSWORD, CaseworkerFactory, CoordinatorFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_filter_choices():
    """Every test reads the case-list filter's municipalities anew (they are kept per process
    for a few minutes: ``reports.selectors.reference.filter_municipality_choices``)."""
    from reports.selectors.reference import forget_filter_municipality_choices

    forget_filter_municipality_choices()


@pytest.fixture
def reference_data(db):
    """Municipalities, mergers, the office and the roles, loaded (idempotently)."""
    load_reference_data()


@pytest.fixture
def office(reference_data):
    from reports.services.reference import current_office

    return current_office()


@pytest.fixture
def caseworker(reference_data):
    return CaseworkerFactory(username="caseworker1")


@pytest.fixture
def other_caseworker(reference_data):
    return CaseworkerFactory(username="caseworker2")


@pytest.fixture
def coordinator(reference_data):
    return CoordinatorFactory(username="coordinator1")


@pytest.fixture
def plain_user(reference_data):
    """A logged-in user without any permission."""
    return UserFactory(username="nobody")


def login(user) -> Client:
    """A client logged in as ``user`` with the password and a verified second factor.

    The password goes through the real authentication backends (django-axes needs a request);
    the second factor is an authenticator made here, marked verified with ``django_otp.login``
    as the second-factor step does (a real code could not be typed twice within 30 seconds).
    """
    import django_otp
    from django.test import RequestFactory
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    assert client.login(request=RequestFactory().post("/backoffice/login/"),
                        username=user.username, password=PASSWORD)
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True))
    request = RequestFactory().get("/")
    request.session, request.user = client.session, user
    django_otp.login(request, device)
    # As the first back-office request after logging in leaves it: stamped now (the stamp is
    # then rewritten at most once a minute, so a test's requests do not each write the session).
    from reports.security import SESSION_LOGIN_AT, SESSION_SEEN_AT

    request.session[SESSION_LOGIN_AT] = request.session[SESSION_SEEN_AT] = time.time()
    request.session.save()
    return client


@pytest.fixture
def login_as():
    """``login_as(user)`` returns a test client logged in as ``user``."""
    return login
