"""Mass reports (incidents), the case list's bulk actions and the progress of case jobs.

Views stay thin: forms validate, services write (``reports.services.incidents``), selectors
read. Cases are always looked up among those the user may see; ids that are not visible are
counted as "not found", never named.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from reports.forms_incidents import (
    BulkActionForm,
    CaseIncidentForm,
    CloseAllForm,
    MassReportForm,
    ReplyAllForm,
)
from reports.models import CaseJob, Complaint, Incident
from reports.selectors import incidents as incident_selectors
from reports.selectors import permissions
from reports.services import complaints as case_services
from reports.services import incidents as incident_services
from reports.services.reference import current_office
from reports.types import AuthenticatedHttpRequest
from reports.vocabulary import Outcome, RejectionReason, Status


def _require_manage(request: AuthenticatedHttpRequest) -> None:
    if not incident_selectors.can_manage_incidents(user=request.user):
        raise PermissionDenied


def _incident(request: AuthenticatedHttpRequest, public_id: UUID) -> Incident:
    """The office's incident with ``public_id`` for a user who may manage incidents (403
    without the permission, 404 for an unknown one)."""
    _require_manage(request)
    return get_object_or_404(Incident.objects.filter(office=current_office()),
                             public_id=public_id)


def _errors(request: AuthenticatedHttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_errors(request: AuthenticatedHttpRequest, form: MassReportForm | ReplyAllForm
                 | CloseAllForm | CaseIncidentForm | BulkActionForm) -> None:
    for name, field_errors in form.errors.items():
        field = form.fields.get(name)
        for message in field_errors:
            label = field.label if field is not None and field.label else ""
            messages.error(request, f"{label}: {message}" if label else str(message))


def _detail_url(incident: Incident, section: str = "") -> str:
    url = reverse("backoffice:incident_detail", kwargs={"public_id": incident.public_id})
    return f"{url}#{section}" if section else url


@login_required
@require_GET
def incident_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The office's mass reports, newest first, with their number of reports, and a form for a
    new one."""
    _require_manage(request)
    page = Paginator(incident_selectors.incidents(office=current_office(), user=request.user),
                     settings.BACKOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/incident_list.html",
                  {"page": page, "form": MassReportForm()})


@login_required
@require_POST
def incident_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a mass report and open its page."""
    _require_manage(request)
    form = MassReportForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("backoffice:incident_list")
    data = form.cleaned_data
    try:
        incident = incident_services.create_incident(
            office=current_office(), actor=request.user, title=data["title"],
            description=data["description"], grounds=data["grounds"],
            societal_domain=data["societal_domain"], nature=data["nature"])
    except ValidationError as error:
        _errors(request, error)
        return redirect("backoffice:incident_list")
    messages.success(request, _("Mass report created."))
    return redirect(_detail_url(incident))


@login_required
@require_GET
def incident_detail(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """One mass report: its reports (the ones the user may see, paginated), the reports with
    their own classification, the classification form, reply to all, close all, and the
    progress of its jobs (the page refreshes itself while one runs)."""
    incident = _incident(request, public_id)
    reports = incident_selectors.incident_reports(incident=incident, user=request.user)
    page = Paginator(reports, settings.BACKOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = incident_selectors.incident_jobs(incident=incident, user=request.user)
    return render(request, "backoffice/incident_detail.html", {
        "incident": incident, "page": page,
        "grounds": [g.get_code_display() for g in incident.grounds.all()],
        "overridden": incident_selectors.overridden_reports(incident=incident,
                                                            user=request.user),
        "jobs": jobs, "running": any(not job.finished for job in jobs),
        "form": MassReportForm.for_incident(incident),
        "reply_form": ReplyAllForm(), "close_form": CloseAllForm(),
    })


@login_required
@require_POST
def incident_classify(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Save title, description and classification; the reports take the classification over
    in a background job."""
    incident = _incident(request, public_id)
    form = MassReportForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_detail_url(incident, "classification"))
    data = form.cleaned_data
    try:
        job = incident_services.classify_incident(
            incident=incident, actor=request.user, grounds=data["grounds"],
            societal_domain=data["societal_domain"], nature=data["nature"],
            title=data["title"], description=data["description"],
            expected_version=data["version"])
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Mass report saved.") if job is None else
                         _("Mass report saved; its reports take the classification over."))
    return redirect(_detail_url(incident, "classification"))


@login_required
@require_POST
def incident_reply(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Send one message to every reporter of the mass report (a background job)."""
    incident = _incident(request, public_id)
    form = ReplyAllForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_detail_url(incident, "reply"))
    try:
        incident_services.reply_to_all(incident=incident, actor=request.user,
                                       body=form.cleaned_data["body"])
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The message is being sent; progress is shown below."))
    return redirect(_detail_url(incident, "jobs"))


@login_required
@require_POST
def incident_close(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Close every open report of the mass report with one outcome and handling (a job)."""
    incident = _incident(request, public_id)
    form = CloseAllForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_detail_url(incident, "close"))
    data = form.cleaned_data
    try:
        incident_services.close_incident(incident=incident, actor=request.user,
                                         outcome=data["outcome"], handling=data["handling"],
                                         reason=data["reason"])
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The reports are being closed; progress is shown below."))
    return redirect(_detail_url(incident, "jobs"))


@login_required
@require_POST
def incident_remove_case(request: AuthenticatedHttpRequest, public_id: UUID,
                         case_id: UUID) -> HttpResponse:
    """Take one report out of the mass report (it keeps its classification)."""
    incident = _incident(request, public_id)
    complaint = get_object_or_404(
        permissions.visible_complaints(user=request.user).filter(incident=incident),
        public_id=case_id)
    try:
        case_services.remove_from_incident(complaint=complaint, actor=request.user)
    except PermissionDenied:
        messages.error(request, _("You may not change case %(case)s.")
                       % {"case": complaint.case_number})
    else:
        messages.success(request, _("Case %(case)s was removed from the mass report.")
                         % {"case": complaint.case_number})
    return redirect(_detail_url(incident, "reports"))


@login_required
@require_POST
def case_incident(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """On the case page: put the case in an existing mass report, in the one of another case
    ("about the same incident as case X"; a new mass report for both when X is in none), or in
    a new one; or take it out (``mode=remove``)."""
    complaint = get_object_or_404(permissions.visible_complaints(user=request.user),
                                  public_id=public_id)
    _require_manage(request)
    if not permissions.can_change(user=request.user, complaint=complaint):
        raise PermissionDenied
    back = reverse("backoffice:complaint_detail",
                   kwargs={"public_id": complaint.public_id}) + "#mass-report"
    office = current_office()
    if request.POST.get("mode") == "remove":
        case_services.remove_from_incident(complaint=complaint, actor=request.user)
        messages.success(request, _("The case was removed from the mass report."))
        return redirect(back)
    form = CaseIncidentForm(request.POST,
                            incidents=incident_selectors.open_incidents(office=office))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    others: list[Complaint] = []
    try:
        with transaction.atomic():
            if data["mode"] == "existing":
                incident = data["incident"]
            elif data["mode"] == "same_as":
                other = permissions.visible_complaints(user=request.user).filter(
                    case_number__iexact=data["case_number"].strip()).exclude(
                    pk=complaint.pk).select_related("incident").first()
                if other is None:
                    raise ValidationError(_("No case with this number that you can see."))
                if other.incident is not None:
                    incident = other.incident
                else:
                    incident = incident_services.create_incident(
                        office=office, actor=request.user,
                        title=_("Mass report %(case)s") % {"case": other.case_number},
                        grounds=other.grounds.values_list("code", flat=True),
                        societal_domain=other.societal_domain, nature=other.nature)
                    others = [other]
            else:
                incident = incident_services.create_incident(
                    office=office, actor=request.user, title=data["title"],
                    grounds=complaint.grounds.values_list("code", flat=True),
                    societal_domain=complaint.societal_domain, nature=complaint.nature)
            for case in [*others, complaint]:
                case_services.add_to_incident(complaint=case, actor=request.user,
                                              incident=incident)
    except ValidationError as error:
        _errors(request, error)
    except PermissionDenied:
        messages.error(request, _("You may not change the other case."))
    else:
        messages.success(request, _("The case is part of the mass report “%(title)s”.")
                         % {"title": incident.title})
    return redirect(back)


@login_required
@require_POST
def bulk_action(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The case list's action on the selected cases, in two steps: without ``confirmed`` a
    preview page says exactly what will happen (how many cases, which action, which cases
    block it) and changes nothing; with ``confirmed`` the job is queued and its progress
    page opens. At most ``MAX_BULK_CASES`` cases."""
    user = request.user
    if not incident_selectors.can_bulk_change(user=user):
        raise PermissionDenied
    office = current_office()
    form = BulkActionForm(request.POST, users=permissions.assignable_users_for(user=request.user),
                          teams=permissions.visible_teams(user=request.user),
                          incidents=incident_selectors.open_incidents(office=office))
    selection = request.POST.getlist("cases")
    back = reverse("backoffice:complaint_list")
    if len(selection) > incident_services.MAX_BULK_CASES:
        try:
            incident_services.check_selection_size(len(selection))
        except ValidationError as error:
            _errors(request, error)
        return redirect(back)
    complaints, not_found = incident_selectors.selected_cases(user=user, public_ids=selection)
    try:
        incident_services.check_selection_size(len(complaints))
    except ValidationError as error:
        _errors(request, error)
        return redirect(back)
    if not form.is_valid():
        if form.errors.keys() <= {"outcome", "rejection_reason", "reason"}:
            # A workflow condition for the whole selection: refused on the preview.
            return _preview(request, form, complaints, not_found, errors=[
                str(message) for messages_ in form.errors.values() for message in messages_])
        _form_errors(request, form)
        return redirect(back)
    action = form.cleaned_data["action"]
    if action == "incident" and not incident_selectors.can_manage_incidents(user=user):
        raise PermissionDenied
    if action == "assign" and not permissions.can_assign(user=user):
        raise PermissionDenied
    if action == "share" and not user.has_perm("reports.share_complaint"):
        raise PermissionDenied
    blockers: list[str] = []
    unhandled: list[str] = []
    if action == "status":
        blockers = incident_selectors.status_blockers(
            complaints=complaints, to_status=form.cleaned_data["to_status"])
        if form.cleaned_data["to_status"] == Status.CLOSED:
            unhandled = incident_selectors.cases_without_handling(complaints=complaints)
    if request.POST.get("confirmed") != "1" or blockers or unhandled:
        return _preview(request, form, complaints, not_found, blockers=blockers,
                        unhandled=unhandled)
    try:
        if action == "incident":
            with transaction.atomic():
                incident = form.cleaned_data["incident"] or incident_services.create_incident(
                    office=office, actor=user, title=form.cleaned_data["title"])
                job = incident_services.group_into_incident(incident=incident, actor=user,
                                                            complaints=complaints)
        else:
            job = incident_services.bulk_change(actor=user, complaints=complaints,
                                                kind=action, params=form.params())
    except ValidationError as error:
        _errors(request, error)
        return redirect(back)
    messages.success(request, ngettext("The change of %(count)d case has started.",
                                       "The change of %(count)d cases has started.",
                                       len(complaints)) % {"count": len(complaints)})
    return redirect("backoffice:case_job", public_id=job.public_id)


def _preview(request: AuthenticatedHttpRequest, form: BulkActionForm,
             complaints: list[Complaint], not_found: int, *, blockers: list[str] | None = None,
             unhandled: list[str] | None = None, errors: list[str] | None = None
             ) -> HttpResponse:
    """The bulk preview; with blockers, cases without handling or form errors it refuses
    (status 400, no confirm button)."""
    action = form.cleaned_data["action"]
    refused = [c.case_number for c in complaints
               if not permissions.can_change(user=request.user, complaint=c)]
    refusing = bool(blockers or unhandled or errors)
    return render(request, "backoffice/bulk_preview.html", {
        "form": form, "action": action, "complaints": complaints,
        "not_found": not_found, "blockers": blockers or [], "refused": refused,
        "unhandled": unhandled or [], "errors": errors or [], "refusing": refusing,
        "action_label": dict(BulkActionForm.ACTIONS)[action],
        "data": form.cleaned_data, "labels": _labels(form),
        "hidden": [(name, value) for name in BulkActionForm.base_fields
                   for value in request.POST.getlist(name)],
    }, status=400 if refusing else 200)


def _labels(form: BulkActionForm) -> dict[str, str]:
    """The chosen status, outcome and rejection reason as labels in the user's language."""
    data = form.cleaned_data
    return {name: str(dict(choices).get(data.get(name) or "", ""))
            for name, choices in (("to_status", Status.choices), ("outcome", Outcome.choices),
                                  ("rejection_reason", RejectionReason.choices))}


@login_required
@require_GET
def case_job(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """The progress of one job (``can_follow_job``: its actor, or who manages mass reports across
    desks; 404 for anyone else): total, done, changed, skipped cases with the reason;
    refreshes itself while running."""
    job = incident_selectors.case_job(public_id=public_id)
    if job is None or not incident_selectors.can_follow_job(user=request.user, job=job):
        raise Http404
    return render(request, "backoffice/case_job.html", {"job": job})


@login_required
@require_POST
def case_job_restart(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Queue an unfinished job again (after a broker outage); it continues where it stood."""
    job = incident_selectors.case_job(public_id=public_id)
    if job is None or not incident_selectors.can_follow_job(user=request.user, job=job):
        raise Http404
    with transaction.atomic():
        incident_services.requeue_case_job(job=job, actor=request.user)
    return redirect("backoffice:case_job", public_id=job.public_id)


__all__ = ["CaseJob", "bulk_action", "case_incident", "case_job", "case_job_restart",
           "incident_classify", "incident_close", "incident_create", "incident_detail",
           "incident_list", "incident_remove_case", "incident_reply"]
