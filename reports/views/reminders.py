"""The coordinators' page for the office's reminder periods (``/backoffice/herinneringen/``);
the permission is ``reports.manage_reminders``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reports.forms_reminders import ReminderPeriodsForm
from reports.services import reminders as reminder_services
from reports.services.reference import current_office
from reports.types import AuthenticatedHttpRequest

FIELDS = {"in_progress_days": "reminder_in_progress_days",
          "awaiting_reporter_days": "reminder_awaiting_reporter_days"}


@login_required
@permission_required(reminder_services.MANAGE_REMINDERS, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def reminder_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the office's reminder periods; a POST changes them."""
    office = current_office()
    initial = {"in_progress_days": office.reminder_in_progress_days,
               "awaiting_reporter_days": office.reminder_awaiting_reporter_days}
    form = ReminderPeriodsForm(request.POST if request.method == "POST" else None,
                               initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reminder_services.update_reminder_periods(
                    office=office, actor=request.user,
                    in_progress_days=form.cleaned_data["in_progress_days"],
                    awaiting_reporter_days=form.cleaned_data["awaiting_reporter_days"])
            except ValidationError as exc:
                reverse_fields = {model: name for name, model in FIELDS.items()}
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(reverse_fields.get(field), error)
            else:
                messages.success(request, _("The reminder periods were saved."))
                return redirect("backoffice:reminder_settings")
        status = 400
    return render(request, "backoffice/reminder_settings.html", {"form": form}, status=status)
