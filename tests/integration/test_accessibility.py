"""WCAG 2.1 AA on every public page, in every language, checked by axe-core in Chromium.

axe-core is pinned in the repository's ``package.json`` / ``package-lock.json`` and installed
into ``node_modules/`` by ``scripts/ensure-axe`` (``make test`` runs it). Its source is evaluated
in the page through the DevTools protocol (``page.evaluate``), so the pages keep their strict
Content-Security-Policy while they are checked. Rules: the tags ``wcag2a``, ``wcag2aa``,
``wcag21a`` and ``wcag21aa``; the test wants zero violations.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.models import Complaint
from tests.integration.conftest import REPO_ROOT, require
from tests.integration.public_pages import (
    LANGUAGES,
    chromium,  # noqa: F401 - fixture
    public_page_states,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = ["intake", "intake-errors", "thanks", "followup", "followup-wrong-code", "followup-case",
         "privacy", "not-found"]


def axe_source() -> str:
    require(AXE.exists(), f"{AXE} is missing: run scripts/ensure-axe (npm ci)")
    return Path(AXE).read_text(encoding="utf-8")


def axe_version() -> str:
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/axe-core"]["version"]


def run_axe(page, source: str) -> list[dict]:
    """The violations axe-core finds on the page, each as id, impact, help and targets."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    results = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", AXE_TAGS)
    return [{"id": violation["id"], "impact": violation["impact"], "help": violation["help"],
             "targets": [node["target"] for node in violation["nodes"]]}
            for violation in results["violations"]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_have_no_axe_violations(language, live_server, committed_reference_data,
                                             chromium) -> None:  # noqa: F811
    source = axe_source()
    page = chromium()
    found: dict[str, list[dict]] = {}

    def check(name: str) -> None:
        found[name] = run_axe(page, source)
        assert page.evaluate("axe.version") == axe_version()

    visited = public_page_states(page, live_server.url, language, check)

    assert visited == PAGES
    offenders = [f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}"
                 for name, violations in found.items() for v in violations]
    assert offenders == [], "\n".join(offenders)
    assert Complaint.objects.count() == 1
