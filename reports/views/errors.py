"""Translated error pages. A failed CSRF check on the public form keeps what the reporter typed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: on the public form, show the form again with the reporter's text
    and a fresh token, so one more click sends it; elsewhere a translated 403 page."""
    if request.method == "POST" and request.path == reverse("intake:report"):
        from reports.forms import IntakeForm

        form = IntakeForm(request.POST)
        form.is_valid()
        return render(request, "reports/intake.html", {
            "form": form,
            "csrf_message": _("For your safety we could not accept the form yet. Your text is "
                              "still here: please press “Send report” again. If this keeps "
                              "happening, allow cookies for this site."),
        }, status=403)
    return render(request, "403_csrf.html", status=403)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``: the translated "no access" page, inside the back-office layout (with its
    navigation) for a logged-in user, the public layout otherwise. Shows no detail of why."""
    user = getattr(request, "user", None)
    layout = ("backoffice/base.html" if user is not None and user.is_authenticated
              else "base.html")
    return render(request, "403.html", {"layout": layout}, status=403)
