"""The municipal portal at ``/gemeente/``: only the account's own municipalities' released,
protected reports; nothing of the back office."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from django.test import Client

from reports.models import AnnualReport, Complaint, Municipality, StatisticsRun
from reports.services.reports import link_municipal_account, release_annual_reports
from reports.services.statistics import execute_statistics_run
from tests.factories import ComplaintFactory, UserFactory
from tests.reports.rendering.year import hand_made_year

PORTAL_URL = "/gemeente/"


@pytest.fixture
def released(office):
    hand_made_year()
    release_annual_reports(office=office, year=2020)
    return {report.scope: report for report in AnnualReport.objects.all()}


@pytest.fixture
def assen_account(reference_data):
    user = UserFactory(username="assen", email="assen@example.invalid")
    link_municipal_account(user=user, municipality=Municipality.objects.get(code="GM0106"))
    return user


def test_portal_needs_login():
    response = Client().get(PORTAL_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/login/?next={PORTAL_URL}"


def test_accounts_without_a_municipality_see_nothing(login_as, plain_user, coordinator,
                                                     caseworker, released):
    for user in (plain_user, coordinator, caseworker):
        client = login_as(user)
        page = client.get(PORTAL_URL)
        assert page.status_code == 200
        assert (page.context["released"], page.context["municipalities"]) == ([], [])
        for report in released.values():
            assert client.get(f"{PORTAL_URL}rapport/{report.public_id}.pdf").status_code == 404


def test_account_sees_only_its_municipality(login_as, assen_account, released, office):
    page = login_as(assen_account).get(PORTAL_URL)

    assert page.status_code == 200
    assert [(i["report"].scope, i["report"].version, i["latest"])
            for i in page.context["released"]] == [("GM0106", 1, True)]
    assert [m.code for m in page.context["municipalities"]] == ["GM0106"]
    html = page.content.decode()
    assert str(released["GM0106"].public_id) in html
    assert str(released["GM0114"].public_id) not in html
    assert str(released["office"].public_id) not in html


def test_all_versions_are_listed_latest_marked(login_as, assen_account, released, office):
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0106")
    run = StatisticsRun.objects.create(office=office, year=2020)
    execute_statistics_run(run_id=run.pk)
    release_annual_reports(office=office, year=2020, run=run)

    page = login_as(assen_account).get(PORTAL_URL)

    assert [(i["report"].scope, i["report"].version, i["latest"])
            for i in page.context["released"]] == [("GM0106", 2, True), ("GM0106", 1, False)]


@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_account_downloads_its_protected_report(login_as, assen_account, released, fmt):
    report = released["GM0106"]

    response = login_as(assen_account).get(f"{PORTAL_URL}rapport/{report.public_id}.{fmt}")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="2020-GM0106-v1.{fmt}"'
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(response.content.decode())))
        assert lines[1] == ["total", "total", "Totaal", "", "", "", "", "3",
                            "resident_here;resident_elsewhere;resident_total;non_resident_here"]
        assert lines[2][3:8] == ["", "", "", "", ""]


def test_other_reports_are_404(login_as, assen_account, released):
    client = login_as(assen_account)

    for report in (released["GM0114"], released["office"]):
        for fmt in ("pdf", "csv", "xlsx"):
            assert client.get(f"{PORTAL_URL}rapport/{report.public_id}.{fmt}"
                              ).status_code == 404
    assert client.get(f"{PORTAL_URL}rapport/{uuid.uuid4()}.pdf").status_code == 404
    assert client.get(f"{PORTAL_URL}rapport/{released['GM0106'].public_id}.json"
                      ).status_code == 404
    assert client.get(f"{PORTAL_URL}rapport/{released['GM0106'].public_id}/exact.csv"
                      ).status_code == 404


def test_unlinked_account_loses_access(login_as, assen_account, released):
    from reports.services.reports import unlink_municipal_account

    unlink_municipal_account(user=assen_account,
                             municipality=Municipality.objects.get(code="GM0106"))
    client = login_as(assen_account)

    assert client.get(PORTAL_URL).context["released"] == []
    assert client.get(f"{PORTAL_URL}rapport/{released['GM0106'].public_id}.pdf"
                      ).status_code == 404


def test_account_sees_no_cases_and_no_back_office(login_as, assen_account, released):
    complaint = Complaint.objects.filter(reporter_residence="GM0106").first()
    client = login_as(assen_account)

    # Issue 12: every back-office page is 403 for a municipal account.
    assert client.get("/backoffice/").status_code == 403
    assert client.get(f"/backoffice/zaken/{complaint.public_id}/").status_code == 403
    for url in ("/backoffice/statistiek/", "/backoffice/statistiek/2020.zip",
                "/backoffice/statistiek/2020/GM0106.csv",
                f"/backoffice/statistiek/rapport/{released['GM0106'].public_id}.pdf",
                f"/backoffice/statistiek/rapport/{released['GM0106'].public_id}/exact.csv",
                "/backoffice/export.csv", "/backoffice/dashboard/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/backoffice/statistiek/2020/vrijgeven/").status_code == 403


def test_one_mark_for_every_hidden_cell_in_every_format(login_as, assen_account, released):
    """Small counts (1, 2), zeros hidden with them and counts hidden only to protect others all
    look the same: ``x`` in the PDF and XLSX, empty in CSV, ``null`` in JSON; one legend."""
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from reports.rendering.tables import report_document

    report = released["GM0106"]
    exact = report.exact_data["tables"]
    hidden = {(t, r, c) for t, rows in report.protected_data["tables"].items()
              for r, cells in rows.items() for c, v in cells.items() if v is None}
    assert {0, 1, 2} <= {exact[t][r][c] for t, r, c in hidden}  # small counts and zeros alike
    client = login_as(assen_account)
    base = f"{PORTAL_URL}rapport/{report.public_id}"

    pdf = client.get(f"{base}.pdf").content
    text = " ".join(" ".join(page.extract_text() for page in
                             PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Totaal x x x x 3" in text
    assert "Ras (herkomst/huidskleur) x x x x x" in text
    assert "<" not in text
    assert text.count("x = niet gepubliceerd") == 1

    workbook = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").content))
    rows = list(workbook["form"].iter_rows(values_only=True))[1:]
    for table, row, *values in rows:
        for column, value in zip(("resident_here", "resident_elsewhere", "resident_total",
                                  "non_resident_here", "total"), values[1:], strict=True):
            assert value == ("x" if (table, row, column) in hidden else exact[table][row][column])

    lines = list(csv.reader(io.StringIO(client.get(f"{base}.csv").content.decode())))
    assert {value for line in lines[1:] for value in line[3:8] if not value.isdigit()} == {""}
    assert sum(value == "" for line in lines[1:] for value in line[3:8]) == len(hidden)

    document = report_document(report=report)
    assert set(document) == {"year", "office", "scope", "municipality", "version",
                             "released_at", "threshold", "protected", "tables", "suppressed"}
    assert sum(v is None for rows in document["tables"].values() for cells in rows.values()
               for v in cells.values()) == len(hidden)
    assert "primary" not in str(document) and "secondary" not in str(document)

    page = client.get(PORTAL_URL).content.decode()
    assert "&lt;5" not in page
    assert page.count('data-testid="legend"') == 1
