"""The access log in the back office: who opened, downloaded or exported what, and when."""


from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports.filters import AccessLogFilter
from reports.selectors import cases
from reports.types import AuthenticatedHttpRequest


@login_required
@permission_required("reports.view_access_log", raise_exception=True)
@require_GET
def access_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Access-log entries, newest first, paginated, filterable by ``user`` (a user id) and
    ``case`` (a case number). Shows identifiers only."""
    filterset = AccessLogFilter(request.GET or None, queryset=cases.access_log_entries())
    page = Paginator(filterset.qs, settings.BACKOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "backoffice/access_log.html", {
        "filter": filterset, "page": page, "query": query.urlencode(),
    })
