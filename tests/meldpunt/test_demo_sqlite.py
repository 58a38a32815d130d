"""The one-command demo (``make run``) runs on SQLite: its back-office pages must render there.

The suite runs on PostgreSQL, so SQL that only PostgreSQL accepts would pass every other test
and still break the demo (the case list's bounded count once did). This test sets up the demo
database as ``make run`` does, in a subprocess with an SQLite file, and fetches the pages a
coordinator and a caseworker use, logged in with a verified second factor.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("load_reference_data", verbosity=0)
from reports.services.accounts import create_demo_users
create_demo_users()
call_command("seed_demo", verbosity=0)

import django_otp
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice
from reports.models import Complaint

pages = ["/backoffice/", "/backoffice/?closed=1", "/backoffice/?status=new",
         "/backoffice/?sort=municipality", "/backoffice/?page=2", "/backoffice/werkvoorraad/",
         "/backoffice/dashboard/", "/backoffice/massameldingen/", "/backoffice/loketten/",
         "/backoffice/statistiek/", "/backoffice/export.csv", "/backoffice/export.xlsx"]
case = Complaint.objects.order_by("pk").first()
pages.append(f"/backoffice/zaken/{case.public_id}/")
for username in ("coordinator", "caseworker"):
    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    django_otp.login(request, device)
    request.session.save()
    for page in pages:
        response = client.get(page)
        print(username, page, response.status_code)
"""


def test_the_demo_back_office_renders_on_sqlite(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "meldpunt.settings.local"}
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    statuses = {tuple(line.rsplit(" ", 1)[0].split(" ", 1)): line.rsplit(" ", 1)[1]
                for line in result.stdout.splitlines() if line.startswith(("coordinator ",
                                                                           "caseworker "))}
    assert len(statuses) == 26, result.stdout
    # Pages a user lacks the permission for answer 403, never 500.
    assert {code for code in statuses.values()} <= {"200", "403"}, statuses
    assert statuses[("coordinator", "/backoffice/")] == "200"
    assert statuses[("caseworker", "/backoffice/")] == "200"
    assert statuses[("coordinator", "/backoffice/export.xlsx")] == "200"
