"""Shared pytest fixtures."""

from __future__ import annotations

import pytest
from django.test import Client

from reports.services.reference import load_reference_data
from tests.factories import PASSWORD, CaseworkerFactory, CoordinatorFactory, UserFactory


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
    request.session.save()
    return client


@pytest.fixture
def login_as():
    """``login_as(user)`` returns a test client logged in as ``user``."""
    return login
