"""Mass reports in the counts (issue 11 §2): every report still counts on the legal form by
itself; the office summary and the national export also say how many counted reports were part
of a mass report and how many distinct incidents they concern ("waarvan massameldingen")."""

from __future__ import annotations

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest

from reports.models import AnnualReport, StatisticsRun
from reports.selectors.statistics import count_annual_year, count_national_report
from reports.services.complaints import add_to_incident
from reports.services.incidents import create_incident
from reports.services.national_report import export_national_report
from reports.services.reports import release_annual_reports
from reports.services.statistics import execute_statistics_run
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ASSEN, EMMEN, GRONINGEN = "GM0106", "GM0114", "GM0014"


@pytest.fixture
def year_with_mass_reports(office, coordinator):
    """2020: incident A has 3 counted reports (one of them on two forms: Assen resident about
    Emmen) plus a rejected one and one from 2021; incident B has 1 counted report and one outside
    the office's municipalities (on no form); 2 ordinary reports."""
    a = create_incident(office=office, actor=coordinator, title="A", grounds=["race"])
    b = create_incident(office=office, actor=coordinator, title="B", grounds=["religion"])
    c = create_incident(office=office, actor=coordinator, title="C")
    members = {
        a: [ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN),
            ComplaintFactory(reporter_residence=ASSEN, incident_municipality=EMMEN),
            ComplaintFactory(reporter_residence=EMMEN),
            ComplaintFactory(reporter_residence=ASSEN, status="rejected"),
            ComplaintFactory(reporter_residence=ASSEN, received_at=datetime.datetime(
                2021, 1, 1, 0, 30, tzinfo=AMSTERDAM))],
        b: [ComplaintFactory(incident_municipality=EMMEN),
            ComplaintFactory(reporter_residence=GRONINGEN, incident_municipality=GRONINGEN)],
        # Only reports outside the year: C is not counted at all.
        c: [ComplaintFactory(reporter_residence=ASSEN, received_at=datetime.datetime(
            2019, 12, 31, 23, 30, tzinfo=AMSTERDAM))],
    }
    for incident, complaints in members.items():
        for complaint in complaints:
            add_to_incident(complaint=complaint, actor=coordinator, incident=incident)
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN)
    ComplaintFactory(reporter_residence=EMMEN)


def test_counts_of_the_year(year_with_mass_reports, office):
    counted = count_annual_year(office=office, year=2020)
    assert (counted.cases, counted.mass_reports, counted.mass_incidents) == (6, 4, 2)
    # Each report still counts on the forms as before: Assen's table 1.
    assert counted.forms[ASSEN]["total"]["total"]["total"] == 3
    national = count_national_report(office=office, year=2020)
    assert (national.mass_reports, national.mass_incidents) == (4, 2)


def test_run_summary_and_national_export(year_with_mass_reports, office, coordinator):
    run = StatisticsRun.objects.create(office=office, year=2020)
    run = execute_statistics_run(run_id=run.pk)
    assert (run.counted_cases, run.mass_reports, run.mass_incidents) == (6, 4, 2)

    release_annual_reports(office=office, year=2020, actor=coordinator, run=run)
    summary = AnnualReport.objects.get(year=2020, scope="office")
    assert (summary.exact_data["cases"], summary.exact_data["mass_reports"],
            summary.exact_data["mass_incidents"]) == (6, 4, 2)

    exported = export_national_report(user=coordinator, office=office, year=2020, fmt="csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))
    assert lines[-2:] == [
        # Office-wide lines: no municipality and no desk.
        ["2020", "MDD", "", "", "", "mass_reports", "reports", "waarvan massameldingen", "",
         "", "", "", "", "", "4"],
        ["2020", "MDD", "", "", "", "mass_reports", "incidents",
         "aantal voorvallen van massameldingen", "", "", "", "", "", "", "2"]]


def test_statistics_page_shows_them(year_with_mass_reports, office, coordinator, login_as):
    run = StatisticsRun.objects.create(office=office, year=2020)
    execute_statistics_run(run_id=run.pk)
    release_annual_reports(office=office, year=2020, actor=coordinator, run=run)
    html = " ".join(login_as(coordinator).get("/backoffice/statistiek/").content.decode().split())
    assert "Waarvan massameldingen: 4, over 2 voorvallen." in html
