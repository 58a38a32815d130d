"""Accounts: demonstration users, staff and municipal accounts, roles, invitations, deactivation.

New accounts get no password: :func:`invitation_link` is a first-login link (valid
``STAFF_INVITATION_DAYS`` days, once) where the user chooses a password; the first login then
enrols their authenticator (``reports.views.auth``). Staff accounts are made on the command line
(``manage.py create_staff_user``), municipal accounts by a coordinator (``/backoffice/
gemeenteaccounts/``) or ``manage.py municipal_account``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.models import Desk, Municipality
from reports.roles import CASEWORKER, COORDINATOR, OFFICE_COORDINATOR, ROLE_PERMISSIONS
from reports.security import (
    TOTP_DEVICE_NAME,
    SecurityEvent,
    invitation_tokens,
    log_security_event,
    new_recovery_codes,
    totp_secret,
)
from reports.services.outbox import queue_email
from reports.services.reports import link_municipal_account, unlink_municipal_account
from reports.timezones import local_today
from reports.types import User

#: The roles ``create_staff_user`` gives (municipal accounts: ``create_municipal_account``).
STAFF_ROLES = (CASEWORKER, COORDINATOR, OFFICE_COORDINATOR)
INVITATION_KIND = "account_invitation"


@dataclass(frozen=True)
class DemoCredentials:
    """What a demo user needs to log in: password, authenticator secret, recovery codes."""

    password: str
    totp_secret: str
    totp_uri: str
    recovery_codes: list[str]


@transaction.atomic
def create_demo_users() -> dict[str, DemoCredentials]:
    """Create (or reset) the users ``coordinator`` and ``caseworker`` with fresh random passwords,
    a fresh authenticator (TOTP) secret and fresh recovery codes.

    Returns:
        ``{username: credentials}`` so the caller can show them once.
    """
    from reports.services.desks import default_desk
    from reports.services.reference import current_office

    user_model = get_user_model()
    default = default_desk(office=current_office())
    credentials: dict[str, DemoCredentials] = {}
    for username, role in ((COORDINATOR, COORDINATOR), (CASEWORKER, CASEWORKER)):
        user, _ = user_model.objects.get_or_create(username=username)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_active = True
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        default.members.add(user)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        credentials[username] = DemoCredentials(
            password=password, totp_secret=totp_secret(device=device),
            totp_uri=device.config_url, recovery_codes=new_recovery_codes(user=user))
    return credentials


@transaction.atomic
def set_roles(*, user: User, roles: Iterable[str], actor: User) -> None:
    """Give ``user`` exactly the roles ``roles`` (names from ``reports.roles``).

    Raises:
        ValueError: for a name that is not a role.
    """
    roles = sorted(set(roles))
    unknown = [role for role in roles if role not in ROLE_PERMISSIONS]
    if unknown:
        raise ValueError(f"Unknown roles: {', '.join(unknown)}")
    user.groups.set(Group.objects.filter(name__in=roles))
    log_security_event(event=SecurityEvent.ROLES_CHANGED, user=user, actor_id=actor.pk,
                       roles=roles)


def user_sessions(*, user: User) -> list[Session]:
    """The unexpired database sessions logged in as ``user``."""
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            found.append(session)
    return found


@transaction.atomic
def deactivate_user(*, user: User, actor: User | None) -> None:
    """Deactivate ``user`` and end all their sessions at once; their first-login link stops
    working too. ``actor`` is ``None`` on the command line."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    Session.objects.filter(pk__in=[s.pk for s in user_sessions(user=user)]).delete()
    log_security_event(event=SecurityEvent.USER_DEACTIVATED, user=user,
                       actor_id=actor.pk if actor is not None else None)


def _new_account(*, username: str, email: str, email_required: bool) -> User:
    """An active account without a usable password (it is set through the invitation).

    Raises:
        ValidationError: a username that is not valid or already taken (any case), or an e-mail
            address that is not valid (or missing when ``email_required``).
    """
    user_model = get_user_model()
    username = username.strip()
    email = email.strip()
    errors: dict[str, list[str]] = {}
    try:
        UnicodeUsernameValidator()(username)
        if not username or len(username) > 150:
            raise ValidationError(_("Enter a user name of at most 150 characters."))
    except ValidationError as exc:
        errors["username"] = exc.messages
    else:
        if user_model.objects.filter(username__iexact=username).exists():
            errors["username"] = [_("This user name is already taken.")]
    if email or email_required:
        try:
            validate_email(email)
        except ValidationError as exc:
            errors["email"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user = user_model(username=username, email=email, is_active=True)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def create_staff_user(*, username: str, role: str, email: str = "",
                      actor: Any | None = None, desk: Desk | None = None) -> User:
    """Create a back-office account with ``role`` (``caseworker``, ``coordinator`` or
    ``office_coordinator``) and no password, member of ``desk`` (``None``: the office's default
    desk): pass on :func:`invitation_link`.

    Args:
        username: the login name (letters, digits and @.+-_; unique, whatever the case).
        role: one of :data:`STAFF_ROLES`.
        email: optional; needed for password-reset e-mails.
        actor: who does it (``None`` on the command line), for the security log.

    Raises:
        ValidationError: an invalid or taken username, an invalid e-mail address, or an unknown
            role; nothing is created.
    """
    if role not in STAFF_ROLES:
        raise ValidationError({"role": [_("Choose one of the roles: %(roles)s.") % {
            "roles": ", ".join(STAFF_ROLES)}]})
    user = _new_account(username=username, email=email, email_required=False)
    user.groups.set([Group.objects.get(name=role)])
    if desk is None:
        from reports.services.desks import default_desk
        from reports.services.reference import current_office

        desk = default_desk(office=current_office())
    desk.members.add(user)
    log_security_event(event=SecurityEvent.USER_CREATED, user=user,
                       actor_id=getattr(actor, "pk", None), roles=[role])
    return user


def invitation_link(*, user: User) -> str:
    """The first-login link of ``user``: ``SITE_URL/backoffice/welkom/<uid>/<token>/``.

    It lets the user choose a password (then log in and set up the authenticator); it stops
    working once used, after ``STAFF_INVITATION_DAYS`` days, when the account is deactivated or
    its e-mail address changes. Issuing a new one does not end older ones before that.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_tokens.make_token(user)
    path = reverse("backoffice:invitation", kwargs={"uidb64": uid, "token": token})
    log_security_event(event=SecurityEvent.INVITATION_ISSUED, user=user)
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def send_invitation(*, user: User, actor: Any | None) -> None:
    """E-mail ``user`` (through the outbox) a first-login link.

    Raises:
        ValidationError: the account has no e-mail address or is deactivated.
    """
    if not user.is_active or not user.email:
        raise ValidationError(_("Only an active account with an e-mail address can be invited."))
    link = invitation_link(user=user)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your account at %(office)s") % {"office": settings.MELDPUNT_OFFICE["name"]}
        body = _(
            "An account %(username)s was made for you at %(office)s.\n\n"
            "Choose your password with this link (it works once, for %(days)s days):\n"
            "%(link)s\n\n"
            "Then log in and set up two-step verification with an authenticator app on your "
            "phone.\n"
        ) % {"username": user.get_username(), "office": settings.MELDPUNT_OFFICE["name"],
             "days": settings.STAFF_INVITATION_DAYS, "link": link}
    queue_email(kind=INVITATION_KIND, event_key=f"{user.pk}:{timezone.now().timestamp()}",
                recipients=[user.email], subject=subject, body=body)


@transaction.atomic
def create_municipal_account(*, username: str, email: str,
                             municipalities: Iterable[Municipality], actor: Any | None,
                             invite_by_email: bool = True) -> User:
    """Create a municipal account linked to ``municipalities`` and (unless
    ``invite_by_email`` is false: then pass on :func:`invitation_link` yourself) e-mail it an
    invitation.

    Raises:
        ValidationError: an invalid or taken username, a missing or invalid e-mail address, or
            no municipality; nothing is created.
    """
    municipalities = list(municipalities)
    if not municipalities:
        raise ValidationError({"municipalities": [_("Choose at least one municipality.")]})
    user = _new_account(username=username, email=email, email_required=True)
    for municipality in municipalities:
        link_account(user=user, municipality=municipality, actor=actor)
    log_security_event(event=SecurityEvent.USER_CREATED, user=user,
                       actor_id=getattr(actor, "pk", None), roles=["municipality"])
    if invite_by_email:
        send_invitation(user=user, actor=actor)
    return user


def linkable_codes(*, actor: User, codes: Iterable[str]) -> set[str]:
    """Of ``codes``, the municipalities ``actor`` may link municipal accounts to: all for users
    who work across desks, else those one of their desks serves today (Europe/Amsterdam)."""
    from reports.selectors.desks import codes_served_on
    from reports.selectors.permissions import desk_scope

    codes = set(codes)
    scope = desk_scope(user=actor)
    if scope is None:
        return codes
    return codes & set(codes_served_on(desk_ids=sorted(scope), on=local_today()))


@transaction.atomic
def link_account(*, user: User, municipality: Municipality,
                 actor: Any | None) -> None:
    """Link a municipal account to ``municipality`` (``link_municipal_account``), logged.

    A coordinator of some desks only links municipalities one of their desks serves today
    (Europe/Amsterdam): the account will see that municipality's released reports.

    Raises:
        PermissionDenied: ``actor`` works for some desks only, none of which serves
            ``municipality`` today.
        ValidationError: ``user`` is a back-office account.
    """
    if actor is not None and municipality.code not in linkable_codes(actor=actor,
                                                                     codes=[municipality.code]):
        raise PermissionDenied
    link_municipal_account(user=user, municipality=municipality)
    log_security_event(event=SecurityEvent.MUNICIPALITY_LINKED, user=user,
                       actor_id=getattr(actor, "pk", None), municipality=municipality.code)


@transaction.atomic
def unlink_account(*, user: User, municipality: Municipality,
                   actor: Any | None) -> None:
    """Unlink a municipal account from ``municipality`` (``unlink_municipal_account``), logged."""
    unlink_municipal_account(user=user, municipality=municipality)
    log_security_event(event=SecurityEvent.MUNICIPALITY_UNLINKED, user=user,
                       actor_id=getattr(actor, "pk", None), municipality=municipality.code)
