"""The access log in the back office: who opened, downloaded or exported what, and when."""


from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from reports.filters import AccessLogFilter, ComplaintFilter
from reports.selectors import cases, permissions
from reports.services.reference import current_office
from reports.types import AuthenticatedHttpRequest

#: The access log's detail keys, as the page names them.
DETAIL_LABELS = {
    "format": _("Format"), "rows": _("Rows"), "filters": _("Filters"),
    "attachment": _("Attachment"), "messages": _("Messages"), "attachments": _("Files"),
}


def detail_rows(detail: dict) -> list[tuple[str, str]]:
    """An entry's ``detail`` as (label, value) pairs in the active language, by key: known keys
    get their label (``DETAIL_LABELS``), exported filter names the case list's filter labels;
    unknown keys are shown as they are."""
    rows = []
    for key, value in sorted((detail or {}).items()):
        if key == "filters":
            names = [str(ComplaintFilter.base_filters[name].label)
                     if name in ComplaintFilter.base_filters else str(name) for name in value]
            value = ", ".join(names) or "—"
        rows.append((str(DETAIL_LABELS.get(key, key)), str(value)))
    return rows


@login_required
@permission_required("reports.view_access_log", raise_exception=True)
@require_GET
def access_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Access-log entries, newest first, paginated, filterable by ``user`` (a user id) and
    ``case`` (a case number). Shows identifiers only."""
    filterset = AccessLogFilter(request.GET or None, queryset=cases.access_log_entries(
        desk_ids=None if permissions.covers_office(user=request.user,
                                                   office_id=current_office().pk)
        else permissions.desk_scope(user=request.user)))
    page = Paginator(filterset.qs, settings.BACKOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "backoffice/access_log.html", {
        "filter": filterset, "page": page, "query": query.urlencode(),
        "rows": [(entry, detail_rows(entry.detail)) for entry in page],
    })
