"""The reply loop in Debian's Chromium: a case waits for the reporter, the reporter answers in
the follow-up portal, the caseworker sees it unread in the work queue and the case list, opens
it, and it is read again and back "in progress", recorded as done by the reporter.

Same style as ``test_followup_browser.py``: Playwright against pytest-django's live server on
PostgreSQL, elements found by form action, field name and ``data-testid``, expected texts through
Django's translations.
"""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_lazy as _

from reports.models import Complaint, OutboundEmail, UnreadCase
from reports.selectors.followup import STATUS_SENTENCES
from reports.services.casework import REPORTER_ACTIVITY
from reports.services.complaints import assign_complaint, change_status, record_message
from reports.vocabulary import Status
from tests.factories import CaseworkerFactory, CoordinatorFactory
from tests.integration.test_end_to_end import (  # noqa: F401 (open_browser is a fixture)
    dutch,
    file_report,
    log_in,
    open_browser,
    submit,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

REPLY = "Het was om half negen, bij de ingang."


def test_reporter_reply_is_seen_and_resumes_the_case(live_server, committed_reference_data,
                                                      open_browser, settings) -> None:  # noqa: F811
    settings.SITE_URL = live_server.url
    base = live_server.url
    reporter = open_browser("reporter")
    file_report(reporter, base, description="Synthetische melding over een winkel.",
                incident="Assen", residence="Assen")
    code = reporter.locator("[data-testid=receipt-code]").inner_text().strip()
    complaint = Complaint.objects.get()

    # The office asks the reporter something and waits.
    coordinator = CoordinatorFactory(username="coordinator1")
    caseworker = CaseworkerFactory(username="caseworker1")
    complaint = assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)
    complaint = change_status(complaint=complaint, actor=coordinator,
                              to_status=Status.AWAITING_REPORTER)
    record_message(complaint=complaint, author=coordinator, direction="out",
                   body="Hoe laat was het?")

    # --- 1. The reporter answers in the portal. ----------------------------------------------
    reporter.goto(f"{base}/melden/opvolgen/")
    reporter.locator("input[name=code]").fill(code)
    submit(reporter, "[data-testid=code-form] button[type=submit]")
    reporter.locator("textarea[name=body]").fill(REPLY)
    response = submit(reporter, "[data-testid=reply-form] button[type=submit]")
    assert response.status == 200
    assert reporter.locator("[data-testid=sent-sentence]").count() == 1
    assert dutch(STATUS_SENTENCES[Status.AWAITING_REPORTER]) not in reporter.content()

    # --- 2. The caseworker lands on the work queue and sees it unread. ----------------------
    page = open_browser("caseworker")
    log_in(page, base, "caseworker1")
    mine = page.locator("[data-testid=my-cases] [data-testid=worklist-row]")
    assert mine.count() == 1
    assert complaint.case_number in mine.inner_text()
    assert mine.locator("[data-testid=unread]").count() == 1

    page.goto(f"{base}/backoffice/?unread=true")
    rows = page.locator("[data-testid=case-row]")
    assert rows.count() == 1
    assert rows.locator("[data-testid=unread]").inner_text() == dutch(_("Unread reply"))

    # --- 3. Opening the case clears it; the status is back in progress, by the reporter. ----
    with page.expect_navigation():
        rows.locator("a", has_text=complaint.case_number).click()
    assert REPLY in page.content()
    reporter_status = page.locator(
        "[data-testid=timeline-entry][data-kind=history][data-by=reporter]")
    assert reporter_status.count() == 1
    assert dutch(Status.IN_PROGRESS.label) in reporter_status.inner_text()
    assert Complaint.objects.get(pk=complaint.pk).status == Status.IN_PROGRESS
    assert UnreadCase.objects.count() == 0

    page.goto(f"{base}/backoffice/?unread=true")
    assert page.locator("[data-testid=case-row]").count() == 0
    page.goto(f"{base}/backoffice/")
    assert page.locator("[data-testid=unread]").count() == 0

    # --- 4. One e-mail to the caseworker: a link, nothing the reporter wrote. ---------------
    [body] = OutboundEmail.objects.filter(kind=REPORTER_ACTIVITY).values_list("body", flat=True)
    assert f"{base}/backoffice/zaken/{complaint.public_id}/" in body
    assert REPLY not in body
