"""Static public pages under ``/melden/`` (no login, nothing stored)."""

from __future__ import annotations

import inspect

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from reports import throttling


def rate_limit_hours() -> int:
    """How long (whole hours) a keyed hash of an IP address may stay in the rate-limit table:
    the default ``older_than`` of ``reports.throttling.purge_expired``."""
    keep = inspect.signature(throttling.purge_expired).parameters["older_than"].default
    return int(keep.total_seconds() // 3600)


@require_http_methods(["GET", "HEAD"])
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy statement in plain language (B1).

    The numbers in the text come from configuration: ``settings.RETENTION_YEARS`` (years after
    a case is closed until personal data is removed) and ``settings.ATTACHMENT_MAX_FILES``; the
    office's name comes from the ``office`` context processor. Rules: AVG (GDPR) art. 13 and
    Wet gelijke behandeling / Wga art. 2 and 3 (annual counts per municipality, anonymous).
    """
    return render(request, "reports/privacy.html", {
        "retention_years": settings.RETENTION_YEARS,
        "rate_limit_hours": rate_limit_hours(),
    })
