"""The national-report export (issue 10 §5): exact counts of one office and year per
municipality, for "Discriminatiecijfers in [jaar]", as one CSV (UTF-8) and one XLSX.

One line per municipality and cell group, columns ``NATIONAL_COLUMNS`` (format documented in
``docs/annual-statistics.md``, "National report export"):

* ``year``, ``office`` (office code), ``cbs_code`` (``GM`` + four digits), ``municipality``;
* ``table``: ``total``, ``ground``, ``societal_domain``, ``nature``, ``handling`` (the legal
  form's tables 1 to 5, with their ``total`` rows) or a cross-table ``ground_x_societal_domain``
  / ``ground_x_nature`` (every pair of codes, zeros included, no total rows);
* ``row``, ``row_label``: the code and Dutch legal label (the ground, for cross-tables);
* ``column``, ``column_label``: for cross-tables the domain or nature code and label, else empty;
* ``resident_here``, ``resident_elsewhere``, ``resident_total``, ``non_resident_here``, ``total``:
  exact counts, as on the form;
* last, two lines for the whole office (``cbs_code`` and ``municipality`` empty), ``table``
  ``mass_reports``: row ``reports`` (counted reports that were part of a mass report, "waarvan
  massameldingen") and row ``incidents`` (the distinct mass reports they concern), the number
  in ``total`` and the other count columns empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook

from reports.rendering.tables import row_label
from reports.selectors.statistics import COLUMNS, CROSS_TABLES, NationalCount
from reports.vocabulary import FORM_TABLES

#: The Dutch labels of the two office-wide lines of table ``mass_reports``.
MASS_LABELS = {"reports": "waarvan massameldingen",
               "incidents": "aantal voorvallen van massameldingen"}

NATIONAL_COLUMNS: tuple[str, ...] = (
    "year", "office", "cbs_code", "municipality", "desk", "table", "row", "row_label", "column",
    "column_label", *COLUMNS,
)


def national_rows(*, count: NationalCount, year: int, office_code: str,
                  names: dict[str, str],
                  desks: dict[str, str] | None = None) -> Iterator[list[object]]:
    """The export's lines (without the header), municipalities by CBS code, then the five
    tables in the form's order, then the cross-tables.

    Args:
        names: ``{cbs_code: municipality name}``.
        desks: ``{cbs_code: desk code}``, the desk that served the municipality on the last
            day of ``year`` it was served (empty for a code no desk served).
    """
    desks = desks or {}
    for code in sorted(count.forms):
        lead = [year, office_code, code, names[code], desks.get(code, "")]
        form = count.forms[code]
        for table, vocabulary in FORM_TABLES.items():
            rows = ["total"] if vocabulary is None else [*vocabulary.values, "total"]
            for row in rows:
                yield [*lead, table, row, row_label(table=table, row=row), "", "",
                       *(form[table][row][column] for column in COLUMNS)]
        for name, row_table, column_table in CROSS_TABLES:
            for key, counts in count.cross[code][name].items():
                row, column = key.split("|")
                yield [*lead, name, row, row_label(table=row_table, row=row), column,
                       row_label(table=column_table, row=column),
                       *(counts[c] for c in COLUMNS)]
    # The office as a whole, no municipality: "waarvan massameldingen".
    office_lead = [year, office_code, "", "", ""]
    blank = ["" for _column in COLUMNS[:-1]]
    yield [*office_lead, "mass_reports", "reports", MASS_LABELS["reports"], "", "", *blank,
           count.mass_reports]
    yield [*office_lead, "mass_reports", "incidents", MASS_LABELS["incidents"], "", "", *blank,
           count.mass_incidents]


def national_csv(*, rows: Iterator[list[object]]) -> bytes:
    """The lines as UTF-8 CSV (comma-separated, ``\\n`` line ends, header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(NATIONAL_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def national_xlsx(*, rows: Iterator[list[object]]) -> bytes:
    """The lines as an XLSX workbook: sheet ``data`` with the CSV's header and lines (counts
    as numbers)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(list(NATIONAL_COLUMNS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
