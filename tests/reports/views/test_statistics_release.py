"""Back office: releasing the annual reports, the released versions and their downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from reports.models import AnnualReport, StatisticsRun
from reports.services.reports import release_annual_reports
from tests.factories import ComplaintFactory, UserFactory
from tests.reports.rendering.year import hand_made_year

STATISTICS_URL = "/backoffice/statistiek/"
RELEASE_URL = "/backoffice/statistiek/2020/vrijgeven/"


@pytest.fixture
def login_as(login_as):
    """Logged-in clients that ask for English pages (messages compared with the msgids)."""
    def login(user):
        client = login_as(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client
    return login


@pytest.fixture
def year_2020(office):
    hand_made_year()


@pytest.fixture
def released(year_2020, office):
    release_annual_reports(office=office, year=2020)
    return {report.scope: report for report in AnnualReport.objects.all()}


def statistics_user(*codenames: str):
    """A user holding exactly these ``reports`` permissions."""
    user = UserFactory(username="-".join(codenames) or "none")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="reports",
                                                         codename__in=codenames))
    return user


def test_release_needs_login(year_2020):
    response = Client().post(RELEASE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/login/?next={RELEASE_URL}"
    assert AnnualReport.objects.count() == 0


@pytest.mark.parametrize("codenames", [(), ("run_annual_statistics",)])
def test_release_needs_the_release_permission(login_as, year_2020, codenames):
    client = login_as(statistics_user(*codenames))

    assert client.post(RELEASE_URL).status_code == 403
    assert AnnualReport.objects.count() == 0


def test_caseworker_cannot_release(login_as, caseworker, year_2020):
    assert login_as(caseworker).post(RELEASE_URL).status_code == 403
    assert AnnualReport.objects.count() == 0


def test_release_is_post_only(login_as, coordinator, year_2020):
    assert login_as(coordinator).get(RELEASE_URL).status_code == 405


def test_coordinator_releases_and_sees_the_versions(login_as, coordinator, year_2020):
    client = login_as(coordinator)

    response = client.post(RELEASE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{STATISTICS_URL}?year=2020"
    assert AnnualReport.objects.count() == 13
    assert set(AnnualReport.objects.values_list("released_by", flat=True)) == {coordinator.pk}
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        "13 new report versions were released."]
    items = page.context["released"]
    assert [(i["report"].scope, i["report"].version, i["latest"]) for i in items][:3] == [
        ("office", 1, True), ("GM1680", 1, True), ("GM0106", 1, True)]
    assert page.context["years"] == [2020]

    again = client.post(RELEASE_URL, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Nothing changed since the last release; no new versions."]
    assert AnnualReport.objects.count() == 13


def test_page_lists_what_changed(login_as, coordinator, released, office):
    ComplaintFactory(reporter_residence="GM0114", incident_municipality="GM0114")
    run = StatisticsRun.objects.create(office=office, year=2020)
    from reports.services.statistics import execute_statistics_run

    execute_statistics_run(run_id=run.pk)
    release_annual_reports(office=office, year=2020, run=run)

    page = login_as(coordinator).get(f"{STATISTICS_URL}?year=2020")

    emmen = [i for i in page.context["released"] if i["report"].scope == "GM0114"]
    assert [(i["report"].version, i["latest"]) for i in emmen] == [(2, True), (1, False)]
    assert emmen[0]["changes"][:3] == [
        "total · Totaal · resident_here: 0 → 1", "total · Totaal · resident_total: 0 → 1",
        "total · Totaal · total: 1 → 2"]
    assert emmen[1]["changes"] == []
    assert "total · Totaal · total: 1 → 2" in page.content.decode()


def test_failed_audit_shows_the_error_and_releases_nothing(login_as, coordinator, year_2020,
                                                           monkeypatch):
    from reports import disclosure

    monkeypatch.setattr(disclosure, "audit", lambda protected, **kwargs: disclosure.AuditResult(
        failures=[disclosure.AuditFailure(table="ground", row="race", column="total", low=0,
                                          high=0)]))

    page = login_as(coordinator).post(RELEASE_URL, follow=True)

    assert [str(m) for m in page.context["messages"]][0].startswith(
        "The disclosure audit failed for office, GM1680, GM0106")
    assert AnnualReport.objects.count() == 0


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("pdf", "application/pdf"), ("csv", "text/csv; charset=utf-8"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_protected_downloads(login_as, coordinator, released, fmt, content_type):
    report = released["GM0106"]

    response = login_as(coordinator).get(f"{STATISTICS_URL}rapport/{report.public_id}.{fmt}")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="2020-GM0106-v1.{fmt}"'


def test_protected_csv_of_the_office_summary(login_as, coordinator, released):
    response = login_as(coordinator).get(
        f"{STATISTICS_URL}rapport/{released['office'].public_id}.csv")

    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[1] == ["total", "total", "Totaal", "1", "1", "2", "2", "4", ""]
    assert lines[2][3:] == ["", "", "", "", "", ";".join(
        ["resident_here", "resident_elsewhere", "resident_total", "non_resident_here", "total"])]


def test_exact_downloads_need_the_exact_permission(login_as, coordinator, released):
    report = released["GM0106"]
    exact_url = f"{STATISTICS_URL}rapport/{report.public_id}/exact.csv"
    runner = login_as(statistics_user("run_annual_statistics"))

    assert Client().get(exact_url).status_code == 302
    assert runner.get(exact_url).status_code == 403
    assert runner.get(f"{STATISTICS_URL}rapport/{report.public_id}.csv").status_code == 200
    assert runner.get("/backoffice/statistiek/2020/GM0106.json").status_code == 403
    assert runner.get("/backoffice/statistiek/2020.zip").status_code == 403

    response = login_as(coordinator).get(exact_url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="2020-GM0106-v1-exact.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[2] == ["ground", "race", "Ras (herkomst/huidskleur)", "1", "1", "2", "0", "2"]
    exact_json = login_as(coordinator).get(
        f"{STATISTICS_URL}rapport/{report.public_id}/exact.json").json()
    assert exact_json["tables"] == report.exact_data["tables"]
    # There is no exact PDF.
    assert login_as(coordinator).get(
        f"{STATISTICS_URL}rapport/{report.public_id}/exact.pdf").status_code == 404


def test_downloads_of_unknown_reports_are_404(login_as, coordinator, released):
    client = login_as(coordinator)

    assert client.get(f"{STATISTICS_URL}rapport/00000000-0000-4000-8000-000000000000.pdf"
                      ).status_code == 404
    assert client.get(f"{STATISTICS_URL}rapport/not-a-uuid.pdf").status_code == 404
    assert client.get(f"{STATISTICS_URL}rapport/{released['GM0106'].public_id}.doc"
                      ).status_code == 404


def test_downloads_need_permission(login_as, caseworker, released):
    url = f"{STATISTICS_URL}rapport/{released['GM0106'].public_id}.pdf"

    assert Client().get(url).status_code == 302
    assert login_as(caseworker).get(url).status_code == 403


def test_run_progress(login_as, coordinator, caseworker, released):
    run = StatisticsRun.objects.get()
    url = f"{STATISTICS_URL}run/{run.public_id}.json"

    assert Client().get(url).status_code == 302
    assert login_as(caseworker).get(url).status_code == 403
    response = login_as(coordinator).get(url)
    assert json.loads(response.content) == {"state": "succeeded", "progress": 12,
                                            "progress_total": 12, "year": 2020}
    page = login_as(coordinator).get(STATISTICS_URL)
    assert "12 of 12 municipalities" in page.content.decode()
