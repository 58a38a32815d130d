"""The back-office case list."""


from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports.filters import ComplaintFilter
from reports.selectors import permissions


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    """The cases the user may see, filtered, newest first, paginated."""
    queryset = (permissions.visible_complaints(user=request.user)
                .select_related("assigned_to", "incident_municipality", "reporter_residence")
                .order_by("-received_at", "-id"))
    filterset = ComplaintFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, settings.BACKOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "backoffice/complaint_list.html", {
        "filter": filterset, "page": page, "query": query.urlencode(),
    })


