"""Reply templates in Debian's Chromium (issue 12 §3): a coordinator writes a standard text on
the back-office screen, a caseworker uses it on the case page (without JavaScript: the picker is
a GET form), edits it and records it; axe-core (WCAG 2.1 AA) on the screen, its error state and
the case page with a filled message, in Dutch and Arabic."""

from __future__ import annotations

import pytest

from reports.models import Complaint, Message, ReplyTemplate
from reports.services.complaints import assign_complaint
from tests.factories import ComplaintFactory, CoordinatorFactory
from tests.integration.public_pages import choose_language, chromium  # noqa: F401
from tests.integration.test_accessibility import axe_source, run_axe
from tests.integration.test_end_to_end import (  # noqa: F401 (open_browser is a fixture)
    log_in,
    open_browser,
    submit,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.parametrize("language", ["nl", "ar"])
def test_reply_templates_in_the_browser(language, live_server, committed_reference_data,
                                        open_browser, settings) -> None:  # noqa: F811
    settings.SITE_URL = live_server.url
    base = live_server.url
    source = axe_source()
    found: dict[str, list[dict]] = {}
    coordinator = CoordinatorFactory(username="coordinator1")
    case = ComplaintFactory(reporter_language="ar")
    assign_complaint(complaint=case, actor=coordinator, assignee=coordinator)
    case = Complaint.objects.get(pk=case.pk)
    page = open_browser("coordinator")
    choose_language(page, base, language)
    log_in(page, base, "coordinator1")

    page.goto(f"{base}/backoffice/antwoordsjablonen/")
    found["templates"] = run_axe(page, source)
    page.goto(f"{base}/backoffice/antwoordsjablonen/nieuw/")
    found["template-new"] = run_axe(page, source)
    response = submit(page, "[data-testid=reply-template-form] button[type=submit]")
    assert response.status == 400
    assert page.locator("main .invalid-feedback").count() == 2  # title and text
    found["template-errors"] = run_axe(page, source)
    form = "[data-testid=reply-template-form]"
    page.locator(f"{form} input[name=title]").fill("إشعار بالاستلام")
    page.locator(f"{form} select[name=language]").select_option("ar")
    page.locator(f"{form} textarea[name=body]").fill("رقم قضيتك هو {zaaknummer}. {{ evil }}")
    submit(page, "[data-testid=reply-template-form] button[type=submit]")
    assert page.url == f"{base}/backoffice/antwoordsjablonen/"
    template = ReplyTemplate.objects.get(language="ar")

    # The case page: the reporter wrote in Arabic, so the Arabic text is preselected.
    page.goto(f"{base}/backoffice/zaken/{case.public_id}/")
    assert page.locator("select[name=template]").input_value() == str(template.pk)
    submit(page, "[data-testid=reply-template-picker] button[type=submit]")
    assert page.url.endswith(f"?template={template.pk}#messages")
    body = page.locator("[data-testid=message-form] textarea[name=body]")
    assert body.input_value() == f"رقم قضيتك هو {case.case_number}. {{{{ evil }}}}"
    found["case-page-template"] = run_axe(page, source)
    body.fill(body.input_value() + "\nشكرًا.")
    submit(page, "[data-testid=message-form] button[type=submit]")
    message = Message.objects.get(complaint=case)
    # Browsers send a textarea's line breaks as CRLF.
    assert (message.direction, message.body.replace("\r\n", "\n")) == (
        Message.Direction.TO_REPORTER, f"رقم قضيتك هو {case.case_number}. {{{{ evil }}}}\nشكرًا.")

    offenders = [f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}"
                 for name, violations in found.items() for v in violations]
    assert offenders == [], "\n".join(offenders)
