"""Desks (loketten): the default desk, municipalities over time, routing and moving cases.

Routing (issue 11 §1): a new report goes to the desk that serves the incident municipality on the
incident date (else the date of receipt), else the desk that serves the reporter's municipality
of residence on the date of receipt, else the office's default desk. Dates are calendar days in
Europe/Amsterdam. Which users see which desk's cases: ``reports.selectors.permissions``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.apps import apps as global_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import remove_perm

from reports.models import (
    Complaint,
    ComplaintGroupObjectPermission,
    ComplaintHistory,
    ComplaintUserObjectPermission,
    Desk,
    DeskMunicipality,
    Municipality,
    Office,
    UnreadCase,
)
from reports.selectors import desks as desk_selectors
from reports.selectors import permissions
from reports.timezones import AMSTERDAM
from reports.types import User
from reports.vocabulary import FINAL_STATUSES

#: The code of the desk every office has from the start (a regional office has only this one).
DEFAULT_DESK_CODE = "default"
#: The first day a default desk serves the office's municipalities: the first day any statistics
#: year or registration may have (``reports.received``), so earlier years count by desk as well.
DEFAULT_VALID_FROM = datetime.date(2000, 1, 1)
MANAGE_DESKS = "reports.manage_desks"


def ensure_default_desk(*, office: Any, apps: Any = global_apps) -> Any:
    """The office's default desk, created when missing (named after the office), serving every
    municipality of the office that no desk serves at all yet, from :data:`DEFAULT_VALID_FROM`.

    Idempotent; the migration that introduces desks passes its historical ``apps``.

    Returns:
        The default ``Desk``.
    """
    desk_model = apps.get_model("reports", "Desk")
    period_model = apps.get_model("reports", "DeskMunicipality")
    desk = desk_model.objects.filter(office_id=office.pk, is_default=True).first()
    if desk is None:
        code = DEFAULT_DESK_CODE
        if desk_model.objects.filter(office_id=office.pk, code=code).exists():
            code = f"{DEFAULT_DESK_CODE}-{office.pk}"
        desk = desk_model.objects.create(office_id=office.pk, code=code, name=office.name,
                                         is_default=True)
    served = set(period_model.objects.values_list("municipality_id", flat=True))
    period_model.objects.bulk_create([
        period_model(desk=desk, municipality_id=code, valid_from=DEFAULT_VALID_FROM)
        for code in office.municipalities.values_list("code", flat=True) if code not in served])
    return desk


def default_desk(*, office: Office) -> Desk:
    """The office's default desk: one ``SELECT`` when it exists (every public report without a
    serving desk lands here, issue 13); created with its municipalities when missing
    (``ensure_default_desk``). Which municipalities the default desk serves is kept up to date
    where the office's municipalities change (``reports.services.reference.sync_office``)."""
    desk = Desk.objects.filter(office_id=office.pk, is_default=True).first()
    return desk if desk is not None else ensure_default_desk(office=office)


def route_desk(*, office: Office, received_at: datetime.datetime,
               incident_municipality: Municipality | None = None,
               incident_date: datetime.date | None = None,
               reporter_residence: Municipality | None = None) -> Desk:
    """The desk a new report goes to (see the module docstring).

    Args:
        received_at: timezone-aware time of receipt; its Amsterdam date is the day of receipt.
        incident_date: the incident's date, for the incident municipality's desk on that day.

    Returns:
        A desk of ``office``: the incident municipality's, else the residence's, else the default.
    """
    received_on = received_at.astimezone(AMSTERDAM).date()
    candidates: list[tuple[Municipality | None, datetime.date]] = [
        (incident_municipality, incident_date or received_on), (reporter_residence, received_on)]
    for municipality, day in candidates:
        if municipality is None:
            continue
        desk = desk_selectors.desk_serving(office=office, municipality=municipality, on=day)
        if desk is not None:
            return desk
    return default_desk(office=office)


@transaction.atomic
def create_desk(*, office: Office, actor: User | None, code: str, name: str) -> Desk:
    """Create a desk of ``office`` (never the default; that one exists from the start).

    Raises:
        PermissionDenied: ``actor`` (``None``: a management command) lacks
            ``reports.manage_desks``.
        ValidationError: the code is not a slug or is taken.
    """
    _require_manage(actor)
    if Desk.objects.filter(office=office, code=code).exists():
        # Our own words instead of Django's generated "Desk with this Office and Code already
        # exists." (tester finding 8).
        raise ValidationError({"code": _("There is already a desk with this code.")},
                              code="unique")
    desk = Desk(office=office, code=code, name=name)
    desk.full_clean()
    desk.save()
    return desk


@transaction.atomic
def add_desk_member(*, desk: Desk, user: User, actor: User | None) -> None:
    """Make ``user`` a member of ``desk`` (a user may belong to several desks)."""
    _require_manage(actor)
    desk.members.add(user)
    _forget(user)


@transaction.atomic
def remove_desk_member(*, desk: Desk, user: User, actor: User | None) -> int:
    """End ``user``'s membership of ``desk``; their cases of the desk do not stay stranded.

    When ``user`` no longer works on the desk's cases at all (not through one of its teams, not
    across desks), in the same transaction and by the rule of :func:`move_to_desk`: each open
    case of the desk assigned to them returns to the desk's queue (locked, version up, an
    ``assignment`` history row with ``actor``); their guardian object permissions on the
    desk's cases are revoked and their unread marks for them dropped. Finished cases
    (``FINAL_STATUSES``) keep their assignee as a record, without the rights.

    Args:
        actor: who does it (``None``: a management command).

    Returns:
        The number of cases that went back to the queue.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_desks``.
    """
    _require_manage(actor)
    desk.members.remove(user)
    _forget(user)
    if user.pk in desk_selectors.desk_user_ids(desk_id=desk.pk):
        return 0
    returned = 0
    open_cases = (Complaint.objects.select_for_update().filter(desk=desk, assigned_to=user)
                  .exclude(status__in=FINAL_STATUSES).order_by("pk"))
    for locked in open_cases:
        _return_to_queue(locked, actor=actor)
        returned += 1
    ComplaintUserObjectPermission.objects.filter(user=user, content_object__desk=desk).delete()
    UnreadCase.objects.filter(user=user, complaint__desk=desk).delete()
    return returned


@transaction.atomic
def assign_municipality(*, desk: Desk, municipality: Municipality, valid_from: datetime.date,
                        valid_to: datetime.date | None = None,
                        actor: User | None) -> DeskMunicipality:
    """Record that ``desk`` serves ``municipality`` from ``valid_from`` to ``valid_to``
    (inclusive; ``None``: open-ended), Europe/Amsterdam calendar days.

    The municipality's row is locked first, so two concurrent assignments of one municipality
    are checked one after the other.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_desks``.
        ValidationError: the office does not serve ``municipality`` (code ``not_served``), the
            period overlaps another period of the municipality (at any desk), ends before it
            starts or starts before 2000.
    """
    _require_manage(actor)
    if not desk.office.municipalities.filter(pk=municipality.pk).exists():
        raise ValidationError(
            _("%(office)s does not serve %(municipality)s: a desk can only serve the office's "
              "municipalities.") % {"office": desk.office.name,
                                    "municipality": municipality.name},
            code="not_served")
    Municipality.objects.select_for_update().filter(pk=municipality.pk).first()
    period = DeskMunicipality(desk=desk, municipality=municipality, valid_from=valid_from,
                              valid_to=valid_to)
    period.full_clean()
    period.save()
    return period


@transaction.atomic
def end_municipality_period(*, period: DeskMunicipality, valid_to: datetime.date,
                            actor: User | None) -> DeskMunicipality:
    """End an open (or later-ending) period on ``valid_to`` (inclusive), e.g. 31 December before
    the municipality moves to another desk on 1 January.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_desks``.
        ValidationError: ``valid_to`` is before the period's start.
    """
    _require_manage(actor)
    Municipality.objects.select_for_update().filter(pk=period.municipality_id).first()
    locked = DeskMunicipality.objects.select_for_update().get(pk=period.pk)
    locked.valid_to = valid_to
    locked.full_clean()
    locked.save(update_fields=["valid_to"])
    return locked


@transaction.atomic
def move_to_desk(*, complaint: Complaint, actor: User, desk: Desk,
                 expected_version: int | None = None) -> Complaint:
    """Move ``complaint`` to ``desk``; the case's rights follow it.

    In one transaction: the case's ``desk`` changes; guardian object permissions on the case of
    users who are not members of the new desk (and do not work across desks) and of teams of
    another desk are revoked; the assignee is removed (the case returns to the new desk's queue)
    when they are not in the new desk, and the team when it is another desk's; unread marks of
    users who lose the case are dropped; a ``desk`` history row records the acting user, the old
    and the new desk.

    Raises:
        PermissionDenied: ``actor`` may not change the case, may not assign cases, or is not in
            the new desk (and does not work across desks).
        StaleCaseError: the case changed since ``expected_version``.
        ValidationError: ``desk`` belongs to another office.
    """
    from reports.services.complaints import _lock, _save

    if not (permissions.can_change(user=actor, complaint=complaint)
            and permissions.can_assign(user=actor, complaint=complaint)
            and permissions.in_desk_scope(user=actor, desk_id=desk.pk)):
        raise PermissionDenied
    locked = _lock(complaint, expected_version)
    if desk.office_id != locked.office_id:
        raise ValidationError(_("Choose a desk of this office."), code="desk")
    previous = locked.desk
    if previous is not None and previous.pk == desk.pk:
        return locked
    allowed = set(desk_selectors.desk_user_ids(desk_id=desk.pk))
    user_perms = ComplaintUserObjectPermission.objects.filter(content_object=locked)
    user_perms.exclude(user_id__in=allowed).delete()
    ComplaintGroupObjectPermission.objects.filter(content_object=locked).exclude(
        group__team__desk=desk).delete()
    fields = ["desk"]
    assignee, team = locked.assigned_to, locked.team
    if assignee is not None and assignee.pk not in allowed:
        _unassign(locked, actor=actor)
        fields.append("assigned_to")
    if team is not None and team.desk_id != desk.pk:
        ComplaintHistory.objects.create(
            complaint=locked, actor=actor, action=ComplaintHistory.Action.TEAM,
            from_value=team.name, to_value="")
        locked.team = None
        fields.append("team")
    UnreadCase.objects.filter(complaint=locked).exclude(user_id__in=allowed).delete()
    locked.desk = desk
    _save(locked, fields)
    ComplaintHistory.objects.create(
        complaint=locked, actor=actor, action=ComplaintHistory.Action.DESK,
        from_value=previous.name if previous else "", to_value=desk.name)
    return locked


def _unassign(locked: Complaint, *, actor: User | None) -> None:
    """Take the locked ``complaint`` from its assignee (not saved): their case permissions go and
    an ``assignment`` history row records ``actor``."""
    assignee = locked.assigned_to
    if assignee is None:
        return
    for perm in ("reports.view_complaint", "reports.change_complaint"):
        remove_perm(perm, assignee, locked)
    ComplaintHistory.objects.create(
        complaint=locked, actor=actor, action=ComplaintHistory.Action.ASSIGNMENT,
        from_value=assignee.get_username(), to_value="")
    locked.assigned_to = None


def _return_to_queue(locked: Complaint, *, actor: User | None) -> None:
    """Unassign the locked ``complaint`` and save it (version up)."""
    from reports.services.complaints import _save

    _unassign(locked, actor=actor)
    _save(locked, ["assigned_to"])


def _require_manage(actor: User | None) -> None:
    if actor is not None and not (actor.is_authenticated and actor.is_active
                                  and actor.has_perm(MANAGE_DESKS)):
        raise PermissionDenied


def _forget(user: User) -> None:
    """Drop the cached desk ids on the user object (``permissions.desk_scope``)."""
    if hasattr(user, permissions.DESK_CACHE):
        delattr(user, permissions.DESK_CACHE)
