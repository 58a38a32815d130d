"""Accounts in Chromium (issues 12 and 14): the first-login link, the second factor without
navigation, the coordinators' screen for municipal accounts and the municipal portal, with
axe-core (WCAG 2.1 AA) on each page in Dutch and Arabic."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.models import Complaint, Municipality
from reports.services.accounts import create_municipal_account, invitation_link
from reports.services.complaints import assign_complaint
from reports.services.followup import add_reporter_message
from reports.services.links import link_cases
from tests.factories import PASSWORD, ComplaintFactory, CoordinatorFactory
from tests.integration.public_pages import choose_language, chromium  # noqa: F401
from tests.integration.test_accessibility import axe_source, run_axe

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key):06d}"


def _submit(page, selector: str):
    with page.expect_navigation():
        page.locator(selector).click()


#: The case page's in-page navigation, by its accessible name.
NAV_LABEL = {"nl": "Op deze pagina", "ar": "في هذه الصفحة"}


@pytest.mark.parametrize("language", ["nl", "ar"])
def test_account_pages_in_the_browser(language, live_server, committed_reference_data,
                                      chromium, settings):  # noqa: F811
    settings.SITE_URL = live_server.url
    source = axe_source()
    found: dict[str, list[dict]] = {}
    coordinator = CoordinatorFactory(username="coordinator1")
    TOTPDevice.objects.create(user=coordinator, name="authenticator", confirmed=True)
    base = live_server.url

    page = chromium()
    choose_language(page, base, language)
    page.goto(f"{base}/backoffice/login/")
    page.locator("main input[name=username]").fill("coordinator1")
    page.locator("main input[name=password]").fill(PASSWORD)
    _submit(page, "main form button[type=submit]")
    assert "/backoffice/tweestaps/" in page.url
    # Before the second factor: no menu and no user name in the header.
    assert page.locator("header .nav-link").count() == 0
    assert "coordinator1" not in page.locator("header").inner_text()
    found["second-factor"] = run_axe(page, source)
    page.locator("main input[name=token]").fill(_code(coordinator))
    _submit(page, "main form:has(input[name=token]) button[type=submit]")
    assert page.url == f"{base}/backoffice/werkvoorraad/"
    # The casework pages of issue 12: the work queue with an unread reply, the case list with
    # its marker and place filter, the case page with its correction and link forms, the
    # dashboard with the workload figures.
    case, other = ComplaintFactory(), ComplaintFactory(incident_place="online")
    assign_complaint(complaint=case, actor=coordinator, assignee=coordinator)
    Complaint.objects.filter(pk=case.pk).update(receipt_code_hash="x")
    add_reporter_message(complaint=case, body="Synthetisch antwoord.")
    link_cases(complaint=case, other=other, kind="same_incident", actor=coordinator)
    page.reload()
    assert page.locator("[data-testid=unread]").count() == 1
    found["worklist"] = run_axe(page, source)
    page.goto(f"{base}/backoffice/?incident_place=unknown")
    found["case-list"] = run_axe(page, source)
    page.goto(f"{base}/backoffice/zaken/{case.public_id}/")
    assert page.locator("[data-testid=related-case]").count() == 1
    found["case-page"] = run_axe(page, source)
    # The in-page navigation leads to the timeline, read newest first (issue 12 §3).
    page.get_by_role("navigation", name=NAV_LABEL[language]).locator("a[href='#history']").click()
    page.locator("[data-testid=timeline-order] a").click()
    assert page.url.endswith("?order=newest#history")
    found["case-page-newest-first"] = run_axe(page, source)
    page.goto(f"{base}/backoffice/dashboard/")
    found["dashboard"] = run_axe(page, source)
    # Annual statistics (issue 10): the page with its exact files apart, the release preview
    # with its confirmation, and the access log.
    page.goto(f"{base}{reverse('backoffice:statistics')}?year=2020")
    found["statistics"] = run_axe(page, source)
    page.goto(f"{base}{reverse('backoffice:release_reports', args=[2020])}")
    assert page.locator("[data-testid=confirm]").count() == 1
    found["release-preview"] = run_axe(page, source)
    page.goto(f"{base}{reverse('backoffice:access_log')}")
    found["access-log"] = run_axe(page, source)
    # Reminder periods (issue 12 §3): the form, a refused value, and saved.
    page.goto(f"{base}{reverse('backoffice:reminder_settings')}")
    found["reminders"] = run_axe(page, source)
    page.locator("main input[name=in_progress_days]").fill("0")
    _submit(page, "main form button[type=submit]")
    assert page.locator("main .invalid-feedback").count() == 1
    found["reminders-error"] = run_axe(page, source)
    page.locator("main input[name=in_progress_days]").fill("4")
    _submit(page, "main form button[type=submit]")
    assert page.locator("main input[name=in_progress_days]").input_value() == "4"
    # On a 390 px phone the case list fits without sideways scrolling; filters fold away.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/backoffice/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("details[data-testid=filters]").get_attribute("open") is None
    found["case-list-phone"] = run_axe(page, source)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"{base}/backoffice/gemeenteaccounts/")
    found["municipal-accounts-empty"] = run_axe(page, source)
    page.locator("main input[name=username]").fill("assen")
    page.locator("main input[name=email]").fill("gemeente@assen.example.test")
    page.locator("main input[name=municipalities][value=GM0106]").check()
    _submit(page, "main form:has(input[name=username]) button[type=submit]")
    assert page.locator("[data-testid=account]").count() == 1
    found["municipal-accounts"] = run_axe(page, source)
    page.locator("main input[name=username]").fill("assen")
    _submit(page, "main form:has(input[name=username]) button[type=submit]")
    found["municipal-accounts-error"] = run_axe(page, source)

    account = get_user_model().objects.get(username="assen")
    invited = chromium()
    choose_language(invited, base, language)
    invited.goto(invitation_link(user=account))
    found["invitation"] = run_axe(invited, source)
    invited.locator("main input[name=new_password1]").fill("Een lang genoeg wachtwoord 9")
    invited.locator("main input[name=new_password2]").fill("Een lang genoeg wachtwoord 9")
    _submit(invited, "main form button[type=submit]")
    assert invited.url.startswith(f"{base}/backoffice/login/")
    invited.locator("main input[name=username]").fill("assen")
    invited.locator("main input[name=password]").fill("Een lang genoeg wachtwoord 9")
    _submit(invited, "main form button[type=submit]")
    assert "/backoffice/tweestaps/instellen/" in invited.url
    assert invited.locator("header .nav-link").count() == 0
    found["enrol"] = run_axe(invited, source)

    other = create_municipal_account(username="emmen", email="e@example.test",
                                     municipalities=[Municipality.objects.get(code="GM0114")],
                                     actor=coordinator, invite_by_email=False)
    other.set_password(PASSWORD)
    other.save()
    TOTPDevice.objects.create(user=other, name="authenticator", confirmed=True)
    portal = chromium()
    choose_language(portal, base, language)
    portal.goto(f"{base}/backoffice/login/")
    portal.locator("main input[name=username]").fill("emmen")
    portal.locator("main input[name=password]").fill(PASSWORD)
    _submit(portal, "main form button[type=submit]")
    portal.locator("main input[name=token]").fill(_code(other))
    _submit(portal, "main form:has(input[name=token]) button[type=submit]")
    assert portal.url == f"{base}/gemeente/"
    assert [portal.locator("header .nav-link").nth(i).get_attribute("href")
            for i in range(portal.locator("header .nav-link").count())] == ["/gemeente/"]
    found["portal"] = run_axe(portal, source)
    portal.set_viewport_size({"width": 390, "height": 844})
    portal.reload()
    assert portal.evaluate("document.documentElement.scrollWidth") <= 390
    portal.set_viewport_size({"width": 1280, "height": 800})
    response = portal.goto(f"{base}/backoffice/")
    assert response.status == 403
    found["portal-403"] = run_axe(portal, source)

    offenders = [f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}"
                 for name, violations in found.items() for v in violations]
    assert offenders == [], "\n".join(offenders)
