"""``/healthz`` and ``/readyz``: status codes, the short JSON body, and what each one checks."""

from __future__ import annotations

import json
import os

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings

BROKER_URL = os.environ.get("TEST_BROKER_URL") or "redis://127.0.0.1:6379/15"


def _get(path: str, **headers: str) -> tuple[int, dict]:
    response = Client().get(path, **headers)
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def test_liveness_answers_without_the_database():
    # No database fixture: pytest-django would fail any query here.
    assert _get("/healthz") == (200, {"status": "ok"})


def test_probes_answer_any_host_over_plain_http():
    """Orchestrators probe by IP address over HTTP: no 400 for the host, no HTTPS redirect."""
    with override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["meldpunt.example.nl"]):
        assert _get("/healthz", HTTP_HOST="10.0.0.7:8000") == (200, {"status": "ok"})
        # Every other page still goes through host validation.
        assert Client().get("/melden/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_head_is_answered_and_other_methods_are_not_probes():
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 404


@pytest.mark.django_db
def test_ready_without_a_broker_when_tasks_run_in_process():
    assert _get("/readyz") == (200, {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "broker": "not used"}})


@pytest.mark.django_db
def test_ready_with_a_reachable_broker():
    from tests.integration.conftest import redis_available

    if not redis_available(BROKER_URL):
        pytest.skip(f"needs Redis at {BROKER_URL}")
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=BROKER_URL):
        assert _get("/readyz") == (200, {"status": "ok", "checks": {
            "database": "ok", "migrations": "ok", "broker": "ok"}})


@pytest.mark.django_db
def test_unreachable_broker_is_503_and_names_no_address():
    secret_url = "redis://:hunter2-broker-password@127.0.0.1:9/0"
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=secret_url):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "checks": {
        "database": "ok", "migrations": "ok", "broker": "unavailable"}}
    assert b"hunter2" not in response.content and b"127.0.0.1" not in response.content


@pytest.mark.django_db
def test_unreachable_database_is_503():
    settings_dict = connections["default"].settings_dict
    saved = settings_dict["PORT"], settings_dict["HOST"]
    if connections["default"].vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    # The probes open their own connections (in another thread): point those at a closed port.
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", "9"
    try:
        status, body = _get("/readyz")
    finally:
        settings_dict["PORT"], settings_dict["HOST"] = saved
    assert status == 503
    assert body == {"status": "unavailable", "checks": {
        "database": "unavailable", "migrations": "unavailable", "broker": "not used"}}


@pytest.mark.django_db
def test_unapplied_migrations_are_503(monkeypatch):
    real_plan = MigrationExecutor.migration_plan

    def one_missing(self, targets, clean_start=False):
        applied = real_plan(self, targets, clean_start=clean_start)
        assert applied == []  # the test database is fully migrated
        return [(self.loader.graph.nodes[("reports", "0001_initial")], False)]

    monkeypatch.setattr(MigrationExecutor, "migration_plan", one_missing)
    assert _get("/readyz") == (503, {"status": "unavailable", "checks": {
        "database": "ok", "migrations": "pending", "broker": "not used"}})
