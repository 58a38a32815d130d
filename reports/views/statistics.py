"""Annual statistics in the back office: start runs, follow them, download the forms."""


from __future__ import annotations

import io
import json
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports.forms import StatisticsRunForm
from reports.selectors.reference import current_office
from reports.selectors.statistics import latest_runs, snapshot_years, snapshots_for_year
from reports.services.statistics import form_csv, form_document, request_annual_statistics


@login_required
@permission_required("reports.run_annual_statistics", raise_exception=True)
def statistics(request: HttpRequest) -> HttpResponse:
    """Start the annual statistics for a year, follow the runs and download the forms."""
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
    shown = request.GET.get("year", "")
    shown_year = int(shown) if shown.isdigit() and int(shown) in years else (
        years[0] if years else None)
    return render(request, "backoffice/statistics.html", {
        "form": form, "runs": latest_runs(office=office), "years": years,
        "shown_year": shown_year,
        "snapshots": list(snapshots_for_year(office=office, year=shown_year)) if shown_year
        else [],
    }, status=400 if request.method == "POST" else 200)


@login_required
@permission_required("reports.run_annual_statistics", raise_exception=True)
@require_GET
def statistics_file(request: HttpRequest, year: int, code: str, fmt: str) -> HttpResponse:
    """One municipality's form for ``year`` as JSON or CSV."""
    snapshot = snapshots_for_year(office=current_office(), year=year).filter(
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
@permission_required("reports.run_annual_statistics", raise_exception=True)
@require_GET
def statistics_zip(request: HttpRequest, year: int) -> HttpResponse:
    """All forms of ``year`` in one ZIP: ``<year>/<code>.json`` and ``.csv`` per municipality."""
    snapshots = list(snapshots_for_year(office=current_office(), year=year))
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
