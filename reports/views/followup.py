"""The reporter's follow-up portal at ``/melden/opvolgen/``: no account, no e-mail address.

The reporter types the receipt code shown once after their report
(``reports.services.receipts``). A correct code keeps only the case's ``public_id`` in the
session (with a new session key) for ``FOLLOWUP_SESSION_IDLE_SECONDS`` without a request
(default 30 minutes); the case page then shows the status in one plain sentence, the messages
to and from the reporter and the files they sent, and lets them reply and add files. No URL
names a case: the session decides which case is shown, so no other case can be reached.
"Close" forgets the case. Every page is ``no-store`` (``reports.security``).

Wrong codes are rate-limited per IP and per code prefix
(``reports.services.followup.check_receipt_code``): while blocked the answer is 429 with the
minutes to wait, and the code is not checked. Every wrong code gets the same message.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from reports.forms_followup import FilesForm, ReceiptCodeForm, ReplyForm
from reports.models import Complaint
from reports.security import SecurityEvent, log_security_event
from reports.selectors.followup import (
    portal_complaint,
    portal_files,
    portal_messages,
    reporter_waiting_since,
    status_sentence,
)
from reports.services import followup as followup_services
from reports.throttling import client_ip

#: Session key: ``{"public_id": str, "seen": Unix seconds of the last request}``.
SESSION_KEY = "followup_case"


def wrong_code_message() -> str:
    """The one answer to every code that does not open a case (malformed, unknown, withdrawn)."""
    return _("This code is not correct, or it no longer works.")


def wait_message(seconds: int) -> str:
    """Tell the reporter to wait ``seconds`` (rounded up to whole minutes) before trying again."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("You tried too often. Please wait %(minutes)d minute and try again.",
                    "You tried too often. Please wait %(minutes)d minutes and try again.",
                    minutes) % {"minutes": minutes}


def _forget(request: HttpRequest) -> None:
    """Drop the case from the session and give the session a new key."""
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def _open_case(request: HttpRequest) -> Complaint | None:
    """The case this session opened with a code, if the session is not idle for longer than
    ``FOLLOWUP_SESSION_IDLE_SECONDS`` and the portal still works for the case; records this
    request as the last one. Forgets the case otherwise."""
    remembered = request.session.get(SESSION_KEY)
    if not isinstance(remembered, dict):
        return None
    now = time.time()
    complaint = None
    if now - float(remembered.get("seen", 0)) <= settings.FOLLOWUP_SESSION_IDLE_SECONDS:
        complaint = portal_complaint(public_id=remembered.get("public_id", ""))
    if complaint is None:
        _forget(request)
        messages.info(request, _("For your safety, please fill in your receipt code again."))
        return None
    request.session[SESSION_KEY] = {**remembered, "seen": now}
    return complaint


def _code_page(request: HttpRequest, form: ReceiptCodeForm, *, error: str = "",
               status: int = 200) -> HttpResponse:
    return render(request, "reports/followup.html", {"form": form, "error": error},
                  status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def followup(request: HttpRequest) -> HttpResponse:
    """The code entry. GET shows the form (or goes to the case page when this session has one
    open); POST checks the code: a correct one opens the case page, a wrong one answers 400 with
    the one generic message, and while the IP or the code's prefix is blocked the answer is 429
    with the minutes to wait."""
    if request.method != "POST":
        if request.session.get(SESSION_KEY) and _open_case(request) is not None:
            return redirect("intake:followup_case")
        return _code_page(request, ReceiptCodeForm())
    form = ReceiptCodeForm(request.POST)
    if not form.is_valid():
        return _code_page(request, form, status=400)
    check = followup_services.check_receipt_code(code=form.cleaned_data["code"],
                                                 ip=client_ip(request))
    if check.complaint is not None:
        request.session.cycle_key()
        request.session[SESSION_KEY] = {"public_id": str(check.complaint.public_id),
                                        "seen": time.time()}
        return redirect("intake:followup_case")
    if check.wait_seconds:
        log_security_event(event=SecurityEvent.RECEIPT_CODE_BLOCKED, request=request,
                           checked=check.checked)
        response = _code_page(request, ReceiptCodeForm(),
                              error=wait_message(check.wait_seconds), status=429)
        response["Retry-After"] = str(check.wait_seconds)
        return response
    log_security_event(event=SecurityEvent.RECEIPT_CODE_FAILED, request=request)
    return _code_page(request, form, error=wrong_code_message(), status=400)


def _case_page(request: HttpRequest, complaint: Complaint, *,
               reply_form: ReplyForm | None = None, files_form: FilesForm | None = None,
               status: int = 200) -> HttpResponse:
    conversation = portal_messages(complaint=complaint)
    files = portal_files(complaint=complaint)
    return render(request, "reports/followup_case.html", {
        "case_number": complaint.case_number,
        "received_on": complaint.received_at,
        "status_sentence": status_sentence(status=complaint.status),
        "sent_on": reporter_waiting_since(conversation=conversation, files=files),
        "conversation": conversation,
        "files": files,
        "reply_form": reply_form or ReplyForm(),
        "files_form": files_form or FilesForm(),
    }, status=status)


def _closed(request: HttpRequest) -> HttpResponse:
    """The portal stopped working for the case while the session was open."""
    _forget(request)
    messages.info(request, _("For your safety, please fill in your receipt code again."))
    return redirect("intake:followup")


@never_cache
@require_http_methods(["GET", "HEAD"])
def followup_case(request: HttpRequest) -> HttpResponse:
    """The case this session opened: status sentence, conversation, the reporter's files, and
    the forms to reply and to add files. Without an open case: back to the code entry."""
    complaint = _open_case(request)
    if complaint is None:
        return redirect("intake:followup")
    return _case_page(request, complaint)


@never_cache
@require_POST
def followup_message(request: HttpRequest) -> HttpResponse:
    """Send the reporter's message (``services.followup.add_reporter_message``); invalid input
    shows the case page again with the text kept (400)."""
    complaint = _open_case(request)
    if complaint is None:
        return redirect("intake:followup")
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            followup_services.add_reporter_message(complaint=complaint,
                                                   body=form.cleaned_data["body"])
        except PermissionDenied:
            return _closed(request)
        except ValidationError as error:
            form.add_error("body", error)
        else:
            messages.success(request, _("Thank you. We have received your message."))
            return redirect("intake:followup_case")
    return _case_page(request, complaint, reply_form=form, status=400)


@never_cache
@require_POST
def followup_files(request: HttpRequest) -> HttpResponse:
    """Add the reporter's files (``services.followup.add_reporter_files``); invalid files show
    the case page again with the reasons (400)."""
    complaint = _open_case(request)
    if complaint is None:
        return redirect("intake:followup")
    form = FilesForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            stored = followup_services.add_reporter_files(complaint=complaint,
                                                          files=form.cleaned_data["files"])
        except PermissionDenied:
            return _closed(request)
        except ValidationError as error:
            form.add_error("files", error)
        else:
            messages.success(request, ngettext("Thank you. We have received your file.",
                                               "Thank you. We have received your %(count)d files.",
                                               len(stored)) % {"count": len(stored)})
            return redirect("intake:followup_case")
    return _case_page(request, complaint, files_form=form, status=400)


@never_cache
@require_POST
def followup_close(request: HttpRequest) -> HttpResponse:
    """Forget the open case (the "close" button) and go back to the code entry."""
    had_case = request.session.get(SESSION_KEY) is not None
    _forget(request)
    if had_case:
        messages.success(request, _("Your case page is closed. To open it again, fill in your "
                                    "receipt code."))
    return redirect("intake:followup")
