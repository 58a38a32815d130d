"""The back-office case list, its CSV/XLSX export and the coordinator dashboard."""


from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from reports import search_tokens
from reports.filters import ComplaintFilter
from reports.forms_incidents import MAX_BULK_CASES, BulkActionForm
from reports.pagination import BoundedPaginator
from reports.security import SecurityEvent, log_security_event
from reports.selectors import cases, permissions
from reports.selectors import incidents as incident_selectors
from reports.selectors.cases import OverdueComplaint
from reports.services import export as export_service
from reports.services.reference import current_office
from reports.types import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: The list's columns, in order: sort key and header label.
COLUMNS: tuple[tuple[str, StrOrPromise], ...] = (
    ("case_number", gettext_lazy("Case number")),
    ("received_at", gettext_lazy("Received")),
    ("status", gettext_lazy("Status")),
    ("incident_municipality", gettext_lazy("Municipality of the incident")),
    ("assignee", gettext_lazy("Caseworker")),
    ("first_response_due", gettext_lazy("First response due")),
    ("channel", gettext_lazy("Channel")),
)


def _filtered_cases(request: HttpRequest
                    ) -> tuple[ComplaintFilter, QuerySet[OverdueComplaint], str, bool]:
    """The filter set, the visible filtered and sorted cases, the sort key in use, and whether
    the search token (``s``, see ``reports.search_tokens``) is known. An invalid filter value
    or an unknown or expired search matches no case (rather than being ignored, which would
    show too much)."""
    queryset = cases.with_unread(
        queryset=cases.case_list(queryset=permissions.visible_complaints(user=request.user)),
        user=request.user)
    data, search_known = search_tokens.resolve_search(request, request.GET)
    filterset = ComplaintFilter(data or None, queryset=queryset, request=request)
    sort = cases.parse_sort(request.GET.get("sort"))
    valid = search_known and (not filterset.is_bound or filterset.is_valid())
    filtered: QuerySet[OverdueComplaint] = filterset.qs if valid else queryset.none()
    return filterset, cases.sort_cases(queryset=filtered, sort=sort), sort, search_known


def _sort_headers(query: QueryDict, sort: str) -> list[dict[str, object]]:
    """Per column: its label, a link that sorts by it (ascending, or descending when it is the
    current ascending sort), keeping the other parameters, and its current direction."""
    headers: list[dict[str, object]] = []
    for key, label in COLUMNS:
        direction = ("ascending" if sort == key else
                     "descending" if sort == f"-{key}" else "")
        params = query.copy()
        params.pop("page", None)
        params["sort"] = f"-{key}" if sort == key else key
        headers.append({"key": key, "label": label, "href": f"?{params.urlencode()}",
                        "direction": direction})
    return headers


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def complaint_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The cases the user may see, filtered, searched and sorted (newest first by default),
    paginated: counted up to ``BACKOFFICE_COUNT_LIMIT`` ("more than 10,000 cases" beyond,
    paged through the first 10,000; ``reports.pagination``), with a text search up to
    ``BACKOFFICE_SEARCH_COUNT_LIMIT`` (1,000).

    The filter form is posted: the list redirects to itself with the filters in the URL and
    the search text replaced by a short-lived token (``reports.search_tokens``), so the words
    searched for never appear in a URL. ``?q=`` still works for a typed URL.
    """
    if request.method == "POST":
        target = search_tokens.list_query(request, request.POST)
        return redirect(f"{reverse('backoffice:complaint_list')}?{target}" if target
                        else reverse("backoffice:complaint_list"))
    filterset, queryset, sort, search_known = _filtered_cases(request)
    searching = bool(filterset.is_bound and filterset.is_valid()
                     and (filterset.form.cleaned_data.get("q") or "").strip())
    page = BoundedPaginator(cases.list_page_columns(queryset=queryset),
                            settings.BACKOFFICE_PAGE_SIZE,
                            limit=settings.BACKOFFICE_SEARCH_COUNT_LIMIT if searching
                            else None).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    invalid = filterset.is_bound and not filterset.is_valid()
    bulk_form = None
    if incident_selectors.can_bulk_change(user=request.user):
        # The same people and teams as the filter's drop-downs: the filter form's querysets,
        # read once for both forms (reports.widgets.ListedModelChoiceField).
        fields = filterset.form.fields
        bulk_form = BulkActionForm(users=cast(QuerySet, fields["assignee"].queryset),
                                   teams=cast(QuerySet, fields["team"].queryset),
                                   incidents=incident_selectors.open_incidents(
                                       office=current_office()))
    return render(request, "backoffice/complaint_list.html", {
        "bulk_form": bulk_form, "bulk_max": MAX_BULK_CASES,
        "filter": filterset, "page": page, "query": query.urlencode(),
        "headers": _sort_headers(request.GET, sort), "sort": sort,
        "invalid_filters": invalid, "search_expired": not search_known,
    }, status=400 if invalid or not search_known else 200)


@login_required
@permission_required("reports.export_complaints", raise_exception=True)
@require_GET
@never_cache
def export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The filtered, sorted case list (all pages, visible cases only) as CSV or XLSX, streamed
    (``reports.services.export``: constant memory, the first bytes leave at once).

    Invalid filter values answer 400 rather than exporting more than the user asked for.
    Every export is recorded in the access log.
    """
    filterset, queryset, _sort, search_known = _filtered_cases(request)
    if not search_known:
        return HttpResponseBadRequest(_("This search has expired. Search again."),
                                      content_type="text/plain")
    if filterset.is_bound and not filterset.is_valid():
        return HttpResponseBadRequest(_("Invalid filters: %(names)s") % {
            "names": ", ".join(sorted(filterset.errors))}, content_type="text/plain")
    exported = export_service.export_cases(
        user=request.user, queryset=queryset, fmt=fmt,
        filter_names=filterset.active_filter_names())
    log_security_event(event=SecurityEvent.EXPORT, request=request, format=fmt)
    response = StreamingHttpResponse(exported.chunks, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


@login_required
@permission_required("reports.view_dashboard", raise_exception=True)
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Counts per status and per caseworker, and the overdue total, over the visible cases."""
    return render(request, "backoffice/dashboard.html", {
        "dashboard": cases.dashboard(
            queryset=permissions.visible_complaints(user=request.user),
            desk_ids=permissions.desk_scope(user=request.user),
            every_case=permissions.sees_every_complaint(user=request.user)),
    })
