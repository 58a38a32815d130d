"""Staff security: the second factor, session limits, response headers and security events.

* :class:`StaffSecurityMiddleware` ends sessions after 30 idle minutes or 10 hours after login,
  sends every unverified staff user to the second-factor step (or to enrolment) before any
  back-office, municipal or admin page, marks those pages, the public receipt and the
  reporter's follow-up portal ``no-store`` and logs 403 answers in the back office.
* The second factor is TOTP (django-otp) with single-use recovery codes; five wrong codes lock
  it for 15 minutes (:func:`check_second_factor`).
* :func:`log_security_event` writes one line to the ``meldpunt.security`` logger with
  identifiers only: never a report's contents, never a password or a code.

See ``docs/security.md``.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import time
import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.selectors.accounts import is_municipal_account
from reports.types import AnyUser, User

SECURITY_LOGGER = logging.getLogger("meldpunt.security")

#: Pages that need a logged-in user with a verified second factor.
PROTECTED_PREFIXES: tuple[str, ...] = ("/backoffice/", "/gemeente/", "/admin/")
#: Pages that browsers and proxies must not store: the protected ones, the public receipt and
#: the reporter's follow-up portal.
NO_STORE_PREFIXES: tuple[str, ...] = (*PROTECTED_PREFIXES, "/melden/bedankt/",
                                      "/melden/opvolgen/")
#: Protected-prefix pages reachable before the second factor (logging in, the second factor
#: itself, resetting a forgotten password, logging out).
SECOND_FACTOR_EXEMPT: frozenset[str] = frozenset({
    "backoffice:login",
    "backoffice:logout",
    "backoffice:second_factor",
    "backoffice:second_factor_enrol",
    "backoffice:password_reset",
    "backoffice:password_reset_done",
    "backoffice:password_reset_confirm",
    "backoffice:password_reset_complete",
    "backoffice:invitation",
})

#: Back-office pages a municipal account may use (its own login, password and authenticator);
#: every other back-office page answers it 403.
ACCOUNT_PAGES: frozenset[str] = SECOND_FACTOR_EXEMPT | {
    "backoffice:recovery_codes", "backoffice:password_change", "backoffice:password_change_done",
}
BACKOFFICE_PREFIX = "/backoffice/"

#: Session keys: when the user logged in and when the session was last used (Unix seconds).
SESSION_LOGIN_AT = "meldpunt_login_at"
SESSION_SEEN_AT = "meldpunt_seen_at"
#: The last-seen stamp is rewritten at most this often (seconds): a session write (an UPDATE and
#: a commit) on every back-office request cost more than some pages' own queries (issue 13).
#: The idle limit is then reached 30 minutes after the last stamp, 29-30 after the last request.
SESSION_STAMP_SECONDS = 60

#: The name of the TOTP device made at enrolment and of the recovery-code set.
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


class SecurityEvent(StrEnum):
    """The event names written to the ``meldpunt.security`` log."""

    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED_OUT = "login_locked_out"
    LOGGED_OUT = "logged_out"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
    SECOND_FACTOR_SUCCEEDED = "second_factor_succeeded"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    SECOND_FACTOR_LOCKED_OUT = "second_factor_locked_out"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    SESSION_IDLE_TIMEOUT = "session_idle_timeout"
    SESSION_ABSOLUTE_TIMEOUT = "session_absolute_timeout"
    PERMISSION_DENIED = "permission_denied"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 (an event name)
    PASSWORD_RESET_COMPLETED = "password_reset_completed"  # noqa: S105 (an event name)
    EXPORT = "export"
    ROLES_CHANGED = "roles_changed"
    USER_CREATED = "user_created"
    USER_DEACTIVATED = "user_deactivated"
    INVITATION_ISSUED = "invitation_issued"
    INVITATION_ACCEPTED = "invitation_accepted"
    MUNICIPALITY_LINKED = "municipality_linked"
    MUNICIPALITY_UNLINKED = "municipality_unlinked"
    #: The follow-up portal (anonymous): a wrong receipt code, and a refusal while blocked.
    RECEIPT_CODE_FAILED = "receipt_code_failed"
    RECEIPT_CODE_BLOCKED = "receipt_code_blocked"


_IDENTIFIER_TYPES = (int, str, uuid.UUID, bool, type(None))


def log_security_event(*, event: SecurityEvent, user: AnyUser | None = None,
                       request: HttpRequest | None = None, **ids: Any) -> None:
    """Write one security event: its name, the user's id and username, the path, ``ids``.

    Args:
        event: what happened.
        user: whom it concerns; defaults to the request's user. Anonymous means ``null``.
        request: the request, for the path (and the user when ``user`` is not given).
        **ids: further identifiers (numbers, codes, ids; lists of them), never free text.

    The message is ``<event> <JSON object>``; the record also carries ``security_event`` and
    ``security_fields`` for structured handlers.
    """
    if user is None and request is not None:
        user = getattr(request, "user", None)
    known = user if user is not None and user.is_authenticated else None
    fields: dict[str, Any] = {
        "user_id": known.pk if known else None,
        "username": known.get_username() if known else None,
    }
    if request is not None:
        fields["path"] = request.path
    for key, value in ids.items():
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(item, _IDENTIFIER_TYPES) for item in values):
            raise TypeError(f"Security event field {key!r} is not an identifier.")
        fields[key] = [str(item) for item in value] if isinstance(value, list | tuple) else (
            str(value) if isinstance(value, uuid.UUID) else value)
    SECURITY_LOGGER.info("%s %s", event.value, json.dumps(fields, ensure_ascii=True),
                         extra={"security_event": event.value, "security_fields": fields})


# --- django-axes hooks -----------------------------------------------------------------------


class SecurityLogAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler that also writes login events to the security log.

    A failed login names the account only when it exists (a password typed into the username
    field must not end up in the log); django-axes keeps the attempted name and the address.
    """

    def user_login_failed(self, sender: object, credentials: dict,
                          request: HttpRequest | None = None, **kwargs: object) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        user_model = get_user_model()
        username = credentials.get(user_model.USERNAME_FIELD) or credentials.get("username")
        account = user_model._default_manager.filter(
            **{user_model.USERNAME_FIELD: username}).first() if username else None
        log_security_event(event=SecurityEvent.LOGIN_FAILED, user=account, request=request)
        if request is not None and getattr(request, "axes_locked_out", False):
            log_security_event(event=SecurityEvent.LOGIN_LOCKED_OUT, user=account,
                               request=request)

    def user_logged_in(self, sender: object, request: HttpRequest, user: Any,
                       **kwargs: object) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        log_security_event(event=SecurityEvent.LOGIN_SUCCEEDED, user=user, request=request)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the translated lockout page, status 429."""
    return render(request, "auth/lockout.html", {
        "message": _("Too many failed login attempts. Try again in 30 minutes or reset your "
                     "password."),
    }, status=429)


# --- The second factor -------------------------------------------------------------------------


class SecondFactorOutcome(StrEnum):
    """What :func:`check_second_factor` made of a code."""

    VERIFIED = "verified"
    RECOVERY_CODE = "recovery_code"
    FAILED = "failed"
    #: A right authenticator code that was already used (each code works once).
    REUSED = "reused"
    #: This wrong code reached the limit: the second factor is locked now.
    LOCKED_OUT = "locked_out"
    #: The second factor was already locked; the code was not checked.
    LOCKED = "locked"


def second_factor_verified(user: AnyUser) -> bool:
    """Whether ``user`` logged in with their second factor in this session.

    ``django_otp.middleware.OTPMiddleware`` gives every request's user an ``is_verified()``
    method; the user model itself does not declare it, hence ``getattr``.
    """
    is_verified: Callable[[], bool] | None = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and is_verified is not None and is_verified())


def totp_device(*, user: User, confirmed: bool = True) -> TOTPDevice | None:
    """The user's (confirmed, or pending) authenticator, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def has_second_factor(*, user: User) -> bool:
    """Whether the user has finished enrolment (a confirmed authenticator)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp_device(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled; made on first call."""
    device = totp_device(user=user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def locked_until(*, device: TOTPDevice) -> datetime.datetime | None:
    """When the second-factor lock of ``device`` ends, or ``None`` when it is not locked."""
    if (device.throttling_failure_count < settings.SECOND_FACTOR_FAILURE_LIMIT
            or device.throttling_failure_timestamp is None):
        return None
    until = device.throttling_failure_timestamp + datetime.timedelta(
        seconds=settings.SECOND_FACTOR_LOCKOUT_SECONDS)
    return until if timezone.now() < until else None


def check_second_factor(*, user: User, device: TOTPDevice,
                        token: str) -> tuple[SecondFactorOutcome, Device | None]:
    """Check a six-digit authenticator code or (for a confirmed device) a recovery code.

    Failures are counted on the authenticator in the database (so a new session or another
    server process does not reset them); the limit locks the second factor for
    ``SECOND_FACTOR_LOCKOUT_SECONDS``. A recovery code is used up by the check that accepts it.

    Returns:
        The outcome and the device that accepted the code (``None`` unless accepted).
    """
    token = "".join(token.split()).lower()
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if locked_until(device=device) is not None:
            return SecondFactorOutcome.LOCKED, None
        if device.throttling_failure_count >= settings.SECOND_FACTOR_FAILURE_LIMIT:
            device.throttle_reset(commit=True)  # the lock is over: start counting again
        if token.isdigit() and len(token) == device.digits:
            if _already_used(device=device, token=int(token)):
                return SecondFactorOutcome.REUSED, None
            if device.verify_token(token):  # resets or counts on the device itself
                return SecondFactorOutcome.VERIFIED, device
        else:
            recovery = StaticDevice.objects.select_for_update().filter(
                user=user, confirmed=True).first() if device.confirmed else None
            if recovery is not None and token and recovery.verify_token(token):
                device.throttle_reset(commit=True)
                return SecondFactorOutcome.RECOVERY_CODE, recovery
            device.throttle_increment(commit=True)
    if device.throttling_failure_count >= settings.SECOND_FACTOR_FAILURE_LIMIT:
        return SecondFactorOutcome.LOCKED_OUT, None
    return SecondFactorOutcome.FAILED, None


def _already_used(*, device: TOTPDevice, token: int) -> bool:
    """Whether ``token`` is the device's code of a time step that was already used to log in
    (django-otp accepts each step once: ``last_t``). Such a code is right but spent; it does not
    count as a wrong code."""
    if device.last_t < 0:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return bool(totp.verify(token, device.tolerance)) and totp.t() <= device.last_t


@transaction.atomic
def confirm_enrolment(*, user: User, device: TOTPDevice) -> list[str]:
    """Confirm the authenticator (its code was checked) and issue fresh recovery codes.

    Other authenticators of the user are removed. Returns the recovery codes, to show once.
    """
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user=user)


@transaction.atomic
def new_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODE_COUNT`` new single-use ones."""
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < settings.RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    return codes


def remaining_recovery_codes(*, user: User) -> int:
    """How many unused recovery codes the user has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret(*, device: TOTPDevice) -> str:
    """The authenticator's secret in base32 (what authenticator apps take), in groups of 4."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(*, text: str) -> str:
    """``text`` as a QR code: an SVG ``data:`` URI, made here (no external service)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode").encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


# --- Invitations -----------------------------------------------------------------------------


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of first-login links: like a password-reset token (it stops working once the
    password is set or the e-mail address changes), but valid ``STAFF_INVITATION_DAYS`` days and
    never for a deactivated account."""

    key_salt = "meldpunt.security.InvitationTokenGenerator"

    def check_token(self, user: User | None, token: str | None) -> bool:
        if not (user and token) or not user.is_active:
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
                   for secret in [self.secret, *self.secret_fallbacks]):
            return False
        age = self._num_seconds(self._now()) - ts
        return age <= settings.STAFF_INVITATION_DAYS * 24 * 60 * 60


invitation_tokens = InvitationTokenGenerator()


# --- The middleware ----------------------------------------------------------------------------


def _redirect_with_next(view_name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(view_name)}?{urlencode({'next': next_url})}")


class StaffSecurityMiddleware:
    """Session limits, the second-factor requirement, ``no-store``, 403 logging, and 403 for a
    municipal account on back-office pages other than its own account pages.

    Goes after ``OTPMiddleware`` and ``MessageMiddleware``. Staff pages are
    :data:`PROTECTED_PREFIXES` minus :data:`SECOND_FACTOR_EXEMPT`: an anonymous visitor is sent
    to the login page, a logged-in user without a verified second factor to the second-factor
    step, or to enrolment when they have no authenticator yet. So views need no decorator of
    their own for it (they keep ``login_required`` and their permission checks).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._end_expired_session(request)
        if response is None:
            response = self.get_response(request)
        if request.path.startswith(NO_STORE_PREFIXES):
            add_never_cache_headers(response)
        if response.status_code == 403 and request.path.startswith(PROTECTED_PREFIXES):
            log_security_event(event=SecurityEvent.PERMISSION_DENIED, request=request)
        return response

    def _end_expired_session(self, request: HttpRequest) -> HttpResponse | None:
        """Log out a session past its idle or absolute limit; stamp it otherwise."""
        user = request.user
        if not user.is_authenticated:
            return None
        now = time.time()
        session = request.session
        login_at = session.get(SESSION_LOGIN_AT)
        seen_at = session.get(SESSION_SEEN_AT)
        if login_at is None:  # the first request after logging in
            session[SESSION_LOGIN_AT] = session[SESSION_SEEN_AT] = now
            return None
        if now - login_at > settings.STAFF_SESSION_MAX_SECONDS:
            event = SecurityEvent.SESSION_ABSOLUTE_TIMEOUT
        elif seen_at is not None and now - seen_at > settings.STAFF_SESSION_IDLE_SECONDS:
            event = SecurityEvent.SESSION_IDLE_TIMEOUT
        else:
            if seen_at is None or now - seen_at >= SESSION_STAMP_SECONDS:
                session[SESSION_SEEN_AT] = now
            return None
        log_security_event(event=event, user=user, request=request)
        logout(request)
        messages.info(request, _("Your session has ended. Please log in again."))
        if request.path.startswith(PROTECTED_PREFIXES):
            return redirect_to_login(request.get_full_path())
        return None

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple,
                     view_kwargs: dict) -> HttpResponse | None:
        """Require a verified second factor on the staff pages."""
        if not request.path.startswith(PROTECTED_PREFIXES):
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if view_name in SECOND_FACTOR_EXEMPT:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if second_factor_verified(user):
            if (request.path.startswith(BACKOFFICE_PREFIX)
                    and view_name not in ACCOUNT_PAGES
                    and is_municipal_account(user=user)):
                raise PermissionDenied
            return None
        if has_second_factor(user=user):
            return _redirect_with_next("backoffice:second_factor", request.get_full_path())
        return _redirect_with_next("backoffice:second_factor_enrol", request.get_full_path())
