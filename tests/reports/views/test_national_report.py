"""``/backoffice/statistiek/<year>/landelijk.<csv|xlsx>``: the national-report export
(issue 10 §5): anonymous, without and with the permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from reports.models import AccessLog
from tests.factories import UserFactory
from tests.reports.rendering.year import hand_made_year

pytestmark = pytest.mark.django_db
URL = "/backoffice/statistiek/2020/landelijk.csv"


@pytest.fixture
def year_2020(office):
    hand_made_year()


def test_anonymous_is_sent_to_login(client, year_2020):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/login/?next={URL}"


def test_without_the_permission_403(login_as, year_2020, caseworker):
    statistician = UserFactory(username="statistician")
    statistician.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="reports",
        codename__in=["run_annual_statistics", "view_exact_statistics"]))
    for user in (caseworker, statistician):
        assert login_as(user).get(URL).status_code == 403
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("csv", "text/csv; charset=utf-8"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
def test_coordinator_downloads_and_it_is_logged(login_as, coordinator, year_2020, fmt,
                                                content_type):
    response = login_as(coordinator).get(f"/backoffice/statistiek/2020/landelijk.{fmt}")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="national-MDD-2020.{fmt}"'
    assert response["Cache-Control"].startswith("max-age=0")
    assert list(AccessLog.objects.values_list("user", "action", "detail")) == [
        (coordinator.pk, "national_export", {"year": 2020, "format": fmt,
                                             "municipalities": 12})]


@pytest.mark.parametrize("path", ["/backoffice/statistiek/2020/landelijk.pdf",
                                  "/backoffice/statistiek/1999/landelijk.csv"])
def test_other_formats_and_years_are_404(login_as, coordinator, year_2020, path):
    assert login_as(coordinator).get(path).status_code == 404
    assert AccessLog.objects.count() == 0


def test_the_statistics_page_links_it_only_with_the_permission(login_as, coordinator,
                                                               year_2020, office):
    from reports.services.reports import release_annual_reports

    release_annual_reports(office=office, year=2020)
    html = login_as(coordinator).get("/backoffice/statistiek/?year=2020").content.decode()
    assert 'href="/backoffice/statistiek/2020/landelijk.csv"' in html
    statistician = UserFactory(username="statistician")
    statistician.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="reports", codename="run_annual_statistics"))
    other = login_as(statistician).get("/backoffice/statistiek/?year=2020").content.decode()
    assert "landelijk.csv" not in other
