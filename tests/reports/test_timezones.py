"""One calendar time zone: ``reports.timezones.AMSTERDAM`` is the zone the settings name."""

import datetime
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from reports import timezones

ROOT = Path(__file__).resolve().parents[2]


def test_settings_and_celery_use_the_same_zone():
    assert timezones.AMSTERDAM.key == "Europe/Amsterdam"
    assert settings.TIME_ZONE == timezones.AMSTERDAM.key
    assert settings.CELERY_TIMEZONE == timezones.AMSTERDAM.key
    assert timezone.get_default_timezone() == timezones.AMSTERDAM


def test_local_today_is_the_amsterdam_date_around_midnight(monkeypatch):
    # 23:30 UTC on 31 December 2020 is already 1 January 2021 in Amsterdam (CET, UTC+1).
    moment = datetime.datetime(2020, 12, 31, 23, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert timezones.local_today() == datetime.date(2021, 1, 1)


def test_no_other_module_builds_its_own_amsterdam_zone():
    offenders = [str(path.relative_to(ROOT)) for folder in ("meldpunt", "reports")
                 for path in (ROOT / folder).rglob("*.py")
                 if "ZoneInfo(" in path.read_text(encoding="utf-8")
                 and path != ROOT / "reports" / "timezones.py"]
    assert offenders == []


def test_imports_without_django_settings():
    code = "import reports.timezones as t; print(t.AMSTERDAM.key)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Europe/Amsterdam"
