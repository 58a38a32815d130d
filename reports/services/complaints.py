"""Writes on complaints: registration, classification, workflow, assignment and notes.

Every function runs in one transaction and appends a ``ComplaintHistory`` row with the acting
user for each change it makes.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from reports.models import (
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    ComplaintHistory,
    Municipality,
    Note,
    Office,
)
from reports.selectors import permissions
from reports.vocabulary import Channel, ContactType, Status
from reports.workflow import TRANSITIONS

logger = logging.getLogger(__name__)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CASE_PERMISSIONS = ("reports.view_complaint", "reports.change_complaint")


def registration_year(received_at: datetime.datetime) -> int:
    """The registration year of a timezone-aware moment: its calendar year in Europe/Amsterdam."""
    return received_at.astimezone(AMSTERDAM).year


@transaction.atomic
def next_case_number(*, office: Office, year: int) -> str:
    """Hand out the next case number for ``office`` and ``year``, such as ``MDD-2020-0042``.

    The per-year counter row is locked (``SELECT ... FOR UPDATE``), so concurrent submissions get
    distinct, gap-free numbers; if the surrounding transaction rolls back, so does the number.
    """
    CaseNumberSequence.objects.get_or_create(office=office, year=year)
    sequence = CaseNumberSequence.objects.select_for_update().get(office=office, year=year)
    sequence.last_number = F("last_number") + 1
    sequence.save(update_fields=["last_number"])
    sequence.refresh_from_db(fields=["last_number"])
    return f"{office.code}-{year}-{sequence.last_number:04d}"


@transaction.atomic
def register_complaint(
    *,
    office: Office,
    description: str,
    channel: str,
    received_at: datetime.datetime | None = None,
    contact_type: str = ContactType.REPORT,
    status: str = Status.NEW,
    incident_date: datetime.date | None = None,
    incident_municipality: Municipality | None = None,
    reporter_name: str = "",
    reporter_email: str = "",
    reporter_phone: str = "",
    reporter_residence: Municipality | None = None,
    consent_to_contact: bool = False,
    external_reference: str = "",
    grounds: Iterable[str] = (),
    societal_domain: str = "",
    nature: str = "",
    handling: Iterable[str] = (),
    actor: AbstractBaseUser | None = None,
) -> Complaint:
    """Store a new complaint with a fresh case number and a ``created`` history row.

    Args:
        office: the office that registers it.
        description: what happened, in the reporter's words (never logged).
        channel: a ``Channel`` code; ``received_at`` is timezone-aware and defaults to now.
        grounds, handling: ``Ground`` and ``Handling`` codes (duplicates are ignored).
        actor: the staff member registering it, or ``None`` for the public form and imports.

    Returns:
        The saved ``Complaint``.

    Raises:
        django.core.exceptions.ValidationError: a field fails model validation.
    """
    received_at = received_at or timezone.now()
    if timezone.is_naive(received_at):
        raise ValidationError(_("The time of receipt must include a time zone."))
    complaint = Complaint(
        office=office,
        case_number=next_case_number(office=office, year=registration_year(received_at)),
        received_at=received_at, channel=channel, contact_type=contact_type, status=status,
        incident_date=incident_date, incident_municipality=incident_municipality,
        description=description, reporter_name=reporter_name, reporter_email=reporter_email,
        reporter_phone=reporter_phone, reporter_residence=reporter_residence,
        consent_to_contact=consent_to_contact, external_reference=external_reference,
        societal_domain=societal_domain, nature=nature,
    )
    complaint.full_clean(exclude=["case_number"], validate_unique=False)
    grounds, handling = list(grounds), list(handling)
    _validate_codes(grounds, handling)
    complaint.save()
    _set_codes(complaint, ComplaintGround, grounds)
    _set_codes(complaint, ComplaintHandling, handling)
    ComplaintHistory.objects.create(complaint=complaint, actor=actor,
                                    action=ComplaintHistory.Action.CREATED, to_value=status)
    logger.debug("complaint registered id=%s channel=%s", complaint.pk, channel)
    return complaint


def submit_online_complaint(*, office: Office, **fields: object) -> Complaint:
    """Register a complaint from the public form: status ``new``, channel ``online``, no actor.

    ``fields`` are the keyword arguments of ``register_complaint`` that the form collects.
    """
    return register_complaint(office=office, channel=Channel.ONLINE, status=Status.NEW,
                              **fields)


def _validate_codes(grounds: list[str], handling: list[str]) -> None:
    """Raise ``ValidationError`` when a ground or handling code is not in its vocabulary."""
    for code in grounds:
        ComplaintGround(code=code).clean_fields(exclude=["complaint"])
    for code in handling:
        ComplaintHandling(code=code).clean_fields(exclude=["complaint"])


def _set_codes(complaint: Complaint, model: type, codes: Iterable[str]) -> None:
    model.objects.filter(complaint=complaint).delete()
    model.objects.bulk_create([model(complaint=complaint, code=code)
                               for code in dict.fromkeys(codes)])


def _require_change(actor: AbstractBaseUser, complaint: Complaint) -> None:
    if not permissions.can_change(user=actor, complaint=complaint):
        raise PermissionDenied


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


@transaction.atomic
def change_status(*, complaint: Complaint, actor: AbstractBaseUser, to_status: str) -> Complaint:
    """Move ``complaint`` to ``to_status`` if ``reports.workflow.TRANSITIONS`` allows it.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint.
        ValidationError: the transition is not allowed; nothing is changed.
    """
    _require_change(actor, complaint)
    locked = _locked(complaint)
    if to_status not in TRANSITIONS.get(locked.status, frozenset()):
        raise ValidationError(
            _("A case with status “%(from)s” cannot move to “%(to)s”.")
            % {"from": Status(locked.status).label,
               "to": Status(to_status).label if to_status in Status.values else to_status},
            code="transition",
        )
    from_status = locked.status
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    ComplaintHistory.objects.create(complaint=locked, actor=actor,
                                    action=ComplaintHistory.Action.STATUS,
                                    from_value=from_status, to_value=to_status)
    return locked


@transaction.atomic
def assign_complaint(*, complaint: Complaint, actor: AbstractBaseUser,
                     assignee: AbstractBaseUser | None) -> Complaint:
    """Assign ``complaint`` to ``assignee`` (``None`` returns it to the queue).

    Grants the assignee guardian ``view_complaint`` and ``change_complaint`` on the case and
    revokes them from the previous holder, in the same transaction.

    Raises:
        PermissionDenied: ``actor`` may not assign it (needs ``reports.assign_complaint``, or
            ``reports.claim_complaint`` to take an unassigned case for themselves).
        ValidationError: ``assignee`` may not handle cases.
    """
    locked = _locked(complaint)
    claiming = assignee is not None and assignee.pk == actor.pk
    if not (permissions.can_assign(user=actor)
            or (claiming and permissions.can_claim(user=actor, complaint=locked))):
        raise PermissionDenied
    if assignee is not None and not permissions.assignable_users().filter(pk=assignee.pk).exists():
        raise ValidationError(_("This user cannot handle cases."), code="assignee")
    previous = locked.assigned_to
    if previous == assignee:
        return locked
    if previous is not None:
        for perm in CASE_PERMISSIONS:
            remove_perm(perm, previous, locked)
    if assignee is not None:
        for perm in CASE_PERMISSIONS:
            assign_perm(perm, assignee, locked)
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to", "updated_at"])
    ComplaintHistory.objects.create(
        complaint=locked, actor=actor, action=ComplaintHistory.Action.ASSIGNMENT,
        from_value=previous.get_username() if previous else "",
        to_value=assignee.get_username() if assignee else "",
    )
    return locked


@transaction.atomic
def classify_complaint(
    *,
    complaint: Complaint,
    actor: AbstractBaseUser,
    contact_type: str,
    grounds: Iterable[str],
    societal_domain: str,
    nature: str,
    handling: Iterable[str],
) -> Complaint:
    """Record the caseworker's classification (Regeling registratieformulier, tables 2 to 5).

    Args:
        contact_type: a ``ContactType`` code; ``societal_domain`` and ``nature`` one code or ``""``.
        grounds, handling: lists of codes, possibly empty.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint.
        ValidationError: a code is not in its vocabulary.
    """
    _require_change(actor, complaint)
    locked = _locked(complaint)
    grounds, handling = sorted(set(grounds)), sorted(set(handling))
    before = _classification(locked)
    locked.contact_type, locked.societal_domain, locked.nature = (contact_type, societal_domain,
                                                                  nature)
    locked.full_clean(validate_unique=False)
    _validate_codes(grounds, handling)
    locked.save(update_fields=["contact_type", "societal_domain", "nature", "updated_at"])
    _set_codes(locked, ComplaintGround, grounds)
    _set_codes(locked, ComplaintHandling, handling)
    after = _classification(locked)
    if after != before:
        ComplaintHistory.objects.create(complaint=locked, actor=actor,
                                        action=ComplaintHistory.Action.CLASSIFICATION,
                                        from_value=before[:200], to_value=after[:200])
    return locked


def _classification(complaint: Complaint) -> str:
    grounds = ",".join(sorted(complaint.grounds.values_list("code", flat=True)))
    handling = ",".join(sorted(complaint.handling.values_list("code", flat=True)))
    return (f"type={complaint.contact_type};grounds={grounds};domain={complaint.societal_domain};"
            f"nature={complaint.nature};handling={handling}")


@transaction.atomic
def add_note(*, complaint: Complaint, author: AbstractBaseUser, text: str) -> Note:
    """Add an internal note to ``complaint``.

    Raises:
        PermissionDenied: ``author`` may not change this complaint.
        ValidationError: the note is empty.
    """
    _require_change(author, complaint)
    if not text.strip():
        raise ValidationError(_("A note cannot be empty."), code="empty")
    return Note.objects.create(complaint=complaint, author=author, text=text.strip())
