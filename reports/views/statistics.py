"""Annual statistics in the back office: start runs and follow them, release the protected
reports, list the released versions and download them (protected, or exact with
``reports.view_exact_statistics``)."""


from __future__ import annotations

import io
import json
import uuid
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from reports import disclosure
from reports.forms import StatisticsRunForm
from reports.models import AnnualReport, StatisticsRun
from reports.rendering.pdf import report_pdf
from reports.rendering.tables import (
    file_stem,
    form_tables,
    hidden_legend,
    report_csv,
    report_document,
    report_xlsx,
    row_label,
)
from reports.selectors import permissions
from reports.selectors import reports as report_selectors
from reports.selectors.statistics import latest_runs, snapshot_years, snapshots_for_year
from reports.services.desk_statistics import desk_summary
from reports.services.national_report import export_national_report
from reports.services.reference import current_office
from reports.services.reports import release_annual_reports, release_preview
from reports.services.statistics import form_csv, form_document, request_annual_statistics
from reports.types import AuthenticatedHttpRequest

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def report_file_response(*, report: AnnualReport, fmt: str, exact: bool = False) -> HttpResponse:
    """A released report as a download: ``pdf`` (protected only), ``csv``, ``xlsx`` or
    ``json``. The caller has checked that the user may have it."""
    if fmt == "pdf":
        body: bytes | str = report_pdf(report=report,
                                       trend=report_selectors.trend_totals(report=report))
    elif fmt == "csv":
        body = report_csv(report=report, exact=exact)
    elif fmt == "xlsx":
        body = report_xlsx(report=report, exact=exact)
    else:
        body = json.dumps(report_document(report=report, exact=exact), ensure_ascii=False,
                          indent=2)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{file_stem(report=report, exact=exact)}.{fmt}"')
    return response


def _change_lines(report: AnnualReport) -> list[str]:
    """``changes`` as readable lines: ``<table title row> / <column>: before → after``."""
    return _preview_change_lines(report.changes, report.threshold)


def _shown_year(request: HttpRequest, years: list[int]) -> int | None:
    shown = request.GET.get("year", "")
    if shown.isdigit() and int(shown) in years:
        return int(shown)
    return years[0] if years else None


@login_required
@permission_required("reports.run_annual_statistics", raise_exception=True)
def statistics(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start the annual statistics for a year, follow the runs, release and download."""
    office = current_office()
    form = StatisticsRunForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            request_annual_statistics(office=office, year=form.cleaned_data["year"],
                                      actor=request.user)
        except ValidationError as error:
            form.add_error("year", error)
        else:
            messages.success(request, _("The annual statistics have been started."))
            return redirect(f"{reverse('backoffice:statistics')}?year={form.cleaned_data['year']}")
    years = snapshot_years(office=office)
    all_years = sorted(set(years) | set(report_selectors.report_years(office=office)),
                       reverse=True)
    shown_year = _shown_year(request, all_years)
    runs = list(latest_runs(office=office))
    released = (list(report_selectors.released_reports(office=office, year=shown_year))
                if shown_year else [])
    latest = (report_selectors.latest_versions(office=office, year=shown_year)
              if shown_year else {})
    snapshots = list(snapshots_for_year(office=office, year=shown_year)) if shown_year else []
    if shown_year:
        # A desk coordinator sees the forms of their desks' municipalities of that year only.
        codes = permissions.statistics_codes(user=request.user, office_id=office.pk,
                                             year=shown_year)
        if codes is not None:
            snapshots = [s for s in snapshots if s.municipality_id in codes]
            released = [r for r in released if r.scope in codes]
    return render(request, "backoffice/statistics.html", {
        "form": form, "runs": runs, "years": all_years, "shown_year": shown_year,
        "snapshots": snapshots,
        "desks": list(permissions.visible_desks(user=request.user).filter(office=office)),
        "covers_office": permissions.covers_office(user=request.user, office_id=office.pk),
        "active_runs": any(run.state in (StatisticsRun.State.QUEUED, StatisticsRun.State.RUNNING)
                           for run in runs),
        "released": [{"report": report, "latest": latest.get(report.scope) == report.version,
                      "changes": _change_lines(report)} for report in released],
    }, status=400 if request.method == "POST" else 200)


def _preview_tables(*, protected: dict, threshold: int) -> list[dict]:
    """The protected form as printed: ``[{"title", "rows": [{"label", "values": [str]}]}]``."""
    return [{"title": table.title,
             "rows": [{"label": row.label,
                       "values": [disclosure.display_value(value, threshold=threshold)
                                  for value in row.values]} for row in table.rows]}
            for table in form_tables(data=protected)]


def _preview_change_lines(changes: list[dict], threshold: int) -> list[str]:
    lines = []
    for change in changes:
        values = [disclosure.display_value(change[key], threshold=threshold)
                  for key in ("before", "after")]
        lines.append(f"{change['table']} · {row_label(table=change['table'], row=change['row'])}"
                     f" · {change['column']}: {values[0]} → {values[1]}")
    return lines


@login_required
@permission_required("reports.release_annual_reports", raise_exception=True)
@require_http_methods(["GET", "POST"])
@never_cache
def release(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    """GET: the release preview of ``year`` (per scope the protected form as it will be
    released and what changed against the version it last received); it never releases.
    POST: release, only with the confirmation checkbox and the preview's fingerprint; a
    state that changed since the preview is refused and the new preview shown."""
    office = current_office()
    if not permissions.covers_office(user=request.user, office_id=office.pk):
        raise Http404  # releasing is office-wide: a coordinator of some desks only may not
    preview_url = reverse("backoffice:release_reports", args=[year])
    if request.method == "POST":
        fingerprint = request.POST.get("fingerprint", "")
        if request.POST.get("confirm") != "yes" or not fingerprint:
            messages.error(request, _("Tick the confirmation to release the reports."))
            return redirect(preview_url)
        try:
            released = release_annual_reports(office=office, year=year, actor=request.user,
                                              confirmation=fingerprint)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(preview_url)
        if released:
            messages.success(request, ngettext("%(count)d new report version was released.",
                                               "%(count)d new report versions were released.",
                                               len(released)) % {"count": len(released)})
        else:
            messages.info(request, _("Nothing changed since the last release; no new "
                                     "versions."))
        return redirect(f"{reverse('backoffice:statistics')}?year={year}")
    try:
        plan = release_preview(office=office, year=year, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{reverse('backoffice:statistics')}?year={year}")
    scopes = [{
        "plan": scope_plan,
        "changes": _preview_change_lines(scope_plan.changes, plan.threshold),
        "tables": (_preview_tables(protected=scope_plan.protected, threshold=plan.threshold)
                   if scope_plan.gets_new_version and scope_plan.protected is not None
                   else []),
    } for scope_plan in plan.scopes]
    return render(request, "backoffice/release_preview.html", {
        "plan": plan, "year": year, "scopes": scopes,
        "new_count": len(plan.new_versions),
        "legend": hidden_legend(threshold=plan.threshold),
        "twice": plan.summary_complaints - plan.cases if plan.cases is not None else None,
    })


@login_required
@permission_required("reports.run_annual_statistics", raise_exception=True)
@require_GET
@never_cache
def run_status(request: AuthenticatedHttpRequest, public_id: uuid.UUID) -> JsonResponse:
    """The state and progress of one run, for following it."""
    run = StatisticsRun.objects.filter(office=current_office(), public_id=public_id).first()
    if run is None:
        raise Http404
    return JsonResponse({"state": run.state, "progress": run.progress,
                         "progress_total": run.progress_total, "year": run.year})


@login_required
@require_GET
def report_file(request: AuthenticatedHttpRequest, public_id: uuid.UUID, fmt: str) -> HttpResponse:
    """A released report, protected, as PDF, CSV or XLSX (404 outside the user's desks, then
    403 without ``run_annual_statistics``)."""
    report = _visible_report(request, public_id)
    _require(request, "reports.run_annual_statistics")
    return report_file_response(report=report, fmt=fmt)


@login_required
@require_GET
def report_exact_file(request: AuthenticatedHttpRequest, public_id: uuid.UUID,
                      fmt: str) -> HttpResponse:
    """A released report's exact (unprotected) counts as CSV, XLSX or JSON (404 outside the
    user's desks, then 403 without ``view_exact_statistics``)."""
    report = _visible_report(request, public_id)
    _require(request, "reports.view_exact_statistics")
    if fmt == "pdf":
        raise Http404
    return report_file_response(report=report, fmt=fmt, exact=True)


def _require(request: HttpRequest, *perms: str) -> None:
    """403 unless the user holds every permission in ``perms``. Scoped statistics views check
    the desk scope first (404: another desk's form is not even named), then this."""
    if not request.user.has_perms(perms):
        raise PermissionDenied


def _visible_report(request: AuthenticatedHttpRequest, public_id: uuid.UUID) -> AnnualReport:
    """The released report if the user's desks cover its scope (``statistics_codes``), else 404."""
    office = current_office()
    report = report_selectors.report_by_public_id(office=office, public_id=public_id)
    if report is None or not permissions.can_see_statistics_scope(
            user=request.user, office_id=office.pk, year=report.year, scope=report.scope):
        raise Http404
    return report


@login_required
@require_GET
def statistics_file(request: HttpRequest, year: int, code: str, fmt: str) -> HttpResponse:
    """One municipality's stored (exact) form for ``year`` as JSON or CSV (404 for a
    municipality none of the user's desks served that year; then 403 without the
    permissions)."""
    office = current_office()
    if not permissions.can_see_statistics_scope(user=request.user, office_id=office.pk,
                                                year=year, scope=code):
        raise Http404
    _require(request, "reports.run_annual_statistics", "reports.view_exact_statistics")
    snapshot = snapshots_for_year(office=office, year=year).filter(
        municipality_id=code).first()
    if snapshot is None:
        raise Http404
    document = form_document(snapshot=snapshot)
    if fmt == "json":
        body, content_type = (json.dumps(document, ensure_ascii=False, indent=2),
                              "application/json")
    else:
        body, content_type = form_csv(document=document), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{year}-{code}.{fmt}"'
    return response


@login_required
@permission_required(("reports.run_annual_statistics", "reports.view_exact_statistics"),
                     raise_exception=True)
@require_GET
def statistics_zip(request: HttpRequest, year: int) -> HttpResponse:
    """All stored (exact) forms of ``year`` the user may see (their desks' municipalities of
    that year) in one ZIP: ``<year>/<code>.json`` and ``.csv``."""
    office = current_office()
    snapshots = list(snapshots_for_year(office=office, year=year))
    codes = permissions.statistics_codes(user=request.user, office_id=office.pk, year=year)
    if codes is not None:
        snapshots = [s for s in snapshots if s.municipality_id in codes]
    if not snapshots:
        raise Http404
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for snapshot in snapshots:
            document = form_document(snapshot=snapshot)
            code = snapshot.municipality_id
            archive.writestr(f"{year}/{code}.json",
                             json.dumps(document, ensure_ascii=False, indent=2))
            archive.writestr(f"{year}/{code}.csv", form_csv(document=document))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="annual-statistics-{year}.zip"'
    return response


@login_required
@permission_required("reports.export_national_report", raise_exception=True)
@require_GET
@never_cache
def national_report(request: AuthenticatedHttpRequest, year: int, fmt: str) -> HttpResponse:
    """The national-report export of ``year`` (exact counts per municipality, five tables and
    two cross-tables) as CSV or XLSX; each download is in the access log."""
    office = current_office()
    if not permissions.covers_office(user=request.user, office_id=office.pk):
        raise Http404  # the national report covers every desk
    try:
        exported = export_national_report(user=request.user, office=office,
                                          year=year, fmt=fmt)
    except ValidationError:
        raise Http404 from None
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


@login_required
@require_GET
@never_cache
def desk_statistics(request: AuthenticatedHttpRequest, year: int, code: str) -> HttpResponse:
    """The protected annual summary of one desk for ``year`` (``desk_statistics.desk_summary``);
    404 for a desk that is not the user's (unless they work across desks), then 403 without
    ``run_annual_statistics``."""
    office = current_office()
    desk = permissions.visible_desks(user=request.user).filter(office=office, code=code).first()
    if desk is None:
        raise Http404
    _require(request, "reports.run_annual_statistics")
    summary = desk_summary(office=office, desk=desk, year=year)
    return render(request, "backoffice/desk_statistics.html", {
        "desk": desk, "year": year, "summary": summary,
        "tables": (_preview_tables(protected=summary.protected, threshold=summary.threshold)
                   if summary.protected is not None else []),
        "legend": hidden_legend(threshold=summary.threshold),
    })
