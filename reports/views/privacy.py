"""The reporter's rights on one case: the data-subject access export (GDPR art. 15) and erasure on
request (GDPR art. 17). Logic in ``reports.services.privacy``.

As elsewhere in the back office a case the user may not see answers 404; a case they may see
without the permission (``reports.export_personal_data`` / ``reports.erase_personal_data``)
answers 403.
"""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from reports.models import Complaint
from reports.selectors import permissions
from reports.services import privacy
from reports.types import AuthenticatedHttpRequest


class ErasureForm(forms.Form):
    """The confirmation step of an erasure: the request's reference and an explicit tick."""

    reason = forms.CharField(
        label=gettext_lazy("Reference of the erasure request"), max_length=200,
        help_text=gettext_lazy("For example the number of the letter or e-mail. Do not enter "
                               "names or other personal data: this text is kept."))
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the personal data of this case will be deleted "
                           "for good and cannot be restored."))


def _case_with_permission(request: HttpRequest, public_id: UUID, permission: str) -> Complaint:
    """The case if the user may see it (else 404) and holds ``permission`` (else 403)."""
    complaint = get_object_or_404(
        permissions.visible_complaints(user=request.user).select_related(
            "office", "reporter_residence", "incident_municipality"),
        public_id=public_id)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return complaint


@login_required
@require_GET
@never_cache
def export_personal_data(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Download the data-subject access export of the case as a ZIP (logged in the access
    log)."""
    complaint = _case_with_permission(request, public_id, "reports.export_personal_data")
    exported = privacy.export_personal_data(complaint=complaint, user=request.user)
    response = HttpResponse(exported.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase_personal_data(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """GET: the confirmation page; POST: erase the case's personal data (reference and tick
    required) and go back to the case."""
    complaint = _case_with_permission(request, public_id, "reports.erase_personal_data")
    if complaint.personal_data_removed_at is not None:
        messages.error(request, _("The personal data of this case has already been removed."))
        return redirect("backoffice:complaint_detail", public_id=complaint.public_id)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.erase_personal_data(complaint=complaint, actor=request.user,
                                        reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The personal data of this case has been erased."))
        return redirect("backoffice:complaint_detail", public_id=complaint.public_id)
    return render(request, "backoffice/privacy/erase.html",
                  {"complaint": complaint, "form": form})
