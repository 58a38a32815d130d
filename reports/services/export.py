"""Exporting the case list as CSV or XLSX, and recording each export in the access log.

The row building and the formula-injection neutralising are pure functions. Vocabulary fields
(status, channel, contact type, grounds, societal domain, nature, handling, anonymity, outcome)
are written as their labels in the active language — in Dutch the legal labels of the
registration form — and the header row is translated too. Labels are looked up once per export
(``ExportLabels``), not per row. The description is never exported; reporter contact details
only for users who may see them.

Both formats are produced as a stream of chunks in constant memory: the cases are read as tuples
through a server-side cursor, ``CHUNK_SIZE`` at a time (``reports.selectors.cases.export_records``:
on PostgreSQL one query, Amsterdam times and ground and handling codes from the database); CSV
is encoded chunk by chunk; XLSX is written as SpreadsheetML row by row into a ZIP in a temporary
file, which is then sent in chunks. CSV is what Dutch Excel opens by double-click:
semicolon-separated, UTF-8 with a byte-order mark (docs/case-handling.md, "Export").
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reports.models import AccessLog
from reports.selectors import cases, permissions
from reports.selectors.cases import OverdueComplaint
from reports.services.audit import log_access
from reports.timezones import AMSTERDAM
from reports.types import User
from reports.vocabulary import (
    Anonymity,
    Channel,
    ContactType,
    Ground,
    Handling,
    Nature,
    Outcome,
    SocietalDomain,
    Status,
)

#: A text cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Rows fetched per database round trip while exporting.
CHUNK_SIZE = 2000
#: CSV text buffered before it is sent as one chunk (characters).
CSV_CHUNK_CHARS = 64 * 1024
#: Bytes per chunk when sending the XLSX file.
FILE_CHUNK_BYTES = 64 * 1024
#: CSV field separator: Dutch Excel's list separator (a comma is the decimal sign in Dutch).
CSV_DELIMITER = ";"
#: Number formats of date cells in XLSX (shown as in Dutch: 30-06-2020 23:30).
XLSX_DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
XLSX_DATE_FORMAT = "dd-mm-yyyy"
#: zlib level of the XLSX package (1: fastest; the sheet's XML still shrinks about tenfold).
XLSX_COMPRESSION = 1

Cell = str | int | datetime.date


@dataclass(frozen=True)
class ExportFile:
    """An export ready to send: its content as a stream of byte chunks (to be consumed once),
    MIME type, file name and number of case rows."""

    chunks: Iterator[bytes]
    content_type: str
    filename: str
    rows: int


@dataclass(frozen=True)
class ExportLabels:
    """The labels of every vocabulary in the language active when it was built: code → label.
    Build it once per export (``ExportLabels.build()``); rows then do dictionary lookups only."""

    status: dict[str, str]
    channel: dict[str, str]
    contact_type: dict[str, str]
    societal_domain: dict[str, str]
    nature: dict[str, str]
    anonymity: dict[str, str]
    outcome: dict[str, str]
    #: Grounds and handling in vocabulary order (the order labels are joined in).
    grounds: list[tuple[str, str]] = field(default_factory=list)
    handling: list[tuple[str, str]] = field(default_factory=list)
    yes: str = "yes"
    no: str = "no"

    @classmethod
    def build(cls) -> ExportLabels:
        """The labels in the active language."""
        def labels(vocabulary: type[models.TextChoices]) -> dict[str, str]:
            return {code: str(label) for code, label in vocabulary.choices}

        return cls(status=labels(Status), channel=labels(Channel),
                   contact_type=labels(ContactType), societal_domain=labels(SocietalDomain),
                   nature=labels(Nature), anonymity=labels(Anonymity), outcome=labels(Outcome),
                   grounds=list(labels(Ground).items()), handling=list(labels(Handling).items()),
                   yes=_("yes"), no=_("no"))


def neutralise(value: object) -> Cell:
    """A cell value that spreadsheet programs will not run as a formula.

    ``None`` becomes ``""``; integers (not booleans), dates and date-times stay as they are;
    anything else becomes text, and text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe (``'=1+1``).
    """
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime.date):
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
        _("Overdue"), _("External reference"), _("Anonymity"), _("Outcome"), _("Closed on"),
    ]
    if include_contact:
        columns += [_("Reporter name"), _("Reporter e-mail address"), _("Reporter phone number")]
    return columns


def _joined(codes: Iterable[str], vocabulary: list[tuple[str, str]]) -> str:
    present = set(codes)
    return "; ".join(label for code, label in vocabulary if code in present)


class RowBuilder:
    """Turns ``reports.selectors.cases.export_records`` tuples into rows, in the order of
    ``header``. Build one per export: labels come from ``labels`` and each combination of ground
    or handling codes is joined once (the combinations are few)."""

    def __init__(self, *, labels: ExportLabels, include_contact: bool) -> None:
        self.labels = labels
        self.include_contact = include_contact
        self._grounds: dict[str, str] = {"": ""}
        self._handling: dict[str, str] = {"": ""}

    def _codes(self, codes: str, cache: dict[str, str],
               vocabulary: list[tuple[str, str]]) -> str:
        joined = cache.get(codes)
        if joined is None:
            joined = cache[codes] = _joined(codes.split(cases.CODE_SEPARATOR), vocabulary)
        return joined

    def row(self, record: tuple[Any, ...]) -> list[object]:
        """One case as a row of raw values from ``record`` (``EXPORT_RECORD_FIELDS``, then
        ``EXPORT_CONTACT_FIELDS`` when the builder includes contact columns).

        The received time is a naive ``datetime`` in Europe/Amsterdam time, to the second; the
        closing date a ``date`` in Europe/Amsterdam, or ``None`` while open; vocabulary fields
        are labels, grounds and handling joined by ``"; "`` in vocabulary order; overdue as the
        translated "yes" or "no" (open and past the first-response deadline, as in the case
        list); empty relations as ``""``.
        """
        labels = self.labels
        grounds = self._grounds.get(record[9])
        if grounds is None:
            grounds = self._codes(record[9], self._grounds, labels.grounds)
        handling = self._handling.get(record[12])
        if handling is None:
            handling = self._codes(record[12], self._handling, labels.handling)
        row: list[object] = [
            record[0], record[1], labels.status.get(record[2], record[2]),
            labels.channel.get(record[3], record[3]),
            labels.contact_type.get(record[4], record[4]),
            record[5] or "", record[6] or "", record[7] or "", record[8] or "", grounds,
            labels.societal_domain.get(record[10], record[10]),
            labels.nature.get(record[11], record[11]), handling, record[13] or "",
            record[14] or "", labels.yes if record[15] else labels.no, record[16],
            labels.anonymity.get(record[17], record[17]),
            labels.outcome.get(record[18], record[18]), record[19],
        ]
        if self.include_contact:
            row += record[20:23]
        return row


def case_row(*, complaint: OverdueComplaint, include_contact: bool,
             labels: ExportLabels | None = None) -> list[object]:
    """One case (a model instance with the ``is_overdue`` annotation,
    ``reports.selectors.cases.with_overdue``) as a row, as :meth:`RowBuilder.row` writes it;
    labels in the active language when ``labels`` is not given."""
    def related(name: str, attribute: str) -> object:
        value = getattr(complaint, name)
        return getattr(value, attribute) if value is not None else None

    received, closed = complaint.received_at, complaint.closed_at
    computed: dict[str, object] = {
        "received_local": received.astimezone(AMSTERDAM).replace(tzinfo=None, microsecond=0),
        "closed_local": closed.astimezone(AMSTERDAM).date() if closed else None,
        "incident_municipality": complaint.incident_municipality_id,
        "incident_municipality__name": related("incident_municipality", "name"),
        "reporter_residence": complaint.reporter_residence_id,
        "reporter_residence__name": related("reporter_residence", "name"),
        "assigned_to__username": related("assigned_to", "username"),
        "team__name": related("team", "name"),
        "grounds": cases.CODE_SEPARATOR.join(sorted(g.code for g in complaint.grounds.all())),
        "handling": cases.CODE_SEPARATOR.join(
            sorted(h.code for h in complaint.handling.all())),
    }
    record = tuple(computed[name] if name in computed else getattr(complaint, name)
                   for name in cases.EXPORT_RECORD_FIELDS + cases.EXPORT_CONTACT_FIELDS)
    return RowBuilder(labels=labels or ExportLabels.build(),
                      include_contact=include_contact).row(record)


def case_rows(*, queryset: QuerySet[OverdueComplaint], include_contact: bool,
              labels: ExportLabels) -> Iterator[list[object]]:
    """The rows of every case of ``queryset`` (with ``is_overdue``; see
    ``reports.selectors.cases.case_list``), in its order, as :meth:`RowBuilder.row` writes
    them, in constant memory: the cases are read as tuples (no model instances) through
    ``reports.selectors.cases.export_records``, ``CHUNK_SIZE`` at a time; on PostgreSQL in one
    query (local times and codes from the database), elsewhere with two more per chunk."""
    row = RowBuilder(labels=labels, include_contact=include_contact).row
    for record in cases.export_records(queryset=queryset, include_contact=include_contact,
                                       chunk_size=CHUNK_SIZE):
        yield row(record)


def _csv_text(cell: Cell) -> str | int:
    if isinstance(cell, datetime.datetime):
        if cell.tzinfo is None and cell.microsecond == 0 and cell.year >= 1000:
            return cell.isoformat(" ")  # the same text as strftime below, faster
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    return cell


def _csv_cell(value: object) -> str | int:
    """``value`` neutralised and as CSV writes it."""
    return _csv_text(neutralise(value))


def csv_chunks(*, rows: Iterable[Iterable[object]],
               delimiter: str = CSV_DELIMITER) -> Iterator[bytes]:
    """``rows`` (the header first) as UTF-8 CSV with a byte-order mark (so that spreadsheet
    programs detect the encoding), separated by ``delimiter``, CRLF line ends, cells
    neutralised, integers unquoted, date-times as ``2020-06-30 23:30:00`` and dates as
    ``2020-06-30`` (read as dates by Excel in any language); yielded in chunks of about
    ``CSV_CHUNK_CHARS`` characters."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=delimiter)
    prefixes = FORMULA_PREFIXES
    for row in rows:
        # Most cells are text that needs nothing: checked inline, the rest by _csv_cell.
        writer.writerow([cell if cell.__class__ is str and not cell.startswith(prefixes)
                         else _csv_cell(cell) for cell in row])
        if buffer.tell() >= CSV_CHUNK_CHARS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def write_csv(*, rows: Iterable[Iterable[object]], delimiter: str = CSV_DELIMITER) -> bytes:
    """``csv_chunks`` joined: the whole CSV file as bytes."""
    return b"".join(csv_chunks(rows=rows, delimiter=delimiter))


#: The fixed parts of the XLSX package (Office Open XML, SpreadsheetML): one sheet, two date
#: styles (cellXfs 1: date-time, 2: date).
_XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>")
_XLSX_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_XLSX_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>')
_XLSX_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_XLSX_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{XLSX_DATETIME_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{XLSX_DATE_FORMAT}"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")
_XLSX_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>")
_XLSX_SHEET_END = "</sheetData></worksheet>"
#: The spreadsheet's day 0 (Excel's 1900 date system, as openpyxl writes it).
_XLSX_EPOCH = datetime.datetime(1899, 12, 30)


def _xml_text(text: str) -> str:
    """``text`` escaped for XML content, without the control characters XML cannot hold."""
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column_letters(index: int) -> str:
    """``0`` → ``A``, ``25`` → ``Z``, ``26`` → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


#: Text cells remembered per export (labels, names and codes repeat on every row); cleared when
#: full, since unique values (case numbers) fill it too. 10,000 keeps the Python peak of a
#: 100,000-case XLSX export at about 7 MiB (50,000: 15 MiB), as fast.
_XLSX_CACHE_LIMIT = 10_000


def _xlsx_text_cell(value: str, cache: dict[str, str]) -> str:
    """The part of an inline-string cell after its reference, for ``value`` neutralised
    (``neutralise``) and escaped; ``""`` for empty text. Remembered in ``cache``."""
    fragment = cache.get(value)
    if fragment is None:
        text = _xml_text(str(neutralise(value)))
        fragment = (f'" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                    if text else "")
        if len(cache) >= _XLSX_CACHE_LIMIT:
            cache.clear()
        cache[value] = fragment
    return fragment


def _xlsx_row(number: int, row: Iterable[object], columns: list[str],
              cache: dict[str, str]) -> str:
    """One ``<row>`` of SpreadsheetML from raw values, neutralised as ``neutralise`` does: text
    as inline strings, integers as numbers, dates and date-times as serial numbers with a date
    style; ``None`` and empty text leave the cell out."""
    cells: list[str] = []
    append = cells.append
    reference = f'{number}'
    known = len(columns)
    for index, cell in enumerate(row):
        if cell is None:
            continue
        if index >= known:
            while index >= len(columns):
                columns.append(_column_letters(len(columns)))
            known = len(columns)
        if cell.__class__ is str:
            fragment = cache.get(cell)
            if fragment is None:
                fragment = _xlsx_text_cell(cell, cache)
            if fragment:
                append(f'<c r="{columns[index]}{reference}{fragment}')
        elif isinstance(cell, int) and not isinstance(cell, bool):
            append(f'<c r="{columns[index]}{reference}"><v>{cell}</v></c>')
        elif isinstance(cell, datetime.datetime):
            naive = cell.replace(tzinfo=None) if cell.tzinfo is not None else cell
            serial = (naive - _XLSX_EPOCH).total_seconds() / 86400
            append(f'<c r="{columns[index]}{reference}" s="1"><v>{serial!r}</v></c>')
        elif isinstance(cell, datetime.date):
            serial = (cell - _XLSX_EPOCH.date()).days
            append(f'<c r="{columns[index]}{reference}" s="2"><v>{serial}</v></c>')
        else:
            fragment = _xlsx_text_cell(str(cell), cache)
            if fragment:
                append(f'<c r="{columns[index]}{reference}{fragment}')
    return f'<row r="{reference}">{"".join(cells)}</row>'


def xlsx_chunks(*, rows: Iterable[Iterable[object]], title: str | None = None) -> Iterator[bytes]:
    """``rows`` (the header first) as an XLSX workbook with one sheet named ``title`` (default:
    "Cases" translated, in Dutch "Zaken"), written as SpreadsheetML straight into a ZIP in a
    temporary file and yielded in chunks of ``FILE_CHUNK_BYTES``; cells neutralised, integers
    as numeric cells, dates and date-times as date cells (shown ``dd-mm-yyyy`` and
    ``dd-mm-yyyy hh:mm``), text as (inline) text cells. Control characters that XLSX cannot
    hold are dropped; empty text leaves the cell empty. Memory stays constant: the sheet is
    written row by row to the ZIP on disk.

    (openpyxl's write-only mode wrote the same workbook but built XML per cell with the
    standard library: 70 s for 100,000 cases, issue 13. The result is read back with openpyxl
    in the tests.)
    """
    sheet_title = _xml_text((title or _("Cases"))[:31]).replace('"', "&quot;")
    columns: list[str] = []
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=XLSX_COMPRESSION) as package:
            package.writestr("[Content_Types].xml", _XLSX_CONTENT_TYPES)
            package.writestr("_rels/.rels", _XLSX_ROOT_RELS)
            package.writestr("xl/workbook.xml", _XLSX_WORKBOOK.format(title=sheet_title))
            package.writestr("xl/_rels/workbook.xml.rels", _XLSX_WORKBOOK_RELS)
            package.writestr("xl/styles.xml", _XLSX_STYLES)
            with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
                buffer = [_XLSX_SHEET_START]
                size = 0
                cache: dict[str, str] = {}
                for number, row in enumerate(rows, start=1):
                    text = _xlsx_row(number, row, columns, cache)
                    buffer.append(text)
                    size += len(text)
                    if size >= FILE_CHUNK_BYTES:
                        sheet.write("".join(buffer).encode("utf-8"))
                        buffer, size = [], 0
                buffer.append(_XLSX_SHEET_END)
                sheet.write("".join(buffer).encode("utf-8"))
        handle.seek(0)
        while chunk := handle.read(FILE_CHUNK_BYTES):
            yield chunk


def write_xlsx(*, rows: Iterable[Iterable[object]], title: str | None = None) -> bytes:
    """``xlsx_chunks`` joined: the whole XLSX file as bytes."""
    return b"".join(xlsx_chunks(rows=rows, title=title))


def export_cases(*, user: User, queryset: QuerySet[OverdueComplaint], fmt: str,
                 filter_names: list[str]) -> ExportFile:
    """Export ``queryset`` in its order and log the export.

    Args:
        user: the user exporting; contact columns are included only when they hold
            ``reports.view_reporter_contact``.
        queryset: the cases to export (through ``reports.selectors.cases.case_list``),
            already restricted to what ``user`` may see, filtered and sorted; the rows are read
            as tuples (``export_records``), so nothing needs to be joined or prefetched.
        fmt: ``"csv"`` or ``"xlsx"``.
        filter_names: names of the filters applied (never their values), for the access log.

    Returns:
        The file, whose ``chunks`` read the cases while they are consumed (in the response,
        after the view returned: one query for the count now, then on PostgreSQL one query
        whose server-side cursor is fetched ``CHUNK_SIZE`` cases at a time; elsewhere one
        fetch and two code queries per chunk). An ``AccessLog`` entry (action ``export``, detail
        ``{"format": fmt, "rows": N, "filters": filter_names}``, ``N`` counted before
        streaming) has been written.

    Raises:
        ValueError: ``fmt`` is not a supported format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unsupported export format: {fmt!r}")
    include_contact = permissions.can_view_contact(user=user)
    queryset = queryset.prefetch_related(None)  # codes come with the rows (export_records)
    count = queryset.count()
    log_access(user=user, action=AccessLog.Action.EXPORT,
               detail={"format": fmt, "rows": count, "filters": list(filter_names)})
    labels = ExportLabels.build()
    header_row = header(include_contact=include_contact)
    title = _("Cases")

    def rows() -> Iterator[Sequence[object]]:
        yield header_row
        yield from case_rows(queryset=queryset, include_contact=include_contact, labels=labels)

    chunks = csv_chunks(rows=rows()) if fmt == "csv" else xlsx_chunks(rows=rows(), title=title)
    # (The view sends them with StreamingHttpResponse; gunicorn's gthread workers do not cut
    # off a long export, docs/operations.md.)
    return ExportFile(chunks=chunks, content_type=FORMATS[fmt], filename=f"cases.{fmt}",
                      rows=count)
