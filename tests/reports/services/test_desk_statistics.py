"""The desk's annual summary: "waarvan massameldingen" per desk (issue 11 §1, tester finding 7)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from reports.models import Complaint
from reports.services.desk_statistics import desk_summary
from reports.services.desks import default_desk
from reports.services.incidents import create_incident
from tests.factories import AMSTERDAM, ComplaintFactory, OfficeCoordinatorFactory, make_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def mass_cases(office):
    """Desk Zuid serves Emmen (GM0114), the default desk the rest of Drenthe. In 2020:
    incident 1 has two Emmen cases and one Assen case; incident 2 one case of an Emmen resident
    (online); not counted: a rejected Emmen case and a 2021 Emmen case in incident 1; an Emmen
    case in no incident."""
    zuid = make_desk("zuid", "Zuid", ("GM0114",))
    national = OfficeCoordinatorFactory(username="national")
    first = create_incident(office=office, actor=national, title="Voorval 1")
    second = create_incident(office=office, actor=national, title="Voorval 2")
    groups = {
        first: [ComplaintFactory(incident_municipality="GM0114"),
                ComplaintFactory(incident_municipality="GM0114", reporter_residence="GM0106"),
                ComplaintFactory(incident_municipality="GM0106")],
        second: [ComplaintFactory(reporter_residence="GM0114")],
    }
    rejected = ComplaintFactory(incident_municipality="GM0114")
    later = ComplaintFactory(incident_municipality="GM0114", received_at=datetime.datetime(
        2021, 3, 1, 12, 0, tzinfo=AMSTERDAM))
    ComplaintFactory(incident_municipality="GM0114")
    for incident, cases in groups.items():
        Complaint.objects.filter(pk__in=[c.pk for c in cases]).update(incident=incident)
    Complaint.objects.filter(pk__in=[rejected.pk, later.pk]).update(incident=first)
    Complaint.objects.filter(pk=rejected.pk).update(status="rejected")
    return zuid, national


def test_each_desk_counts_its_municipalities_mass_reports(office, mass_cases):
    zuid, _ = mass_cases
    south = desk_summary(office=office, desk=zuid, year=2020)
    north = desk_summary(office=office, desk=default_desk(office=office), year=2020)
    assert (south.mass_reports, south.mass_incidents) == (3, 2)
    # the Emmen case of an Assen resident counts at both desks, like on both forms
    assert (north.mass_reports, north.mass_incidents) == (2, 1)
    assert (desk_summary(office=office, desk=zuid, year=2021).mass_reports,
            desk_summary(office=office, desk=zuid, year=2021).mass_incidents) == (1, 1)


def test_the_desk_overview_shows_waarvan_massameldingen(office, mass_cases, login_as):
    zuid, national = mass_cases
    page = login_as(national).get(reverse("backoffice:desk_statistics", args=[2020, "zuid"]))
    assert page.status_code == 200
    assert ('<p data-testid="mass-note">Waarvan massameldingen: 3, over 2 voorvallen.</p>'
            in page.content.decode())
