"""One case in the back office: details, timeline and the actions on it.

A case the user may not see answers 404 (never 403), so that its existence does not leak.
"""


from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reports.forms import AssignForm, ClassificationForm, NoteForm, StatusForm
from reports.models import Complaint, ComplaintHistory, Note
from reports.selectors import permissions
from reports.services import complaints as complaint_services


def _visible_case(request: HttpRequest, public_id: UUID) -> Complaint:
    return get_object_or_404(
        permissions.visible_complaints(user=request.user).select_related(
            "assigned_to", "incident_municipality", "reporter_residence", "office"),
        public_id=public_id,
    )


@login_required
@require_GET
def complaint_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One case: details, classification, timeline and the actions the user may take."""
    complaint = _visible_case(request, public_id)
    user = request.user
    can_change = permissions.can_change(user=user, complaint=complaint)
    history = ComplaintHistory.objects.filter(complaint=complaint).select_related("actor")
    notes = Note.objects.filter(complaint=complaint).select_related("author")
    timeline = sorted([*history, *notes], key=lambda item: (
        item.at if isinstance(item, ComplaintHistory) else item.created_at))
    context = {
        "complaint": complaint,
        "grounds": [g.get_code_display() for g in complaint.grounds.all()],
        "handling": [h.get_code_display() for h in complaint.handling.all()],
        "timeline": timeline,
        "can_change": can_change,
        "can_view_contact": permissions.can_view_contact(user=user),
        "can_claim": permissions.can_claim(user=user, complaint=complaint),
    }
    if can_change:
        context["classification_form"] = ClassificationForm.for_complaint(complaint)
        context["status_form"] = StatusForm(complaint=complaint)
        context["note_form"] = NoteForm()
    if permissions.can_assign(user=user):
        context["assign_form"] = AssignForm(users=permissions.assignable_users(),
                                            initial={"assignee": complaint.assigned_to_id})
    return render(request, "backoffice/complaint_detail.html", context)


def _apply(request: HttpRequest, complaint: Complaint, action, success: str) -> HttpResponse:
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("backoffice:complaint_detail", public_id=complaint.public_id)


def _invalid(request: HttpRequest, complaint: Complaint, form) -> HttpResponse:
    for field_errors in form.errors.values():
        for message in field_errors:
            messages.error(request, message)
    return redirect("backoffice:complaint_detail", public_id=complaint.public_id)


@login_required
@require_POST
def classify(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Save the classification."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_change(user=request.user, complaint=complaint):
        raise PermissionDenied
    form = ClassificationForm(request.POST)
    if not form.is_valid():
        return _invalid(request, complaint, form)
    return _apply(request, complaint, lambda: complaint_services.classify_complaint(
        complaint=complaint, actor=request.user, **form.cleaned_data),
        _("Classification saved."))


@login_required
@require_POST
def change_status(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Move the case to another status."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_change(user=request.user, complaint=complaint):
        raise PermissionDenied
    form = StatusForm(request.POST, complaint=complaint)
    if not form.is_valid():
        return _invalid(request, complaint, form)
    return _apply(request, complaint, lambda: complaint_services.change_status(
        complaint=complaint, actor=request.user, to_status=form.cleaned_data["to_status"]),
        _("Status changed."))


@login_required
@require_POST
def add_note(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Add an internal note."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_change(user=request.user, complaint=complaint):
        raise PermissionDenied
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, complaint, form)
    return _apply(request, complaint, lambda: complaint_services.add_note(
        complaint=complaint, author=request.user, text=form.cleaned_data["text"]),
        _("Note added."))


@login_required
@require_POST
def assign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Assign the case to a caseworker (or back to the queue)."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_assign(user=request.user):
        raise PermissionDenied
    form = AssignForm(request.POST, users=permissions.assignable_users())
    if not form.is_valid():
        return _invalid(request, complaint, form)
    return _apply(request, complaint, lambda: complaint_services.assign_complaint(
        complaint=complaint, actor=request.user, assignee=form.cleaned_data["assignee"]),
        _("Assignment saved."))


@login_required
@require_POST
def claim(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Take an unassigned case for yourself."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_claim(user=request.user, complaint=complaint):
        raise PermissionDenied
    return _apply(request, complaint, lambda: complaint_services.assign_complaint(
        complaint=complaint, actor=request.user, assignee=request.user),
        _("The case is now yours."))


