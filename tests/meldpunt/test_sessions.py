"""``meldpunt.sessions``: database sessions whose new key is inserted without a look-up."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meldpunt import sessions

pytestmark = pytest.mark.django_db


def test_the_project_uses_it():
    assert settings.SESSION_ENGINE == "meldpunt.sessions"


def test_a_new_session_is_inserted_without_looking_its_key_up_first():
    store = sessions.SessionStore()
    store["intake_receipt"] = {"case_number": "MDD-2026-00001"}

    with CaptureQueriesContext(connection) as captured:
        store.save()

    statements = [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]
    assert statements == ["SAVEPOINT", "INSERT", "RELEASE"]
    assert len(store.session_key) == 32
    assert Session.objects.get(session_key=store.session_key).get_decoded() == {
        "intake_receipt": {"case_number": "MDD-2026-00001"}}


def test_a_key_that_is_taken_is_refused_by_the_table_and_another_one_drawn(monkeypatch):
    taken = sessions.SessionStore()
    taken["owner"] = "first"
    taken.save()
    keys = iter([taken.session_key, "z" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda length, chars: next(keys))

    store = sessions.SessionStore()
    store["owner"] = "second"
    store.save()

    assert store.session_key == "z" * 32
    assert Session.objects.get(session_key=taken.session_key).get_decoded() == {"owner": "first"}
    assert Session.objects.get(session_key="z" * 32).get_decoded() == {"owner": "second"}
