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
    from reports.selectors.reference import current_office

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
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def login_as():
    """``login_as(user)`` returns a test client logged in as ``user``."""
    return login
