"""CSV, XLSX and JSON of a released report (``reports.rendering.tables``). No database: the
reports are unsaved instances with hand-made data."""

from __future__ import annotations

import csv
import datetime
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from reports.models import AnnualReport, Municipality, Office
from reports.rendering.tables import (
    file_stem,
    form_tables,
    report_csv,
    report_document,
    report_xlsx,
)
from reports.selectors.statistics import COLUMNS, empty_form
from tests.reports.rendering.year import (
    expected_assen_exact,
    expected_assen_protected,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: The one legend of the hidden-cell mark, in Dutch.
LEGEND_NL = ("x = niet gepubliceerd: het aantal is kleiner dan 5, of de cel is verborgen zodat "
             "verborgen aantallen niet uit de totalen zijn af te leiden. Een verborgen cel kan "
             "elk getal zijn, ook 0. Alleen het totaal aantal klachten (tabel 1) is altijd "
             "exact.")
HEADER = ["table", "row", "label", *COLUMNS]


def assen_report(**overrides: object) -> AnnualReport:
    values = {
        "office": Office(code="MDD", name="Meldpunt Discriminatie Drenthe"),
        "municipality": Municipality(code="GM0106", name="Assen"), "scope": "GM0106",
        "year": 2020, "version": 2, "threshold": 5,
        "released_at": datetime.datetime(2021, 1, 15, 3, 0, 30, tzinfo=AMSTERDAM),
        "exact_data": expected_assen_exact(), "protected_data": expected_assen_protected(),
    }
    values.update(overrides)
    return AnnualReport(**values)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_protected_csv_leaves_hidden_cells_empty_and_lists_them():
    lines = rows_of(report_csv(report=assen_report()))

    assert lines[0] == [*HEADER, "suppressed"]
    assert len(lines) == 1 + 49
    hidden = ";".join(COLUMNS)
    # table 1: only the grand total is exempt; its columns (1, 1, 2, 1) are hidden
    assert lines[1] == ["total", "total", "Totaal", "", "", "", "", "3",
                        "resident_here;resident_elsewhere;resident_total;non_resident_here"]
    assert lines[2] == ["ground", "race", "Ras (herkomst/huidskleur)", "", "", "", "", "",
                        hidden]
    by_key = {(line[0], line[1]): line for line in lines[1:]}
    assert by_key[("ground", "total")] == ["ground", "total", "Totaal", "", "", "", "", "",
                                           hidden]
    assert by_key[("societal_domain", "labour_market")][2:] == [
        "Arbeidsmarkt", "", "", "", "", "", hidden]
    assert by_key[("societal_domain", "total")][2:] == [
        "Totaal", "", "", "", "", "3",
        "resident_here;resident_elsewhere;resident_total;non_resident_here"]
    assert by_key[("nature", "disputed_treatment")][2] == "Omstreden behandeling"
    for key in (("ground", "age"), ("handling", "mediation")):
        assert by_key[key][3:] == ["0", "0", "0", "", "", "non_resident_here;total"]
    # every hidden cell is empty and listed, whatever the reason; no other mark
    for line in lines[1:]:
        listed = line[8].split(";") if line[8] else []
        assert [c for c, v in zip(COLUMNS, line[3:8], strict=True) if v == ""] == listed
        assert all(v == "" or v.isdigit() for v in line[3:8])


def test_exact_csv_has_the_statistics_format():
    lines = rows_of(report_csv(report=assen_report(), exact=True))

    assert lines[0] == HEADER
    assert lines[1] == ["total", "total", "Totaal", "1", "1", "2", "1", "3"]
    assert lines[2] == ["ground", "race", "Ras (herkomst/huidskleur)", "1", "1", "2", "0", "2"]
    assert len(lines) == 50


def test_xlsx_shows_every_hidden_cell_with_one_mark():
    workbook = load_workbook(io.BytesIO(report_xlsx(report=assen_report())))

    assert workbook.sheetnames == ["form", "about"]
    rows = [list(row) for row in workbook["form"].iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1] == ["total", "total", "Totaal", "x", "x", "x", "x", 3]
    # exact 1, 1, 2, 0, 2: the small counts and the zero hidden with them get the same mark
    assert rows[2] == ["ground", "race", "Ras (herkomst/huidskleur)", "x", "x", "x", "x", "x"]
    assert rows[6] == ["ground", "age", "Leeftijd", 0, 0, 0, "x", "x"]
    assert len(rows) == 50
    assert {v for row in rows[1:] for v in row[3:] if isinstance(v, str)} == {"x"}
    assert [list(row) for row in workbook["about"].iter_rows(values_only=True)] == [
        ["office", "Meldpunt Discriminatie Drenthe"], ["scope", "GM0106"], ["name", "Assen"],
        ["year", 2020], ["version", 2], ["released_at", "2021-01-15 03:00"],
        ["threshold", 5], ["protected", "yes"],
        ["legend", LEGEND_NL]]


def test_exact_xlsx_has_numbers_everywhere():
    workbook = load_workbook(io.BytesIO(report_xlsx(report=assen_report(), exact=True)))

    rows = [list(row) for row in workbook["form"].iter_rows(values_only=True)]
    assert rows[2] == ["ground", "race", "Ras (herkomst/huidskleur)", 1, 1, 2, 0, 2]
    assert all(isinstance(v, int) for row in rows[1:] for v in row[3:])
    assert ["protected", "no"] in [list(r) for r in workbook["about"].iter_rows(values_only=True)]


def test_json_document():
    document = report_document(report=assen_report())

    expected = expected_assen_protected()
    assert document == {
        "year": 2020, "office": "Meldpunt Discriminatie Drenthe", "scope": "GM0106",
        "municipality": {"code": "GM0106", "name": "Assen"}, "version": 2,
        "released_at": "2021-01-15T03:00:30+01:00", "threshold": 5, "protected": True,
        "tables": expected["tables"], "suppressed": expected["suppressed"],
    }
    exact = report_document(report=assen_report(), exact=True)
    assert (exact["protected"], exact["suppressed"], exact["tables"]) == (
        False, {}, expected_assen_exact()["tables"])


def test_office_summary_names_and_file_stems():
    summary = assen_report(scope="office", municipality=None)

    assert report_document(report=summary)["municipality"] is None
    assert file_stem(report=summary) == "2020-office-v2"
    assert file_stem(report=assen_report(), exact=True) == "2020-GM0106-v2-exact"


def test_form_tables_keep_the_legal_order_and_titles():
    tables = form_tables(data={"tables": empty_form()})

    assert [(t.key, t.title) for t in tables] == [
        ("total", "1. Totaal aantal klachten"), ("ground", "2. Discriminatiegrond"),
        ("societal_domain", "3. Maatschappelijk terrein"), ("nature", "4. Aard"),
        ("handling", "5. Klachtbehandeling")]
    assert [row.label for row in tables[4].rows] == [
        "Registratie", "Advies/informatie", "Beïnvloeding beleid", "Bemiddeling",
        "Bijstaan in procedures", "Doorverwijzing", "Eigen onderzoek ADV", "Overig", "Totaal"]
