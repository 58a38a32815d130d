"""The coordinators' reminder page ``/backoffice/herinneringen/`` (issue 12 §3)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/backoffice/herinneringen/"


def test_url():
    assert reverse("backoffice:reminder_settings") == URL


def test_anonymous_is_sent_to_the_login(client, office):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login/")
    assert client.post(URL, {"in_progress_days": 2, "awaiting_reporter_days": 2}
                       ).status_code == 302
    office.refresh_from_db()
    assert office.reminder_in_progress_days == 10


@pytest.mark.parametrize("who", ["plain_user", "caseworker"])
def test_without_the_permission(request, login_as, office, who):
    client = login_as(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"in_progress_days": 2, "awaiting_reporter_days": 2}
                       ).status_code == 403
    office.refresh_from_db()
    assert office.reminder_in_progress_days == 10


def test_coordinator_sees_and_changes_the_periods(login_as, office, coordinator):
    client = login_as(coordinator)
    page = client.get(URL)
    assert page.status_code == 200
    assert page.context["form"].initial == {"in_progress_days": 10,
                                            "awaiting_reporter_days": 10}

    response = client.post(URL, {"in_progress_days": "4", "awaiting_reporter_days": "15"})

    assert response.status_code == 302
    assert response["Location"] == URL
    office.refresh_from_db()
    assert (office.reminder_in_progress_days, office.reminder_awaiting_reporter_days) == (4, 15)


@pytest.mark.parametrize("value", ["0", "251", "drie", ""])
def test_bad_input_is_a_translated_error(login_as, office, coordinator, value):
    client = login_as(coordinator)
    response = client.post(URL, {"in_progress_days": value, "awaiting_reporter_days": "5"},
                           HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["in_progress_days"]
    office.refresh_from_db()
    assert office.reminder_awaiting_reporter_days == 10
