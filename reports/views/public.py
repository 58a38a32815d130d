"""The public intake at ``/melden/``. No login; nothing here reveals stored reports."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from reports import crypto, throttling
from reports.forms import IntakeForm
from reports.intake_page import render_intake, submission_token
from reports.selectors.intake import submission_token_used
from reports.services.complaints import OnlineSubmission, submit_online_complaint
from reports.services.reference import current_office
from reports.throttling import client_ip

SESSION_KEY = "intake_receipt"
#: How long the confirmation page keeps showing the case number (a shared computer forgets it).
CONFIRMATION_SECONDS = 30 * 60


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


def intake_limit() -> throttling.Limit:
    """POSTs to the intake per client IP: ``settings.INTAKE_POSTS_PER_HOUR`` per hour."""
    return throttling.Limit(scope="intake-post", free=settings.INTAKE_POSTS_PER_HOUR,
                            window=datetime.timedelta(hours=1))


@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Show the report form; on a valid POST store the complaint (with its files) and go to the
    confirmation.

    The form carries a one-time ``submission_token``: sending it again (double click, back
    button, retried request) lands on the same confirmation without a second complaint, and does
    not count towards the per-IP limit (``intake_limit``; over it: 429 with the form as typed).
    A filled honeypot field gives 400 with a generic error and the typed text; nothing is stored.
    """
    if request.method != "POST":
        return render_intake(request, form=IntakeForm(), status=200)
    form = IntakeForm(request.POST, request.FILES)
    token = submission_token(request)
    repeated = submission_token_used(token=token)
    if not repeated and not throttling.check_and_count(limit=intake_limit(),
                                                       key=client_ip(request)):
        response = render_intake(request, form=form, status=429, message=_(
            "You have sent many reports in a short time. Nothing was saved. Please try again "
            "later; what you typed is still here."))
        wait = throttling.seconds_blocked(limit=intake_limit(), key=client_ip(request))
        response["Retry-After"] = str(max(wait, 1))
        return response
    if form.is_valid():
        submission = submit_online_complaint(
            office=current_office(), submission_token=token, token_checked=not repeated,
            language=translation.get_language() or "",
            attachments=form.cleaned_data["attachments"], **form.complaint_fields())
        remember_receipt(request, submission)
        return redirect("intake:thanks")
    return render_intake(request, form=form, status=400)


@never_cache
def thanks(request: HttpRequest) -> HttpResponse:
    """Confirmation with the case number and, once, the receipt code for the follow-up portal
    (``/melden/opvolgen/``). It never echoes what the reporter wrote."""
    receipt = request.session.get(SESSION_KEY)
    if not isinstance(receipt, dict) or time.time() - receipt["at"] > CONFIRMATION_SECONDS:
        request.session.pop(SESSION_KEY, None)
        return redirect("intake:report")
    code = ""
    if receipt.get("code"):
        code = crypto.decrypt_bytes(receipt["code"].encode()).decode()
        # Shown once: a reload of this page shows the case number but no longer the code.
        request.session[SESSION_KEY] = {**receipt, "code": ""}
    return render(request, "reports/thanks.html", {
        "case_number": receipt["case_number"], "receipt_code": code,
        "followup_url": request.build_absolute_uri(reverse("intake:followup"))})
