"""Filing a report with the keyboard only (WCAG 2.1.1): Tab, Shift+Tab, Space, Enter and typing.

No clicks and no ``fill``: every step goes through ``page.keyboard``. Which element has the
focus is read from ``document.activeElement`` (reading only).
"""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from reports.models import Complaint, Municipality
from tests.integration.public_pages import chromium  # noqa: F401 - fixture

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DESCRIPTION = "Bij de sportschool mocht ik niet binnen met mijn hoofddoek. Zin-keyboard-17."
MAX_TABS = 40

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  return el.name || el.id || el.getAttribute("href") || el.tagName.toLowerCase();
}"""


def focused(page) -> str:
    """The focused element's name (form fields), id or href."""
    return page.evaluate(FOCUSED)


def tab_to(page, target: str, *, key: str = "Tab") -> list[str]:
    """Press ``key`` until ``target`` has the focus; return the names passed on the way."""
    passed = []
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        passed.append(focused(page))
        if passed[-1] == target:
            return passed
    raise AssertionError(f"{target!r} not reached with {key}; focus went through {passed}")


def test_a_report_can_be_filed_with_the_keyboard_only(live_server, committed_reference_data,
                                                      chromium) -> None:  # noqa: F811
    base = live_server.url
    page = chromium()
    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": base}])
    page.goto(f"{base}/melden/")

    # The first Tab reaches the skip link; Enter on it moves on to the main content.
    page.keyboard.press("Tab")
    assert focused(page) == "#main"
    with translation.override("nl"):
        assert page.locator(".skip-link").inner_text() == gettext("Skip to content")
    page.keyboard.press("Enter")
    assert page.url == f"{base}/melden/#main"

    passed = tab_to(page, "description")
    assert "language" not in passed  # the skip link jumped over the header
    page.keyboard.type(DESCRIPTION)

    # Where it happened: a closed select takes typed letters.
    tab_to(page, "incident_municipality")
    page.keyboard.type("Assen")
    tab_to(page, "reporter_name")
    page.keyboard.type("Fatima")
    tab_to(page, "reporter_email")
    page.keyboard.type("fatima@voorbeeld.nl")
    # Shift+Tab goes back to the name; its text is kept.
    assert tab_to(page, "reporter_name", key="Shift+Tab") == ["reporter_name"]
    assert page.locator("input[name=reporter_name]").input_value() == "Fatima"
    tab_to(page, "reporter_email")
    tab_to(page, "consent_to_contact")
    page.keyboard.press("Space")
    assert page.locator("input[name=consent_to_contact]").is_checked()

    tab_to(page, "submit")
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    assert navigation.value.status == 200
    # The redirect keeps the fragment the skip link added to the form's URL.
    assert page.url == f"{base}/melden/bedankt/#main"

    complaint = Complaint.objects.get()
    assert Complaint.objects.count() == 1
    assert page.locator("[data-testid=case-number]").inner_text() == complaint.case_number
    assert (complaint.description, complaint.reporter_name, complaint.reporter_email,
            complaint.consent_to_contact) == (DESCRIPTION, "Fatima", "fatima@voorbeeld.nl", True)
    assert complaint.incident_municipality == Municipality.objects.get(name="Assen")
    assert complaint.reporter_residence is None
