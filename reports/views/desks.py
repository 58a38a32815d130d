"""The desk management page (``/backoffice/loketten/``): desks, their staff and the
municipalities each serves over time. Permission ``reports.manage_desks`` (office
coordinators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.forms import ModelChoiceField
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from reports.forms import typed_field
from reports.forms_desks import DeskForm, DeskMemberForm, DeskPeriodForm, EndPeriodForm
from reports.selectors import desks as desk_selectors
from reports.services import desks as desk_services
from reports.services.reference import current_office
from reports.types import AuthenticatedHttpRequest


@login_required
@permission_required(desk_services.MANAGE_DESKS, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def desk_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the desks with staff and municipality periods; a POST (``action`` = ``desk``,
    ``period``, ``end`` or ``member``) creates a desk, adds or ends a period, or adds or removes
    a member. Invalid input re-shows the page with status 400 and the errors."""
    office = current_office()
    action = request.POST.get("action", "") if request.method == "POST" else ""
    post = request.POST if request.method == "POST" else None
    forms = {
        "desk": DeskForm(post if action == "desk" else None, prefix="desk"),
        "period": DeskPeriodForm(post if action == "period" else None, prefix="period"),
        "member": DeskMemberForm(post if action == "member" else None, prefix="member"),
        "end": EndPeriodForm(post if action == "end" else None, prefix="end"),
    }
    for name in ("period", "member"):
        typed_field(forms[name], "desk", ModelChoiceField).queryset = desk_selectors.desks(
            office=office)
    status = 200
    if action in forms:
        form = forms[action]
        if form.is_valid():
            try:
                returned = _apply(request, action, form.cleaned_data, office)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Saved."))
                if returned:
                    messages.info(request, ngettext(
                        "%(count)d case of this staff member went back to the desk's queue.",
                        "%(count)d cases of this staff member went back to the desk's queue.",
                        returned) % {"count": returned})
                return redirect("backoffice:desk_settings")
        status = 400
    elif request.method == "POST":
        status = 400
    desks = list(desk_selectors.desks(office=office).prefetch_related(
        "members", "municipality_periods__municipality"))
    return render(request, "backoffice/desk_settings.html",
                  {"desks": desks, "forms": forms}, status=status)


def _apply(request: AuthenticatedHttpRequest, action: str, data: dict, office: object) -> int:
    """Call the service for ``action`` with the form's cleaned ``data``; the number of cases
    that went back to the queue (removing a member), else 0."""
    user = request.user
    if action == "desk":
        desk_services.create_desk(office=current_office(), actor=user, code=data["code"],
                                  name=data["name"])
    elif action == "period":
        desk_services.assign_municipality(desk=data["desk"], municipality=data["municipality"],
                                          valid_from=data["valid_from"],
                                          valid_to=data["valid_to"], actor=user)
    elif action == "end":
        desk_services.end_municipality_period(period=data["period"], valid_to=data["valid_to"],
                                              actor=user)
    elif data["remove"]:
        return desk_services.remove_desk_member(desk=data["desk"], user=data["username"],
                                                actor=user)
    else:
        desk_services.add_desk_member(desk=data["desk"], user=data["username"], actor=user)
    return 0
