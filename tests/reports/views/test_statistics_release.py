"""Back office: releasing the annual reports, the released versions and their downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from reports.models import AnnualReport, StatisticsRun
from reports.services.reference import current_office
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


def confirm(client, **extra):
    """Open the preview and confirm it: the POST the preview's form sends."""
    preview = client.get(RELEASE_URL)
    assert preview.status_code == 200
    return client.post(RELEASE_URL, {"fingerprint": preview.context["plan"].fingerprint,
                                     "confirm": "yes"}, **extra)


def test_release_refuses_other_methods(login_as, coordinator, year_2020):
    assert login_as(coordinator).put(RELEASE_URL).status_code == 405


def test_coordinator_releases_and_sees_the_versions(login_as, coordinator, year_2020):
    client = login_as(coordinator)

    response = confirm(client)

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

    again = confirm(client, follow=True)
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
    assert emmen[0]["changes"][:2] == [
        "total · Totaal · resident_elsewhere: 0 → x", "total · Totaal · total: 1 → 2"]
    assert emmen[1]["changes"] == []
    assert "total · Totaal · total: 1 → 2" in page.content.decode()


def test_failed_audit_shows_the_error_and_releases_nothing(login_as, coordinator, year_2020,
                                                           monkeypatch):
    from reports import disclosure

    monkeypatch.setattr(disclosure, "audit", lambda protected, **kwargs: disclosure.AuditResult(
        failures=[disclosure.AuditFailure(table="ground", row="race", column="total", low=0,
                                          high=0)]))

    from reports.services.reports import release_preview

    fingerprint = release_preview(office=current_office(), year=2020).fingerprint
    page = login_as(coordinator).post(RELEASE_URL, {"fingerprint": fingerprint,
                                                    "confirm": "yes"}, follow=True)

    assert [str(m) for m in page.context["messages"]][0].startswith(
        "The disclosure audit failed for Meldpunt Discriminatie Drenthe (office): cell 2. "
        "Discriminatiegrond / Ras (herkomst/huidskleur) / total; Aa en Hunze (GM1680): cell")
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
    assert lines[1] == ["total", "total", "Totaal", "", "", "", "", "4",
                        "resident_here;resident_elsewhere;resident_total;non_resident_here"]
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


# --- issue 10 §4: preview, confirmation bound to the previewed state, the office summary -----


def test_preview_needs_the_release_permission(login_as, year_2020, caseworker):
    assert Client().get(RELEASE_URL).status_code == 302
    assert login_as(statistics_user("run_annual_statistics")).get(RELEASE_URL).status_code == 403
    assert login_as(caseworker).get(RELEASE_URL).status_code == 403


def test_preview_shows_the_protected_forms_and_never_releases(login_as, coordinator, year_2020):
    page = login_as(coordinator).get(RELEASE_URL)

    assert page.status_code == 200
    assert AnnualReport.objects.count() == 0
    scopes = page.context["scopes"]
    assert [item["plan"].scope for item in scopes][:3] == ["office", "GM1680", "GM0106"]
    assert len(scopes) == 13
    assert all(item["plan"].gets_new_version and item["plan"].previous is None
               for item in scopes)
    assen = next(item for item in scopes if item["plan"].scope == "GM0106")
    assert assen["tables"][0]["title"] == "1. Totaal aantal klachten"
    assert len(assen["tables"]) == 5
    html = page.content.decode()
    assert 'name="fingerprint"' in html and 'name="confirm"' in html
    assert page["Cache-Control"].startswith("max-age=0")
    # The office summary says why complaints > cases: 4 on the forms, 3 cases.
    assert page.context["plan"].summary_complaints == 4
    assert page.context["plan"].cases == 3
    assert page.context["twice"] == 1
    assert "The office summary counts 4 complaints on the municipal forms, from 3 cases" in html


def test_release_without_the_confirmation_releases_nothing(login_as, coordinator, year_2020):
    client = login_as(coordinator)
    fingerprint = client.get(RELEASE_URL).context["plan"].fingerprint

    for data in ({}, {"fingerprint": fingerprint}, {"confirm": "yes"},
                 {"fingerprint": fingerprint, "confirm": "no"}):
        response = client.post(RELEASE_URL, data)
        assert response.status_code == 302
        assert response["Location"] == RELEASE_URL
    page = client.get(RELEASE_URL)
    assert [str(m) for m in page.context["messages"]] == [
        "Tick the confirmation to release the reports."] * 4
    assert AnnualReport.objects.count() == 0


def test_a_run_between_preview_and_confirmation_is_refused(login_as, coordinator, year_2020,
                                                           office):
    from reports.services.statistics import execute_statistics_run

    client = login_as(coordinator)
    fingerprint = client.get(RELEASE_URL).context["plan"].fingerprint
    ComplaintFactory(reporter_residence="GM0114", incident_municipality="GM0114")
    run = StatisticsRun.objects.create(office=office, year=2020)
    execute_statistics_run(run_id=run.pk)

    response = client.post(RELEASE_URL, {"fingerprint": fingerprint, "confirm": "yes"},
                           follow=True)

    assert response.redirect_chain == [(RELEASE_URL, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "The forms or the released versions of 2020 changed after the preview; nothing was "
        "released. Check the new preview and confirm again."]
    assert AnnualReport.objects.count() == 0
    assert response.context["plan"].fingerprint != fingerprint


def test_a_release_between_preview_and_confirmation_is_refused(login_as, coordinator,
                                                               year_2020, office):
    client = login_as(coordinator)
    fingerprint = client.get(RELEASE_URL).context["plan"].fingerprint
    release_annual_reports(office=office, year=2020)  # another coordinator, meanwhile

    response = client.post(RELEASE_URL, {"fingerprint": fingerprint, "confirm": "yes"})

    assert response.status_code == 302
    assert AnnualReport.objects.count() == 13


def test_preview_after_a_change_shows_what_changes_and_reuses_the_rest(login_as, coordinator,
                                                                      released, office):
    from reports.services.statistics import execute_statistics_run

    ComplaintFactory(reporter_residence="GM0114", incident_municipality="GM0114")
    run = StatisticsRun.objects.create(office=office, year=2020)
    execute_statistics_run(run_id=run.pk)

    page = login_as(coordinator).get(RELEASE_URL)

    plans = {item["plan"].scope: item for item in page.context["scopes"]}
    assert {scope for scope, item in plans.items() if item["plan"].gets_new_version} == {
        "office", "GM0114"}
    assert {scope for scope, item in plans.items() if item["plan"].reused} == (
        set(plans) - {"office", "GM0114"})
    # Table 1's columns are protected too (issue 10 §2): only the grand total is exact.
    assert plans["GM0114"]["changes"][:3] == [
        "total · Totaal · resident_elsewhere: 0 → x", "total · Totaal · total: 1 → 2",
        "ground · Ras (herkomst/huidskleur) · resident_here: x → 0"]
    assert plans["GM0106"]["tables"] == []  # unchanged: no form to check


def test_statistics_page_keeps_exact_files_apart_and_explains_the_summary(login_as, coordinator,
                                                                         released):
    html = login_as(coordinator).get(f"{STATISTICS_URL}?year=2020").content.decode()

    exact = html.index('data-testid="exact"')
    assert html.index('data-testid="released"') < exact
    assert "/backoffice/statistiek/2020.zip" in html[exact:]
    assert "/backoffice/statistiek/2020.zip" not in html[:exact]
    assert "4 complaints on the municipal forms, from 3 cases" in html
    assert f'action="{RELEASE_URL}"' in html and 'method="get"' in html


@pytest.mark.parametrize("year", [1999, 2101, 32768, 99999, 10000])
def test_a_year_that_cannot_be_counted_is_not_found(login_as, coordinator, office, year):
    client = login_as(coordinator)

    # Every statistics URL with a year outside 2000..2100 is unknown (404), not a page with a
    # message.
    responses = [client.get(f"/backoffice/statistiek/{year}/vrijgeven/"),
                 client.post(f"/backoffice/statistiek/{year}/vrijgeven/",
                             {"fingerprint": "x", "confirm": "yes"}),
                 client.get(f"/backoffice/statistiek/{year}.zip"),
                 client.get(f"/backoffice/statistiek/{year}/GM0106.json"),
                 client.get(f"/backoffice/statistiek/{year}/landelijk.csv")]
    assert [response.status_code for response in responses] == [404] * 5
    assert StatisticsRun.objects.count() == 0
    assert AnnualReport.objects.count() == 0


def test_the_first_and_last_countable_years_resolve(login_as, coordinator, office):
    client = login_as(coordinator)

    # In range: the (empty) preview of 2000; 2100 is refused with a message (302), not 404.
    assert [client.get(f"/backoffice/statistiek/{year}/vrijgeven/").status_code
            for year in (2000, 2100)] == [200, 302]
