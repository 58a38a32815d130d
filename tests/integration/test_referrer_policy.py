"""``Referrer-Policy: no-referrer`` and CSRF in a real browser (issue 6, docs/security.md).

Under ``no-referrer`` Chromium sends ``Origin: null`` with our own form POSTs; the forms must
still work (reports/csrf.py reads it with ``Sec-Fetch-Site: same-origin``), and no request may
carry a ``Referer``.
"""

from __future__ import annotations

import pytest

from reports.models import Complaint
from tests.integration.test_end_to_end import open_browser, submit  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_forms_work_under_no_referrer_and_no_request_carries_a_referer(
        live_server, committed_reference_data, open_browser):  # noqa: F811
    page = open_browser("referrer")
    posts: list[dict[str, str]] = []
    referers: list[str] = []

    def record(request) -> None:
        headers = request.all_headers()
        if headers.get("referer"):  # Playwright lists an empty placeholder for subresources
            referers.append(f"{request.url} <- {headers['referer']}")
        if request.method == "POST":
            posts.append({"url": request.url.removeprefix(live_server.url),
                          "origin": headers.get("origin", ""),
                          "sec-fetch-site": headers.get("sec-fetch-site", "")})

    page.on("request", record)
    response = page.goto(f"{live_server.url}/melden/")
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"

    page.locator("textarea[name=description]").fill("Referrer-proef: synthetische melding.")
    thanks = submit(page, "input[type=submit][name=submit]")
    assert (thanks.status, thanks.url) == (200, f"{live_server.url}/melden/bedankt/")

    page.goto(f"{live_server.url}/backoffice/login/")
    page.locator("input[name=username]").fill("nobody")
    page.locator("input[name=password]").fill("wrong password 123")
    login = submit(page, "main form button[type=submit]")
    assert login.status == 200  # the form again with "wrong user name or password", not 403

    assert posts == [
        {"url": "/melden/", "origin": "null", "sec-fetch-site": "same-origin"},
        {"url": "/backoffice/login/", "origin": "null", "sec-fetch-site": "same-origin"},
    ]
    assert referers == []
    assert Complaint.objects.count() == 1
