"""The demo year that `make run` seeds, and which the README shows for Assen."""

import pytest

from reports.models import Complaint
from reports.selectors.statistics import count_annual_forms, counted_complaints
from reports.services.demo import seed_demo_year


@pytest.mark.django_db
def test_seed_demo_year_creates_80_counted_complaints_once(office):
    assert seed_demo_year(office=office) == 80
    assert seed_demo_year(office=office) == 0
    assert Complaint.objects.count() == 80
    assert counted_complaints(office=office, year=2020).count() == 80
    assert set(Complaint.objects.values_list("received_at__year", flat=True)) <= {2020}


@pytest.mark.django_db
def test_seed_demo_year_gives_the_assen_form_shown_in_the_readme(office):
    seed_demo_year(office=office)
    assen = count_annual_forms(office=office, year=2020)["GM0106"]
    assert assen["total"]["total"] == {
        "resident_here": 7, "resident_elsewhere": 1, "resident_total": 8,
        "non_resident_here": 3, "total": 11,
    }
    assert assen["ground"]["race"] == {
        "resident_here": 5, "resident_elsewhere": 0, "resident_total": 5,
        "non_resident_here": 3, "total": 8,
    }


@pytest.mark.django_db
def test_seed_demo_year_assigns_open_and_closed_cases_to_the_demo_caseworker(office):
    from reports.services.accounts import create_demo_users

    create_demo_users()
    seed_demo_year(office=office)
    assert Complaint.objects.filter(assigned_to__username="caseworker").count() == (
        Complaint.objects.exclude(status="new").count())
    assert Complaint.objects.filter(assigned_to__isnull=True).count() == (
        Complaint.objects.filter(status="new").count())
    assert Complaint.objects.filter(status="new").count() > 0
