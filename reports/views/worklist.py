"""The caseworker's start page, "Mijn werkvoorraad"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports.selectors import worklist as worklist_selectors
from reports.types import AuthenticatedHttpRequest


@login_required
@permission_required("reports.claim_complaint", raise_exception=True)
@require_GET
def worklist(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's open cases (unread first, then by deadline, overdue marked) and the
    unassigned queue of their teams. For users who handle cases (``claim_complaint``)."""
    return render(request, "backoffice/worklist.html", {
        "worklist": worklist_selectors.worklist(user=request.user),
        "limit": worklist_selectors.WORKLIST_LIMIT,
    })
