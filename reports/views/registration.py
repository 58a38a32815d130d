"""Registration by staff of reports received by phone, e-mail, letter or in person
(Besluit gemeentelijke antidiscriminatievoorzieningen, art. 7)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reports.forms import StaffRegistrationForm
from reports.selectors import permissions
from reports.services.complaints import register_staff_complaint
from reports.services.reference import current_office
from reports.types import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the registration form; on a valid POST register the report and open the new case.

    Needs ``reports.register_complaint`` (403 otherwise). Invalid input, including errors from the
    service, re-shows the form with status 400.
    """
    if not request.user.has_perm("reports.register_complaint"):
        raise PermissionDenied
    form = StaffRegistrationForm(request.POST if request.method == "POST" else None,
                                 desks=permissions.visible_desks(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            complaint = register_staff_complaint(
                office=current_office(), actor=request.user,
                channel=form.cleaned_data["channel"], desk=form.chosen_desk(),
                **form.complaint_fields())
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Registered as case %(number)s.")
                             % {"number": complaint.case_number})
            if permissions.can_view(user=request.user, complaint=complaint):
                return redirect("backoffice:complaint_detail", public_id=complaint.public_id)
            return redirect("backoffice:complaint_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "backoffice/register.html", {"form": form}, status=status)
