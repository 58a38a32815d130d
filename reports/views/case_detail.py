"""One case in the back office: details, timeline and the actions on it.

Every view first looks the case up among the cases the user may see: a case the user may not see
answers 404 (never 403), so that its existence does not leak. A case the user may see but not
change answers 403. Forms that change the case carry the ``version`` the page showed; a stale one
changes nothing and asks the user to reload.
"""


from __future__ import annotations

import re
from collections.abc import Callable
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reports import search_tokens
from reports.forms import (
    AssignForm,
    AttachmentForm,
    ClaimForm,
    ClassificationForm,
    IncidentForm,
    LinkForm,
    MessageForm,
    MoveDeskForm,
    NoteForm,
    ReporterDataForm,
    ShareForm,
    StatusForm,
    VersionedForm,
    mark_field_errors,
)
from reports.forms_incidents import CaseIncidentForm
from reports.forms_reply_templates import ReplyTemplatePickForm
from reports.models import AccessLog, Attachment, Complaint, Message
from reports.selectors import permissions, reply_templates
from reports.selectors.cases import OverdueComplaint, with_overdue
from reports.selectors.incidents import can_manage_incidents, open_incidents
from reports.selectors.links import related_cases
from reports.selectors.timeline import case_timeline
from reports.services import casework
from reports.services import complaints as complaint_services
from reports.services import desks as desk_services
from reports.services import links as link_services
from reports.services.audit import log_access
from reports.types import AuthenticatedHttpRequest

#: ``change_status`` error codes -> the status form's field they are about (others: the form).
STATUS_ERROR_FIELDS: dict[str | None, str] = {
    "outcome_required": "outcome",
    "rejection_reason_required": "rejection_reason",
    "reason_required": "reason",
    "duplicate_of": "duplicate_of",
}

#: At most this many cases in the case-number autocomplete.
SEARCH_LIMIT = 20


def _visible_case(request: HttpRequest, public_id: UUID) -> OverdueComplaint:
    """The case with ``public_id`` if the user may see it (404 otherwise), annotated with
    ``is_overdue`` (``reports.selectors.cases.with_overdue``)."""
    visible = permissions.visible_complaints(user=request.user).select_related(
        "assigned_to", "incident_municipality", "reporter_residence", "office", "team",
        "duplicate_of", "incident")
    return get_object_or_404(with_overdue(queryset=visible), public_id=public_id)


def _changeable_case(request: HttpRequest, public_id: UUID) -> OverdueComplaint:
    """The case if the user may see (else 404) and change it (else 403)."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_change(user=request.user, complaint=complaint):
        raise PermissionDenied
    return complaint


@login_required
@require_GET
def complaint_detail(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """One case: details, classification, timeline and the actions the user may take.

    Every opening is written to the access log and clears the case's unread mark for the user.
    """
    complaint = _visible_case(request, public_id)
    log_access(user=request.user, action=AccessLog.Action.VIEW, complaint=complaint)
    casework.mark_case_read(complaint=complaint, user=request.user)
    status_form, other_errors = _refused_status_change(request, complaint)
    return _render_detail(request, complaint, status_form=status_form,
                          other_errors=other_errors)


def _reply_forms(request: AuthenticatedHttpRequest, complaint: OverdueComplaint
                 ) -> tuple[ReplyTemplatePickForm, MessageForm, bool]:
    """The standard-text picker and the message form. ``?template=<id>`` (the picker, sent
    without JavaScript) fills the message form with that active template's text for this case
    (``fill_reply_template``: plain placeholder replacement), addressed to the reporter; the
    caseworker edits it and records it as any message. Returns the two forms and whether the
    choice was invalid (an unknown or inactive template: the picker shows the error)."""
    language = reply_templates.reply_language(complaint=complaint)
    templates = reply_templates.active_reply_templates()
    if "template" not in request.GET:
        return (ReplyTemplatePickForm(templates=templates, language=language), MessageForm(),
                False)
    pick = ReplyTemplatePickForm(request.GET, templates=templates, language=language)
    if not pick.is_valid():
        return pick, MessageForm(), True
    template = templates.get(pk=pick.cleaned_data["template"])
    body = reply_templates.fill_reply_template(template=template, complaint=complaint)
    return pick, MessageForm(initial={"direction": Message.Direction.TO_REPORTER,
                                      "body": body}), False


def _render_detail(request: AuthenticatedHttpRequest, complaint: OverdueComplaint, *,
                   status_form: StatusForm | None = None,
                   other_errors: dict[str, list[str]] | None = None,
                   status: int = 200) -> HttpResponse:
    """The case page; ``status_form`` replaces the empty status form (a refused change shown
    again with the user's choices and the fields in error marked); ``other_errors`` marks
    fields of the classification form (closing without handling marks ``handling``)."""
    user = request.user
    can_change = permissions.can_change(user=user, complaint=complaint)
    can_view_contact = permissions.can_view_contact(user=user)
    duplicate_of = complaint.duplicate_of
    newest_first = _timeline_newest_first(request)
    timeline = case_timeline(complaint=complaint)
    context = {
        "complaint": complaint,
        "grounds": [g.get_code_display() for g in complaint.grounds.all()],
        "handling": [h.get_code_display() for h in complaint.handling.all()],
        "timeline": timeline[::-1] if newest_first else timeline,
        "newest_first": newest_first,
        "related": related_cases(complaint=complaint, user=user),
        "overdue": complaint.is_overdue,
        "duplicate_of_visible": duplicate_of is not None and permissions.can_view(
            user=user, complaint=duplicate_of),
        "can_change": can_change,
        "can_view_contact": can_view_contact,
        "can_claim": permissions.can_claim(user=user, complaint=complaint),
    }
    if context["can_claim"]:
        context["claim_form"] = ClaimForm(initial={"version": complaint.version})
    if can_change:
        classification_form = ClassificationForm.for_complaint(complaint)
        for field, field_errors in (other_errors or {}).items():
            mark_field_errors(classification_form, field, field_errors)
        context["classification_form"] = classification_form
        context["incident_form"] = IncidentForm(complaint=complaint)
        context["link_form"] = LinkForm(user=user)
        context["status_form"] = status_form or StatusForm(complaint=complaint, user=user)
        context["note_form"] = NoteForm()
        pick_form, message_form, invalid_pick = _reply_forms(request, complaint)
        context["reply_template_form"], context["message_form"] = pick_form, message_form
        if invalid_pick:
            status = 400
        context["attachment_form"] = AttachmentForm()
        if can_view_contact:
            context["reporter_form"] = ReporterDataForm(complaint=complaint)
    context["can_manage_incidents"] = can_manage_incidents(user=user)
    if can_change and context["can_manage_incidents"] and complaint.incident_id is None:
        context["case_incident_form"] = CaseIncidentForm(
            incidents=open_incidents(office=complaint.office))
    if permissions.can_assign(user=user, complaint=complaint):
        context["assign_form"] = AssignForm(
            users=permissions.assignable_users(desk_ids=[complaint.desk_id]),
            initial={"assignee": complaint.assigned_to_id, "version": complaint.version})
    if user.has_perm("reports.share_complaint"):
        context["share_form"] = ShareForm(
            teams=permissions.visible_teams(user=user, desk_id=complaint.desk_id),
            initial={"team": complaint.team_id, "version": complaint.version})
    if can_change and permissions.can_assign(user=user, complaint=complaint):
        desks = permissions.visible_desks(user=user)
        if desks.exclude(pk=complaint.desk_id).exists():
            context["desk_form"] = MoveDeskForm(
                desks=desks, initial={"desk": complaint.desk_id, "version": complaint.version})
    return render(request, "backoffice/complaint_detail.html", context, status=status)


#: Session key of the timeline order the user chose last (``newest`` or ``oldest``).
TIMELINE_ORDER_KEY = "timeline_order"


def _timeline_newest_first(request: AuthenticatedHttpRequest) -> bool:
    """Whether the timeline reads newest first: ``?order=newest`` or ``?order=oldest`` sets the
    choice and remembers it in the session, so it stays after a save (the redirect back carries
    no query); without it the last choice holds (oldest first by default)."""
    order = request.GET.get("order")
    if order in ("newest", "oldest"):
        request.session[TIMELINE_ORDER_KEY] = order
    else:
        order = request.session.get(TIMELINE_ORDER_KEY, "oldest")
    return order == "newest"


#: The case page's sections (their ``id``), in page order; a save returns to its own section.
SECTIONS: tuple[str, ...] = ("summary", "facts", "history", "assignment", "desk", "sharing",
                             "status", "classification", "incident", "mass-report", "related",
                             "reporter", "messages", "files", "notes")


def _back(complaint: Complaint, section: str = "") -> HttpResponse:
    """Redirect to the case page, scrolled to ``section`` (one of ``SECTIONS``; the top if
    empty)."""
    url = reverse("backoffice:complaint_detail", kwargs={"public_id": complaint.public_id})
    return redirect(f"{url}#{section}" if section else url)


def _is_stale(request: AuthenticatedHttpRequest, complaint: OverdueComplaint) -> bool:
    """True when the posted ``version`` is a number other than the case's current version.

    The service checks the version again under a row lock; this early check lets a stale form
    say "reload" instead of complaining about choices that no longer apply.
    """
    try:
        return int(request.POST.get("version", "")) != complaint.version
    except ValueError:
        return False


def _apply(request: AuthenticatedHttpRequest,
        complaint: OverdueComplaint, action: Callable[[], object],
           success: str, section: str = "") -> HttpResponse:
    """Run ``action``; its ``ValidationError`` messages (incl. ``StaleCaseError``) become error
    messages, success a success message. Always redirects back to the case, at ``section``
    (see ``_back``)."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, str(message))
    else:
        messages.success(request, success)
    return _back(complaint, section)


def _invalid(request: AuthenticatedHttpRequest,
        complaint: OverdueComplaint, form: forms.Form, section: str = "") -> HttpResponse:
    """Show ``form``'s errors as messages, each prefixed with its field's label; back to the
    case at ``section``."""
    for name, field_errors in form.errors.items():
        field = form.fields.get(name)
        for message in field_errors:
            if field is not None and field.label and not field.widget.is_hidden:
                message = f"{field.label}: {message}"
            messages.error(request, str(message))
    return _back(complaint, section)


def _run(request: AuthenticatedHttpRequest, complaint: OverdueComplaint, form: forms.Form,
         action: Callable[[], object], success: str, section: str = "") -> HttpResponse:
    """Validate ``form`` (after the stale-version check of versioned forms) and apply
    ``action``; back to the case at ``section`` (the one just saved, see ``SECTIONS``)."""
    if isinstance(form, VersionedForm) and _is_stale(request, complaint):
        messages.error(request, complaint_services.StaleCaseError().messages[0])
        return _back(complaint, section)
    if not form.is_valid():
        return _invalid(request, complaint, form, section)
    return _apply(request, complaint, action, success, section)


@login_required
@require_POST
def classify(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Save the classification."""
    complaint = _changeable_case(request, public_id)
    form = ClassificationForm(request.POST)
    return _run(request, complaint, form, lambda: complaint_services.classify_complaint(
        complaint=complaint, actor=request.user, expected_version=form.expected_version(),
        **form.action_data()), _("Classification saved."), "classification")


@login_required
@require_POST
def change_status(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Move the case to another status, with a reason, outcome or rejection reason.

    A refused change (a missing outcome, reason or rejection reason) redirects to the case page
    with the message, the chosen status kept and the missing field marked (kept once in the
    session); a stale version asks to reload."""
    complaint = _changeable_case(request, public_id)
    form = StatusForm(request.POST, complaint=complaint, user=request.user)
    if _is_stale(request, complaint):
        messages.error(request, complaint_services.StaleCaseError().messages[0])
        return _back(complaint, "status")
    if form.is_valid():
        try:
            complaint_services.change_status(
                complaint=complaint, actor=request.user,
                expected_version=form.expected_version(), **form.action_data())
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            if getattr(error, "code", None) != "stale":
                _keep_status_choice(request, complaint, form, _errors_by_field(error))
        else:
            messages.success(request, _("Status changed."))
        return _back(complaint, "status")
    return _invalid(request, complaint, form, "status")


#: Session key of a refused status change, shown again once on the case page.
REFUSED_STATUS_KEY = "refused_status_change"


def _errors_by_field(error: ValidationError) -> dict[str, list[str]]:
    """``change_status``'s refusal as field -> messages: an error by field (closing without
    handling and/or outcome names each) as it is, a single error by its code
    (``STATUS_ERROR_FIELDS``); ``""`` for errors about no field."""
    if hasattr(error, "error_dict"):
        return {field: [str(message) for errors in field_errors for message in errors.messages]
                for field, field_errors in error.error_dict.items()}
    return {STATUS_ERROR_FIELDS.get(getattr(error, "code", None), ""): error.messages}


def _keep_status_choice(request: AuthenticatedHttpRequest, complaint: OverdueComplaint,
                        form: StatusForm, errors: dict[str, list[str]]) -> None:
    """Remember the refused status form (the user's choices) in the session for the next view
    of this case, so the chosen status stays selected and every missing field is marked."""
    data = {name: form.data.get(name, "") for name in
            ("to_status", "reason", "outcome", "rejection_reason", "duplicate_of", "version")}
    request.session[REFUSED_STATUS_KEY] = {"case": str(complaint.public_id), "data": data,
                                           "errors": errors}


def _refused_status_change(request: AuthenticatedHttpRequest, complaint: OverdueComplaint
                           ) -> tuple[StatusForm | None, dict[str, list[str]]]:
    """The status form refused just before, bound to the user's choices with its errors marked
    on the fields they are about, and the errors about fields of other forms (``handling``, in
    the classification form). Once; ``(None, {})`` when there is none for this case."""
    kept = request.session.pop(REFUSED_STATUS_KEY, None)
    if not kept or kept.get("case") != str(complaint.public_id):
        return None, {}
    form = StatusForm(kept["data"], complaint=complaint, user=request.user)
    others: dict[str, list[str]] = {}
    errors = kept.get("errors") or {}
    if form.is_valid():
        for field, field_errors in errors.items():
            if field in form.fields:
                for message in field_errors:
                    form.add_error(field, message)
            else:
                others[field] = field_errors
    return form, others


@login_required
@require_POST
def update_reporter(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Change the reporter's details, anonymity choice and mediation consents."""
    complaint = _changeable_case(request, public_id)
    if not permissions.can_view_contact(user=request.user):
        raise PermissionDenied
    form = ReporterDataForm(request.POST, complaint=complaint)
    return _run(request, complaint, form, lambda: complaint_services.update_reporter_data(
        complaint=complaint, actor=request.user, expected_version=form.expected_version(),
        **form.action_data()), _("Reporter data saved."), "reporter")


@login_required
@require_POST
def update_incident(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Correct the incident's place and date and the channel."""
    complaint = _changeable_case(request, public_id)
    form = IncidentForm(request.POST, complaint=complaint)
    return _run(request, complaint, form, lambda: complaint_services.update_incident(
        complaint=complaint, actor=request.user, expected_version=form.expected_version(),
        **form.action_data()), _("Incident details saved."), "incident")


@login_required
@require_POST
def link_case(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Link a related case (by its number) to this one."""
    complaint = _changeable_case(request, public_id)
    form = LinkForm(request.POST, user=request.user)
    return _run(request, complaint, form, lambda: link_services.link_cases(
        complaint=complaint, other=form.cleaned_data["case_number"],
        kind=form.cleaned_data["kind"], actor=request.user), _("Cases linked."), "related")


@login_required
@require_POST
def unlink_case(request: AuthenticatedHttpRequest, public_id: UUID, other_id: UUID) -> HttpResponse:
    """Remove the link to another case."""
    complaint = _changeable_case(request, public_id)
    other = get_object_or_404(permissions.visible_complaints(user=request.user),
                              public_id=other_id)
    return _apply(request, complaint, lambda: link_services.unlink_cases(
        complaint=complaint, other=other, actor=request.user), _("Link removed."), "related")


@login_required
@require_POST
def add_note(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Add an internal note."""
    complaint = _changeable_case(request, public_id)
    form = NoteForm(request.POST)
    return _run(request, complaint, form, lambda: complaint_services.add_note(
        complaint=complaint, author=request.user, text=form.cleaned_data["text"]),
        _("Note added."), "notes")


@login_required
@require_POST
def record_message(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Record a message sent to, or received from, the reporter."""
    complaint = _changeable_case(request, public_id)
    form = MessageForm(request.POST)
    return _run(request, complaint, form, lambda: complaint_services.record_message(
        complaint=complaint, author=request.user, direction=form.cleaned_data["direction"],
        body=form.cleaned_data["body"]),
        _("Message recorded."), "messages")


@login_required
@require_POST
def add_attachment(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Upload a file to the case."""
    complaint = _changeable_case(request, public_id)
    form = AttachmentForm(request.POST, request.FILES)
    return _run(request, complaint, form, lambda: complaint_services.add_attachment(
        complaint=complaint, uploaded_by=request.user, upload=form.cleaned_data["upload"]),
        _("File added."), "files")


#: Characters never passed on in a download's file name: controls (incl. CR and LF), quotes and
#: path separators.
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f\"'/\\]")


def download_filename(name: str) -> str:
    """``name`` made safe for ``Content-Disposition``: controls (CR, LF, ...), quotes and path
    separators removed, other characters (accents, CJK) kept; ``attachment`` if nothing is left.

    ``FileResponse`` then writes a plain ``filename="..."`` for ASCII names and an RFC 5987
    ``filename*=utf-8''...`` for others.
    """
    cleaned = _UNSAFE_FILENAME.sub("", name).strip().lstrip(".")
    return cleaned or "attachment"


@login_required
@require_GET
def download_attachment(request: AuthenticatedHttpRequest, public_id: UUID, attachment_id: UUID
                        ) -> FileResponse:
    """Stream an attachment of a case the user may see, as a download; logged.

    404 when the user may not see the case, the attachment belongs to another case, or the file
    is missing from storage.
    """
    complaint = _visible_case(request, public_id)
    attachment = get_object_or_404(Attachment, complaint=complaint, public_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    log_access(user=request.user, action=AccessLog.Action.DOWNLOAD, complaint=complaint,
               detail={"attachment": attachment.pk})
    response = FileResponse(handle, as_attachment=True,
                            filename=download_filename(attachment.original_name),
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def assign(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Assign the case to a caseworker (or back to the queue)."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_assign(user=request.user, complaint=complaint):
        raise PermissionDenied
    form = AssignForm(request.POST, users=permissions.assignable_users(
        desk_ids=[complaint.desk_id]))
    return _run(request, complaint, form, lambda: complaint_services.assign_complaint(
        complaint=complaint, actor=request.user, assignee=form.cleaned_data["assignee"],
        expected_version=form.expected_version()), _("Assignment saved."), "assignment")


@login_required
@require_POST
def claim(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Take an unassigned case for yourself."""
    complaint = _visible_case(request, public_id)
    if not permissions.can_claim(user=request.user, complaint=complaint):
        raise PermissionDenied
    form = ClaimForm(request.POST)
    return _run(request, complaint, form, lambda: complaint_services.assign_complaint(
        complaint=complaint, actor=request.user, assignee=request.user,
        expected_version=form.expected_version()), _("The case is now yours."))


@login_required
@require_POST
def move_desk(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Move the case to another desk of the user's (``desks.move_to_desk``). Moving it out of
    the user's own desks means they lose sight of it: then back to the case list."""
    complaint = _visible_case(request, public_id)
    if not (permissions.can_change(user=request.user, complaint=complaint)
            and permissions.can_assign(user=request.user, complaint=complaint)):
        raise PermissionDenied
    form = MoveDeskForm(request.POST, desks=permissions.visible_desks(user=request.user))
    if _is_stale(request, complaint):
        messages.error(request, complaint_services.StaleCaseError().messages[0])
        return _back(complaint, "desk")
    if not form.is_valid():
        return _invalid(request, complaint, form, "desk")
    try:
        moved = desk_services.move_to_desk(
            complaint=complaint, actor=request.user, desk=form.cleaned_data["desk"],
            expected_version=form.expected_version())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, str(message))
        return _back(complaint, "desk")
    messages.success(request, _("Case %(number)s moved to desk %(desk)s.") % {
        "number": moved.case_number, "desk": form.cleaned_data["desk"].name})
    if not permissions.can_view(user=request.user, complaint=moved):
        return redirect("backoffice:complaint_list")
    return _back(complaint, "desk")


@login_required
@require_POST
def share(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Share the case with a team, or stop sharing it."""
    complaint = _visible_case(request, public_id)
    if not request.user.has_perm("reports.share_complaint"):
        raise PermissionDenied
    form = ShareForm(request.POST, teams=permissions.visible_teams(
        user=request.user, desk_id=complaint.desk_id))
    return _run(request, complaint, form, lambda: complaint_services.share_with_team(
        complaint=complaint, actor=request.user, team=form.cleaned_data["team"],
        expected_version=form.expected_version()), _("Sharing saved."), "sharing")


@login_required
@require_GET
def case_search(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Autocomplete for case numbers: at most ``SEARCH_LIMIT`` cases the user may see whose
    case number starts with ``q`` (case-insensitive), as
    ``[{"id": public_id, "case_number": ...}]`` ordered by case number."""
    query = request.GET.get("q", "").strip()
    if not query:
        return JsonResponse([], safe=False)
    found = (permissions.visible_complaints(user=request.user)
             .filter(case_number__istartswith=query)
             .order_by("case_number")
             .values_list("public_id", "case_number")[:SEARCH_LIMIT])
    return JsonResponse([{"id": str(public_id), "case_number": case_number}
                         for public_id, case_number in found], safe=False)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def jump_to_case(request: HttpRequest) -> HttpResponse:
    """The header's "go to case" box (posted, so what is typed stays out of URLs; GET
    ``?number=`` still works): the case with exactly this number (any case, surrounding spaces
    ignored) if the user may see it; otherwise the case list searched for the text (a stored
    search, ``reports.search_tokens``), closed cases included (looking a case up is not the
    daily list of open work)."""
    source = request.POST if request.method == "POST" else request.GET
    number = source.get("number", "").strip()[:100]
    found = (permissions.visible_complaints(user=request.user)
             .filter(case_number__iexact=number).only("public_id").first()) if number else None
    if found is not None:
        return redirect("backoffice:complaint_detail", public_id=found.public_id)
    query = QueryDict(mutable=True)
    query["closed"] = "1"
    if number:
        query[search_tokens.PARAMETER] = search_tokens.store_search(request, number)
    return redirect(f"{reverse('backoffice:complaint_list')}?{query.urlencode()}")
