"""Mass reports and bulk actions in Debian's Chromium (issue 11 §1-2, issue 12 §3): axe-core
(WCAG 2.1 AA) on the list of mass reports, a mass report's page (with reports and a finished
job), the bulk action's preview, a job's page and the desks page, in Dutch and Arabic, as an
office coordinator; and the bulk flow: tick two cases, "assign", preview, confirm, both
assigned."""

from __future__ import annotations

import pytest

from reports.models import Complaint
from reports.services import incidents as incident_services
from tests.factories import CaseworkerFactory, ComplaintFactory, OfficeCoordinatorFactory
from tests.integration.public_pages import choose_language, chromium  # noqa: F401
from tests.integration.test_accessibility import axe_source, run_axe
from tests.integration.test_end_to_end import (  # noqa: F401 (open_browser is a fixture)
    log_in,
    open_browser,
    submit,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.mark.parametrize("language", ["nl", "ar"])
def test_mass_reports_and_bulk_assign_in_the_browser(
        language, live_server, committed_reference_data,
        open_browser, settings) -> None:  # noqa: F811
    settings.SITE_URL = live_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = True  # jobs run right after the request's commit
    base = live_server.url
    source = axe_source()
    found: dict[str, list[dict]] = {}
    national = OfficeCoordinatorFactory(username="national")
    worker = CaseworkerFactory(username="behandelaar")
    first, second = ComplaintFactory(), ComplaintFactory()
    in_incident = [ComplaintFactory(status="in_progress"), ComplaintFactory(status="closed")]
    from reports.services.reference import current_office

    incident = incident_services.create_incident(office=current_office(), actor=national,
                                                 title="Uitzending")
    incident_services.run_case_job(job_id=incident_services.group_into_incident(
        incident=incident, actor=national, complaints=in_incident).pk)
    job = incident_services.close_incident(incident=incident, actor=national,
                                           outcome="registered_only", handling=["registration"])
    job = incident_services.run_case_job(job_id=job.pk)
    assert (job.state, len(job.skipped)) == ("succeeded", 1)  # the closed one is listed

    page = open_browser("national")
    choose_language(page, base, language)
    log_in(page, base, "national")
    page.goto(f"{base}/backoffice/massameldingen/")
    assert page.locator("[data-testid=incident-row]").count() == 1
    found["incident-list"] = run_axe(page, source)
    page.goto(f"{base}/backoffice/massameldingen/{incident.public_id}/")
    assert page.locator("[data-testid=incident-report]").count() == 2
    page.locator("[data-testid=jobs] details summary").first.click()  # open the skipped list
    found["incident-page"] = run_axe(page, source)
    page.goto(f"{base}/backoffice/taken/{job.public_id}/")
    found["job-page"] = run_axe(page, source)
    page.goto(f"{base}/backoffice/loketten/")
    found["desks"] = run_axe(page, source)

    # The bulk flow on the case list.
    page.goto(f"{base}/backoffice/")
    for case in (first, second):
        page.locator(f"input[name=cases][value='{case.public_id}']").check()
    page.locator("[data-testid=bulk-actions] summary").click()
    page.locator("#bulk-form select[name=action]").select_option("assign")
    page.locator("#bulk-form select[name=assignee]").select_option(str(worker.pk))
    response = submit(page, "#bulk-form button[type=submit]")
    assert response.status == 200
    assert Complaint.objects.filter(assigned_to=worker).count() == 0  # a preview only
    found["bulk-preview"] = run_axe(page, source)
    submit(page, "[data-testid=confirm-form] button[type=submit]")
    assert "/backoffice/taken/" in page.url
    assert sorted(Complaint.objects.filter(assigned_to=worker).values_list("pk", flat=True)) == \
        sorted([first.pk, second.pk])
    found["bulk-job"] = run_axe(page, source)

    offenders = [f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}"
                 for name, violations in found.items() for v in violations]
    assert offenders == [], "\n".join(offenders)
