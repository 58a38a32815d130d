"""Production settings refuse to start without real secrets and pass ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DJANGO_SETTINGS_MODULE": "meldpunt.settings.production",
    "SECRET_KEY": "x" * 20 + "-production-like-secret-for-the-check-only-0123456789",
    "ALLOWED_HOSTS": "meldpunt.example.nl",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    # A fixed, made-up key for the check only (32 bytes, URL-safe base64).
    "FIELD_ENCRYPTION_KEYS": "Y2hlY2stb25seS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc=",
}


def run_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if key not in GOOD and key not in ("DEBUG", "CELERY_TASK_ALWAYS_EAGER")}
    env.update(GOOD)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                           "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_check_deploy_is_clean_with_production_settings():
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(("overrides", "message"), [
    ({"SECRET_KEY": None}, "Set the SECRET_KEY environment variable"),
    ({"SECRET_KEY": ""}, "Set SECRET_KEY to at least 50 random characters."),
    ({"ALLOWED_HOSTS": None}, "Set ALLOWED_HOSTS to the site's host names (no wildcard)."),
    ({"ALLOWED_HOSTS": "*"}, "Set ALLOWED_HOSTS to the site's host names (no wildcard)."),
    ({"CELERY_BROKER_URL": None}, "Set CELERY_BROKER_URL for production"),
    ({"DATABASE_URL": "sqlite:////tmp/x.db"}, "Production runs on PostgreSQL"),
    ({"DATABASE_URL": None}, "Set the DATABASE_URL environment variable"),
    ({"FIELD_ENCRYPTION_KEYS": None}, "Set FIELD_ENCRYPTION_KEYS (generate a key with "
                                      "`manage.py generate_encryption_key`)."),
    ({"FIELD_ENCRYPTION_KEYS": ""}, "Set FIELD_ENCRYPTION_KEYS (generate a key with "
                                    "`manage.py generate_encryption_key`)."),
    ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"},
     "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 bytes, URL-safe base64)."),
])
def test_production_refuses_to_start_without_real_configuration(overrides, message):
    result = run_check(**overrides)
    assert result.returncode == 1
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
