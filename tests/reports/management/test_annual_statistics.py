"""``manage.py annual_statistics``: runs the job, writes a JSON and a CSV per municipality,
protected by default and exact with ``--exact --user`` (``reports.view_exact_statistics``)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from reports.models import AnnualSnapshot, StatisticsRun
from reports.services.reference import current_office, load_reference_data
from reports.vocabulary import Ground, Handling, Nature, SocietalDomain
from tests.factories import CaseworkerFactory, ComplaintFactory, CoordinatorFactory
from tests.reports.rendering.year import expected_assen_protected, hand_made_year

DRENTHE = [
    "GM0106", "GM0109", "GM0114", "GM0118", "GM0119", "GM1680",
    "GM1681", "GM1690", "GM1699", "GM1701", "GM1730", "GM1731",
]
TABLE_ROWS: dict[str, list[str]] = {
    "total": ["total"],
    "ground": [*Ground.values, "total"],
    "societal_domain": [*SocietalDomain.values, "total"],
    "nature": [*Nature.values, "total"],
    "handling": [*Handling.values, "total"],
}


def cells(here: int = 0, elsewhere: int = 0, non_resident: int = 0) -> dict[str, int]:
    return {"resident_here": here, "resident_elsewhere": elsewhere,
            "resident_total": here + elsewhere, "non_resident_here": non_resident,
            "total": here + elsewhere + non_resident}


@pytest.fixture
def committed_office(transactional_db):
    """The office with reference data, in a test whose transactions really commit (so the job
    queued with ``on_commit`` runs, eagerly). The flush after a transactional test removes the
    reference data that migrations loaded, so it is loaded here explicitly."""
    load_reference_data()
    return current_office()


@pytest.fixture
def exact_user(committed_office):
    """A coordinator: holds ``reports.view_exact_statistics``."""
    return CoordinatorFactory(username="coordinator")


def test_writes_a_json_and_a_csv_file_per_served_municipality(committed_office, exact_user,
                                                              tmp_path):
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0106",
                     grounds=[Ground.RACE, Ground.RELIGION], societal_domain="housing",
                     nature="hostile_treatment", handling=[Handling.REGISTRATION])
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0114")
    stdout = io.StringIO()

    call_command("annual_statistics", "--year", "2020", "--exact", "--user", "coordinator",
                 "--output", str(tmp_path), stdout=stdout)

    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                     if p.is_file())
    assert written == sorted(f"2020/{code}.{ext}" for code in DRENTHE for ext in ("json", "csv"))
    assert stdout.getvalue() == f"Wrote 24 files to {tmp_path / '2020'}.\n"
    run = StatisticsRun.objects.get()
    assert (run.year, run.state, run.requested_by_id) == (2020, StatisticsRun.State.SUCCEEDED,
                                                          None)
    assert AnnualSnapshot.objects.filter(run=run).count() == 12

    expected_tables = {table: {row: cells() for row in rows}
                       for table, rows in TABLE_ROWS.items()}
    expected_tables["total"]["total"] = cells(here=1, elsewhere=1)
    expected_tables["ground"]["race"] = cells(here=1)
    expected_tables["ground"]["religion"] = cells(here=1)
    expected_tables["ground"]["unknown"] = cells(elsewhere=1)
    expected_tables["ground"]["total"] = cells(here=2, elsewhere=1)
    expected_tables["societal_domain"]["housing"] = cells(here=1)
    expected_tables["societal_domain"]["unknown"] = cells(elsewhere=1)
    expected_tables["societal_domain"]["total"] = cells(here=1, elsewhere=1)
    expected_tables["nature"]["hostile_treatment"] = cells(here=1)
    expected_tables["nature"]["unknown"] = cells(elsewhere=1)
    expected_tables["nature"]["total"] = cells(here=1, elsewhere=1)
    expected_tables["handling"]["registration"] = cells(here=1)
    expected_tables["handling"]["total"] = cells(here=1)
    assen_json = (tmp_path / "2020" / "GM0106.json").read_text(encoding="utf-8")
    assert json.loads(assen_json) == {
        "year": 2020,
        "office": "Meldpunt Discriminatie Drenthe",
        "municipality": {"code": "GM0106", "name": "Assen"},
        "tables": expected_tables,
    }
    assert assen_json.startswith(
        '{\n  "year": 2020,\n  "office": "Meldpunt Discriminatie Drenthe",\n'
        '  "municipality": {\n    "code": "GM0106",\n    "name": "Assen"\n  },\n'
        '  "tables": {\n    "total": {\n      "total": {\n        "resident_here": 1,\n')
    assert assen_json.endswith("}\n")

    emmen = json.loads((tmp_path / "2020" / "GM0114.json").read_text(encoding="utf-8"))
    assert emmen["municipality"] == {"code": "GM0114", "name": "Emmen"}
    assert emmen["tables"]["total"] == {"total": cells(non_resident=1)}

    assen_csv = (tmp_path / "2020" / "GM0106.csv").read_text(encoding="utf-8").split("\n")
    assert assen_csv[:3] == [
        "table,row,label,resident_here,resident_elsewhere,resident_total,non_resident_here,total",
        "total,total,Totaal,1,1,2,0,2",
        "ground,race,Ras (herkomst/huidskleur),1,0,1,0,1",
    ]
    assert "societal_domain,housing,Huisvesting,1,0,1,0,1" in assen_csv
    assert len(assen_csv) == 51  # header, 49 rows and the empty string after the last newline


def test_without_exact_writes_the_protected_forms(committed_office, tmp_path):
    hand_made_year()
    stdout = io.StringIO()

    call_command("annual_statistics", "--year", "2020", "--output", str(tmp_path),
                 stdout=stdout)

    assert stdout.getvalue() == f"Wrote 24 protected files to {tmp_path / '2020'}.\n"
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                     if p.is_file())
    assert written == sorted(f"2020/{code}.{ext}" for code in DRENTHE for ext in ("json", "csv"))
    expected = expected_assen_protected()
    assert json.loads((tmp_path / "2020" / "GM0106.json").read_text(encoding="utf-8")) == {
        "year": 2020, "office": "Meldpunt Discriminatie Drenthe",
        "municipality": {"code": "GM0106", "name": "Assen"}, "protected": True,
        "threshold": 5, "tables": expected["tables"],
        "suppressed": {table: rows for table, rows in expected["suppressed"].items() if rows},
    }
    assen_csv = (tmp_path / "2020" / "GM0106.csv").read_text(encoding="utf-8").split("\n")
    assert assen_csv[:3] == [
        "table,row,label,resident_here,resident_elsewhere,resident_total,non_resident_here,"
        "total,suppressed",
        "total,total,Totaal,,,,,3,resident_here;resident_elsewhere;resident_total;"
        "non_resident_here",
        "ground,race,Ras (herkomst/huidskleur),,,,,,"
        "resident_here;resident_elsewhere;resident_total;non_resident_here;total",
    ]
    assert "ground,age,Leeftijd,0,0,0,,,non_resident_here;total" in assen_csv
    assert len(assen_csv) == 51


def test_a_failed_audit_writes_nothing(committed_office, tmp_path, monkeypatch):
    from reports import disclosure

    hand_made_year()
    monkeypatch.setattr(disclosure, "audit", lambda protected, **kwargs: disclosure.AuditResult(
        failures=[disclosure.AuditFailure(table="ground", row="race", column="total", low=0,
                                          high=0)]))

    with translation.override("en"), pytest.raises(
            CommandError, match=r"^The disclosure audit failed for Aa en Hunze \(GM1680\): cell "
                                r"2\. Discriminatiegrond / Ras \(herkomst/huidskleur\) / total; "
                                r"Assen \(GM0106\): cell "):
        call_command("annual_statistics", "--year", "2020", "--output", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_exact_needs_a_user(db, tmp_path):
    with pytest.raises(CommandError, match="name an account that may see them with --user"):
        call_command("annual_statistics", "--year", "2020", "--exact", "--output",
                     str(tmp_path))

    assert StatisticsRun.objects.count() == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("username", ["caseworker", "nobody"])
def test_exact_needs_the_exact_permission(office, tmp_path, username):
    CaseworkerFactory(username="caseworker")

    with pytest.raises(CommandError, match=f"'{username}' may not see exact counts"):
        call_command("annual_statistics", "--year", "2020", "--exact", "--user", username,
                     "--output", str(tmp_path))

    assert StatisticsRun.objects.count() == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("year", ["1999", "2101"])
def test_a_year_outside_2000_to_2100_is_a_command_error(office, tmp_path, year):
    with pytest.raises(CommandError, match="2000"):
        call_command("annual_statistics", "--year", year, "--output", str(tmp_path))

    assert StatisticsRun.objects.count() == 0
    assert list(tmp_path.iterdir()) == []
