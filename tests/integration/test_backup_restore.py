"""Backup and restore with the project's scripts: a restored copy gives the same annual forms.

``scripts/backup.sh`` dumps the test database (pg_dump -Fc); ``scripts/restore.sh`` restores it
into a new, empty database; the forms are counted there by a separate ``manage.py shell``
process whose DATABASE_URL points at the copy. The copy is dropped afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings

from reports.selectors.statistics import count_annual_forms
from reports.services.demo import seed_demo_year
from reports.services.reference import current_office
from tests.integration.conftest import REPO_ROOT, database_url, service_env

pytestmark = pytest.mark.integration

COUNT_FORMS = (
    "import json; from reports.services.reference import current_office; "
    "from reports.selectors.statistics import count_annual_forms; "
    "print(json.dumps(count_annual_forms(office=current_office(), year=2020), sort_keys=True))"
)


def admin_execute(sql: str) -> None:
    db = settings.DATABASES["default"]
    url = database_url({**db, "NAME": "postgres"}).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_backup_restores_into_an_empty_database_with_identical_forms(
        committed_reference_data, tmp_path) -> None:
    office = current_office()
    assert seed_demo_year(office=office, year=2020, count=80) == 80
    expected = count_annual_forms(office=office, year=2020)
    assert sum(form["total"]["total"]["total"] for form in expected.values()) >= 80

    source = database_url(settings.DATABASES["default"])
    dump = tmp_path / "meldpunt.dump"
    backup = subprocess.run(["scripts/backup.sh", str(dump)], cwd=REPO_ROOT, timeout=120,
                            env={**service_env(), "DATABASE_URL": source},
                            capture_output=True, text=True, check=False)
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.strip() == str(dump)
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert not (tmp_path / "meldpunt.dump.partial").exists()

    name = f"meldpunt_restore_{uuid.uuid4().hex[:12]}"
    copy = database_url({**settings.DATABASES["default"], "NAME": name})
    admin_execute(f'CREATE DATABASE "{name}"')
    try:
        restore = subprocess.run(["scripts/restore.sh", str(dump)], cwd=REPO_ROOT, timeout=120,
                                 env={**service_env(), "DATABASE_URL": copy},
                                 capture_output=True, text=True, check=False)
        assert restore.returncode == 0, restore.stderr
        # Restoring twice is refused: the target is no longer empty.
        again = subprocess.run(["scripts/restore.sh", str(dump)], cwd=REPO_ROOT, timeout=120,
                               env={**service_env(), "DATABASE_URL": copy},
                               capture_output=True, text=True, check=False)
        assert again.returncode == 1
        assert "not empty" in again.stderr

        counted = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", COUNT_FORMS], cwd=REPO_ROOT,
            timeout=120, env={**service_env(), "DATABASE_URL": copy, "LOG_LEVEL": "WARNING"},
            capture_output=True, text=True, check=False)
        assert counted.returncode == 0, counted.stderr
        assert json.loads(counted.stdout.strip().splitlines()[-1]) == expected
    finally:
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
