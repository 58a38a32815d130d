"""Exporting the case list as CSV or XLSX, and recording each export in the access log.

The row building and the formula-injection neutralising are pure functions. Vocabulary fields
(status, channel, contact type, grounds, societal domain, nature, handling) are written as their
labels in the active language — in Dutch the legal labels of the registration form — and the
header row is translated too. The description is never exported; reporter contact
details only for users who may see them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reports.models import AccessLog, Complaint
from reports.selectors import permissions
from reports.services.audit import log_access
from reports.timezones import AMSTERDAM
from reports.vocabulary import Ground, Handling

#: A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Rows fetched per database round trip while exporting.
CHUNK_SIZE = 500

Cell = str | int


@dataclass(frozen=True)
class ExportFile:
    """An export ready to send: its bytes, MIME type, file name and number of case rows."""

    content: bytes
    content_type: str
    filename: str
    rows: int


def neutralise(value: object) -> Cell:
    """A cell value that spreadsheet programs will not run as a formula.

    ``None`` becomes ``""``; integers (not booleans) stay integers; anything else becomes text,
    and text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (``'=1+1``).
    """
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def header(*, include_contact: bool) -> list[str]:
    """The header row (translated into the active language).

    Args:
        include_contact: add the reporter's name, e-mail address and phone number columns.
    """
    columns = [
        _("Case number"), _("Received at"), _("Status"), _("Channel"), _("Contact type"),
        _("Incident municipality code"), _("Incident municipality"),
        _("Residence municipality code"), _("Residence municipality"), _("Grounds"),
        _("Societal domain"), _("Nature"), _("Handling"), _("Caseworker"), _("Team"),
        _("Overdue"), _("External reference"), _("Anonymity"),
    ]
    if include_contact:
        columns += [_("Reporter name"), _("Reporter e-mail address"), _("Reporter phone number")]
    return columns


def _labels(related: Iterable[object], vocabulary: type) -> str:
    codes = {item.code for item in related}
    return "; ".join(str(label) for code, label in vocabulary.choices if code in codes)


def case_row(*, complaint: Complaint, include_contact: bool) -> list[object]:
    """One case as a row of raw values, in the order of ``header``.

    ``complaint`` needs the ``is_overdue`` annotation (``reports.selectors.cases.with_overdue``);
    its grounds and handling should be prefetched. ``received_at`` is written in Europe/Amsterdam
    time, ISO 8601 with offset, to the second; vocabulary fields as labels in the active
    language, grounds and handling joined by ``"; "`` in vocabulary order; overdue as the
    translated "yes" or "no" (open and past the first-response deadline, as in the case list).
    """
    incident = complaint.incident_municipality
    residence = complaint.reporter_residence
    row: list[object] = [
        complaint.case_number,
        complaint.received_at.astimezone(AMSTERDAM).isoformat(timespec="seconds"),
        complaint.get_status_display(), complaint.get_channel_display(),
        complaint.get_contact_type_display(),
        incident.code if incident else "", incident.name if incident else "",
        residence.code if residence else "", residence.name if residence else "",
        _labels(complaint.grounds.all(), Ground),
        complaint.get_societal_domain_display() if complaint.societal_domain else "",
        complaint.get_nature_display() if complaint.nature else "",
        _labels(complaint.handling.all(), Handling),
        complaint.assigned_to.get_username() if complaint.assigned_to else "",
        complaint.team.name if complaint.team else "",
        _("yes") if complaint.is_overdue else _("no"),
        complaint.external_reference,
        complaint.get_anonymity_display(),
    ]
    if include_contact:
        row += [complaint.reporter_name, complaint.reporter_email, complaint.reporter_phone]
    return row


def neutralised_rows(rows: Iterable[Iterable[object]]) -> Iterable[list[Cell]]:
    """Every cell of ``rows`` through ``neutralise``."""
    for row in rows:
        yield [neutralise(value) for value in row]


def write_csv(*, rows: Iterable[Iterable[object]]) -> bytes:
    """``rows`` (the header first) as UTF-8 CSV with a byte-order mark (so that spreadsheet
    programs detect the encoding), comma-separated, CRLF line ends, cells neutralised; integers
    unquoted."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerows(neutralised_rows(rows))
    return buffer.getvalue().encode("utf-8")


def write_xlsx(*, rows: Iterable[Iterable[object]], title: str = "Cases") -> bytes:
    """``rows`` (the header first) as an XLSX workbook with one sheet, written in openpyxl's
    write-only mode; cells neutralised, integers as numeric cells, text as text cells. Control
    characters that XLSX cannot hold are dropped; empty text leaves the cell empty."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    for row in neutralised_rows(rows):
        sheet.append([(ILLEGAL_CHARACTERS_RE.sub("", cell) or None)
                      if isinstance(cell, str) else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_cases(*, user: AbstractBaseUser, queryset: QuerySet[Complaint], fmt: str,
                 filter_names: list[str]) -> ExportFile:
    """Export ``queryset`` in its order and log the export.

    Args:
        user: the user exporting; contact columns are included only when they hold
            ``reports.view_reporter_contact``.
        queryset: the cases to export, already restricted to what ``user`` may see, filtered,
            sorted and prepared with ``reports.selectors.cases.for_export``.
        fmt: ``"csv"`` or ``"xlsx"``.
        filter_names: names of the filters applied (never their values), for the access log.

    Returns:
        The file; an ``AccessLog`` entry (action ``export``, detail
        ``{"format": fmt, "rows": N, "filters": filter_names}``) has been written.

    Raises:
        ValueError: ``fmt`` is not a supported format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unsupported export format: {fmt!r}")
    include_contact = permissions.can_view_contact(user=user)
    case_rows = [case_row(complaint=complaint, include_contact=include_contact)
                 for complaint in queryset.iterator(chunk_size=CHUNK_SIZE)]
    rows = [header(include_contact=include_contact), *case_rows]
    content = write_csv(rows=rows) if fmt == "csv" else write_xlsx(rows=rows)
    log_access(user=user, action=AccessLog.Action.EXPORT,
               detail={"format": fmt, "rows": len(case_rows), "filters": list(filter_names)})
    return ExportFile(content=content, content_type=FORMATS[fmt], filename=f"cases.{fmt}",
                      rows=len(case_rows))
