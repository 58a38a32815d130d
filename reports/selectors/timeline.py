"""The timeline of a case: history, notes, messages and attachments in one chronological list.

Callers check first that the user may see the case (``reports.selectors.permissions``); the
timeline itself does no permission checks. It costs four queries whatever the case's size.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.models import Attachment, CaseLink, Complaint, ComplaintHistory, Message, Note
from reports.types import User
from reports.vocabulary import (
    Channel,
    ContactType,
    Ground,
    Handling,
    IncidentPlace,
    Nature,
    Outcome,
    RejectionReason,
    SocietalDomain,
    Status,
)

History = ComplaintHistory.Action

#: Entry kinds, in the order used for entries recorded at the very same moment.
KINDS = ("history", "note", "message", "attachment")


@dataclass(frozen=True)
class Change:
    """One changed value: what (a label), from and to (display texts, ``""`` when empty)."""

    label: str
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline.

    Attributes:
        kind: one of ``KINDS``.
        at: when it happened (timezone-aware).
        actor: the username of who did it, ``""`` for the system or the public form.
        title: what happened, for example "Status changed" or "Note".
        changes: the changed values; for reporter data only the field names.
        reason: the reason given with a status change (``""`` if none).
        text: the body of a note or message.
        attachment: the attachment, for its download link.
        source: the underlying row (``ComplaintHistory``, ``Note``, ``Message`` or
            ``Attachment``).
        by_reporter: the reporter did it themselves: a message sent through the follow-up
            portal, a file sent with the report form or through the portal, or the status
            change their reply caused (``actor`` is ``""`` then).
    """

    kind: str
    at: datetime.datetime
    actor: str
    title: str
    changes: tuple[Change, ...] = ()
    reason: str = ""
    text: str = ""
    attachment: Attachment | None = None
    source: models.Model | None = field(default=None, compare=False, repr=False)
    by_reporter: bool = False


def _label(choices: type[models.TextChoices], code: str) -> str:
    """The label of ``code`` in ``choices``, the code itself when unknown, ``""`` when empty."""
    if not code:
        return ""
    return str(choices(code).label) if code in choices.values else code


def _status_change(row: ComplaintHistory) -> tuple[Change, ...]:
    """``to_value`` is ``status`` or ``status:detail`` (an outcome or rejection reason)."""
    to_status, _sep, detail = row.to_value.partition(":")
    changes = [Change(_("Status"), _label(Status, row.from_value), _label(Status, to_status))]
    if detail and to_status == Status.CLOSED:
        changes.append(Change(_("Outcome"), new=_label(Outcome, detail)))
    elif detail and to_status == Status.REJECTED:
        changes.append(Change(_("Reason for rejection"), new=_label(RejectionReason, detail)))
    return tuple(changes)


#: Keys of the classification summary (``services.complaints._classification``).
_CLASSIFICATION: dict[str, tuple[Promise, type[models.TextChoices]]] = {
    "type": (gettext_lazy("Contact type"), ContactType),
    "grounds": (gettext_lazy("Grounds"), Ground),
    "domain": (gettext_lazy("Societal domain"), SocietalDomain),
    "nature": (gettext_lazy("Nature"), Nature),
    "handling": (gettext_lazy("Handling"), Handling),
}


def _parse_classification(value: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in value.split(";"):
        key, sep, codes = part.partition("=")
        if sep and key in _CLASSIFICATION:
            parsed[key] = [code for code in codes.split(",") if code]
    return parsed


def _classification_change(row: ComplaintHistory) -> tuple[Change, ...]:
    """The parts of the classification that differ between ``from_value`` and ``to_value``."""
    old, new = _parse_classification(row.from_value), _parse_classification(row.to_value)
    changes = []
    for key, (label, choices) in _CLASSIFICATION.items():
        if key in new and old.get(key) != new[key]:
            changes.append(Change(
                str(label),
                ", ".join(_label(choices, code) for code in old.get(key, [])),
                ", ".join(_label(choices, code) for code in new[key]),
            ))
    return tuple(changes)


def _reporter_field(row: ComplaintHistory) -> tuple[Change, ...]:
    """Only the name of the changed field, never its values."""
    name = row.to_value.partition("=")[0]
    try:
        model_field = Complaint._meta.get_field(name)
    except FieldDoesNotExist:  # shown as it is
        return (Change(name),)
    if not isinstance(model_field, models.Field):
        return (Change(name),)
    return (Change(str(model_field.verbose_name)),)


def _incident_change(row: ComplaintHistory) -> tuple[Change, ...]:
    """``field=value`` before and after: the place, municipality, date or channel."""
    name, _sep, old = row.from_value.partition("=")
    new = row.to_value.partition("=")[2]
    if name == "incident_place":
        old, new = _label(IncidentPlace, old), _label(IncidentPlace, new)
    elif name == "channel":
        old, new = _label(Channel, old), _label(Channel, new)
    try:
        field = Complaint._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    label = str(getattr(field, "verbose_name", name))
    return (Change(label, old, new),)


def _link_change(row: ComplaintHistory) -> tuple[Change, ...]:
    """``case_number:kind`` in ``to_value`` (linked) or ``from_value`` (unlinked)."""
    case_number, _sep, kind = (row.to_value or row.from_value).partition(":")
    return (Change(_label(CaseLink.Kind, kind), new=case_number),)


def _history_entry(row: ComplaintHistory) -> TimelineEntry:
    if row.action == History.STATUS:
        changes = _status_change(row)
    elif row.action == History.CREATED:
        changes = (Change(_("Status"), new=_label(Status, row.to_value)),)
    elif row.action == History.CLASSIFICATION:
        changes = _classification_change(row)
    elif row.action == History.REPORTER_DATA:
        changes = _reporter_field(row)
    elif row.action == History.ASSIGNMENT:
        changes = (Change(_("Caseworker"), row.from_value, row.to_value),)
    elif row.action == History.TEAM:
        changes = (Change(_("Team"), row.from_value, row.to_value),)
    elif row.action == History.DESK:
        changes = (Change(_("Desk"), row.from_value, row.to_value),)
    elif row.action == History.INCIDENT:
        changes = _incident_change(row)
    elif row.action in (History.LINK, History.UNLINK):
        changes = _link_change(row)
    elif row.action in (History.MASS_ADDED, History.MASS_REMOVED):
        changes = (Change(_("Mass report"), row.from_value, row.to_value),)
    else:
        changes = ()
    return TimelineEntry(
        kind="history", at=row.at, actor=row.actor.get_username() if row.actor else "",
        title=row.get_action_display(), changes=changes, reason=row.reason, source=row,
        by_reporter=row.by_reporter)


def _username(user: User | None) -> str:
    return user.get_username() if user is not None else ""


def case_timeline(*, complaint: Complaint) -> list[TimelineEntry]:
    """Everything that happened to ``complaint``, oldest first.

    Merges the history (status changes with reason and outcome or rejection reason, assignment,
    team, classification, and reporter-data changes showing only the field names), internal notes,
    messages to and from the reporter and attachments. Messages the reporter sent through the
    follow-up portal and files the reporter sent are marked ``by_reporter``; the history rows
    recording a portal message (``REPORTER_MESSAGE``) are left out, as the message itself is
    shown. Entries at the same moment keep the order of ``KINDS`` and then of their ids. Four
    queries.
    """
    history = ComplaintHistory.objects.filter(complaint=complaint).select_related("actor")
    notes = Note.objects.filter(complaint=complaint).select_related("author")
    sent = Message.objects.filter(complaint=complaint).select_related("author")
    files = Attachment.objects.filter(complaint=complaint).select_related("uploaded_by")
    entries: list[tuple[tuple, TimelineEntry]] = []
    for row in history:
        if row.action == History.REPORTER_MESSAGE:
            continue
        entries.append(((row.at, 0, row.pk), _history_entry(row)))
    for note in notes:
        entries.append(((note.created_at, 1, note.pk), TimelineEntry(
            kind="note", at=note.created_at, actor=_username(note.author), title=_("Note"),
            text=note.text, source=note)))
    for message in sent:
        from_portal = (message.direction == Message.Direction.FROM_REPORTER
                       and message.author_id is None)
        if message.direction == Message.Direction.TO_REPORTER:
            title = _("Message to the reporter")
        elif from_portal:
            title = _("Message from the reporter via the follow-up page")
        else:
            title = _("Message from the reporter")
        entries.append(((message.created_at, 2, message.pk), TimelineEntry(
            kind="message", at=message.created_at, actor=_username(message.author),
            title=title, text=message.body, source=message, by_reporter=from_portal)))
    for attachment in files:
        entries.append(((attachment.uploaded_at, 3, attachment.pk), TimelineEntry(
            kind="attachment", at=attachment.uploaded_at,
            actor=_username(attachment.uploaded_by), title=_("File added"),
            attachment=attachment, source=attachment,
            by_reporter=attachment.uploaded_by_id is None)))
    entries.sort(key=lambda pair: pair[0])
    return [entry for _key, entry in entries]
