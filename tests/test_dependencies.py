"""The dependencies are declared, bounded and locked.

- Every module that ``meldpunt/``, ``reports/`` and ``scripts/`` import (at any depth, also inside
  functions), and every app and middleware in the settings, is the standard library, our own
  code, or comes from a distribution ``pyproject.toml`` declares (runtime for ``meldpunt/`` and
  ``reports/``; runtime or dev for ``scripts/``, which CI runs from the dev install, and for
  imports under ``if TYPE_CHECKING:``, which only mypy runs).
- Every requirement, runtime and dev, has an upper bound.
- ``requirements/main.lock`` (runtime) and ``requirements/dev.lock`` (runtime + dev) pin every
  declared requirement inside its range, every pin carries hashes, and both pin the same version
  of every package they share. ``make lock`` regenerates them (README, "Quick start").
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(line) for line in PYPROJECT["dependencies"]]
DEV = [Requirement(line) for line in PYPROJECT["optional-dependencies"]["dev"]]
FIRST_PARTY = {"meldpunt", "reports"}
LOCKS = {"main": ROOT / "requirements" / "main.lock", "dev": ROOT / "requirements" / "dev.lock"}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def _typing_only(tree: ast.AST) -> set[ast.AST]:
    """The import statements inside ``if TYPE_CHECKING:`` blocks (only mypy runs them)."""
    nodes: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes.update(inner for statement in node.body for inner in ast.walk(statement))
    return nodes


def _top_level_imports(folder: Path, *, typing_only: bool = False) -> dict[str, str]:
    """``{top-level module: first file importing it}`` for the absolute imports in ``folder``:
    those that run (default), or those only under ``if TYPE_CHECKING:``."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        checking = _typing_only(tree)
        for node in ast.walk(tree):
            if (node in checking) != typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _settings_modules() -> dict[str, str]:
    """Top-level modules named by dotted strings in INSTALLED_APPS and MIDDLEWARE."""
    return {entry.split(".")[0]: f"settings: {entry}"
            for entry in [*settings.INSTALLED_APPS, *settings.MIDDLEWARE]}


def _undeclared(modules: dict[str, str], declared: list[Requirement]) -> list[str]:
    names = {canonicalize_name(requirement.name) for requirement in declared}
    providers = packages_distributions()
    problems = []
    for module, where in sorted(modules.items()):
        if module in sys.stdlib_module_names or module in FIRST_PARTY or module == "__future__":
            continue
        distributions = {canonicalize_name(name) for name in providers.get(module, [])}
        if not distributions & names:
            problems.append(f"{module} ({where}) comes from {sorted(distributions) or '?'}, "
                            "which pyproject.toml does not declare")
    return problems


def _lock(kind: str) -> dict[str, tuple[str, list[str]]]:
    """``{canonical name: (version, [hash options])}`` of one lock file."""
    text = LOCKS[kind].read_text(encoding="utf-8")
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if block.startswith("#") or not block.strip():
            continue
        assert match, f"{LOCKS[kind].name}: not a pinned requirement: {block.splitlines()[0]}"
        name = canonicalize_name(match["name"])
        assert name not in entries, f"{LOCKS[kind].name} pins {name} twice"
        entries[name] = (match["version"], re.findall(r"--hash=sha256:[0-9a-f]{64}", block))
    return entries


def test_runtime_code_imports_only_declared_runtime_distributions():
    modules = {**_top_level_imports(ROOT / "meldpunt"), **_top_level_imports(ROOT / "reports"),
               **_settings_modules()}
    assert _undeclared(modules, RUNTIME) == []


def test_typing_only_imports_are_declared_runtime_or_dev_distributions():
    modules = {**_top_level_imports(ROOT / "meldpunt", typing_only=True),
               **_top_level_imports(ROOT / "reports", typing_only=True)}
    assert _undeclared(modules, RUNTIME + DEV) == []


def test_scripts_import_only_declared_distributions():
    assert _undeclared(_top_level_imports(ROOT / "scripts"), RUNTIME + DEV) == []


def test_the_import_check_sees_numpy_and_cryptography():
    # The two that were undeclared before: the scan must find them, and they are declared now.
    modules = {**_top_level_imports(ROOT / "meldpunt"), **_top_level_imports(ROOT / "reports")}
    assert {"numpy", "cryptography"} <= modules.keys()
    assert _undeclared({"numpy": "x", "cryptography": "y"}, RUNTIME) == []
    assert _undeclared({"numpy": "x"}, []) == [
        "numpy (x) comes from ['numpy'], which pyproject.toml does not declare"]


@pytest.mark.parametrize("requirement", RUNTIME + DEV, ids=str)
def test_every_requirement_has_an_upper_bound(requirement):
    operators = {spec.operator for spec in requirement.specifier}
    assert operators & {"<", "<=", "==", "~=", "==="}, f"{requirement} has no upper bound"


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_every_pin_has_hashes(kind):
    entries = _lock(kind)
    assert len(entries) > 20
    assert [name for name, (_, hashes) in entries.items() if not hashes] == []


@pytest.mark.parametrize(("kind", "declared"), [("main", RUNTIME), ("dev", RUNTIME + DEV)])
def test_locks_pin_every_declared_requirement_inside_its_range(kind, declared):
    entries = _lock(kind)
    problems = []
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        if name not in entries:
            problems.append(f"{name} is not in {kind}.lock")
        elif Version(entries[name][0]) not in requirement.specifier:
            problems.append(f"{kind}.lock pins {name}=={entries[name][0]}, outside {requirement}")
    assert problems == []


def test_runtime_lock_holds_no_dev_only_package_and_agrees_with_dev_lock():
    main, dev = _lock("main"), _lock("dev")
    assert {canonicalize_name(r.name) for r in DEV} & main.keys() == set()
    assert {name: main[name][0] for name in main} == {name: dev[name][0] for name in main}


def test_make_install_and_the_dockerfile_install_from_the_locks_with_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes -r requirements/dev.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir --require-hashes -r requirements/main.lock" in dockerfile
    assert "pip install --no-cache-dir --no-deps ." in dockerfile
    assert "COPY requirements/main.lock" in dockerfile
