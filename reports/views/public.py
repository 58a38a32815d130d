"""The public intake at ``/melden/``. No login; nothing here reveals stored reports."""

from __future__ import annotations

import time
import uuid

from crispy_forms.layout import Hidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from reports import crypto
from reports.forms import IntakeForm
from reports.selectors.reference import current_office
from reports.services.complaints import OnlineSubmission, submit_online_complaint

SESSION_KEY = "intake_receipt"
#: How long the confirmation page keeps showing the case number (a shared computer forgets it).
CONFIRMATION_SECONDS = 30 * 60


def _submission_token(request: HttpRequest) -> uuid.UUID:
    """The form's one-time token: the posted one when valid, otherwise a new one."""
    try:
        return uuid.UUID(request.POST.get("submission_token", ""))
    except ValueError:
        return uuid.uuid4()


def remember_receipt(request: HttpRequest, submission: OnlineSubmission) -> None:
    """Keep the case number, and the new receipt code encrypted, in the session until the
    confirmation page shows them. A repeated submission (no new code) keeps the code the first
    request stored, so a double click still shows it once."""
    previous = request.session.get(SESSION_KEY)
    receipt = {"case_number": submission.complaint.case_number, "at": int(time.time()),
               "code": ""}
    if submission.receipt_code:
        receipt["code"] = crypto.encrypt_bytes(submission.receipt_code.encode()).decode()
    elif isinstance(previous, dict) and previous.get("case_number") == receipt["case_number"]:
        receipt["code"] = previous.get("code", "")
    request.session[SESSION_KEY] = receipt


@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Show the report form; on a valid POST store the complaint and go to the confirmation.

    The form carries a one-time ``submission_token``: sending it again (double click, back
    button, retried request) lands on the same confirmation without a second complaint.
    """
    form = IntakeForm(request.POST if request.method == "POST" else None)
    token = _submission_token(request)
    form.helper.add_input(Hidden("submission_token", str(token)))
    if request.method == "POST" and form.is_valid():
        submission = submit_online_complaint(
            office=current_office(), submission_token=token,
            language=translation.get_language() or "", **form.cleaned_data)
        remember_receipt(request, submission)
        return redirect("intake:thanks")
    status = 400 if request.method == "POST" else 200
    return render(request, "reports/intake.html", {"form": form}, status=status)


@never_cache
def thanks(request: HttpRequest) -> HttpResponse:
    """Confirmation with the case number. It never echoes what the reporter wrote."""
    receipt = request.session.get(SESSION_KEY)
    if not isinstance(receipt, dict) or time.time() - receipt["at"] > CONFIRMATION_SECONDS:
        request.session.pop(SESSION_KEY, None)
        return redirect("intake:report")
    code = ""
    if receipt.get("code"):
        code = crypto.decrypt_bytes(receipt["code"].encode()).decode()
        # Shown once: a reload of this page shows the case number but no longer the code.
        request.session[SESSION_KEY] = {**receipt, "code": ""}
    return render(request, "reports/thanks.html",
                  {"case_number": receipt["case_number"], "receipt_code": code})
