"""The municipal portal at ``/gemeente/``: a municipal account sees and downloads the released,
protected reports of the municipalities it is linked to, and nothing else (404 for any other
report, the office summary and exact counts).

Access is decided per municipality by the guardian object permission
``reports.view_municipality_reports`` (``reports.selectors.reports``); any logged-in user may
open the list, which is empty for an account linked to no municipality (e.g. back-office staff),
and every download outside the account's municipalities is 404.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports.rendering.tables import hidden_legend
from reports.selectors import reports as report_selectors
from reports.services.reports import disclosure_threshold
from reports.types import AuthenticatedHttpRequest
from reports.views.statistics import report_file_response

#: What a municipal account may download: the protected report only.
PORTAL_FORMATS = ("pdf", "csv", "xlsx")


@login_required
@require_GET
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every released version of the user's municipalities, the latest of each year marked."""
    released = list(report_selectors.reports_for_account(user=request.user))
    latest: dict[tuple[int, str], int] = {}
    for report in released:
        key = (report.year, report.scope)
        latest[key] = max(latest.get(key, 0), report.version)
    return render(request, "municipal/reports.html", {
        "municipalities": list(report_selectors.municipalities_of_account(user=request.user)
                               .order_by("name")),
        "released": [{"report": report,
                      "latest": latest[(report.year, report.scope)] == report.version}
                     for report in released],
        "legend": hidden_legend(threshold=disclosure_threshold()),
    })


@login_required
@require_GET
def report_file(request: AuthenticatedHttpRequest, public_id: uuid.UUID, fmt: str) -> HttpResponse:
    """One released report of the user's municipalities, protected, as PDF, CSV or XLSX."""
    report = report_selectors.report_for_account(user=request.user, public_id=public_id)
    if report is None or fmt not in PORTAL_FORMATS:
        raise Http404
    return report_file_response(report=report, fmt=fmt)
