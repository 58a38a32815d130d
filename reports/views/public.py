"""The public intake at ``/melden/``. No login; nothing here reveals stored reports."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from reports.forms import IntakeForm
from reports.selectors.reference import current_office
from reports.services.complaints import submit_online_complaint

SESSION_KEY = "intake_case_number"


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Show the report form; on a valid POST store the complaint and go to the confirmation."""
    form = IntakeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        complaint = submit_online_complaint(office=current_office(), **form.cleaned_data)
        request.session[SESSION_KEY] = complaint.case_number
        return redirect("intake:thanks")
    status = 400 if request.method == "POST" else 200
    return render(request, "reports/intake.html", {"form": form}, status=status)


@never_cache
def thanks(request: HttpRequest) -> HttpResponse:
    """Confirmation with the case number. It never echoes what the reporter wrote."""
    case_number = request.session.get(SESSION_KEY)
    if not case_number:
        return redirect("intake:report")
    return render(request, "reports/thanks.html", {"case_number": case_number})
