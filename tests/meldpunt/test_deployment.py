"""docker-compose.yml, the Dockerfile and .env.example agree with the project.

Docker cannot run on the development and CI machines, so these tests read the files: every
service's command must name a module, app, management command and options that exist; the
settings module must exist; the variables compose sets must be ones the settings read; every
variable the production settings read must be listed in ``.env.example``; beat runs once.
(``make prod-smoke`` then runs the same commands as plain processes.)
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
APP_SERVICES = sorted(name for name, service in SERVICES.items()
                      if service.get("image") == "meldpunt:latest")
SETTINGS_FILES = [ROOT / "meldpunt" / "settings" / name
                  for name in ("base.py", "production.py")]
#: Variables meldpunt.settings.production refuses to start without (read with a default of
#: "" or [] in base.py and then checked), besides those read without any default.
REFUSED_WHEN_EMPTY = {"ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "CELERY_BROKER_URL"}


def _env_reads(path: Path) -> dict[str, bool]:
    """``{variable: has_default}`` for every ``env(...)``/``env.<cast>(...)`` call in ``path``."""
    reads: dict[str, bool] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id == "env")
        if is_env and node.args and isinstance(node.args[0], ast.Constant):
            name = node.args[0].value
            has_default = any(keyword.arg == "default" for keyword in node.keywords)
            reads[name] = reads.get(name, False) or has_default
    return reads


def production_reads() -> dict[str, bool]:
    reads: dict[str, bool] = {}
    for path in SETTINGS_FILES:
        for name, has_default in _env_reads(path).items():
            reads[name] = reads.get(name, False) or has_default
    return reads


def env_example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def app_environment(service: str) -> dict[str, str]:
    return dict(SERVICES[service].get("environment") or {})


def test_the_expected_services_and_one_image():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert APP_SERVICES == ["beat", "migrate", "web", "worker"]
    assert all(SERVICES[name]["build"] == "." for name in APP_SERVICES)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_settings_module_exists(service):
    module = app_environment(service)["DJANGO_SETTINGS_MODULE"]
    assert module == "meldpunt.settings.production"
    assert importlib.util.find_spec(module) is not None


def _celery_context(subcommand: str, args: list[str]) -> dict:
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as celery_cli

    from meldpunt.celery import app

    command = celery_cli.commands[subcommand]
    context = command.make_context(subcommand, list(args), obj=CLIContext(
        app=app, no_color=True, workdir=None, quiet=True))
    return context.params


def _check_manage_py(command: list[str]) -> None:
    from django.core.management import get_commands

    assert command[:2] == ["python", "manage.py"], command
    assert command[2] in get_commands(), command
    assert (ROOT / "manage.py").exists()


def test_web_runs_gunicorn_on_the_wsgi_application():
    from gunicorn.config import Config

    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn"
    options = Config().parser().parse_args(command[1:])  # exits on an unknown option
    module_name, attribute = options.args[0].split(":")
    assert (module_name, attribute) == ("meldpunt.wsgi", "application")
    tree = ast.parse(Path(importlib.util.find_spec(module_name).origin).read_text())
    assert attribute in {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                         for target in node.targets if isinstance(target, ast.Name)}
    assert options.bind == ["0.0.0.0:8000"]
    # The statement timeout (20 s) ends a query before gunicorn gives up on the request.
    from django.conf import settings

    assert options.timeout == 30 > settings.DB_STATEMENT_TIMEOUT_SECONDS
    assert SERVICES["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_worker_and_beat_run_the_projects_celery_app():
    from celery import Celery

    for service, subcommand in (("worker", "worker"), ("beat", "beat")):
        command = SERVICES[service]["command"]
        assert command[:4] == ["celery", "-A", "meldpunt", subcommand], command
        assert isinstance(importlib.import_module("meldpunt").celery_app, Celery)
        params = _celery_context(subcommand, command[4:])  # raises on an unknown option
        assert params["loglevel"] in ("INFO", 20)


def test_exactly_one_beat():
    beats = [name for name, service in SERVICES.items()
             if "beat" in (service.get("command") or [])]
    assert beats == ["beat"]
    assert "deploy" not in SERVICES["beat"] and "scale" not in SERVICES["beat"]


def test_migrate_runs_existing_management_commands():
    command = SERVICES["migrate"]["command"]
    assert command[:2] == ["sh", "-c"]
    steps = [shlex.split(step) for step in command[2].split("&&")]
    assert [step[2] for step in steps] == ["migrate", "load_reference_data"]
    for step in steps:
        _check_manage_py(step)


def test_health_checks_use_existing_probes():
    from meldpunt.health import PROBES

    web = SERVICES["web"]["healthcheck"]["test"]
    assert web[:5] == ["CMD", "python", "-m", "meldpunt.probe", "http"]
    assert re.match(r"^http://127\.0\.0\.1:8000(/\w+)$", web[5])
    assert web[5].removeprefix("http://127.0.0.1:8000") in PROBES
    assert SERVICES["worker"]["healthcheck"]["test"] == [
        "CMD", "python", "-m", "meldpunt.probe", "worker"]
    assert importlib.util.find_spec("meldpunt.probe") is not None
    for name in ("postgres", "redis"):
        assert SERVICES[name]["healthcheck"]["test"][0] == "CMD"


def test_compose_sets_only_variables_the_settings_read():
    reads = production_reads()
    for service in APP_SERVICES:
        for name in app_environment(service):
            assert name in reads or name == "DJANGO_SETTINGS_MODULE", (service, name)


def test_required_variables_are_set_by_compose_or_listed_for_the_env_file():
    required = {name for path in SETTINGS_FILES
                for name, has_default in _env_reads(path).items() if not has_default}
    required |= REFUSED_WHEN_EMPTY
    assert required >= {"SECRET_KEY", "DATABASE_URL"}
    listed = env_example_names()
    for service in APP_SERVICES:
        assert SERVICES[service]["env_file"] == ".env.prod"
        provided = set(app_environment(service)) | listed
        assert required <= provided, (service, required - provided)


def test_env_example_lists_every_variable_the_production_settings_read():
    missing = set(production_reads()) - env_example_names()
    assert not missing, f"add to .env.example (and docs/configuration.md): {sorted(missing)}"


def test_the_dockerfile_build_step_loads_the_production_settings(tmp_path):
    """The ``collectstatic`` line of the Dockerfile, with its own build-only variables."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines()
                if "manage.py collectstatic" in line and not line.startswith("#"))
    variables = dict(re.findall(r"\b([A-Z_]+)=(\S+)", line.split("python manage.py")[0]))
    assert set(variables) >= {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL",
                              "CELERY_BROKER_URL", "FIELD_ENCRYPTION_KEYS"}
    env = {key: value for key, value in os.environ.items()
           if key not in production_reads() and key != "DJANGO_SETTINGS_MODULE"}
    env.update(variables, DJANGO_SETTINGS_MODULE="meldpunt.settings.production",
               STATIC_ROOT=str(tmp_path / "static"))
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
