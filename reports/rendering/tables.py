"""The legal form as rows, and as JSON, CSV and XLSX documents.

Protected output (the default) shows what was released: a suppressed cell is ``None`` in JSON,
empty in CSV (the row's ``suppressed`` column lists the hidden columns, ``;``-separated) and the
one mark ``disclosure.HIDDEN_MARK`` (``x``) in XLSX, whatever the reason the cell is hidden.
Exact output (``exact=True``, only for holders of
``reports.view_exact_statistics``) has the counted numbers and the format of
``reports.services.statistics.form_csv`` (no ``suppressed`` column).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from reports import disclosure
from reports.models import OFFICE_SCOPE, AnnualReport
from reports.selectors.statistics import COLUMNS
from reports.vocabulary import FORM_TABLES

#: Table titles of the Regeling registratieformulier antidiscriminatievoorzieningen (legal
#: Dutch wording of the form, not interface text).
LEGAL_TABLE_TITLES: dict[str, str] = {
    "total": "1. Totaal aantal klachten",
    "ground": "2. Discriminatiegrond",
    "societal_domain": "3. Maatschappelijk terrein",
    "nature": "4. Aard",
    "handling": "5. Klachtbehandeling",
}
#: The form's column groups (legal Dutch wording): ``(heading, [(column, sub-heading)])``.
LEGAL_COLUMN_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Klacht van ingezetene", (("resident_here", "over voorval in de gemeente"),
                               ("resident_elsewhere", "over voorval in andere gemeente"),
                               ("resident_total", "subtotaal"))),
    ("Klacht van niet-ingezetene over voorval in de gemeente",
     (("non_resident_here", ""),)),
    ("Totaal", (("total", ""),)),
)


@dataclass(frozen=True)
class FormRow:
    """One row of a table: its code, Dutch legal label, values (``None`` = suppressed) and the
    suppressed columns."""

    code: str
    label: str
    values: tuple[int | None, ...]
    suppressed: tuple[str, ...]


@dataclass(frozen=True)
class FormTable:
    """One of the five tables, rows in the form's order."""

    key: str
    title: str
    rows: tuple[FormRow, ...]


def hidden_legend(*, threshold: int) -> str:
    """The one legend of the hidden-cell mark (active language): both reasons a cell is hidden,
    together, so that the mark does not tell which applies."""
    return (_("%(mark)s = not published: the count is below %(threshold)s, or the cell is "
                 "hidden so that hidden counts cannot be worked out from the totals. A hidden "
                 "cell can be any number, 0 included. Only the total number of complaints "
                 "(table 1) is always exact.") % {"mark": disclosure.HIDDEN_MARK,
                                                 "threshold": threshold})


def row_label(*, table: str, row: str) -> str:
    """The Dutch legal label of a row (``Totaal`` for total rows)."""
    vocabulary = FORM_TABLES[table]
    with translation.override("nl"):
        if row == "total" or vocabulary is None:
            return _("Total")
        return str(vocabulary(row).label)


def form_tables(*, data: dict) -> list[FormTable]:
    """``data`` (``{"tables": ..., "suppressed": ...}``, protected or exact) as the five tables
    of the form, tables and rows in the legal order."""
    suppressed = data.get("suppressed") or {}
    tables = []
    for table, vocabulary in FORM_TABLES.items():
        codes = ["total"] if vocabulary is None else [*vocabulary.values, "total"]
        rows = tuple(
            FormRow(code=code, label=row_label(table=table, row=code),
                    values=tuple(data["tables"][table][code][column] for column in COLUMNS),
                    suppressed=tuple(c for c in COLUMNS
                                     if c in suppressed.get(table, {}).get(code, [])))
            for code in codes)
        tables.append(FormTable(key=table, title=LEGAL_TABLE_TITLES[table], rows=rows))
    return tables


def scope_name(*, report: AnnualReport) -> str:
    """The municipality's name, or the office's for the office-wide summary."""
    if report.scope == OFFICE_SCOPE or report.municipality is None:
        return report.office.name
    return report.municipality.name


def file_stem(*, report: AnnualReport, exact: bool = False) -> str:
    """``<year>-<scope>-v<version>`` (plus ``-exact``): the download's file name without
    extension."""
    return f"{report.year}-{report.scope}-v{report.version}" + ("-exact" if exact else "")


def report_document(*, report: AnnualReport, exact: bool = False) -> dict:
    """The report as a JSON-ready document.

    Shape: ``{"year", "office", "scope", "municipality": {"code", "name"} | None, "version",
    "released_at", "threshold", "protected": bool, "tables": {table: {row: {column: int|None}}},
    "suppressed": {table: {row: [column]}}}`` (exact documents have an empty ``suppressed``).
    """
    data = report.exact_data if exact else report.protected_data
    tables = {table.key: {row.code: dict(zip(COLUMNS, row.values, strict=True))
                          for row in table.rows}
              for table in form_tables(data={"tables": data["tables"]})}
    municipality = report.municipality
    return {
        "year": report.year, "office": report.office.name, "scope": report.scope,
        "municipality": ({"code": municipality.code, "name": municipality.name}
                         if municipality else None),
        "version": report.version,
        "released_at": timezone.localtime(report.released_at).isoformat(),
        "threshold": report.threshold, "protected": not exact, "tables": tables,
        "suppressed": {} if exact else (report.protected_data.get("suppressed") or {}),
    }


def report_csv(*, report: AnnualReport, exact: bool = False) -> str:
    """The report as CSV, one line per table row with the Dutch legal label.

    Columns: ``table,row,label,resident_here,resident_elsewhere,resident_total,
    non_resident_here,total`` and, for the protected version, ``suppressed``: the hidden
    columns of the row, ``;``-separated; hidden cells are empty.
    """
    return data_csv(data=report.exact_data if exact else report.protected_data, exact=exact)


def data_csv(*, data: dict, exact: bool = False) -> str:
    """``data`` (``{"tables", "suppressed"}``) as CSV; see ``report_csv``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "row", "label", *COLUMNS, *([] if exact else ["suppressed"])])
    for table in form_tables(data=data):
        for row in table.rows:
            values = ["" if value is None else value for value in row.values]
            writer.writerow([table.key, row.code, row.label, *values,
                             *([] if exact else [";".join(row.suppressed)])])
    return buffer.getvalue()


def report_xlsx(*, report: AnnualReport, exact: bool = False) -> bytes:
    """The report as an XLSX workbook.

    Sheet ``form``: the same columns as the CSV (without ``suppressed``), every hidden cell as
    the one mark ``disclosure.HIDDEN_MARK`` (``x``), which does not tell why it is hidden. Sheet
    ``about``: office, scope, year, version, release time, threshold, whether the counts are
    protected and, for protected workbooks, the legend of the mark.
    """
    display = disclosure.display_value
    data = report.exact_data if exact else report.protected_data
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "form"
    sheet.append(["table", "row", "label", *COLUMNS])
    for table in form_tables(data=data):
        for row in table.rows:
            sheet.append([table.key, row.code, row.label,
                          *(display(v) if v is None else v for v in row.values)])
    about = workbook.create_sheet("about")
    for key, value in (
        ("office", report.office.name), ("scope", report.scope),
        ("name", scope_name(report=report)), ("year", report.year),
        ("version", report.version),
        ("released_at", timezone.localtime(report.released_at).strftime("%Y-%m-%d %H:%M")),
        ("threshold", report.threshold), ("protected", "no" if exact else "yes"),
    ):
        about.append([key, value])
    if not exact:
        with translation.override("nl"):
            about.append(["legend", hidden_legend(threshold=report.threshold)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
