"""The coordinators' screen for municipal accounts (``/backoffice/gemeenteaccounts/``): create an
account (it gets an e-mailed first-login link), link it to municipalities and unlink it, send a
new invitation, deactivate it. Only accounts that are municipal accounts can be changed here
(any other id is 404); the permission is ``reports.manage_municipal_accounts``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reports.forms_accounts import DeactivateForm, MunicipalAccountForm, MunicipalityChoiceForm
from reports.models import Municipality
from reports.selectors.accounts import municipal_account_by_id, municipal_accounts
from reports.selectors.reference import existing_municipalities
from reports.services import accounts as account_services
from reports.services.reference import current_office
from reports.types import AuthenticatedHttpRequest, User

PERMISSION = "reports.manage_municipal_accounts"


def _choices(user: User) -> QuerySet[Municipality]:
    """The office's municipalities that exist today, by name; for a coordinator of some desks
    only, those their desks serve today (``accounts.linkable_codes``)."""
    choices = existing_municipalities().filter(offices=current_office())
    codes = account_services.linkable_codes(actor=user,
                                            codes=choices.values_list("code", flat=True))
    return choices.filter(code__in=sorted(codes))


def _account(user_id: int) -> User:
    """A municipal account by id (active or not); 404 for any other account."""
    user = municipal_account_by_id(user_id=user_id)
    if user is None:
        raise Http404
    return user


def _back(user: User | None = None) -> HttpResponseRedirect:
    url = reverse("backoffice:municipal_accounts")
    return redirect(f"{url}#account-{user.pk}" if user is not None else url)


def _error(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def municipal_account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every municipal account with its municipalities; a POST creates one."""
    choices = _choices(request.user)
    form = MunicipalAccountForm(request.POST if request.method == "POST" else None,
                                municipalities=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = account_services.create_municipal_account(
                    username=form.cleaned_data["username"], email=form.cleaned_data["email"],
                    municipalities=form.cleaned_data["municipalities"], actor=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _(
                    "Account %(username)s made. An invitation to choose a password was sent to "
                    "%(email)s.") % {"username": user.get_username(), "email": user.email})
                return _back(user)
        status = 400
    return render(request, "backoffice/municipal_accounts.html", {
        "accounts": municipal_accounts(), "form": form, "choices": choices,
        "link_form": MunicipalityChoiceForm(municipalities=choices),
        "deactivate_form": DeactivateForm(),
    }, status=status)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def link(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Link the account to one more municipality."""
    user = _account(user_id)
    form = MunicipalityChoiceForm(request.POST, municipalities=_choices(request.user))
    if not user.is_active:
        messages.error(request, _("This account is deactivated."))
    elif not form.is_valid():
        messages.error(request, _("Choose a municipality."))
    else:
        municipality = form.cleaned_data["municipality"]
        try:
            account_services.link_account(user=user, municipality=municipality,
                                          actor=request.user)
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("%(username)s now sees the reports of %(municipality)s.")
                             % {"username": user.get_username(),
                                "municipality": municipality.name})
    return _back(user)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def unlink(request: AuthenticatedHttpRequest, user_id: int, code: str) -> HttpResponse:
    """Remove one municipality from the account."""
    user = _account(user_id)
    municipality = Municipality.objects.filter(code=code).first()
    if municipality is None:
        raise Http404
    account_services.unlink_account(user=user, municipality=municipality, actor=request.user)
    messages.success(request, _("%(username)s no longer sees the reports of %(municipality)s.")
                     % {"username": user.get_username(), "municipality": municipality.name})
    return _back(user)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def invite(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """E-mail the account a new first-login link."""
    user = _account(user_id)
    try:
        account_services.send_invitation(user=user, actor=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("A new invitation was sent to %(email)s.") % {
            "email": user.email})
    return _back(user)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def deactivate(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Deactivate the account (after an explicit confirmation); its sessions end at once."""
    user = _account(user_id)
    if not DeactivateForm(request.POST).is_valid():
        messages.error(request, _("Tick the box to confirm that the account must be "
                                  "deactivated."))
    elif user.is_active:
        account_services.deactivate_user(user=user, actor=request.user)
        messages.success(request, _("Account %(username)s is deactivated.") % {
            "username": user.get_username()})
    return _back(user)
