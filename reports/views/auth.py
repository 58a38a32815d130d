"""Logging in with a second factor, enrolment, recovery codes, password reset and change.

The password step is Django's ``LoginView`` (django-axes counts its failures). Then
``reports.security.StaffSecurityMiddleware`` sends the user here: to :func:`second_factor`, or to
:func:`second_factor_enrol` when they have no authenticator yet.
"""

from __future__ import annotations

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from reports.security import (
    SecondFactorOutcome,
    SecurityEvent,
    check_second_factor,
    confirm_enrolment,
    has_second_factor,
    invitation_tokens,
    log_security_event,
    new_recovery_codes,
    pending_totp_device,
    qr_code_data_uri,
    remaining_recovery_codes,
    second_factor_verified,
    totp_device,
    totp_secret,
)
from reports.selectors.accounts import home_url
from reports.types import AuthenticatedHttpRequest, User


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"), max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "spellcheck": "false", "autocapitalize": "off"}))


def _next_url(request: HttpRequest) -> str:
    """The ``next`` parameter when it stays on this site, else the user's start page (the
    municipal portal for a municipal account, the back office otherwise)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return home_url(user=request.user)


class LoginView(auth_views.LoginView):
    """Django's login (django-axes counts failures); without ``next`` a municipal account goes
    on to the municipal portal, staff to the back office (after the second factor)."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return home_url(user=self.request.user)


def _same_query(request: HttpRequest, view_name: str) -> HttpResponseRedirect:
    """A redirect to ``view_name`` with this request's query string (``next``)."""
    query = request.GET.urlencode()
    return redirect(f"{resolve_url(view_name)}?{query}" if query else resolve_url(view_name))


def _locked_response(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, {
        **context, "locked": True,
        "locked_message": _("Too many wrong codes. Try again in 15 minutes."),
    }, status=429)


def _verified(request: HttpRequest, device: django_otp.models.Device) -> None:
    """Mark the session verified by ``device`` and give it a new key."""
    django_otp.login(request, device)
    request.session.cycle_key()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the authenticator app or a recovery code."""
    device = totp_device(user=request.user)
    if device is None:
        return _same_query(request, "backoffice:second_factor_enrol")
    next_url = _next_url(request)
    if second_factor_verified(request.user):
        return HttpResponseRedirect(next_url)
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "next": next_url}
    if request.method != "POST" or not form.is_valid():
        return render(request, "auth/second_factor.html", context)
    outcome, used = check_second_factor(user=request.user, device=device,
                                        token=form.cleaned_data["token"])
    if outcome in (SecondFactorOutcome.VERIFIED, SecondFactorOutcome.RECOVERY_CODE):
        _verified(request, used)
        log_security_event(event=SecurityEvent.SECOND_FACTOR_SUCCEEDED, request=request)
        if outcome == SecondFactorOutcome.RECOVERY_CODE:
            log_security_event(event=SecurityEvent.RECOVERY_CODE_USED, request=request,
                               remaining=remaining_recovery_codes(user=request.user))
        return HttpResponseRedirect(next_url)
    return _wrong_code(request, outcome, "auth/second_factor.html", context)


def _wrong_code(request: HttpRequest, outcome: SecondFactorOutcome, template: str,
                context: dict) -> HttpResponse:
    if outcome == SecondFactorOutcome.FAILED:
        log_security_event(event=SecurityEvent.SECOND_FACTOR_FAILED, request=request)
        context["form"].add_error("token", _("This code is not valid."))
        return render(request, template, context)
    if outcome == SecondFactorOutcome.REUSED:
        log_security_event(event=SecurityEvent.SECOND_FACTOR_FAILED, request=request,
                           reason="reused")
        context["form"].add_error("token", _(
            "This code was already used. Wait until your app shows the next code (a new one "
            "every 30 seconds) and enter that one."))
        return render(request, template, context)
    if outcome == SecondFactorOutcome.LOCKED_OUT:
        log_security_event(event=SecurityEvent.SECOND_FACTOR_FAILED, request=request)
        log_security_event(event=SecurityEvent.SECOND_FACTOR_LOCKED_OUT, request=request)
    return _locked_response(request, template, context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor_enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up the authenticator app (QR code and secret), confirm it with a code, then show
    ten single-use recovery codes once."""
    if has_second_factor(user=request.user):
        return _same_query(request, "backoffice:second_factor")
    device = pending_totp_device(user=request.user)
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    next_url = _next_url(request)
    context = {"form": form, "next": next_url, "secret": totp_secret(device=device),
               "qr_code": qr_code_data_uri(text=device.config_url)}
    if request.method != "POST" or not form.is_valid():
        return render(request, "auth/enrol.html", context)
    outcome, _used = check_second_factor(user=request.user, device=device,
                                         token=form.cleaned_data["token"])
    if outcome != SecondFactorOutcome.VERIFIED:
        return _wrong_code(request, outcome, "auth/enrol.html", context)
    codes = confirm_enrolment(user=request.user, device=device)
    _verified(request, device)
    log_security_event(event=SecurityEvent.SECOND_FACTOR_ENROLLED, request=request)
    return render(request, "auth/recovery_codes.html", {"codes": codes, "next": next_url})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How many recovery codes are left; a POST replaces them with new ones, shown once."""
    if request.method == "POST":
        codes = new_recovery_codes(user=request.user)
        log_security_event(event=SecurityEvent.RECOVERY_CODES_REGENERATED, request=request)
        return render(request, "auth/recovery_codes.html", {
            "codes": codes, "next": home_url(user=request.user)})
    return render(request, "auth/account.html", {
        "remaining": remaining_recovery_codes(user=request.user)})


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), written to the security log."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            log_security_event(event=SecurityEvent.LOGGED_OUT, request=request)
        return super().post(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail. The answer is the same whether the address is known."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("backoffice:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        log_security_event(event=SecurityEvent.PASSWORD_RESET_REQUESTED, request=self.request)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the e-mailed link. It does not log in: the next login asks for
    the password and the second factor."""

    post_reset_login = False
    success_url = reverse_lazy("backoffice:password_reset_complete")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        log_security_event(event=SecurityEvent.PASSWORD_RESET_COMPLETED, user=self.user,
                           request=self.request)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password. This session stays; the user's other sessions end."""

    success_url = reverse_lazy("backoffice:password_change_done")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        log_security_event(event=SecurityEvent.PASSWORD_CHANGED, request=self.request)
        return response


class InvitationView(auth_views.PasswordResetConfirmView):
    """The first-login link of a new account (``reports.services.accounts.invitation_link``):
    choose a password, then log in and set up the authenticator. Works once, for
    ``STAFF_INVITATION_DAYS`` days, not for a deactivated account. Does not log in."""

    token_generator = invitation_tokens
    template_name = "registration/invitation.html"
    post_reset_login = False
    success_url = reverse_lazy("backoffice:login")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        log_security_event(event=SecurityEvent.INVITATION_ACCEPTED, user=self.user,
                           request=self.request)
        messages.success(self.request, _(
            "Your password is set. Log in now; then you set up two-step verification with an "
            "authenticator app on your phone."))
        return response
