"""The shared settings (``meldpunt/settings/base.py``): values that depend on each other or on
the environment, pinned so that regrouping the module cannot change them."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def settings_in_subprocess(names: list[str], **environ: str) -> dict:
    """The named settings of ``meldpunt.settings.test`` with only ``environ`` set."""
    code = ("import json, django; from django.conf import settings; django.setup(); "
            f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "DJANGO_SETTINGS_MODULE": "meldpunt.settings.test", **environ}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_derived_settings_follow_what_they_derive_from():
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE == "Europe/Amsterdam"
    assert settings.OTP_TOTP_ISSUER == settings.MELDPUNT_OFFICE["name"]
    assert settings.STAFF_SESSION_IDLE_SECONDS == settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.STAFF_SESSION_MAX_SECONDS == 10 * 60 * 60


def test_logging_keeps_security_events_and_quiets_chatty_libraries():
    loggers = settings.LOGGING["loggers"]
    assert loggers["meldpunt.security"] == {"level": "INFO"}
    assert {name: loggers[name] for name in ("weasyprint", "fontTools", "axes")} == {
        name: {"level": "WARNING"} for name in ("weasyprint", "fontTools", "axes")}


def test_beat_schedule_names_the_five_periodic_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {name: entry["task"] for name, entry in schedule.items()} == {
        "annual-statistics": "reports.tasks.run_scheduled_annual_statistics",
        "relay-outbox": "reports.tasks.relay_outbox",
        "retention": "reports.tasks.apply_retention",
        "purge-rate-limits": "reports.tasks.purge_rate_limits",
        "reminder-digests": "reports.tasks.send_reminder_digests",
    }
    digest = schedule["reminder-digests"]["schedule"]
    assert (digest.minute, digest.hour, digest.day_of_week) == ({0}, {7}, {1, 2, 3, 4, 5})
    assert settings.CELERY_TIMEZONE == "Europe/Amsterdam"
    yearly = schedule["annual-statistics"]["schedule"]
    assert (yearly.minute, yearly.hour, yearly.day_of_month, yearly.month_of_year) == (
        {0}, {3}, {15}, {1})


def test_environment_drives_email_broker_and_intake_limits():
    # (The test settings keep the locmem e-mail backend; EMAIL_URL still sets the server.)
    values = settings_in_subprocess(
        ["EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "CELERY_BROKER_URL",
         "CELERY_TASK_ALWAYS_EAGER", "INTAKE_MAX_REQUEST_BYTES", "OTP_TOTP_ISSUER"],
        EMAIL_URL="smtp+tls://user:pw@smtp.example.nl:587",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/9", CELERY_TASK_ALWAYS_EAGER="false",
        ATTACHMENT_MAX_FILES="2", ATTACHMENT_MAX_BYTES="1000", OFFICE_NAME="Meldpunt Test")
    assert values == {
        "EMAIL_HOST": "smtp.example.nl",
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
        "CELERY_TASK_ALWAYS_EAGER": False,
        "INTAKE_MAX_REQUEST_BYTES": 2 * 1000 + 2**21,
        "OTP_TOTP_ISSUER": "Meldpunt Test",
    }


def test_without_a_broker_tasks_run_in_process():
    values = settings_in_subprocess(["CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"])
    assert values == {"CELERY_BROKER_URL": "memory://localhost/",
                      "CELERY_TASK_ALWAYS_EAGER": True}
