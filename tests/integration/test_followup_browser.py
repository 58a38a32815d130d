"""The receipt flow end to end in Debian's Chromium: file a report, read the receipt code once,
open the follow-up portal with it, read the status, reply, and see the caseworker's answer.

Like ``test_end_to_end.py``: Playwright drives Chromium against pytest-django's live server on
PostgreSQL; elements are found by form action, field name and ``data-testid``; expected texts go
through Django's translations, so the test holds whether the Dutch catalogue is compiled or not.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from reports.models import Complaint, ComplaintHistory, Message, OutboundEmail
from reports.selectors.followup import STATUS_SENTENCES
from reports.services.complaints import assign_complaint, change_status, record_message
from reports.services.notifications import REPORTER_MESSAGE, REPORTER_RECEIPT
from reports.vocabulary import Status
from tests.factories import CoordinatorFactory
from tests.integration.test_end_to_end import (  # noqa: F401 (open_browser is a fixture)
    AMSTERDAM,
    dutch,
    file_report,
    open_browser,
    submit,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DESCRIPTION = "In de sportschool werd ik weggestuurd om mijn afkomst. Kenmerk-zin-c0de."
NAME = "Yusuf Testnaam"
EMAIL = "yusuf@voorbeeld.example"


def test_receipt_code_opens_the_follow_up_portal(live_server, committed_reference_data,
                                                 open_browser, settings) -> None:  # noqa: F811
    settings.SITE_URL = live_server.url
    base = live_server.url
    year = datetime.datetime.now(AMSTERDAM).year
    page = open_browser("reporter")

    # --- 1. The report, and the code shown once. -------------------------------------------
    response = file_report(page, base, description=DESCRIPTION, incident="Assen",
                           residence="Assen", email=EMAIL, name=NAME, consent=True)
    assert response.status == 200
    assert page.url == f"{base}/melden/bedankt/"
    case_number = f"MDD-{year}-0001"
    assert page.locator("[data-testid=case-number]").inner_text() == case_number
    code = page.locator("[data-testid=receipt-code]").inner_text().strip()
    assert len(code) == 24 and code.count("-") == 4
    assert response.headers["cache-control"] == (
        "max-age=0, no-cache, no-store, must-revalidate, private")
    complaint = Complaint.objects.get()
    assert complaint.case_number == case_number

    response = page.reload()
    assert response.status == 200
    assert page.locator("[data-testid=receipt-code]").count() == 0
    assert code not in page.content()
    assert page.locator("[data-testid=case-number]").inner_text() == case_number

    # --- 2. The portal: the code typed loosely (lower case, spaces). ------------------------
    with page.expect_navigation():
        page.locator("main [data-testid=followup-link]").click()
    assert page.url == f"{base}/melden/opvolgen/"
    page.locator("input[name=code]").fill("  " + code.lower().replace("-", " ") + " ")
    response = submit(page, "[data-testid=code-form] button[type=submit]")
    assert response.status == 200
    assert page.url == f"{base}/melden/opvolgen/melding/"
    assert page.locator("[data-testid=case-number]").inner_text() == case_number
    assert page.locator("[data-testid=status-sentence]").inner_text() == dutch(
        STATUS_SENTENCES[Status.NEW])
    assert page.locator("[data-testid=portal-message]").count() == 0
    assert DESCRIPTION not in page.content() and NAME not in page.content()

    # --- 3. The reporter replies. ------------------------------------------------------------
    page.locator("textarea[name=body]").fill("Het gebeurde op dinsdagavond.")
    response = submit(page, "[data-testid=reply-form] button[type=submit]")
    assert response.status == 200
    assert page.url == f"{base}/melden/opvolgen/melding/"
    assert page.locator("[data-testid=message-body]").all_inner_texts() == [
        "Het gebeurde op dinsdagavond."]
    assert list(Message.objects.values_list("complaint_id", "direction", "author_id", "body")) == [
        (complaint.pk, "in", None, "Het gebeurde op dinsdagavond.")]
    assert ComplaintHistory.objects.filter(complaint=complaint, action="reporter_message",
                                           actor=None).count() == 1

    # --- 4. A caseworker answers (through the service) and asks for more. ---------------------
    coordinator = CoordinatorFactory(username="coordinator1")
    complaint = assign_complaint(complaint=complaint, actor=coordinator, assignee=coordinator)
    complaint = change_status(complaint=complaint, actor=coordinator,
                              to_status=Status.AWAITING_REPORTER)
    record_message(complaint=complaint, author=coordinator, direction="out",
                   body="Dank u. Weet u nog hoe laat het was?")
    response = page.reload()
    assert response.status == 200
    assert page.locator("[data-testid=message-body]").all_inner_texts() == [
        "Het gebeurde op dinsdagavond.", "Dank u. Weet u nog hoe laat het was?"]
    assert [page.locator("[data-testid=portal-message]").nth(n).get_attribute("data-from")
            for n in range(2)] == ["reporter", "office"]
    assert page.locator("[data-testid=status-sentence]").inner_text() == dutch(
        STATUS_SENTENCES[Status.AWAITING_REPORTER])
    assert "coordinator1" not in page.content()

    # --- 5. The e-mails: a link, nothing of the report, no code. ------------------------------
    emails = list(OutboundEmail.objects.order_by("pk").values_list("kind", "recipient", "body"))
    assert [(kind, recipient) for kind, recipient, _body in emails] == [
        (REPORTER_RECEIPT, EMAIL), (REPORTER_MESSAGE, EMAIL)]
    for _kind, _recipient, body in emails:
        assert f"{base}/melden/opvolgen/" in body
        for secret in (DESCRIPTION, "c0de", NAME, code, code.replace("-", ""), case_number,
                       "Weet u nog"):
            assert secret not in body
    assert sorted(m.to[0] for m in mail.outbox) == [EMAIL, EMAIL]

    # --- 6. Closing forgets the case. --------------------------------------------------------
    response = submit(page, "[data-testid=close-form] button[type=submit]")
    assert response.status == 200
    assert page.url == f"{base}/melden/opvolgen/"
    response = page.goto(f"{base}/melden/opvolgen/melding/")
    assert page.url == f"{base}/melden/opvolgen/"
    assert page.locator("[data-testid=code-form]").count() == 1
