"""Writes on complaints: registration, classification, workflow, assignment, sharing, reporter
data, notes, messages and attachments.

Every function runs in one transaction. Every change to a case appends ``ComplaintHistory`` rows
with the acting user in that transaction and increments ``Complaint.version``. Functions that
change a case take ``expected_version`` (the version the user's form was based on); a stale one
raises ``StaleCaseError`` and changes nothing (optimistic locking).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Required, TypedDict, TypeVar, Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from reports import crypto
from reports.deadlines import first_response_due
from reports.models import (
    Attachment,
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    ComplaintHistory,
    Desk,
    Incident,
    Message,
    Municipality,
    Note,
    Office,
    Team,
)
from reports.selectors import permissions
from reports.services import receipts
from reports.services.attachments import store_reporter_attachments
from reports.services.notifications import (
    notify_office_of_new_report,
    notify_reporter_of_message,
    notify_reporter_of_receipt,
)
from reports.services.status_counts import count_status_change
from reports.timezones import AMSTERDAM
from reports.types import User
from reports.uploads import CleanUpload, validate_upload
from reports.vocabulary import (
    HANDLING_REQUIRING_IDENTITY,
    Anonymity,
    Channel,
    ContactType,
    Handling,
    IncidentPlace,
    Nature,
    RejectionReason,
    SocietalDomain,
    Status,
)
from reports.workflow import REPORTER_ACTIVITY_TRANSITIONS, TRANSITIONS

logger = logging.getLogger(__name__)
CASE_PERMISSIONS = ("reports.view_complaint", "reports.change_complaint")
History = ComplaintHistory.Action


class StaleCaseError(ValidationError):
    """Someone else changed the case after the user loaded it (optimistic locking)."""

    def __init__(self) -> None:
        super().__init__(_("Someone else changed this case in the meantime. Reload the page "
                           "and make your change again."), code="stale")


def registration_year(received_at: datetime.datetime) -> int:
    """The registration year of a timezone-aware moment: its calendar year in Europe/Amsterdam."""
    return received_at.astimezone(AMSTERDAM).year


@transaction.atomic(savepoint=False)
def next_case_number(*, office: Office, year: int) -> str:
    """Hand out the next case number for ``office`` and ``year``, such as ``MDD-2020-0042``.

    The per-year counter row is created or incremented in one ``INSERT ... ON CONFLICT DO UPDATE``
    that keeps it locked until the transaction ends, so concurrent submissions get distinct,
    gap-free numbers; if the surrounding transaction rolls back, so does the number. Inside a
    transaction it adds no savepoint (a failure of the statement fails the whole transaction);
    callers take it as late as they can, since every other registration of the office waits for
    the row until this transaction ends.
    """
    table = connection.ops.quote_name(CaseNumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        # One statement (PostgreSQL and SQLite): create the counter at 1 or add 1 to it; the
        # row stays locked until the transaction ends.
        cursor.execute(
            f"INSERT INTO {table} (office_id, year, last_number) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (office_id, year) DO UPDATE SET last_number = "
            f"{table}.last_number + 1 RETURNING last_number", [office.pk, year])
        (last_number,) = cursor.fetchone()
    return f"{office.code}-{year}-{last_number:04d}"


class ComplaintFields(TypedDict, total=False):
    """What the public form and staff registration collect about a new complaint: the keyword
    arguments of ``register_complaint`` that ``submit_online_complaint`` and
    ``register_staff_complaint`` pass on (see there for their meaning)."""

    description: Required[str]
    received_at: datetime.datetime | None
    contact_type: str
    incident_date: datetime.date | None
    incident_municipality: Municipality | None
    incident_place: str
    reporter_name: str
    reporter_email: str
    reporter_phone: str
    reporter_residence: Municipality | None
    consent_to_contact: bool
    anonymity: str


class IncidentChanges(TypedDict):
    """Corrections for ``update_incident``: where and when it happened, and the channel."""

    incident_municipality: Municipality | None
    incident_place: str
    incident_date: datetime.date | None
    channel: str


class ReporterChanges(TypedDict, total=False):
    """New values for ``update_reporter_data``: any of ``PERSONAL_FIELDS`` and
    ``RECORDED_FIELDS``."""

    reporter_name: str
    reporter_email: str
    reporter_phone: str
    reporter_residence: Municipality | None
    consent_to_contact: bool
    anonymity: str
    reporter_consents_mediation: bool
    other_party_consents_mediation: bool


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
    incident_place: str = "",
    reporter_name: str = "",
    reporter_email: str = "",
    reporter_phone: str = "",
    reporter_residence: Municipality | None = None,
    consent_to_contact: bool = False,
    anonymity: str = Anonymity.NAMED,
    external_reference: str = "",
    grounds: Iterable[str] = (),
    societal_domain: str = "",
    nature: str = "",
    handling: Iterable[str] = (),
    actor: User | None = None,
    submission_token: uuid.UUID | None = None,
    reporter_language: str = "",
    receipt: receipts.NewReceiptCode | None = None,
    desk: Desk | None = None,
    savepoint: bool = True,
) -> Complaint:
    """Store a new complaint with a fresh case number and a ``created`` history row, in one
    transaction (a savepoint inside a caller's transaction unless ``savepoint`` is false).

    Args:
        office: the office that registers it.
        description: what happened, in the reporter's words (never logged).
        channel: a ``Channel`` code; ``received_at`` is timezone-aware and defaults to now.
        anonymity: an ``Anonymity`` code (Besluit art. 5).
        incident_municipality, incident_place: where it happened: a municipality, or
            ``None`` with ``incident_place`` ``online`` or ``unknown`` (the default; see
            ``place_of_incident``).
        grounds, handling: ``Ground`` and ``Handling`` codes (duplicates are ignored).
        actor: the staff member registering it, or ``None`` for the public form and imports.
        submission_token, reporter_language, receipt: the public form's one-time token, the
            reporter's language code and a new receipt code (``receipts.new_receipt_code``),
            stored in the same INSERT.
        desk: the desk that handles it; ``None`` routes it (``reports.services.desks.route_desk``:
            the incident municipality's desk, else the residence's, else the default desk).
        savepoint: ``False`` when the caller's transaction rolls back as a whole on any error
            (``submit_online_complaint``): no savepoint round trips (issue 13).

    Returns:
        The saved ``Complaint``; ``first_response_due`` is set from ``received_at``.

    Raises:
        django.core.exceptions.ValidationError: a field or code fails validation.
    """
    with transaction.atomic(savepoint=savepoint):
        received_at = received_at or timezone.now()
        if timezone.is_naive(received_at):
            raise ValidationError(_("The time of receipt must include a time zone."))
        if desk is None:
            from reports.services.desks import route_desk

            desk = route_desk(office=office, received_at=received_at,
                              incident_municipality=incident_municipality,
                              incident_date=incident_date, reporter_residence=reporter_residence)
        elif desk.office_id != office.pk:
            raise ValidationError(_("Choose a desk of this office."), code="desk")
        complaint = Complaint(
            office=office, desk=desk, received_at=received_at, channel=channel,
            contact_type=contact_type, status=status,
            incident_date=incident_date, incident_municipality=incident_municipality,
            incident_place=place_of_incident(municipality=incident_municipality,
                                             place=incident_place),
            description=description, description_index=crypto.index_terms(description),
            reporter_name=reporter_name, reporter_email=reporter_email,
            reporter_phone=reporter_phone, reporter_residence=reporter_residence,
            consent_to_contact=consent_to_contact, anonymity=anonymity,
            external_reference=external_reference, societal_domain=societal_domain, nature=nature,
            first_response_due=first_response_due(received_at),
            closed_at=received_at if status == Status.CLOSED else None,
            submission_token=submission_token, reporter_language=reporter_language[:10],
        )
        if receipt is not None:
            complaint.receipt_code_prefix = receipt.prefix
            complaint.receipt_code_hash = receipt.hash
        # The office and municipalities are saved instances (the database's foreign keys hold);
        # the external reference's unique constraint only concerns non-blank references. The
        # model's constraints are not validated here: each names an excluded field (Django
        # skipped them after building a query, 1.5 ms per report, issue 13) and the database
        # enforces them; ``place_of_incident`` keeps place and municipality consistent.
        exclude = ["case_number", "office", "desk", "incident_municipality", "reporter_residence"]
        if not external_reference:
            exclude.append("external_reference")
        complaint.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        grounds, handling = list(grounds), list(handling)
        _validate_codes(grounds, handling)
        # The case number last (issue 13): its counter row stays locked until the transaction
        # ends, so the blind index, the validation and the routing above run before it, not
        # while every other registration of the office waits.
        complaint.case_number = next_case_number(office=office,
                                                 year=registration_year(received_at))
        complaint.save(force_insert=True)
        ComplaintGround.objects.bulk_create(
            [ComplaintGround(complaint=complaint, code=code) for code in dict.fromkeys(grounds)])
        ComplaintHandling.objects.bulk_create(
            [ComplaintHandling(complaint=complaint, code=code) for code in dict.fromkeys(handling)])
        ComplaintHistory.objects.create(complaint=complaint, actor=actor, action=History.CREATED,
                                        to_value=status)
        count_status_change(leaving=None, entering=status)
        logger.debug("complaint registered id=%s channel=%s", complaint.pk, channel)
    return complaint


def place_of_incident(*, municipality: Municipality | None, place: str) -> str:
    """The ``IncidentPlace`` code for an incident ``municipality`` (or ``None``) and a
    requested ``place``: ``municipality`` whenever one is given; otherwise ``online`` when asked
    for, else ``unknown``."""
    if municipality is not None:
        return IncidentPlace.MUNICIPALITY
    return IncidentPlace.ONLINE if place == IncidentPlace.ONLINE else IncidentPlace.UNKNOWN


@dataclass(frozen=True)
class OnlineSubmission:
    """What the public form's submission produced.

    Attributes:
        complaint: the complaint (new, or the one the same token created before).
        receipt_code: the new receipt code, formatted for display, to be shown once; ``None``
            when the token was used before (the code was issued to the first request).
    """

    complaint: Complaint
    receipt_code: str | None


def submit_online_complaint(*, office: Office, submission_token: uuid.UUID | None = None,
                            token_checked: bool = False, language: str = "",
                            attachments: Sequence[CleanUpload] = (),
                            **fields: Unpack[ComplaintFields]) -> OnlineSubmission:
    """Register a complaint from the public form: status ``new``, channel ``online``, no actor,
    with a new receipt code (``reports.services.receipts``).

    Args:
        submission_token: the form's one-time token. Submitting the same token again (double
            click, back button, retried request) returns the complaint it already created; the
            database's unique constraint decides between concurrent repeats.
        token_checked: the caller has just looked ``submission_token`` up and found no
            complaint (``reports.selectors.intake.submission_token_used``): skip the second
            look-up (issue 13). A repeat that arrives in between is still caught by the unique
            constraint and answered with the complaint it created.
        language: the language code the reporter used (``settings.LANGUAGES``), for e-mails.
        attachments: files checked by ``reports.uploads.validate_upload``, stored with the new
            complaint in the same transaction (``store_reporter_attachments``); ignored for a
            repeated token.
        fields: the ``ComplaintFields`` the form collects (``register_complaint``'s). A reporter
            who leaves no name, e-mail or phone is recorded as fully anonymous.

    A new complaint queues a notice to the office (``notify_office_of_new_report``) and, if the
    reporter left an e-mail address, a confirmation to them, in the same transaction (sent after
    commit); a repeated token queues nothing.
    """
    if submission_token is not None and not token_checked:
        existing = Complaint.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return OnlineSubmission(complaint=existing, receipt_code=None)
    if not any(fields.get(key) for key in ("reporter_name", "reporter_email", "reporter_phone")):
        fields.setdefault("anonymity", Anonymity.ANONYMOUS)
    try:
        # One transaction without savepoints (issue 13): nothing inside is caught and retried;
        # any failure rolls the whole registration back.
        with transaction.atomic():
            receipt = receipts.new_receipt_code()
            complaint = register_complaint(office=office, channel=Channel.ONLINE,
                                           status=Status.NEW, submission_token=submission_token,
                                           reporter_language=language, receipt=receipt,
                                           savepoint=False, **fields)
            code = receipt.code
            if attachments:
                store_reporter_attachments(complaint=complaint, files=attachments)
            notify_office_of_new_report(complaint=complaint)
            notify_reporter_of_receipt(complaint=complaint)
    except IntegrityError:
        existing = Complaint.objects.filter(submission_token=submission_token).first()
        if existing is None:
            raise
        return OnlineSubmission(complaint=existing, receipt_code=None)
    return OnlineSubmission(complaint=complaint, receipt_code=code)


@transaction.atomic
def register_staff_complaint(*, office: Office, actor: User, channel: str,
                             desk: Desk | None = None,
                             **fields: Unpack[ComplaintFields]) -> Complaint:
    """Register a report a caseworker received by phone, e-mail, letter or in person
    (Besluit art. 7), with that channel recorded.

    ``desk`` is the desk the staff member chose (one of their own); ``None`` routes the report
    like an online one (``reports.services.desks.route_desk``). The registering user takes the
    case when they may take cases of its desk; a report routed to another desk lands in that
    desk's queue.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.register_complaint``, or ``desk`` is not
            one of theirs.
        ValidationError: ``channel`` is ``online`` (the public form's) or a field is invalid.
    """
    if not actor.has_perm("reports.register_complaint"):
        raise PermissionDenied
    if desk is not None and not permissions.in_desk_scope(user=actor, desk_id=desk.pk):
        raise PermissionDenied
    if channel == Channel.ONLINE:
        raise ValidationError(_("Choose how the report reached you."), code="channel")
    complaint = register_complaint(office=office, channel=channel, actor=actor, desk=desk,
                                   **fields)
    if permissions.can_claim(user=actor, complaint=complaint):
        assign_complaint(complaint=complaint, actor=actor, assignee=actor,
                         expected_version=complaint.version)
        complaint.refresh_from_db()
    return complaint


def _validate_codes(grounds: list[str], handling: list[str]) -> None:
    """Raise ``ValidationError`` when a ground or handling code is not in its vocabulary."""
    for code in grounds:
        ComplaintGround(code=code).clean_fields(exclude=["complaint"])
    for code in handling:
        ComplaintHandling(code=code).clean_fields(exclude=["complaint"])


_Code = TypeVar("_Code", ComplaintGround, ComplaintHandling)


def _set_codes(complaint: Complaint, model: type[_Code], codes: Iterable[str]) -> None:
    model.objects.filter(complaint=complaint).delete()
    model.objects.bulk_create([model(complaint=complaint, code=code)
                               for code in dict.fromkeys(codes)])


def _require_change(actor: User, complaint: Complaint) -> None:
    if not permissions.can_change(user=actor, complaint=complaint):
        raise PermissionDenied


def _lock(complaint: Complaint, expected_version: int | None) -> Complaint:
    """Lock the row and check the version the caller's change was based on."""
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleCaseError
    return locked


def _save(locked: Complaint, fields: list[str]) -> None:
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])


def _check_besluit_rules(*, anonymity: str, handling: Iterable[str], reporter_consents: bool,
                         other_party_consents: bool) -> None:
    """Besluit gemeentelijke ADV's art. 5 and art. 11.

    Raises:
        ValidationError: mediation or own investigation for an anonymous reporter (art. 5), or
            mediation without recorded consent of both parties (art. 11).
    """
    handling = set(handling)
    if anonymity != Anonymity.NAMED and handling & HANDLING_REQUIRING_IDENTITY:
        raise ValidationError(
            _("Mediation and own investigation are not possible while the reporter stays "
              "anonymous (Besluit art. 5)."), code="anonymous")
    if Handling.MEDIATION in handling and not (reporter_consents and other_party_consents):
        raise ValidationError(
            _("Mediation needs the recorded consent of both parties (Besluit art. 11)."),
            code="mediation_consent")


@transaction.atomic
def change_status(
    *,
    complaint: Complaint,
    actor: User,
    to_status: str,
    expected_version: int | None = None,
    reason: str = "",
    outcome: str = "",
    rejection_reason: str = "",
    duplicate_of: Complaint | None = None,
) -> Complaint:
    """Move ``complaint`` to ``to_status`` if ``reports.workflow.TRANSITIONS`` allows it.

    Closing needs at least one handling code and an ``Outcome``; rejecting needs a
    ``RejectionReason`` (and, for a duplicate, optionally the case it duplicates, which the actor
    must be able to see); reopening needs a written ``reason``. Leaving ``new`` records the first
    response.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint.
        StaleCaseError: the case changed since ``expected_version``.
        ValidationError: the transition or its conditions fail; nothing is changed. Closing
            without handling and/or outcome raises one error by field (``handling``,
            ``outcome``: codes ``handling_required``, ``outcome_required``) naming every
            missing one.
    """
    _require_change(actor, complaint)
    locked = _lock(complaint, expected_version)
    if to_status not in TRANSITIONS.get(locked.status, frozenset()):
        raise ValidationError(
            _("A case with status “%(from)s” cannot move to “%(to)s”.")
            % {"from": Status(locked.status).label,
               "to": Status(to_status).label if to_status in Status.values else to_status},
            code="transition",
        )
    reason = reason.strip()
    fields = ["status"]
    if to_status == Status.CLOSED:
        # Every missing condition at once, by field, so the page marks each (issue 12 tester).
        missing: dict[str, ValidationError] = {}
        if not locked.handling.exists():
            missing["handling"] = ValidationError(
                _("Record at least one manner of handling before closing."),
                code="handling_required")
        if not outcome:
            missing["outcome"] = ValidationError(_("Choose an outcome before closing."),
                                                 code="outcome_required")
        if missing:
            raise ValidationError(missing)
        locked.outcome, locked.closed_at = outcome, timezone.now()
        locked.full_clean(validate_unique=False, validate_constraints=False)
        fields += ["outcome", "closed_at"]
    elif to_status == Status.REJECTED:
        if rejection_reason not in RejectionReason.values:
            raise ValidationError(_("Choose why this report is not taken on."),
                                  code="rejection_reason_required")
        if duplicate_of is not None:
            duplicate_of = Complaint.objects.filter(pk=duplicate_of.pk).first()
        if duplicate_of is not None and (
                duplicate_of.pk == locked.pk
                or not permissions.can_view(user=actor, complaint=duplicate_of)):
            raise ValidationError(_("Choose an existing case for the duplicate."),
                                  code="duplicate_of")
        locked.rejection_reason = rejection_reason
        is_duplicate = rejection_reason == RejectionReason.DUPLICATE
        locked.duplicate_of = duplicate_of if is_duplicate else None
        locked.closed_at = timezone.now()
        fields += ["rejection_reason", "duplicate_of", "closed_at"]
    elif to_status == Status.REOPENED:
        if not reason:
            raise ValidationError(_("Give a reason for reopening."), code="reason_required")
        locked.closed_at, locked.outcome, locked.rejection_reason = None, "", ""
        locked.duplicate_of = None
        fields += ["closed_at", "outcome", "rejection_reason", "duplicate_of"]
    if locked.first_response_at is None and locked.status == Status.NEW:
        locked.first_response_at = timezone.now()
        fields.append("first_response_at")
    from_status = locked.status
    locked.status = to_status
    _save(locked, fields)
    count_status_change(leaving=from_status, entering=to_status)
    details: dict[str, str] = {Status.CLOSED: outcome, Status.REJECTED: rejection_reason}
    detail = details.get(to_status, "")
    ComplaintHistory.objects.create(
        complaint=locked, actor=actor, action=History.STATUS, from_value=from_status,
        to_value=f"{to_status}:{detail}" if detail else to_status, reason=reason)
    return locked


@transaction.atomic
def resume_after_reporter_activity(*, complaint: Complaint) -> Complaint:
    """Move ``complaint`` on after the reporter replied or sent files through the portal, as
    ``reports.workflow.REPORTER_ACTIVITY_TRANSITIONS`` says (waiting for the reporter -> in
    progress); other statuses stay as they are.

    The transition is checked against ``TRANSITIONS`` like any other. The history row has no
    actor and ``by_reporter`` set ("by the reporter" in the timeline). The version goes up, so
    a form opened before the reply is refused as stale.

    Returns:
        The locked, possibly changed complaint.
    """
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    to_status = REPORTER_ACTIVITY_TRANSITIONS.get(locked.status)
    if to_status is None or to_status not in TRANSITIONS.get(locked.status, frozenset()):
        return locked
    from_status, locked.status = locked.status, to_status
    _save(locked, ["status"])
    count_status_change(leaving=from_status, entering=to_status)
    ComplaintHistory.objects.create(complaint=locked, actor=None, action=History.STATUS,
                                    from_value=from_status, to_value=to_status,
                                    by_reporter=True)
    return locked


@transaction.atomic
def assign_complaint(*, complaint: Complaint, actor: User,
                     assignee: User | None,
                     expected_version: int | None = None) -> Complaint:
    """Assign ``complaint`` to ``assignee`` (``None`` returns it to the queue).

    Grants the assignee guardian ``view_complaint`` and ``change_complaint`` on the case and
    revokes them from the previous holder, in the same transaction.

    Raises:
        PermissionDenied: ``actor`` may not assign it (needs ``reports.assign_complaint``, or
            ``reports.claim_complaint`` to take an unassigned case for themselves).
        StaleCaseError: the case changed since ``expected_version``.
        ValidationError: ``assignee`` may not handle cases (code ``assignee``), or not this
            case's desk (code ``assignee_desk``).
    """
    locked = _lock(complaint, expected_version)
    claiming = assignee is not None and assignee.pk == actor.pk
    if not (permissions.can_assign(user=actor, complaint=locked)
            or (claiming and permissions.can_claim(user=actor, complaint=locked))):
        raise PermissionDenied
    if assignee is not None and not permissions.assignable_users(
            desk_ids=[locked.desk_id]).filter(pk=assignee.pk).exists():
        if permissions.assignable_users().filter(pk=assignee.pk).exists():
            raise ValidationError(_("This caseworker does not work for this case's desk."),
                                  code="assignee_desk")
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
    _save(locked, ["assigned_to"])
    ComplaintHistory.objects.create(
        complaint=locked, actor=actor, action=History.ASSIGNMENT,
        from_value=previous.get_username() if previous else "",
        to_value=assignee.get_username() if assignee else "",
    )
    return locked


@transaction.atomic
def share_with_team(*, complaint: Complaint, actor: User, team: Team | None,
                    expected_version: int | None = None) -> Complaint:
    """Share ``complaint`` with ``team`` (``None`` stops sharing).

    Grants the team's group guardian ``view_complaint`` and ``change_complaint`` on the case and
    revokes them from the previous team, in the same transaction.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.share_complaint`` or cannot see the case.
        StaleCaseError: the case changed since ``expected_version``.
        ValidationError: ``team`` belongs to another desk than the case.
    """
    if not (actor.has_perm("reports.share_complaint")
            and permissions.can_view(user=actor, complaint=complaint)):
        raise PermissionDenied
    locked = _lock(complaint, expected_version)
    if team is not None and team.desk_id != locked.desk_id:
        raise ValidationError(_("Choose a team of this case's desk."), code="team")
    previous = locked.team
    if previous == team:
        return locked
    if previous is not None:
        for perm in CASE_PERMISSIONS:
            remove_perm(perm, previous.group, locked)
    if team is not None:
        for perm in CASE_PERMISSIONS:
            assign_perm(perm, team.group, locked)
    locked.team = team
    _save(locked, ["team"])
    ComplaintHistory.objects.create(
        complaint=locked, actor=actor, action=History.TEAM,
        from_value=previous.name if previous else "", to_value=team.name if team else "")
    return locked


@transaction.atomic
def classify_complaint(
    *,
    complaint: Complaint,
    actor: User,
    contact_type: str,
    grounds: Iterable[str],
    societal_domain: str,
    nature: str,
    handling: Iterable[str],
    expected_version: int | None = None,
) -> Complaint:
    """Record the caseworker's classification (Regeling registratieformulier, tables 2 to 5).

    Args:
        contact_type: a ``ContactType`` code; ``societal_domain`` and ``nature`` one code or ``""``.
        grounds, handling: lists of codes, possibly empty.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint.
        StaleCaseError: the case changed since ``expected_version``.
        ValidationError: a code is not in its vocabulary, or the handling breaks Besluit art. 5
            or art. 11 (see ``_check_besluit_rules``).
    """
    _require_change(actor, complaint)
    locked = _lock(complaint, expected_version)
    grounds, handling = sorted(set(grounds)), sorted(set(handling))
    before = _classification(locked)
    locked.contact_type, locked.societal_domain, locked.nature = (contact_type, societal_domain,
                                                                  nature)
    locked.full_clean(validate_unique=False, validate_constraints=False)
    _validate_codes(grounds, handling)
    _check_besluit_rules(anonymity=locked.anonymity, handling=handling,
                         reporter_consents=locked.reporter_consents_mediation,
                         other_party_consents=locked.other_party_consents_mediation)
    own_before = _own_classification(locked)
    _set_codes(locked, ComplaintGround, grounds)
    _set_codes(locked, ComplaintHandling, handling)
    after = _classification(locked)
    if after != before:
        fields = ["contact_type", "societal_domain", "nature"]
        if locked.incident_id is not None and _own_classification(locked) != own_before:
            # Changed by hand inside a mass report: keep it, do not take the incident's over.
            locked.classification_overridden = True
            fields.append("classification_overridden")
        _save(locked, fields)
        ComplaintHistory.objects.create(complaint=locked, actor=actor,
                                        action=History.CLASSIFICATION,
                                        from_value=before[:200], to_value=after[:200])
    return locked


def _own_classification(complaint: Complaint) -> tuple[list[str], str, str]:
    """The part of the classification a mass report gives its reports: grounds, domain, nature."""
    return (sorted(complaint.grounds.values_list("code", flat=True)),
            complaint.societal_domain, complaint.nature)


@transaction.atomic
def apply_incident_classification(*, complaint: Complaint, actor: User, grounds: Iterable[str],
                                  societal_domain: str, nature: str) -> bool:
    """Give ``complaint`` its mass report's grounds, societal domain and nature, unless a
    caseworker overrode its classification (``classification_overridden``).

    Contact type and handling stay as they are (so Besluit art. 5 and 11 cannot be broken).
    A change appends one ``CLASSIFICATION`` history row with ``actor``.

    Returns:
        True when the classification changed.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint.
        ValidationError: a code is not in its vocabulary.
    """
    _require_change(actor, complaint)
    return _inherit_classification(_lock(complaint, None), actor, grounds, societal_domain,
                                   nature)


def _inherit_classification(locked: Complaint, actor: User, grounds: Iterable[str],
                            societal_domain: str, nature: str) -> bool:
    """``apply_incident_classification`` on a row the caller locked (few queries: it runs
    once per report of a mass report)."""
    if locked.classification_overridden:
        return False
    codes = sorted(set(grounds))
    _validate_codes(codes, [])
    if (societal_domain and societal_domain not in SocietalDomain.values) or (
            nature and nature not in Nature.values):
        raise ValidationError(_("Choose the classification from the lists."), code="code")
    old_grounds = sorted(locked.grounds.values_list("code", flat=True))
    if (old_grounds, locked.societal_domain, locked.nature) == (codes, societal_domain, nature):
        return False
    handling = ",".join(sorted(locked.handling.values_list("code", flat=True)))

    def text(ground_codes: list[str]) -> str:
        return (f"type={locked.contact_type};grounds={','.join(ground_codes)};"
                f"domain={locked.societal_domain};nature={locked.nature};handling={handling}")

    before = text(old_grounds)
    locked.societal_domain, locked.nature = societal_domain, nature
    _set_codes(locked, ComplaintGround, codes)
    _save(locked, ["societal_domain", "nature"])
    ComplaintHistory.objects.create(complaint=locked, actor=actor, action=History.CLASSIFICATION,
                                    from_value=before[:200], to_value=text(codes)[:200],
                                    reason=_("Classification of the mass report"))
    return True


@transaction.atomic
def add_to_incident(*, complaint: Complaint, actor: User, incident: Incident) -> bool:
    """Make ``complaint`` part of the mass report ``incident`` and give it the incident's
    classification (``apply_incident_classification``; a report that was in another incident
    moves, and its override flag is cleared).

    Appends a ``MASS_ADDED`` history row (the incident's title, as ``to_value``) with ``actor``.

    Returns:
        False when it was already in ``incident`` (nothing changes), else True.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_incidents`` or may not change the
            complaint.
        ValidationError: the incident belongs to another office.
    """
    if not actor.has_perm("reports.manage_incidents"):
        raise PermissionDenied
    _require_change(actor, complaint)
    locked = _lock(complaint, None)
    if locked.incident_id == incident.pk:
        return False
    if incident.office_id != locked.office_id:
        raise ValidationError(_("This mass report belongs to another office."), code="office")
    previous = locked.incident
    locked.incident, locked.classification_overridden = incident, False
    _save(locked, ["incident", "classification_overridden"])
    ComplaintHistory.objects.create(
        complaint=locked, actor=actor, action=History.MASS_ADDED,
        from_value=previous.title[:200] if previous else "", to_value=incident.title[:200])
    _inherit_classification(locked, actor, incident.grounds.values_list("code", flat=True),
                            incident.societal_domain, incident.nature)
    return True


@transaction.atomic
def remove_from_incident(*, complaint: Complaint, actor: User) -> bool:
    """Take ``complaint`` out of its mass report; its classification stays as it is.

    Appends a ``MASS_REMOVED`` history row with ``actor``.

    Returns:
        False when it was in no mass report, else True.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_incidents`` or may not change it.
    """
    if not actor.has_perm("reports.manage_incidents"):
        raise PermissionDenied
    _require_change(actor, complaint)
    locked = _lock(complaint, None)
    previous = locked.incident
    if previous is None:
        return False
    locked.incident, locked.classification_overridden = None, False
    _save(locked, ["incident", "classification_overridden"])
    ComplaintHistory.objects.create(complaint=locked, actor=actor, action=History.MASS_REMOVED,
                                    from_value=previous.title[:200])
    return True


@transaction.atomic
def record_handling(*, complaint: Complaint, actor: User, handling: Iterable[str]) -> Complaint:
    """Set the manner(s) of handling of ``complaint`` (table 5 of the form), keeping the rest
    of its classification; used before closing many cases with one handling.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint.
        ValidationError: an unknown code, or Besluit art. 5 or art. 11 forbids it for this
            reporter (see ``_check_besluit_rules``).
    """
    _require_change(actor, complaint)
    locked = _lock(complaint, None)
    handling = sorted(set(handling))
    _validate_codes([], handling)
    _check_besluit_rules(anonymity=locked.anonymity, handling=handling,
                         reporter_consents=locked.reporter_consents_mediation,
                         other_party_consents=locked.other_party_consents_mediation)
    before = _classification(locked)
    if sorted(locked.handling.values_list("code", flat=True)) == handling:
        return locked
    _set_codes(locked, ComplaintHandling, handling)
    _save(locked, [])
    ComplaintHistory.objects.create(complaint=locked, actor=actor, action=History.CLASSIFICATION,
                                    from_value=before[:200],
                                    to_value=_classification(locked)[:200])
    return locked


def _classification(complaint: Complaint) -> str:
    grounds = ",".join(sorted(complaint.grounds.values_list("code", flat=True)))
    handling = ",".join(sorted(complaint.handling.values_list("code", flat=True)))
    return (f"type={complaint.contact_type};grounds={grounds};domain={complaint.societal_domain};"
            f"nature={complaint.nature};handling={handling}")


#: Reporter fields whose values are personal data: history records only that they changed.
PERSONAL_FIELDS = ("reporter_name", "reporter_email", "reporter_phone", "reporter_residence")
#: Reporter fields whose old and new values history records.
RECORDED_FIELDS = ("consent_to_contact", "anonymity", "reporter_consents_mediation",
                   "other_party_consents_mediation")


@transaction.atomic
def update_reporter_data(*, complaint: Complaint, actor: User,
                         expected_version: int | None = None,
                         **changes: Unpack[ReporterChanges]) -> Complaint:
    """Change the reporter's details, anonymity choice and mediation consents.

    Args:
        changes: any of ``PERSONAL_FIELDS`` and ``RECORDED_FIELDS`` with new values
            (``reporter_residence`` a ``Municipality`` or ``None``).

    History gets one row per changed field; for personal fields it holds only the field name,
    never the values.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint or lacks
            ``reports.view_reporter_contact``.
        StaleCaseError: the case changed since ``expected_version``.
        ValidationError: an unknown field or invalid value, or the case's handling would break
            Besluit art. 5 or art. 11 with the new choices.
    """
    _require_change(actor, complaint)
    if not permissions.can_view_contact(user=actor):
        raise PermissionDenied
    values: dict[str, object] = dict(changes)
    unknown = set(values) - set(PERSONAL_FIELDS) - set(RECORDED_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown reporter fields: {sorted(unknown)}")
    locked = _lock(complaint, expected_version)
    changed = [field for field, value in values.items() if getattr(locked, field) != value]
    if not changed:
        return locked
    old = {field: getattr(locked, field) for field in changed}
    for field in changed:
        setattr(locked, field, values[field])
    locked.full_clean(validate_unique=False, validate_constraints=False)
    _check_besluit_rules(anonymity=locked.anonymity,
                         handling=locked.handling.values_list("code", flat=True),
                         reporter_consents=locked.reporter_consents_mediation,
                         other_party_consents=locked.other_party_consents_mediation)
    _save(locked, changed)
    ComplaintHistory.objects.bulk_create([
        ComplaintHistory(
            complaint=locked, actor=actor, action=History.REPORTER_DATA,
            from_value=field if field in PERSONAL_FIELDS else f"{field}={old[field]}",
            to_value=field if field in PERSONAL_FIELDS else f"{field}={values[field]}")
        for field in changed
    ])
    return locked


@transaction.atomic
def update_incident(*, complaint: Complaint, actor: User,
                    incident_municipality: Municipality | None, incident_place: str,
                    incident_date: datetime.date | None, channel: str,
                    expected_version: int | None = None) -> Complaint:
    """Correct where and when the incident happened and how the report came in.

    Args:
        incident_municipality, incident_place: a municipality, or ``None`` with ``online`` (no
            municipality applies) or ``unknown`` (``place_of_incident``).
        incident_date: a past date (Europe/Amsterdam) or ``None``.
        channel: a ``Channel`` code.

    History gets one ``INCIDENT`` row per changed value with the old and new value
    (municipality name and CBS code, place code, ISO date or channel code): not personal data.

    Raises:
        PermissionDenied: ``actor`` may not change this complaint.
        StaleCaseError: the case changed since ``expected_version``.
        ValidationError: an unknown channel or place, or a date in the future.
    """
    _require_change(actor, complaint)
    if incident_place not in IncidentPlace.values:
        raise ValidationError(_("Choose where it happened."), code="incident_place")
    if incident_date is not None and incident_date > timezone.localdate(timezone=AMSTERDAM):
        raise ValidationError(_("The date cannot be in the future."), code="future")
    locked = _lock(complaint, expected_version)
    place = place_of_incident(municipality=incident_municipality, place=incident_place)

    def shown(field: str, value: object) -> str:
        if isinstance(value, Municipality):
            return f"{value.name} ({value.code})"
        if isinstance(value, datetime.date):
            return value.isoformat()
        return "" if value is None else str(value)

    new: dict[str, object] = {
        "incident_place": place, "incident_municipality": incident_municipality,
        "incident_date": incident_date, "channel": channel}
    changed = [field for field, value in new.items() if getattr(locked, field) != value]
    if not changed:
        return locked
    old = {field: shown(field, getattr(locked, field)) for field in changed}
    for field in changed:
        setattr(locked, field, new[field])
    locked.full_clean(validate_unique=False, validate_constraints=False)
    _save(locked, changed)
    ComplaintHistory.objects.bulk_create([
        ComplaintHistory(complaint=locked, actor=actor, action=History.INCIDENT,
                         from_value=f"{field}={old[field]}",
                         to_value=f"{field}={shown(field, new[field])}")
        for field in changed])
    return locked


@transaction.atomic
def add_note(*, complaint: Complaint, author: User, text: str) -> Note:
    """Add an internal note to ``complaint``.

    Raises:
        PermissionDenied: ``author`` may not change this complaint.
        ValidationError: the note is empty.
    """
    _require_change(author, complaint)
    if not text.strip():
        raise ValidationError(_("A note cannot be empty."), code="empty")
    return Note.objects.create(complaint=complaint, author=author, text=text.strip())


@transaction.atomic
def record_message(*, complaint: Complaint, author: User, direction: str,
                   body: str, notify_by_email: bool = True) -> Message:
    """Record correspondence with the reporter (sent to them, or received from them).

    A first message to the reporter counts as the first response. A message to the reporter is
    always shown in the follow-up portal and, with ``notify_by_email``, queues an e-mail notice
    to them (``notifications.notify_reporter_of_message``: only where they left an address).

    Args:
        notify_by_email: whether a message to the reporter also queues the e-mail notice
            (default ``True``, a reply on the case page). Reply to all of a mass report passes
            ``complaint.consent_to_contact`` (issue 11 §2: e-mail only with an address and
            consent). Ignored for messages from the reporter.

    Raises:
        PermissionDenied: ``author`` may not change this complaint.
        ValidationError: the message is empty or the direction unknown.
    """
    _require_change(author, complaint)
    if not body.strip():
        raise ValidationError(_("A message cannot be empty."), code="empty")
    if direction not in Message.Direction.values:
        raise ValidationError(_("Choose a direction."), code="direction")
    message = Message.objects.create(complaint=complaint, author=author, direction=direction,
                                     body=body.strip())
    if direction == Message.Direction.TO_REPORTER:
        Complaint.objects.filter(pk=complaint.pk, first_response_at__isnull=True).update(
            first_response_at=message.created_at)
        if notify_by_email:
            notify_reporter_of_message(complaint=complaint, message=message)
    return message


@transaction.atomic
def add_attachment(*, complaint: Complaint, uploaded_by: User,
                   upload: UploadedFile) -> Attachment:
    """Store a file with the case under a generated name in private storage.

    Args:
        upload: the uploaded file; at most ``ATTACHMENT_MAX_BYTES`` (default 10 MB) bytes, a
            PDF, JPEG, PNG or DOCX by content (``reports.uploads.validate_upload``; images are
            stored without metadata).

    Raises:
        PermissionDenied: ``uploaded_by`` may not change this complaint.
        ValidationError: the file is empty, too large or not an allowed type.
    """
    _require_change(uploaded_by, complaint)
    clean = validate_upload(upload)
    attachment = Attachment(complaint=complaint, original_name=clean.name,
                            size=len(clean.content), content_type=clean.content_type,
                            uploaded_by=uploaded_by)
    attachment.file.save("upload", ContentFile(clean.content), save=False)
    attachment.save()
    return attachment
