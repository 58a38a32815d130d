"""The whole product in a real browser: public report, back-office handling, annual statistics.

Debian's Chromium (driven by Playwright) talks to pytest-django's live server on PostgreSQL; the
statistics are counted by a real Celery worker process that receives the job through Redis.

Elements are selected by form action, field name and ``data-testid`` rather than by visible text,
and expected texts are computed through Django's translations, so the test holds whether the
Dutch translations are compiled or not.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import os
import time
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.utils import translation

from reports.forms import IntakeForm
from reports.models import AnnualSnapshot, Complaint, ComplaintHistory, StatisticsRun
from reports.vocabulary import Channel, Status
from tests.factories import PASSWORD, CaseworkerFactory, CoordinatorFactory
from tests.integration.conftest import require
from tests.integration.expected_forms import SERVED, cells, expected_tables

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ACTION_TIMEOUT_MS = 15_000
RUN_TIMEOUT_S = 60.0
ASSEN, EMMEN = "GM0106", "GM0114"

FIRST_DESCRIPTION = ("Bij de bakker in Assen werd ik als enige niet geholpen en werd er over "
                     "mijn hoofddoek gegrapt. Kenmerk-zin-7f3a.")
SECOND_DESCRIPTION = "Op het station werd mij de toegang tot de wachtruimte geweigerd. Zin-91bc."


def dutch(text) -> str:
    """A (lazy) translatable string as the Dutch UI shows it."""
    with translation.override("nl"):
        return str(text)


@pytest.fixture
def open_browser(tmp_path, monkeypatch) -> Iterator[Callable]:
    """``open_browser(name)`` starts Chromium with a fresh profile and returns a page in it."""
    require(os.access(CHROMIUM, os.X_OK), f"browser tests need Debian's Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls this test makes
    # between browser steps are ordinary blocking calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    contexts = []
    with sync_playwright() as playwright:
        def launch(name: str):
            profile = tmp_path / f"chromium-{name}"
            profile.mkdir()
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                locale="nl-NL", timezone_id="Europe/Amsterdam")
            contexts.append(context)
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
            return context.pages[0] if context.pages else context.new_page()

        try:
            yield launch
        finally:
            for context in contexts:
                context.close()
            # ORM calls made while Playwright runs get their own connection (Django keeps
            # connections in context-local storage, and Playwright runs this code in a greenlet
            # with its own context); close it here, or it outlives the test database.
            connections.close_all()


def submit(page, selector: str):
    """Click a submit button and return the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    return navigation.value


def file_report(page, base_url: str, *, description: str, incident: str, residence: str,
                email: str = "", name: str = "", consent: bool = False):
    page.goto(f"{base_url}/melden/")
    page.locator("textarea[name=description]").fill(description)
    page.locator("input[name=incident_date]").fill(
        datetime.datetime.now(AMSTERDAM).date().isoformat())
    page.locator("select[name=incident_municipality]").select_option(label=incident)
    page.locator("select[name=reporter_residence]").select_option(label=residence)
    if name:
        page.locator("input[name=reporter_name]").fill(name)
    if email:
        page.locator("input[name=reporter_email]").fill(email)
    if consent:
        page.locator("input[name=consent_to_contact]").check()
    return submit(page, "input[type=submit][name=submit]")


def log_in(page, base_url: str, username: str) -> None:
    """Password, then the code of an authenticator made for the user (second factor); lands on
    the work queue ("Mijn werkvoorraad") of a user who handles cases."""
    from django.contrib.auth import get_user_model
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=get_user_model().objects.get(username=username), confirmed=True)
    page.goto(f"{base_url}/backoffice/login/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(PASSWORD)
    response = submit(page, "main form button[type=submit]")
    assert response.status == 200
    assert page.url == (f"{base_url}/backoffice/tweestaps/"
                        "?next=%2Fbackoffice%2Fwerkvoorraad%2F")
    page.locator("main input[name=token]").fill(f"{totp(device.bin_key):06d}")
    response = submit(page, "main form:has(input[name=token]) button[type=submit]")
    assert response.status == 200
    assert page.url == f"{base_url}/backoffice/werkvoorraad/"


def test_report_handle_and_count(live_server, committed_reference_data, celery_through_redis,
                                 open_browser, caplog) -> None:
    caplog.set_level(logging.INFO)
    base = live_server.url
    year = datetime.datetime.now(AMSTERDAM).year
    worker = celery_through_redis

    # --- 1. A reporter files two reports through the public form. ---------------------------
    reporter = open_browser("reporter")

    # A typo in the e-mail address that the browser lets through but the server rejects: the
    # translated error is shown and nothing the reporter typed is lost.
    response = file_report(reporter, base, description=FIRST_DESCRIPTION, incident="Assen",
                           residence="Assen", email="fatima@voorbeeld", name="Fatima",
                           consent=True)
    assert response.status == 400
    assert reporter.url == f"{base}/melden/"
    assert reporter.locator("html").get_attribute("lang") == "nl"
    expected_error = dutch(IntakeForm.base_fields["reporter_email"].error_messages["invalid"])
    assert reporter.locator(".invalid-feedback").all_inner_texts() == [expected_error]
    summary = reporter.locator("main [role=alert]")
    assert summary.locator("p").inner_text() == dutch(translation.gettext_lazy(
        "Please check the fields marked below. Nothing you typed has been lost."))
    # The error summary names and links each field in error.
    assert summary.locator("li").all_inner_texts() == [
        f"{dutch(IntakeForm.base_fields['reporter_email'].label)}: {expected_error}"]
    assert summary.locator("li a").get_attribute("href") == "#id_reporter_email"
    assert reporter.locator("textarea[name=description]").input_value() == FIRST_DESCRIPTION
    assert reporter.locator("input[name=reporter_email]").input_value() == "fatima@voorbeeld"
    assert reporter.locator("input[name=consent_to_contact]").is_checked()
    assert Complaint.objects.count() == 0

    reporter.locator("input[name=reporter_email]").fill("fatima@voorbeeld.nl")
    response = submit(reporter, "input[type=submit][name=submit]")
    assert response.status == 200
    assert reporter.url == f"{base}/melden/bedankt/"
    first_number = f"MDD-{year}-0001"
    assert reporter.locator("[data-testid=case-number]").inner_text() == first_number
    assert FIRST_DESCRIPTION not in reporter.content()
    assert "Kenmerk-zin-7f3a" not in reporter.content()

    response = file_report(reporter, base, description=SECOND_DESCRIPTION, incident="Assen",
                           residence="Emmen")
    assert response.status == 200
    assert reporter.url == f"{base}/melden/bedankt/"
    second_number = f"MDD-{year}-0002"
    assert reporter.locator("[data-testid=case-number]").inner_text() == second_number
    assert SECOND_DESCRIPTION not in reporter.content()

    assert Complaint.objects.count() == 2
    first = Complaint.objects.get(case_number=first_number)
    assert (first.description, first.channel, first.status, first.contact_type) == (
        FIRST_DESCRIPTION, Channel.ONLINE, Status.NEW, "report")
    assert (first.incident_municipality_id, first.reporter_residence_id) == (ASSEN, ASSEN)
    assert (first.reporter_name, first.reporter_email, first.consent_to_contact) == (
        "Fatima", "fatima@voorbeeld.nl", True)
    assert first.incident_date == datetime.datetime.now(AMSTERDAM).date()
    assert first.assigned_to is None
    second = Complaint.objects.get(case_number=second_number)
    assert (second.description, second.incident_municipality_id,
            second.reporter_residence_id) == (SECOND_DESCRIPTION, ASSEN, EMMEN)
    assert (second.reporter_name, second.reporter_email, second.consent_to_contact) == (
        "", "", False)

    # --- 2. A caseworker takes the first case, classifies it and closes it. -----------------
    caseworker = CaseworkerFactory(username="caseworker1")
    page = casework = open_browser("caseworker")
    log_in(page, base, "caseworker1")
    page.goto(f"{base}/backoffice/")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(0).inner_text() == second_number  # newest first
    assert rows.nth(1).locator("td").nth(0).inner_text() == first_number
    with page.expect_navigation():
        page.get_by_role("link", name=first_number, exact=True).click()
    detail_url = f"{base}/backoffice/zaken/{first.public_id}/"
    assert page.url == detail_url
    status = page.locator("[data-testid=status]")
    assert status.inner_text() == dutch(Status.NEW.label)
    # Not yours yet: no classification or status forms, only "take this case".
    assert page.locator('form[action$="/classificeren/"]').count() == 0
    assert page.locator('form[action$="/status/"]').count() == 0

    response = submit(page, 'form[action$="/oppakken/"] button[type=submit]')
    assert response.status == 200
    assert page.url == detail_url
    assert page.locator('form[action$="/oppakken/"]').count() == 0
    first.refresh_from_db()
    assert first.assigned_to_id == caseworker.pk

    form = page.locator('form[action$="/classificeren/"]')
    form.locator("select[name=contact_type]").select_option("report")
    form.locator("input[name=grounds][value=race]").check()
    form.locator("input[name=grounds][value=religion]").check()
    form.locator("select[name=societal_domain]").select_option("hospitality")
    form.locator("select[name=nature]").select_option("hostile_treatment")
    form.locator("input[name=handling][value=registration]").check()
    form.locator("input[name=handling][value=advice_information]").check()
    response = submit(page, 'form[action$="/classificeren/"] button[type=submit]')
    assert response.status == 200
    assert page.url == f"{detail_url}#classification"  # back at the section just saved
    assert page.locator("main .alert-danger").count() == 0
    first.refresh_from_db()
    assert sorted(first.grounds.values_list("code", flat=True)) == ["race", "religion"]
    assert sorted(first.handling.values_list("code", flat=True)) == [
        "advice_information", "registration"]
    assert (first.contact_type, first.societal_domain, first.nature) == (
        "report", "hospitality", "hostile_treatment")
    form = page.locator('form[action$="/classificeren/"]')
    assert form.locator("input[name=grounds]:checked").count() == 2
    assert form.locator("input[name=handling]:checked").count() == 2

    for target in (Status.IN_PROGRESS, Status.CLOSED):
        page.locator('form[action$="/status/"] select[name=to_status]').select_option(target)
        if target == Status.CLOSED:
            page.locator('form[action$="/status/"] select[name=outcome]').select_option(
                "resolved")
        response = submit(page, 'form[action$="/status/"] button[type=submit]')
        assert response.status == 200
        assert page.url == f"{detail_url}#status"
        assert page.locator("[data-testid=status]").inner_text() == dutch(target.label)
    assert page.locator("main .alert-danger").count() == 0
    first.refresh_from_db()
    assert first.status == Status.CLOSED
    assert list(ComplaintHistory.objects.filter(complaint=first).order_by("at", "pk")
                .values_list("action", "from_value", "to_value")) == [
        ("created", "", "new"),
        ("assignment", "", "caseworker1"),
        ("classification",
         "type=report;grounds=;domain=;nature=;handling=",
         "type=report;grounds=race,religion;domain=hospitality;nature=hostile_treatment;"
         "handling=advice_information,registration"),
        ("status", "new", "in_progress"),
        ("status", "in_progress", "closed:resolved"),
    ]
    second.refresh_from_db()
    assert (second.status, second.assigned_to_id) == (Status.NEW, None)

    # --- 3. The coordinator runs this year's statistics; the worker counts them. ------------
    CoordinatorFactory(username="coordinator1")
    page = open_browser("coordinator")
    log_in(page, base, "coordinator1")
    page.goto(f"{base}/backoffice/statistiek/")
    mark = worker.mark()
    page.locator("main form input[name=year]").fill(str(year))
    response = submit(page, "main form button[type=submit]")
    assert response.status == 200
    assert page.url == f"{base}/backoffice/statistiek/?year={year}"
    assert StatisticsRun.objects.count() == 1
    run = StatisticsRun.objects.get()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while run.state not in (StatisticsRun.State.SUCCEEDED, StatisticsRun.State.FAILED):
        assert time.monotonic() < deadline, f"run still {run.state} after {RUN_TIMEOUT_S} s"
        time.sleep(0.2)
        run.refresh_from_db()
    assert (run.state, run.year, run.error) == (StatisticsRun.State.SUCCEEDED, year, "")
    assert run.requested_by.username == "coordinator1"
    # Counted by the worker process (through Redis), not inline in the live server.
    log = worker.wait_for_log(f"statistics run {run.pk} stored 12 forms for {year}", since=mark)
    assert log.count("Task reports.tasks.build_annual_statistics[") == 2  # received, succeeded
    assert [r for r in caplog.records if r.name == "reports.services.statistics"] == []
    assert AnnualSnapshot.objects.filter(year=year).count() == 12
    assert sorted(AnnualSnapshot.objects.filter(year=year)
                  .values_list("municipality_id", flat=True)) == sorted(SERVED)

    page.reload()
    runs = page.locator("[data-testid=runs] tbody tr")
    assert runs.count() == 1
    assert runs.nth(0).locator("td").nth(0).inner_text() == str(year)
    assert runs.nth(0).locator("td").nth(1).inner_text() == dutch(
        StatisticsRun.State.SUCCEEDED.label)
    totals = {}
    for row in page.locator("[data-testid=snapshots] tbody tr").all():
        municipality, total = row.locator("td").nth(0), row.locator("td").nth(1)
        totals[municipality.inner_text()] = total.inner_text()
    assert len(totals) == 12
    assert totals["Assen (GM0106)"] == "2"
    assert totals["Emmen (GM0114)"] == "1"
    assert sorted(v for k, v in totals.items() if "GM0106" not in k and "GM0114" not in k) == [
        "0"] * 10

    assen = page.request.get(f"{base}/backoffice/statistiek/{year}/{ASSEN}.json")
    assert assen.status == 200
    assert assen.headers["content-disposition"] == (
        f'attachment; filename="{year}-{ASSEN}.json"')
    document = assen.json()
    assert document["year"] == year
    assert document["municipality"] == {"code": ASSEN, "name": "Assen"}
    assert document["tables"] == expected_tables({
        "total": {"total": cells(1, 0, 1, resident_total=1, total=2)},
        "ground": {
            "race": cells(1, 0, 0, resident_total=1, total=1),
            "religion": cells(1, 0, 0, resident_total=1, total=1),
            "unknown": cells(0, 0, 1, resident_total=0, total=1),
            "total": cells(2, 0, 1, resident_total=2, total=3),
        },
        "societal_domain": {
            "hospitality": cells(1, 0, 0, resident_total=1, total=1),
            "unknown": cells(0, 0, 1, resident_total=0, total=1),
            "total": cells(1, 0, 1, resident_total=1, total=2),
        },
        "nature": {
            "hostile_treatment": cells(1, 0, 0, resident_total=1, total=1),
            "unknown": cells(0, 0, 1, resident_total=0, total=1),
            "total": cells(1, 0, 1, resident_total=1, total=2),
        },
        "handling": {
            "registration": cells(1, 0, 0, resident_total=1, total=1),
            "advice_information": cells(1, 0, 0, resident_total=1, total=1),
            "total": cells(2, 0, 0, resident_total=2, total=2),
        },
    })

    emmen = page.request.get(f"{base}/backoffice/statistiek/{year}/{EMMEN}.json")
    assert emmen.status == 200
    assert emmen.json()["tables"] == expected_tables({
        "total": {"total": cells(0, 1, 0, resident_total=1, total=1)},
        "ground": {"unknown": cells(0, 1, 0, resident_total=1, total=1),
                   "total": cells(0, 1, 0, resident_total=1, total=1)},
        "societal_domain": {"unknown": cells(0, 1, 0, resident_total=1, total=1),
                            "total": cells(0, 1, 0, resident_total=1, total=1)},
        "nature": {"unknown": cells(0, 1, 0, resident_total=1, total=1),
                   "total": cells(0, 1, 0, resident_total=1, total=1)},
    })

    assen_csv = page.request.get(f"{base}/backoffice/statistiek/{year}/{ASSEN}.csv")
    assert assen_csv.status == 200
    lines = {(line[0], line[1]): line[3:]
             for line in csv.reader(io.StringIO(assen_csv.text()))}
    assert len(lines) == 1 + 49
    assert lines[("total", "total")] == ["1", "0", "1", "1", "2"]
    assert lines[("ground", "race")] == ["1", "0", "1", "0", "1"]
    assert lines[("ground", "unknown")] == ["0", "0", "0", "1", "1"]
    assert lines[("ground", "total")] == ["2", "0", "2", "1", "3"]

    # The caseworker has no access to the statistics.
    response = casework.goto(f"{base}/backoffice/statistiek/")
    assert response.status == 403
