"""The helpers of ``scripts/prod_smoke.py`` (``make prod-smoke`` itself runs in ``.ci/run``)."""

from __future__ import annotations

import base64
import importlib.util
import sys
from pathlib import Path

import pytest
from django_otp.oath import TOTP

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke():
    spec = importlib.util.spec_from_file_location("prod_smoke", ROOT / "scripts" / "prod_smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_compose_commands_run_unchanged_but_for_address_and_state_files(smoke, tmp_path):
    commands = smoke.compose_commands()
    web = smoke.adapt(commands["web"], port=12345, workdir=tmp_path)
    assert web[:3] == [sys.executable, "-m", "gunicorn"]
    assert web[3:] == [arg.replace("0.0.0.0:8000", "127.0.0.1:12345")
                       for arg in commands["web"][1:]]
    worker = smoke.adapt(commands["worker"], port=1, workdir=tmp_path)
    assert worker == [sys.executable, "-m", *commands["worker"]]
    beat = smoke.adapt(commands["beat"], port=1, workdir=tmp_path)
    assert beat[-1] == f"--schedule={tmp_path / 'celerybeat-schedule'}"
    assert beat[2:-1] == commands["beat"][:-1]
    migrate = smoke.adapt(commands["migrate"], port=1, workdir=tmp_path)
    assert migrate[:2] == ["sh", "-c"] and "manage.py migrate --noinput" in migrate[2]


def test_its_totp_matches_rfc_6238_and_django_otp(smoke):
    secret = base64.b32encode(b"12345678901234567890").decode()
    # RFC 6238, appendix B (SHA-1; the last six of the eight digits).
    assert [smoke.totp(secret, at=at) for at in (59, 1111111109, 2000000000)] == [
        "287082", "081804", "279037"]
    for at in (30, 1_700_000_000):
        expected = TOTP(b"12345678901234567890", step=30, t0=0, digits=6)
        expected.time = at
        assert smoke.totp(secret, at=at) == f"{expected.token():06d}"
