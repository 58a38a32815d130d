"""Importing registrations from an office's previous system (``manage.py import_complaints``).

The input is a UTF-8 CSV file with this header (columns in any order, each exactly once)::

    reference,received_at,channel,contact_type,status,reporter_residence,
    incident_municipality,grounds,societal_domain,nature,handling,description

Per column:

* ``reference``: the old system's identifier, required, at most 100 characters; stored as
  ``Complaint.external_reference``. A reference the office already has is skipped (so an import
  can be run twice); a reference that occurs twice in one file is an error.
* ``received_at``: ISO 8601 date and time, required, read by the rule the staff form uses too
  (``reports.received``): without an offset it is local time in Europe/Amsterdam; a local time
  in the daylight-saving gap does not exist and is an error; one in the repeated hour in October
  is read as the first, summer-time (UTC+02:00), one. A date without a time of day, a moment
  before 1 January 2000 (no statistics year counts it) and a moment in the future are errors.
* ``channel``, ``contact_type``, ``status``: one code of ``Channel``, ``ContactType`` and
  ``Status`` (``reports.vocabulary``), required: the old system must say how the report came in,
  what kind of contact it was and how far it got, and guessing would skew the annual figures.
* ``societal_domain``, ``nature``: one code, or empty when not classified yet.
* ``grounds``, ``handling``: ``;``-separated codes, possibly empty; blanks around codes and empty
  items are ignored, duplicates are stored once.
* ``reporter_residence``, ``incident_municipality``: a CBS code such as ``GM0106``, or empty when
  unknown. Codes of dissolved (merged) municipalities are accepted and stored as given.
* ``description``: stored exactly as read, including line breaks; may be empty (old systems and
  cases whose personal data was removed by retention often have none; such a case is counted in
  the statistics like any other). The public form still requires one.

Blanks around every value except ``description`` are ignored; codes are case-sensitive. Empty
lines between records are ignored.

Error messages name line numbers, columns and codes only, never a description or other reporter
data; a value that does not look like a code or date is replaced by "(value not shown)".
"""

from __future__ import annotations

import csv
import datetime
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from reports.models import Complaint, Municipality, Office
from reports.received import FUTURE, NONEXISTENT, TOO_EARLY, received_moment
from reports.services.complaints import register_complaint
from reports.vocabulary import (
    Channel,
    ContactType,
    Ground,
    Handling,
    Nature,
    SocietalDomain,
    Status,
)

logger = logging.getLogger(__name__)

#: The columns of the import file, in the documented order.
COLUMNS: tuple[str, ...] = (
    "reference", "received_at", "channel", "contact_type", "status", "reporter_residence",
    "incident_municipality", "grounds", "societal_domain", "nature", "handling", "description",
)
REFERENCE_MAX_LENGTH: int = Complaint._meta.get_field("external_reference").max_length or 0

# Single-code columns: (vocabulary, required).
_SINGLE_CODES: dict[str, tuple[Any, bool]] = {
    "channel": (Channel, True),
    "contact_type": (ContactType, True),
    "status": (Status, True),
    "societal_domain": (SocietalDomain, False),
    "nature": (Nature, False),
}
_MULTI_CODES: dict[str, Any] = {"grounds": Ground, "handling": Handling}
_MUNICIPALITY_COLUMNS = ("reporter_residence", "incident_municipality")

_UNKNOWN_CODE = {
    "channel": gettext_noop("unknown channel code %(code)s"),
    "contact_type": gettext_noop("unknown contact type code %(code)s"),
    "status": gettext_noop("unknown status code %(code)s"),
    "societal_domain": gettext_noop("unknown societal domain code %(code)s"),
    "nature": gettext_noop("unknown nature code %(code)s"),
    "grounds": gettext_noop("unknown ground code %(code)s"),
    "handling": gettext_noop("unknown handling code %(code)s"),
    "reporter_residence": gettext_noop("unknown municipality code %(code)s in reporter_residence"),
    "incident_municipality": gettext_noop(
        "unknown municipality code %(code)s in incident_municipality"),
}

# Values that look like a code, date or reference may be echoed in messages; anything else
# (for instance a name that ended up in the wrong column) is not.
_SHOWABLE = re.compile(r"[A-Za-z0-9_.:+/\-]{1,40}")


@dataclass(frozen=True)
class RowError:
    """One problem in the import file.

    Attributes:
        line: the physical line (1-based) on which the record starts; 1 is the header.
        message: a translated reason naming columns and codes only, never reporter data.
    """

    line: int
    message: str

    def __str__(self) -> str:
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


class ImportFailed(Exception):  # noqa: N818 - the name says what happened to the import
    """The file has errors, so nothing was imported.

    Attributes:
        errors: every problem found, ordered by line.
    """

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__(f"{len(self.errors)} error(s) in the import file")


@dataclass(frozen=True)
class ImportResult:
    """The outcome of a successful import.

    Attributes:
        created: complaints registered.
        skipped: rows whose reference the office already had (left unchanged).
    """

    created: int
    skipped: int


@dataclass
class _Row:
    line: int
    reference: str
    fields: dict[str, Any] = field(default_factory=dict)


def import_complaints(*, office: Office, stream: TextIO) -> ImportResult:
    """Register every complaint of a CSV export for ``office``, all or nothing.

    The whole file is read and checked first; if any record is wrong, every problem is reported
    and nothing is stored. Otherwise the records are registered in file order through
    ``register_complaint`` (``actor=None``), each with a new case number for the Europe/Amsterdam
    year of its ``received_at`` and a ``created`` history row, in one transaction. Concurrent
    imports for the same office wait for each other (a row lock on PostgreSQL; SQLite
    serialises writes anyway).

    Args:
        office: the office the complaints belong to; ``reference`` is unique per office.
        stream: the CSV text (format in the module docstring), opened with ``newline=""`` so that
            line breaks inside quoted values are kept. Open it with ``errors="surrogateescape"``
            to get invalid UTF-8 reported per record; with strict decoding a
            ``UnicodeDecodeError`` ends the check at the line being read.

    Returns:
        The numbers of complaints created and of rows skipped as already present.

    Raises:
        ImportFailed: the header or at least one record is invalid; carries every ``RowError``.
    """
    rows, errors = _read(stream)
    if errors:
        raise ImportFailed(errors)
    created = skipped = 0
    with transaction.atomic():
        _lock_office(office)
        # Read under the lock, so that a concurrent import cannot add a reference meanwhile.
        existing = _existing_references(office)
        for row in rows:
            if row.reference in existing:
                skipped += 1
                continue
            try:
                register_complaint(office=office, external_reference=row.reference,
                                   actor=None, **row.fields)
            except ValidationError as error:
                errors.append(RowError(row.line, _rejected_message(error)))
            except IntegrityError:
                errors.append(RowError(row.line, _("the database refused the record")))
            else:
                created += 1
        if errors:
            raise ImportFailed(errors)  # rolls the transaction back
    logger.info("complaints imported office=%s created=%d skipped=%d", office.code, created,
                skipped)
    return ImportResult(created=created, skipped=skipped)


def _lock_office(office: Office) -> None:
    # FOR NO KEY UPDATE serialises imports without blocking inserts that refer to the office.
    if connection.features.has_select_for_no_key_update:
        list(Office.objects.select_for_update(no_key=True).filter(pk=office.pk)
             .values_list("pk", flat=True))


def _existing_references(office: Office) -> set[str]:
    return set(Complaint.objects.filter(office=office).exclude(external_reference="")
               .values_list("external_reference", flat=True))


def _read(stream: TextIO) -> tuple[list[_Row], list[RowError]]:
    errors: list[RowError] = []
    rows: list[_Row] = []
    records = _records(stream, errors)
    header = next(records, None)
    if header is None:
        if not errors:
            errors.append(RowError(1, _("the file is empty; expected a header line")))
        return rows, errors
    positions = _check_header(header[1], errors)
    if positions is None:
        return rows, errors
    municipalities = {m.code: m for m in Municipality.objects.all()}
    first_line: dict[str, int] = {}
    for line, values in records:
        if len(values) != len(COLUMNS):
            errors.append(RowError(line, _("expected %(expected)d fields, found %(found)d")
                                   % {"expected": len(COLUMNS), "found": len(values)}))
            continue
        raw = {name: values[index] for name, index in positions.items()}
        row_errors = _check_text(raw)
        if not row_errors:
            row = _parse(line, raw, municipalities, row_errors)
            if row.reference in first_line:
                row_errors.append(_("reference %(reference)s also appears on line %(line)d")
                                  % {"reference": _shown(row.reference),
                                     "line": first_line[row.reference]})
            elif row.reference:
                first_line[row.reference] = line
            if not row_errors:
                rows.append(row)
        errors.extend(RowError(line, message) for message in row_errors)
    return rows, errors


def _records(stream: TextIO, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(start line, values)`` per non-empty record; a read error ends the file."""
    reader = csv.reader(stream, strict=True)
    start = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            errors.append(RowError(start, _("the CSV is malformed here (%(detail)s); the rest "
                                            "of the file was not checked")
                                   % {"detail": error}))
            return
        except UnicodeDecodeError:
            errors.append(RowError(start, _("the file is not valid UTF-8 text at or after this "
                                            "line")))
            return
        if values:
            yield start, values
        start = reader.line_num + 1


def _check_header(header: list[str], errors: list[RowError]) -> dict[str, int] | None:
    names = [name.strip() for name in header]
    if names:
        names[0] = names[0].removeprefix("\ufeff")
    if any(not _is_valid_text(name) for name in names):
        errors.append(RowError(1, _("the header is not valid UTF-8 text")))
        return None
    if not set(names) & set(COLUMNS):
        errors.append(RowError(1, _("the first line is not the header; expected %(header)s")
                               % {"header": ",".join(COLUMNS)}))
        return None
    positions: dict[str, int] = {}
    header_errors = []
    for index, name in enumerate(names):
        if name not in COLUMNS:
            header_errors.append(_("unexpected column %(column)s") % {"column": _shown(name)})
        elif name in positions:
            header_errors.append(_("duplicate column %(column)s") % {"column": _shown(name)})
        else:
            positions[name] = index
    header_errors += [_("missing column %(column)s") % {"column": _shown(name)}
                      for name in COLUMNS if name not in positions]
    if header_errors:
        errors.extend(RowError(1, message) for message in header_errors)
        return None
    return positions


def _check_text(raw: dict[str, str]) -> list[str]:
    messages = []
    for name in COLUMNS:
        if not _is_valid_text(raw[name]):
            messages.append(_("%(field)s is not valid UTF-8 text") % {"field": name})
        elif "\x00" in raw[name]:
            messages.append(_("%(field)s contains a NUL character") % {"field": name})
    return messages


def _parse(line: int, raw: dict[str, str], municipalities: dict[str, Municipality],
           messages: list[str]) -> _Row:
    value = {name: raw[name].strip() for name in COLUMNS if name != "description"}
    reference = value["reference"]
    if not reference:
        messages.append(_("%(field)s is required") % {"field": "reference"})
    elif len(reference) > REFERENCE_MAX_LENGTH:
        messages.append(_("reference is longer than %(max)d characters")
                        % {"max": REFERENCE_MAX_LENGTH})
    fields: dict[str, Any] = {"received_at": _parse_received_at(value["received_at"], messages)}
    for name, (vocabulary, required) in _SINGLE_CODES.items():
        code = value[name]
        if not code and required:
            messages.append(_("%(field)s is required") % {"field": name})
        elif code and code not in vocabulary.values:
            messages.append(_(_UNKNOWN_CODE[name]) % {"code": _shown(code)})
        fields[name] = code
    for name, vocabulary in _MULTI_CODES.items():
        codes = [code.strip() for code in value[name].split(";") if code.strip()]
        messages.extend(_(_UNKNOWN_CODE[name]) % {"code": _shown(code)}
                        for code in codes if code not in vocabulary.values)
        fields[name] = list(dict.fromkeys(codes))
    for name in _MUNICIPALITY_COLUMNS:
        code = value[name]
        if code and code not in municipalities:
            messages.append(_(_UNKNOWN_CODE[name]) % {"code": _shown(code)})
        fields[name] = municipalities.get(code)
    fields["description"] = raw["description"]
    return _Row(line=line, reference=reference, fields=fields)


def _parse_received_at(text: str, messages: list[str]) -> datetime.datetime | None:
    if not text:
        messages.append(_("%(field)s is required") % {"field": "received_at"})
        return None
    shown = {"value": _shown(text)}
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        messages.append(_("received_at %(value)s has no time of day") % shown)
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        messages.append(_("received_at %(value)s is not an ISO 8601 date and time") % shown)
        return None
    try:
        return received_moment(moment)
    except ValidationError as error:
        messages.append({
            NONEXISTENT: _("received_at %(value)s does not exist in Europe/Amsterdam "
                           "(daylight saving time gap)"),
            FUTURE: _("received_at %(value)s lies in the future"),
            TOO_EARLY: _("received_at %(value)s is before 1 January 2000; no statistics year "
                         "counts it"),
        }[error.code or ""] % shown)
        return None


def _rejected_message(error: ValidationError) -> str:
    names = sorted(getattr(error, "error_dict", {}))
    fields = ", ".join(name for name in names if name != NON_FIELD_ERRORS) or "-"
    return _("the record was rejected on validation (fields: %(fields)s)") % {"fields": fields}


def _is_valid_text(text: str) -> bool:
    """False when ``text`` holds lone surrogates, i.e. undecodable bytes (``surrogateescape``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(value: str) -> str:
    if _SHOWABLE.fullmatch(value):
        return f"“{value}”"
    return _("(value not shown)")
