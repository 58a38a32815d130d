"""Reads of released annual reports: versions per year and scope, what a municipal account may
see, and who is told about a new version.

Municipal accounts see a municipality's reports through the guardian object permission
``reports.view_municipality_reports`` on that ``Municipality``; global permissions never widen
that (``accept_global_perms=False``), so no account sees another municipality's reports.
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.db.models import F, Max, QuerySet
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from reports.models import OFFICE_SCOPE, AnnualReport, Municipality, Office
from reports.types import AnyUser, User

VIEW_REPORTS = "reports.view_municipality_reports"


def released_reports(*, office: Office, year: int | None = None) -> QuerySet[AnnualReport]:
    """Every released version of ``office`` (of one ``year`` when given): newest year first,
    then the office summary before the municipalities (by name), newest version first."""
    reports = AnnualReport.objects.filter(office=office)
    if year is not None:
        reports = reports.filter(year=year)
    return reports.select_related("municipality", "office", "released_by", "run").order_by(
        "-year", F("municipality__name").asc(nulls_first=True), "-version")


def report_years(*, office: Office) -> list[int]:
    """Years with at least one released report, newest first."""
    return list(AnnualReport.objects.filter(office=office).order_by("-year")
                .values_list("year", flat=True).distinct())


def latest_report(*, office: Office, year: int, scope: str) -> AnnualReport | None:
    """The newest released version of one scope (a CBS code or ``"office"``), or ``None``."""
    return (AnnualReport.objects.filter(office=office, year=year, scope=scope)
            .order_by("-version").first())


def latest_reports(*, office: Office, year: int) -> dict[str, AnnualReport]:
    """``{scope: newest released version}`` of ``year``, in one query (a year holds a few
    versions per scope)."""
    latest: dict[str, AnnualReport] = {}
    for report in AnnualReport.objects.filter(office=office, year=year).order_by("version"):
        latest[report.scope] = report
    return latest


def latest_versions(*, office: Office, year: int) -> dict[str, int]:
    """``{scope: newest version}`` of ``year``."""
    return dict(AnnualReport.objects.filter(office=office, year=year).values("scope")
                .annotate(latest=Max("version")).values_list("scope", "latest"))


def report_by_public_id(*, office: Office, public_id: uuid.UUID) -> AnnualReport | None:
    """One released report of ``office`` (back office), or ``None``."""
    return (AnnualReport.objects.filter(office=office, public_id=public_id)
            .select_related("municipality", "office").first())


def trend_totals(*, report: AnnualReport, years: int = 3) -> list[tuple[int, int | None]]:
    """Table 1's total for the ``years`` years up to ``report.year``, oldest first.

    Earlier years come from the newest version of the same scope that was released no later
    than ``report`` itself, so the trend in a report never changes after its release. Table 1
    is never suppressed. ``None`` marks a year without a released report.
    """
    totals: list[tuple[int, int | None]] = []
    for year in range(report.year - years + 1, report.year + 1):
        if year == report.year:
            source: AnnualReport | None = report
        else:
            source = (AnnualReport.objects.filter(
                office_id=report.office_id, scope=report.scope, year=year,
                released_at__lte=report.released_at).order_by("-version").first())
        value = (source.protected_data["tables"]["total"]["total"]["total"]
                 if source is not None else None)
        totals.append((year, value))
    return totals


def municipalities_of_account(*, user: AnyUser) -> QuerySet[Municipality]:
    """The municipalities whose reports ``user`` may see (object permission only)."""
    if not user.is_authenticated or not user.is_active:
        return Municipality.objects.none()
    return get_objects_for_user(user, VIEW_REPORTS, klass=Municipality,
                                accept_global_perms=False, with_superuser=False)


def reports_for_account(*, user: AnyUser) -> QuerySet[AnnualReport]:
    """The released reports of the municipalities ``user`` is linked to, every version; never
    the office summary. Newest year first, then municipality name, newest version first."""
    municipalities = municipalities_of_account(user=user)
    return (AnnualReport.objects.filter(municipality__in=municipalities)
            .exclude(scope=OFFICE_SCOPE)
            .select_related("municipality", "office")
            .order_by("-year", "municipality__name", "-version"))


def report_for_account(*, user: AnyUser, public_id: uuid.UUID) -> AnnualReport | None:
    """One report ``user`` may download, or ``None`` (then the view answers 404)."""
    return reports_for_account(user=user).filter(public_id=public_id).first()


def accounts_of_municipality(*, municipality: Municipality) -> QuerySet[User]:
    """Active users linked to ``municipality`` (directly or through a group) with an e-mail
    address, ordered by username."""
    users = get_users_with_perms(municipality, only_with_perms_in=["view_municipality_reports"],
                                 with_superusers=False, with_group_users=True)
    assert isinstance(users, QuerySet)  # a list only with attach_perms=True
    return (get_user_model().objects.filter(pk__in=users.values("pk"), is_active=True)
            .exclude(email="").order_by("username"))
