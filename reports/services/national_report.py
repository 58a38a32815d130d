"""The national-report export (issue 10 §5): exact counts per municipality of one office and
year, for the national report "Discriminatiecijfers in [jaar]". Coordinators only (permission
``reports.export_national_report``); every download is written to the access log."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from reports.models import AccessLog, Desk, Municipality, Office
from reports.rendering.national import national_csv, national_rows, national_xlsx
from reports.selectors import permissions
from reports.selectors.desks import desk_of_municipality_in_year
from reports.selectors.statistics import count_national_report
from reports.services.audit import log_access
from reports.services.statistics import MAX_YEAR, MIN_YEAR
from reports.types import User

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class NationalExport:
    """One download: bytes, content type and file name ``national-<office>-<year>.<fmt>``."""

    content: bytes
    content_type: str
    filename: str


def export_national_report(*, user: User, office: Office, year: int,
                           fmt: str) -> NationalExport:
    """Count ``year`` for ``office`` (one database state) and render the national-report
    export; the download is recorded in the access log (action ``national_export``, detail:
    year, format, number of municipalities; no figures).

    Args:
        fmt: ``"csv"`` or ``"xlsx"``.

    Raises:
        PermissionDenied: ``user`` lacks ``reports.export_national_report`` or works for some
            desks of the office only (the export covers every desk).
        ValidationError: ``year`` outside 2000-2100 or ``fmt`` unknown.
    """
    if not (user.has_perm("reports.export_national_report")
            and permissions.covers_office(user=user, office_id=office.pk)):
        raise PermissionDenied
    if not MIN_YEAR <= year <= MAX_YEAR or fmt not in CONTENT_TYPES:
        raise ValidationError(_("Choose a year between %(min)d and %(max)d.")
                              % {"min": MIN_YEAR, "max": MAX_YEAR}, code="year")
    count = count_national_report(office=office, year=year)
    names = dict(Municipality.objects.filter(code__in=list(count.forms))
                 .values_list("code", "name"))
    desk_codes = dict(Desk.objects.filter(office=office).values_list("pk", "code"))
    desks = {code: desk_codes[desk_id] for code, desk_id
             in desk_of_municipality_in_year(year=year).items() if desk_id in desk_codes}
    rows = national_rows(count=count, year=year, office_code=office.code, names=names,
                         desks=desks)
    content = national_csv(rows=rows) if fmt == "csv" else national_xlsx(rows=rows)
    log_access(user=user, action=AccessLog.Action.NATIONAL_EXPORT,
               detail={"year": year, "format": fmt, "municipalities": len(count.forms)})
    return NationalExport(content=content, content_type=CONTENT_TYPES[fmt],
                          filename=f"national-{office.code}-{year}.{fmt}")
