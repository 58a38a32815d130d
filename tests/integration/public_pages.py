"""Shared by the browser tests of the public pages (accessibility, keyboard, no cross-origin).

``public_page_states`` walks a Chromium page through every public page state a reporter can
see – the empty form, the form with validation errors, the confirmation after a real
submission (with the receipt code), the follow-up code form, the same with the wrong-code
error, the follow-up case page opened with the real code, the privacy statement and the 404
page – and calls ``visit(name)`` on each, so that
a test can check what is on screen (axe-core) or what was requested (origins).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.db import connections
from django.urls import NoReverseMatch, reverse

from tests.integration.conftest import require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ACTION_TIMEOUT_MS = 15_000
#: The public pages' languages (settings.LANGUAGES) and their text direction.
LANGUAGES = ("nl", "en", "ar", "tr")
DIRECTION = {"nl": "ltr", "en": "ltr", "ar": "rtl", "tr": "ltr"}
LANGUAGE_COOKIE = "django_language"
DESCRIPTION = "In de winkel werd ik niet geholpen vanwege mijn afkomst. Zin-a11y-42."
INVALID_EMAIL = "fatima@voorbeeld"  # browsers accept it, the server does not
WRONG_CODE = "WXYZ-2345-WXYZ-2345-WXYZ"


@pytest.fixture
def chromium(monkeypatch) -> Iterator[Callable]:
    """``chromium(**context_options)`` returns a new page in a fresh context of Debian's
    Chromium (headless). Every context is closed afterwards."""
    require(os.access(CHROMIUM, os.X_OK), f"browser tests need Debian's Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls the tests make
    # between browser steps are ordinary blocking calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        contexts = []

        def new_page(**options):
            context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam",
                                          **options)
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
            contexts.append(context)
            return context.new_page()

        try:
            yield new_page
        finally:
            for context in contexts:
                context.close()
            browser.close()
            # Requests the live server handled opened their own database connections; close
            # them, or they outlive the test database.
            connections.close_all()


def choose_language(page, base_url: str, language: str) -> None:
    """Set the language cookie the switcher sets (``set_language``), for the live server."""
    page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": base_url}])


def url_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def submit_and_wait(page, selector: str):
    """Click a submit button and return the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def public_page_states(page, base_url: str, language: str,
                       visit: Callable[[str], None]) -> list[str]:
    """Show every public page state in ``language`` and call ``visit(name)`` on each; return
    the names in order. Files one real report (the confirmation needs one)."""
    page.context.clear_cookies()  # a new visitor: no open case page, no earlier session
    choose_language(page, base_url, language)
    names: list[str] = []

    def seen(name: str, response, status: int) -> None:
        assert response is not None and response.status == status, (name, response)
        html = page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == (
            language, DIRECTION[language]), name
        names.append(name)
        visit(name)

    seen("intake", page.goto(f"{base_url}/melden/"), 200)

    # Validation errors from the server: the browser's own checks are switched off so that the
    # empty description reaches the server too.
    page.evaluate("document.querySelector('main form[method=post]').noValidate = true")
    page.locator("input[name=reporter_email]").fill(INVALID_EMAIL)
    seen("intake-errors", submit_and_wait(page, "main input[type=submit][name=submit]"), 400)

    page.locator("textarea[name=description]").fill(DESCRIPTION)
    page.locator("input[name=reporter_email]").fill("")
    seen("thanks", submit_and_wait(page, "main input[type=submit][name=submit]"), 200)
    assert page.url == f"{base_url}/melden/bedankt/"

    code = page.locator("[data-testid=receipt-code]").inner_text().strip()
    assert len(code) == len("ABCD-1234-EFGH-5678-JKMN")

    # Following the report: the code form, a wrong code, then the case page.
    seen("followup", page.goto(f"{base_url}/melden/opvolgen/"), 200)
    page.locator("main input[name=code]").fill(WRONG_CODE)
    seen("followup-wrong-code",
         submit_and_wait(page, "main [data-testid=code-form] button[type=submit]"), 400)
    page.locator("main input[name=code]").fill(code)
    seen("followup-case",
         submit_and_wait(page, "main [data-testid=code-form] button[type=submit]"), 200)
    assert page.url == f"{base_url}/melden/opvolgen/melding/"

    seen("privacy", page.goto(f"{base_url}/melden/privacy/"), 200)
    seen("not-found", page.goto(f"{base_url}/melden/bestaat-niet/"), 404)
    return names
