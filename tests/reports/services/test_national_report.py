"""The national-report export (issue 10 §5), cell by cell against the hand-made year
(``tests/reports/rendering/year.py``): Assen's resident about Assen (race, labour market,
disputed treatment, registration), Assen's resident about Emmen (race and religion, housing,
threat), an Amsterdam resident about Assen (unclassified), and a rejected one."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from reports.models import AccessLog
from reports.services.national_report import export_national_report
from reports.vocabulary import Ground, Nature, SocietalDomain
from tests.factories import UserFactory
from tests.reports.rendering.year import cells, expected_assen_exact, hand_made_year

pytestmark = pytest.mark.django_db

HEADER = ["year", "office", "cbs_code", "municipality", "desk", "table", "row", "row_label",
          "column", "column_label", "resident_here", "resident_elsewhere", "resident_total",
          "non_resident_here", "total"]
FORM_LINES = 1 + 16 + 16 + 7 + 9  # tables 1 to 5 with their total rows
CROSS_LINES = 15 * 15 + 15 * 6  # ground × domain, ground × nature, no total rows
DRENTHE = 12
COUNTS = ("resident_here", "resident_elsewhere", "resident_total", "non_resident_here", "total")


@pytest.fixture
def year_2020(office):
    hand_made_year()


def parse(content: bytes) -> tuple[list[str], dict[tuple[str, str, str, str], dict[str, int]]]:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    cells_by_key = {}
    for line in lines[1:]:
        record = dict(zip(lines[0], line, strict=True))
        if record["table"] == "mass_reports":  # office-wide, only ``total`` (see below)
            continue
        key = (record["cbs_code"], record["table"], record["row"], record["column"])
        assert key not in cells_by_key
        cells_by_key[key] = {c: int(record[c]) for c in COUNTS}
    return lines, cells_by_key


def expected_cross(nonzero: dict[tuple[str, str], dict[str, int]], second: list[str]) -> dict:
    return {(g, o): nonzero.get((g, o), cells()) for g in Ground.values for o in second}


def test_csv_cell_by_cell(year_2020, office, coordinator):
    exported = export_national_report(user=coordinator, office=office, year=2020, fmt="csv")

    assert (exported.content_type, exported.filename) == ("text/csv; charset=utf-8",
                                                          "national-MDD-2020.csv")
    lines, got = parse(exported.content)
    assert lines[0] == HEADER
    assert len(lines) == 1 + DRENTHE * (FORM_LINES + CROSS_LINES) + 2
    # No mass reports in the hand-made year: the two office-wide lines say 0.
    assert lines[-2:] == [
        ["2020", "MDD", "", "", "", "mass_reports", "reports", "waarvan massameldingen", "",
         "", "", "", "", "", "0"],
        ["2020", "MDD", "", "", "", "mass_reports", "incidents",
         "aantal voorvallen van massameldingen", "", "", "", "", "", "", "0"]]
    assert lines[1] == ["2020", "MDD", "GM0106", "Assen", "default", "total", "total", "Totaal",
                        "", "", "1", "1", "2", "1", "3"]
    assert ["2020", "MDD", "GM0106", "Assen", "default", "ground_x_societal_domain", "race",
            "Ras (herkomst/huidskleur)", "housing", "Huisvesting", "0", "1", "1", "0",
            "1"] in lines
    # Tables 1 to 5 of Assen: exactly the legal form.
    for table, rows in expected_assen_exact()["tables"].items():
        for row, counts in rows.items():
            assert got[("GM0106", table, row, "")] == counts, (table, row)
    # The cross-tables of Assen and Emmen, every cell; the others are all zero.
    domains, natures = list(SocietalDomain.values), list(Nature.values)
    expected = {
        ("GM0106", "ground_x_societal_domain"): expected_cross({
            ("race", "labour_market"): cells(here=1), ("race", "housing"): cells(elsewhere=1),
            ("religion", "housing"): cells(elsewhere=1),
            ("unknown", "unknown"): cells(non_resident=1)}, domains),
        ("GM0106", "ground_x_nature"): expected_cross({
            ("race", "disputed_treatment"): cells(here=1), ("race", "threat"): cells(elsewhere=1),
            ("religion", "threat"): cells(elsewhere=1),
            ("unknown", "unknown"): cells(non_resident=1)}, natures),
        ("GM0114", "ground_x_societal_domain"): expected_cross({
            ("race", "housing"): cells(non_resident=1),
            ("religion", "housing"): cells(non_resident=1)}, domains),
        ("GM0114", "ground_x_nature"): expected_cross({
            ("race", "threat"): cells(non_resident=1),
            ("religion", "threat"): cells(non_resident=1)}, natures),
    }
    for code in {key[0] for key in got}:
        for name, second in (("ground_x_societal_domain", domains),
                             ("ground_x_nature", natures)):
            want = expected.get((code, name), expected_cross({}, second))
            have = {(row, column): counts for (c, table, row, column), counts in got.items()
                    if c == code and table == name}
            assert have == want, (code, name)
    # Emmen's table 1: only the complaint of Assen's resident, as non-resident.
    assert got[("GM0114", "total", "total", "")] == cells(non_resident=1)


def test_xlsx_has_the_same_lines_and_numbers(year_2020, office, coordinator):
    csv_lines, _ = parse(export_national_report(user=coordinator, office=office, year=2020,
                                                fmt="csv").content)
    exported = export_national_report(user=coordinator, office=office, year=2020, fmt="xlsx")

    sheet = load_workbook(io.BytesIO(exported.content), read_only=True)["data"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert [["" if v is None else str(v) for v in row] for row in rows[1:]] == csv_lines[1:]
    assert rows[1][10:] == [1, 1, 2, 1, 3]


def test_every_download_is_in_the_access_log(year_2020, office, coordinator):
    export_national_report(user=coordinator, office=office, year=2020, fmt="csv")
    export_national_report(user=coordinator, office=office, year=2020, fmt="xlsx")

    assert list(AccessLog.objects.order_by("id").values_list("user", "action", "detail")) == [
        (coordinator.pk, "national_export", {"year": 2020, "format": "csv",
                                             "municipalities": 12}),
        (coordinator.pk, "national_export", {"year": 2020, "format": "xlsx",
                                             "municipalities": 12}),
    ]


def test_needs_the_permission(year_2020, office, caseworker):
    for user in (caseworker, UserFactory(username="nobody")):
        with pytest.raises(PermissionDenied):
            export_national_report(user=user, office=office, year=2020, fmt="csv")
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize(("year", "fmt"), [(1999, "csv"), (2020, "pdf")])
def test_refuses_other_years_and_formats(office, coordinator, year, fmt):
    with pytest.raises(ValidationError):
        export_national_report(user=coordinator, office=office, year=year, fmt=fmt)
    assert AccessLog.objects.count() == 0


def test_each_municipality_line_names_its_desk(year_2020, office):
    from tests.factories import OfficeCoordinatorFactory, make_desk

    make_desk("zuid", "Zuid", ("GM0114",), valid_from=datetime.date(2020, 7, 1))
    lines, _got = parse(export_national_report(user=OfficeCoordinatorFactory(), office=office,
                                               year=2020, fmt="csv").content)
    desks = {line[2]: line[4] for line in lines[1:]}
    assert desks.pop("") == ""                     # the office-wide mass-report lines
    assert desks == {**dict.fromkeys(desks, "default"), "GM0114": "zuid"}
    assert len(desks) == DRENTHE
