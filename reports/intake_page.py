"""The report form page (``/melden/``) as a response: shared by the intake view and by
``reports.uploads.IntakeRequestLimitMiddleware``, which answers an oversized or unreadable post
with the same page before any view runs (no module imports a view)."""

from __future__ import annotations

import uuid

from crispy_forms.layout import Hidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reports.forms import IntakeForm


def submission_token(request: HttpRequest) -> uuid.UUID:
    """The form's one-time token: the posted one when valid, otherwise a new one."""
    try:
        return uuid.UUID(request.POST.get("submission_token", ""))
    except ValueError:
        return uuid.uuid4()


def render_intake(request: HttpRequest, *, form: IntakeForm | None, status: int,
                  message: str = "") -> HttpResponse:
    """The report form page with ``status``: ``form`` as the reporter filled it (a new empty
    form when ``None``, and then a new token without reading the request body) and, if given,
    ``message`` above it (rate limit, oversized request)."""
    if form is None:
        form, token = IntakeForm(), uuid.uuid4()
    else:
        token = submission_token(request)
    form.helper.add_input(Hidden("submission_token", str(token)))
    return render(request, "reports/intake.html", {"form": form, "intake_message": message},
                  status=status)
