"""The public pages make no request to any other origin: no CDN, fonts, analytics or maps.

Chromium records every request (``page.on("request")``) while it shows every public page in
every language and files a report; every URL's origin must be the live server's. The pages
keep their real Content-Security-Policy here (no ``bypass_csp``), and the test fails on any
CSP report in the console too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from reports.models import Complaint
from tests.integration.public_pages import (
    LANGUAGES,
    chromium,  # noqa: F401 - fixture
    public_page_states,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_public_pages_request_only_their_own_origin(live_server, committed_reference_data,
                                                    chromium, settings) -> None:  # noqa: F811
    # One wrong receipt code per language, all from 127.0.0.1: stay below the per-IP delay.
    settings.FOLLOWUP_IP_FREE_FAILURES = 100
    base = live_server.url
    page = chromium()
    requested: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console_errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)

    visited = []
    for language in LANGUAGES:
        visited += public_page_states(page, base, language, lambda name: None)
        # The language switcher posts to this site too.
        page.goto(f"{base}/melden/")
        page.locator("select#language").select_option(language)
        with page.expect_navigation():
            page.locator("[data-testid=language-switcher] button[type=submit]").click()
        assert page.url == f"{base}/melden/"

    assert len(visited) == 8 * len(LANGUAGES)
    assert Complaint.objects.count() == len(LANGUAGES)
    offenders = sorted({url for url in requested if origin(url) != base})
    assert offenders == []
    assert console_errors == []
    # The requests were recorded: the pages, the forms' POSTs and the local static files.
    paths = {urlsplit(url).path for url in requested}
    assert {"/melden/", "/melden/bedankt/", "/melden/opvolgen/", "/melden/opvolgen/melding/",
            "/melden/privacy/", "/melden/bestaat-niet/",
            "/i18n/setlang/", "/static/vendor/bootstrap/bootstrap.min.css",
            "/static/vendor/bootstrap/bootstrap.rtl.min.css", "/static/css/meldpunt.css",
            "/static/vendor/bootstrap/bootstrap.bundle.min.js"} <= paths
