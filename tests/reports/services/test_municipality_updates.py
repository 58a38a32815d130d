"""Applying a newer CBS municipality list and merger file (issue 14, section 3).

The scenario is synthetic: in a made-up 2026 list, Assen and Tynaarlo merge into a made-up
"Voorbeeldgemeente" (GM1999) on 1 January 2026 and Emmen is renamed.
"""

from __future__ import annotations

import csv
import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from reports.models import Municipality, MunicipalityList, MunicipalityMerger
from reports.selectors.reference import existing_municipalities, merger_map
from reports.selectors.statistics import count_annual_forms
from reports.services.municipality_updates import (
    ListedMunicipality,
    Merger,
    apply_municipality_update,
    first_counting_year,
    plan_municipality_update,
    read_merger_file,
    read_municipality_list,
)
from reports.services.reference import REFERENCE_DIR, load_reference_data
from reports.timezones import AMSTERDAM
from reports.vocabulary import Ground, Handling
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

ASSEN, TYNAARLO, EMMEN, NEW = "GM0106", "GM1730", "GM0114", "GM1999"
NEW_NAME = "Voorbeeldgemeente"
VALID_FROM = datetime.date(2026, 1, 1)


def fixture_list() -> list[ListedMunicipality]:
    with open(REFERENCE_DIR / "municipalities-2024.csv", encoding="utf-8") as handle:
        return [ListedMunicipality(r["code"], r["name"], r["province"])
                for r in csv.DictReader(handle)]


def fixture_mergers() -> list[Merger]:
    with open(REFERENCE_DIR / "municipality-mergers.csv", encoding="utf-8") as handle:
        return [Merger(r["former_code"], r["former_name"], r["successor_code"],
                       r["successor_name"], datetime.date.fromisoformat(r["effective_date"]))
                for r in csv.DictReader(handle)]


def list_2026() -> list[ListedMunicipality]:
    rows = [m for m in fixture_list() if m.code not in (ASSEN, TYNAARLO)]
    rows = [ListedMunicipality(m.code, "Emmen (nieuw)", m.province) if m.code == EMMEN else m
            for m in rows]
    return [*rows, ListedMunicipality(NEW, NEW_NAME, "Drenthe")]


def mergers_2026() -> list[Merger]:
    return [*fixture_mergers(),
            Merger(ASSEN, "Assen", NEW, NEW_NAME, VALID_FROM),
            Merger(TYNAARLO, "Tynaarlo", NEW, NEW_NAME, VALID_FROM)]


def apply_2026():
    return apply_municipality_update(municipalities=list_2026(), mergers=mergers_2026(),
                                     valid_from=VALID_FROM, source="test")


def test_first_counting_year():
    # The successor makes the form of every year whose 1 January after it is on or after the
    # merger (merger_map; Wga art. 3).
    assert first_counting_year(datetime.date(2026, 1, 1)) == 2025
    assert first_counting_year(datetime.date(2022, 3, 24)) == 2022


def test_the_shipped_list_is_recorded_and_matches_the_database(reference_data):
    assert list(MunicipalityList.objects.values_list("valid_from", flat=True)) == [
        datetime.date(2024, 1, 1)]
    plan = plan_municipality_update(municipalities=fixture_list(), mergers=fixture_mergers(),
                                    valid_from=datetime.date(2024, 1, 1), source="fixture")
    assert (plan.errors, plan.has_changes) == ([], False)
    assert plan.report()[-1] == "No changes: the database already matches this list."


def test_the_dry_run_reports_every_change_and_writes_nothing(reference_data):
    before = list(Municipality.objects.order_by("code").values_list())
    plan = plan_municipality_update(municipalities=list_2026(), mergers=mergers_2026(),
                                    valid_from=VALID_FROM, source="test")

    assert plan.errors == []
    assert plan.added == [(ListedMunicipality(NEW, NEW_NAME, "Drenthe"), VALID_FROM)]
    assert plan.renamed == [(EMMEN, "Emmen", "Emmen (nieuw)")]
    assert [(m.former_code, m.successor_code) for m in plan.mergers] == [
        (ASSEN, NEW), (TYNAARLO, NEW)]
    assert plan.dissolved == [(ASSEN, VALID_FROM), (TYNAARLO, VALID_FROM)]
    assert plan.report() == [
        "CBS municipality list valid from 2026-01-01 (test).",
        f"new municipality: {NEW} {NEW_NAME} (Drenthe, exists from 2026-01-01)",
        f"renamed: {EMMEN} Emmen -> Emmen (nieuw)",
        f"merger: {ASSEN} Assen -> {NEW} {NEW_NAME} on 2026-01-01; counts for the successor "
        "from registration year 2025",
        f"merger: {TYNAARLO} Tynaarlo -> {NEW} {NEW_NAME} on 2026-01-01; counts for the "
        "successor from registration year 2025",
        f"dissolved: {ASSEN} on 2026-01-01",
        f"dissolved: {TYNAARLO} on 2026-01-01",
        f"NOTE: OFFICE_MUNICIPALITIES lists {ASSEN} but not its successor {NEW}: add {NEW} "
        f"(and keep {ASSEN} for the forms of the years before 2025), then run "
        "load_reference_data",
        f"NOTE: annual forms from registration year 2025 on count {ASSEN} for {NEW}; earlier "
        "years do not change",
        f"NOTE: OFFICE_MUNICIPALITIES lists {TYNAARLO} but not its successor {NEW}: add {NEW} "
        f"(and keep {TYNAARLO} for the forms of the years before 2025), then run "
        "load_reference_data",
        f"NOTE: annual forms from registration year 2025 on count {TYNAARLO} for {NEW}; earlier "
        "years do not change",
    ]
    assert list(Municipality.objects.order_by("code").values_list()) == before
    assert MunicipalityList.objects.count() == 1


def test_apply_adds_renames_and_records_the_mergers(reference_data):
    apply_2026()

    new = Municipality.objects.get(code=NEW)
    assert (new.name, new.province, new.established_on, new.dissolved_on) == (
        NEW_NAME, "Drenthe", VALID_FROM, None)
    assert Municipality.objects.get(code=EMMEN).name == "Emmen (nieuw)"
    for code in (ASSEN, TYNAARLO):
        assert Municipality.objects.get(code=code).dissolved_on == VALID_FROM
        assert MunicipalityMerger.objects.get(former=code).successor_id == NEW
    assert merger_map(year=2024).get(ASSEN) is None
    assert merger_map(year=2025)[ASSEN] == NEW
    assert list(MunicipalityList.objects.values_list("valid_from", "source")) == [
        (datetime.date(2024, 1, 1), "reports/fixtures/reference/municipalities-2024.csv"),
        (VALID_FROM, "test")]
    assert "renamed: GM0114 Emmen -> Emmen (nieuw)" in MunicipalityList.objects.get(
        valid_from=VALID_FROM).summary


def test_applying_the_same_list_again_changes_nothing(reference_data):
    apply_2026()
    plan = apply_2026()
    assert (plan.errors, plan.has_changes) == ([], False)
    assert MunicipalityList.objects.count() == 2
    assert MunicipalityMerger.objects.filter(successor=NEW).count() == 2


def test_reloading_the_shipped_list_keeps_the_newer_names(reference_data):
    apply_2026()
    load_reference_data()  # runs on every deployment (compose's migrate service)
    assert Municipality.objects.get(code=EMMEN).name == "Emmen (nieuw)"
    assert Municipality.objects.get(code=NEW).established_on == VALID_FROM


def _complaint(year: int, month: int, residence: str, incident: str | None, ground: str):
    ComplaintFactory(received_at=datetime.datetime(year, month, 10, 12, tzinfo=AMSTERDAM),
                     reporter_residence=residence, incident_municipality=incident,
                     contact_type="report", grounds=[ground],
                     handling=[Handling.ADVICE_INFORMATION])


def test_past_years_count_the_same_after_the_update_and_after_the_office_adds_the_successor(
        office):
    grounds = list(Ground.values)
    places = [(ASSEN, ASSEN), (ASSEN, TYNAARLO), (TYNAARLO, EMMEN), (EMMEN, ASSEN),
              (TYNAARLO, None), ("GM0014", TYNAARLO)]
    for year in (2023, 2024, 2025):
        for i, (residence, incident) in enumerate(places):
            _complaint(year, 1 + i, residence, incident, grounds[i % len(grounds)])
    before = {year: count_annual_forms(office=office, year=year) for year in (2023, 2024, 2025)}
    assert before[2024][ASSEN]["total"]["total"]["total"] == 3

    apply_2026()
    after = {year: count_annual_forms(office=office, year=year) for year in (2023, 2024)}
    assert after == {year: before[year] for year in (2023, 2024)}

    # The office follows the note: it adds the successor and keeps the old codes.
    office.municipalities.add(NEW)
    for year in (2023, 2024):
        assert count_annual_forms(office=office, year=year) == before[year]
    forms_2025 = count_annual_forms(office=office, year=2025)
    assert ASSEN not in forms_2025 and TYNAARLO not in forms_2025
    assert NEW not in count_annual_forms(office=office, year=2024)  # it did not exist yet
    # Assen and Tynaarlo together: all six 2025 complaints touch one of them.
    assert forms_2025[NEW]["total"]["total"] == {
        "resident_here": 2, "resident_elsewhere": 2, "resident_total": 4,
        "non_resident_here": 2, "total": 6}
    assert forms_2025[EMMEN] == before[2025][EMMEN]


@pytest.mark.parametrize(("change", "error"), [
    (lambda rows, mergers: ([r for r in rows if r.code != EMMEN], mergers),
     f"{EMMEN} Emmen is not in the list and no merger says where it went"),
    (lambda rows, mergers: (rows, [Merger("GM0007", "Bellingwedde", "GM1950", "Westerwolde",
                                          datetime.date(2019, 1, 1)), *mergers]),
     "GM0007 -> GM1950 is recorded with date 2018-01-01, the file says 2019-01-01"),
    (lambda rows, mergers: ([*rows, ListedMunicipality(ASSEN, "Assen", "Drenthe")], mergers),
     f"{ASSEN} Assen merged on 2026-01-01 but is still in the list"),
    (lambda rows, mergers: ([r for r in rows if r.code != NEW], mergers),
     f"{NEW} {NEW_NAME} (successor of {ASSEN}) is not in the list"),
    (lambda rows, mergers: ([*rows, ListedMunicipality("GM0007", "Bellingwedde", "")], mergers),
     "GM0007 Bellingwedde was dissolved on 2018-01-01 but is in the list"),
])
def test_an_inconsistent_list_is_refused_and_nothing_is_written(reference_data, change, error):
    rows, mergers = change(list_2026(), mergers_2026())
    before = list(Municipality.objects.order_by("code").values_list())
    with pytest.raises(ValidationError) as raised:
        apply_municipality_update(municipalities=rows, mergers=mergers, valid_from=VALID_FROM,
                                  source="test")
    assert error in raised.value.messages
    assert list(Municipality.objects.order_by("code").values_list()) == before
    assert MunicipalityMerger.objects.filter(successor=NEW).count() == 0
    assert MunicipalityList.objects.count() == 1


def test_an_older_list_is_refused(reference_data):
    plan = plan_municipality_update(municipalities=fixture_list(), mergers=fixture_mergers(),
                                    valid_from=datetime.date(2023, 1, 1), source="old")
    assert plan.errors == ["the database already holds the list valid from 2024-01-01; this "
                           "list is older"]


def test_an_announced_merger_adds_the_successor_from_its_date(reference_data):
    """A list valid from 2030 with a merger on 1 January 2031: the successor is added now, exists
    from 2031 (not offered on forms before), and the former exists until then."""
    valid_from, effective = datetime.date(2030, 1, 1), datetime.date(2031, 1, 1)
    plan = apply_municipality_update(
        municipalities=fixture_list(),
        mergers=[*fixture_mergers(), Merger(ASSEN, "Assen", NEW, NEW_NAME, effective)],
        valid_from=valid_from, source="announced")
    assert plan.added == [(ListedMunicipality(NEW, NEW_NAME, "Drenthe"), effective)]
    assert plan.dissolved == [(ASSEN, effective)]
    current = set(existing_municipalities().values_list("code", flat=True))
    assert ASSEN in current and NEW not in current
    assert len(current) == 342


def test_reading_a_cbs_semicolon_file_with_bom_and_short_codes(tmp_path):
    path = tmp_path / "gemeenten.csv"
    path.write_text("\ufeffGemeentecode;Gemeentenaam;Provincienaam\n0106;Assen;Drenthe\n"
                    "GM1999;Voorbeeldgemeente;Drenthe\n", encoding="utf-8")
    assert read_municipality_list(path) == [ListedMunicipality(ASSEN, "Assen", "Drenthe"),
                                            ListedMunicipality(NEW, NEW_NAME, "Drenthe")]


@pytest.mark.parametrize(("text", "message"), [
    ("code,name\nGM0106,Assen\nGM0106,Assen\n", "line 3: GM0106 is listed twice"),
    ("code,name\nXX12,Assen\n", "line 2: not a CBS municipality code: 'XX12'"),
    ("code,name\nGM0106,\n", "line 2: GM0106 has no name"),
    ("nummer,naam\n1,Assen\n", "no code column (one of: code, gemeentecode, gemeentecodegm, "
                               "gm_code)"),
])
def test_a_bad_list_file_names_the_problem(tmp_path, text, message):
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_municipality_list(path)


def test_a_bad_merger_file_names_every_problem(tmp_path):
    path = tmp_path / "mergers.csv"
    path.write_text("former_code,former_name,successor_code,successor_name,effective_date\n"
                    "GM0106,Assen,GM0106,Assen,2026-01-01\n"
                    "GM0106,Assen,GM1999,X,1-1-2026\n", encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        read_merger_file(path)
    assert str(raised.value) == ("line 2: GM0106 cannot merge into itself; line 3: Invalid "
                                 "isoformat string: '1-1-2026'")


def _write(path: Path, rows: list, header: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([v.isoformat() if isinstance(v, datetime.date) else v
                             for v in row.__dict__.values()])
    return path


def test_the_command_is_a_dry_run_until_apply(reference_data, tmp_path):
    list_file = _write(tmp_path / "gemeenten-2026.csv", list_2026(), ["code", "name", "province"])
    merger_file = _write(tmp_path / "herindelingen-2026.csv", mergers_2026(), [
        "former_code", "former_name", "successor_code", "successor_name", "effective_date"])
    args = ["update_municipalities", "--list", str(list_file), "--mergers", str(merger_file),
            "--valid-from", "2026-01-01"]

    out = StringIO()
    call_command(*args, stdout=out)
    assert f"new municipality: {NEW} {NEW_NAME}" in out.getvalue()
    assert out.getvalue().rstrip().endswith(
        "Dry run: nothing was changed. Run again with --apply to apply.")
    assert not Municipality.objects.filter(code=NEW).exists()

    out = StringIO()
    call_command(*args, "--apply", stdout=out)
    assert out.getvalue().rstrip().endswith("Applied.")
    assert Municipality.objects.get(code=NEW).established_on == VALID_FROM
    assert MunicipalityList.objects.get(valid_from=VALID_FROM).source == (
        "gemeenten-2026.csv + herindelingen-2026.csv")

    list_file.write_text("code,name\nGM0106,Assen\n", encoding="utf-8")
    with pytest.raises(CommandError, match="The list cannot be applied; nothing was changed."):
        call_command(*args, "--apply", stdout=StringIO())


def test_a_rename_renames_the_case_lists_sort_key(reference_data):
    """``Complaint.incident_municipality_name`` (the indexed sort key of the case list, issue
    13) follows a renamed municipality."""
    from reports.models import Complaint

    in_emmen = ComplaintFactory(incident_municipality=EMMEN)
    elsewhere = ComplaintFactory(incident_municipality="GM0106")

    apply_2026()

    assert Complaint.objects.get(pk=in_emmen.pk).incident_municipality_name == "Emmen (nieuw)"
    assert Complaint.objects.get(pk=elsewhere.pk).incident_municipality_name == "Assen"
