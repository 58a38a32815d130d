"""create_staff_user, deactivate_user, municipal_account and create_demo_users: what they print
and do; links follow SITE_URL (``make run PORT=...``)."""

from __future__ import annotations

import os
import re
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from reports.security import invitation_tokens
from reports.selectors.accounts import linked_municipalities

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8080"


def _link_token(output: str) -> str:
    link = output.strip().splitlines()[-1]
    match = re.fullmatch(r"http://127\.0\.0\.1:8080/backoffice/welkom/\w+/([\w-]+)/", link)
    assert match, output
    return match.group(1)


def test_create_staff_user_prints_a_first_login_link_not_a_password(reference_data):
    output = run("create_staff_user", "a.bakker", "--role", "coordinator", "--email",
                 "a.bakker@example.test")
    user = get_user_model().objects.get(username="a.bakker")
    assert output.splitlines()[:2] == [
        "Created a.bakker (coordinator).",
        "Give this first-login link to the user (it works once; do not send it to anyone "
        "else):"]
    assert invitation_tokens.check_token(user, _link_token(output))
    assert not user.has_usable_password()
    assert user.has_perm("reports.release_annual_reports")

    again = run("create_staff_user", "A.Bakker", "--reinvite")
    assert invitation_tokens.check_token(user, _link_token(again))
    with pytest.raises(CommandError, match="Deze gebruikersnaam bestaat al."):
        run("create_staff_user", "a.bakker", "--role", "caseworker")
    with pytest.raises(CommandError, match="Give the role"):
        run("create_staff_user", "c.de.vries")


def test_deactivate_user(caseworker):
    assert run("deactivate_user", "caseworker1") == (
        "Deactivated caseworker1; its sessions have ended.\n")
    assert not get_user_model().objects.get(pk=caseworker.pk).is_active
    assert run("deactivate_user", "caseworker1") == "caseworker1 was already deactivated.\n"
    with pytest.raises(CommandError, match="No account 'nobody-here'."):
        run("deactivate_user", "nobody-here")


def test_municipal_account_command(reference_data, caseworker):
    output = run("municipal_account", "create", "assen", "--email", "a@example.test",
                 "--municipality", "GM0106", "--municipality", "gm0114")
    user = get_user_model().objects.get(username="assen")
    assert output.splitlines()[0] == "Created assen for Assen, Emmen."
    assert invitation_tokens.check_token(user, _link_token(output))
    assert run("municipal_account", "link", "assen", "GM0109") == (
        "assen now sees the reports of Coevorden.\n")
    assert run("municipal_account", "unlink", "assen", "GM0106") == (
        "assen no longer sees the reports of Assen.\n")
    assert [m.code for m in linked_municipalities(user=user)] == ["GM0109", "GM0114"]
    assert run("municipal_account", "list") == "assen\tactive\tGM0109, GM0114\n"
    with pytest.raises(CommandError, match="No municipal account 'caseworker1'."):
        run("municipal_account", "deactivate", "caseworker1")
    assert run("municipal_account", "deactivate", "assen") == (
        "Deactivated assen; its sessions have ended.\n")
    assert run("municipal_account", "list") == "assen\tdeactivated\tGM0109, GM0114\n"
    with pytest.raises(CommandError, match="No municipality 'GM9999'."):
        run("municipal_account", "create", "x", "--email", "x@example.test",
            "--municipality", "GM9999")


def test_demo_users_are_printed_with_the_served_address(reference_data):
    output = run("create_demo_users")
    assert output.splitlines()[0] == (
        "Demo accounts for http://127.0.0.1:8080/backoffice/login/ :")


@pytest.mark.parametrize(("arguments", "port"), [([], "8000"), (["PORT=8080"], "8080")])
def test_make_run_serves_and_links_on_the_chosen_port(arguments, port):
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "SITE_URL", "MAKEFLAGS")}
    result = subprocess.run(["make", "-n", "run", *arguments], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True, env=env)
    lines = result.stdout.splitlines()
    site = f"http://127.0.0.1:{port}"
    assert f"SITE_URL={site} .venv/bin/python manage.py create_demo_users" in lines
    assert (f"SITE_URL={site} .venv/bin/python manage.py runserver --insecure "
            f"127.0.0.1:{port}") in lines
    assert f'echo "Open {site}/melden/ (public form) and {site}/backoffice/"' in lines


def test_create_staff_user_puts_the_account_in_a_desk(reference_data):
    from tests.factories import make_desk

    make_desk("zuid", "Zuid", ("GM0114",))
    call_command("create_staff_user", "zuidwerker", "--role", "caseworker", "--desk", "zuid",
                 stdout=StringIO())
    call_command("create_staff_user", "noordwerker", "--role", "coordinator", stdout=StringIO())
    user_model = get_user_model()
    assert list(user_model.objects.get(username="zuidwerker").desks.values_list(
        "code", flat=True)) == ["zuid"]
    assert list(user_model.objects.get(username="noordwerker").desks.values_list(
        "code", flat=True)) == ["default"]
    with pytest.raises(CommandError, match="No desk 'west'; desks: default, zuid"):
        call_command("create_staff_user", "west", "--role", "caseworker", "--desk", "west",
                     stdout=StringIO())
    assert not user_model.objects.filter(username="west").exists()
