"""``manage.py annual_statistics`` end to end: PostgreSQL, Redis and a real Celery worker.

The command runs in this process with eager execution switched off, so ``.delay()`` publishes
to Redis; the separate worker process counts in the test database; the command polls the run
until it has finished and writes the files.
"""

from __future__ import annotations

import csv
import datetime
import json
import logging
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import translation

from reports.models import AnnualSnapshot, Complaint, StatisticsRun
from reports.vocabulary import Ground, Handling, Nature, SocietalDomain
from tests.factories import ComplaintFactory, CoordinatorFactory
from tests.integration.expected_forms import FORM_ROWS, SERVED, cells, expected_tables

pytestmark = pytest.mark.integration

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ASSEN, EMMEN, GRONINGEN, AA_EN_HUNZE = "GM0106", "GM0114", "GM0014", "GM1680"
CSV_HEADER = ["table", "row", "label", "resident_here", "resident_elsewhere", "resident_total",
              "non_resident_here", "total"]


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=AMSTERDAM)


@pytest.fixture
def complaints_2020(committed_reference_data) -> None:
    """Registrations around 2020 covering every column and every exclusion rule."""
    # A: lives in Assen, incident in Assen -> Assen resident_here. Fully classified.
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN,
                     contact_type="complaint", grounds=["race", "religion"],
                     societal_domain="labour_market", nature="disputed_treatment",
                     handling=["registration", "mediation"])
    # B: lives in Assen, incident in Groningen (not served) -> Assen resident_elsewhere.
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=GRONINGEN,
                     grounds=["age"], societal_domain="housing", nature="hostile_treatment",
                     handling=["advice_information"])
    # C: lives in Assen, incident online/unknown -> Assen resident_elsewhere. Unclassified.
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=None)
    # D: residence unknown, incident in Assen -> Assen non_resident_here. Unclassified.
    ComplaintFactory(reporter_residence=None, incident_municipality=ASSEN)
    # E: lives in Emmen, incident in Assen -> Assen non_resident_here, Emmen resident_elsewhere.
    ComplaintFactory(reporter_residence=EMMEN, incident_municipality=ASSEN, grounds=["race"])
    # I: 1 January 2020 00:30 in Amsterdam is still 2019 in UTC; it counts for 2020.
    ComplaintFactory(received_at=at(2020, 1, 1, 0, 30), reporter_residence=ASSEN,
                     incident_municipality=ASSEN, grounds=["gender"],
                     societal_domain="education", nature="threat")
    # Excluded: an information request, a rejected report, and 1 January 2021 00:30 in
    # Amsterdam (still 2020 in UTC). Each would add to Assen resident_here if counted.
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN,
                     contact_type="information_request", grounds=["race"])
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN, status="rejected",
                     grounds=["race"])
    ComplaintFactory(received_at=at(2021, 1, 1, 0, 30), reporter_residence=ASSEN,
                     incident_municipality=ASSEN, grounds=["race"])
    assert Complaint.objects.count() == 9


ASSEN_2020 = expected_tables({
    "total": {"total": cells(2, 2, 2, resident_total=4, total=6)},
    "ground": {
        "race": cells(1, 0, 1, resident_total=1, total=2),
        "age": cells(0, 1, 0, resident_total=1, total=1),
        "gender": cells(1, 0, 0, resident_total=1, total=1),
        "religion": cells(1, 0, 0, resident_total=1, total=1),
        "unknown": cells(0, 1, 1, resident_total=1, total=2),
        "total": cells(3, 2, 2, resident_total=5, total=7),
    },
    "societal_domain": {
        "labour_market": cells(1, 0, 0, resident_total=1, total=1),
        "housing": cells(0, 1, 0, resident_total=1, total=1),
        "education": cells(1, 0, 0, resident_total=1, total=1),
        "unknown": cells(0, 1, 2, resident_total=1, total=3),
        "total": cells(2, 2, 2, resident_total=4, total=6),
    },
    "nature": {
        "disputed_treatment": cells(1, 0, 0, resident_total=1, total=1),
        "hostile_treatment": cells(0, 1, 0, resident_total=1, total=1),
        "threat": cells(1, 0, 0, resident_total=1, total=1),
        "unknown": cells(0, 1, 2, resident_total=1, total=3),
        "total": cells(2, 2, 2, resident_total=4, total=6),
    },
    "handling": {
        "registration": cells(1, 0, 0, resident_total=1, total=1),
        "advice_information": cells(0, 1, 0, resident_total=1, total=1),
        "mediation": cells(1, 0, 0, resident_total=1, total=1),
        "total": cells(2, 1, 0, resident_total=3, total=3),
    },
})

EMMEN_2020 = expected_tables({
    "total": {"total": cells(0, 1, 0, resident_total=1, total=1)},
    "ground": {"race": cells(0, 1, 0, resident_total=1, total=1),
               "total": cells(0, 1, 0, resident_total=1, total=1)},
    "societal_domain": {"unknown": cells(0, 1, 0, resident_total=1, total=1),
                        "total": cells(0, 1, 0, resident_total=1, total=1)},
    "nature": {"unknown": cells(0, 1, 0, resident_total=1, total=1),
               "total": cells(0, 1, 0, resident_total=1, total=1)},
})


def run_command(output) -> StatisticsRun:
    # --exact needs an account holding reports.view_exact_statistics (issue 4).
    CoordinatorFactory(username="exact-statistics")
    call_command("annual_statistics", "--year", "2020", "--exact", "--user", "exact-statistics",
                 "--output", str(output))
    return StatisticsRun.objects.get(pk=StatisticsRun.objects.order_by("-pk")
                                     .values_list("pk", flat=True)[0])


def dutch(label) -> str:
    with translation.override("nl"):
        return str(label)


def test_annual_statistics_command_runs_on_the_worker(
        complaints_2020, celery_through_redis, tmp_path, settings, caplog) -> None:
    settings.ANNUAL_STATISTICS_WAIT_SECONDS = 60
    worker = celery_through_redis
    mark = worker.mark()
    caplog.set_level(logging.INFO)

    run = run_command(tmp_path)

    # The run finished, and it was the worker process that executed it: the task went
    # through Redis, was received and logged there, and never ran in this process.
    assert run.state == StatisticsRun.State.SUCCEEDED
    assert run.year == 2020
    assert run.error == ""
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.started_at <= run.finished_at
    log = worker.wait_for_log(f"statistics run {run.pk} stored 12 forms for 2020", since=mark)
    assert log.count("Task reports.tasks.build_annual_statistics[") == 2  # received, succeeded
    assert " received" in log
    assert "succeeded in" in log
    assert [r for r in caplog.records if r.name == "reports.services.statistics"] == []

    # 12 JSON and 12 CSV files, one pair per served municipality, nothing else.
    written = sorted(p.name for p in (tmp_path / "2020").iterdir())
    assert written == sorted([f"{code}.json" for code in SERVED]
                             + [f"{code}.csv" for code in SERVED])
    assert len(written) == 24

    assen = json.loads((tmp_path / "2020" / f"{ASSEN}.json").read_text(encoding="utf-8"))
    assert assen["year"] == 2020
    assert assen["office"] == "Meldpunt Discriminatie Drenthe"
    assert assen["municipality"] == {"code": ASSEN, "name": "Assen"}
    assert assen["tables"] == ASSEN_2020
    # Tables and rows come in the legal form's order.
    assert list(assen["tables"]) == list(FORM_ROWS)
    for table, rows in FORM_ROWS.items():
        assert tuple(assen["tables"][table]) == rows

    emmen = json.loads((tmp_path / "2020" / f"{EMMEN}.json").read_text(encoding="utf-8"))
    assert emmen["municipality"] == {"code": EMMEN, "name": "Emmen"}
    assert emmen["tables"] == EMMEN_2020
    empty = json.loads((tmp_path / "2020" / f"{AA_EN_HUNZE}.json").read_text(encoding="utf-8"))
    assert empty["municipality"] == {"code": AA_EN_HUNZE, "name": "Aa en Hunze"}
    assert empty["tables"] == expected_tables({})

    with open(tmp_path / "2020" / f"{ASSEN}.csv", encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == CSV_HEADER
    assert len(lines) == 1 + 49
    rows = {(line[0], line[1]): line[2:] for line in lines[1:]}
    assert len(rows) == 49
    total = dutch(translation.gettext_lazy("Total"))
    assert rows[("total", "total")] == [total, "2", "2", "4", "2", "6"]
    assert rows[("ground", "race")] == [dutch(Ground.RACE.label), "1", "0", "1", "1", "2"]
    assert rows[("ground", "unknown")] == [dutch(Ground.UNKNOWN.label), "0", "1", "1", "1", "2"]
    assert rows[("ground", "antisemitism")] == [dutch(Ground.ANTISEMITISM.label),
                                                "0", "0", "0", "0", "0"]
    assert rows[("ground", "total")] == [total, "3", "2", "5", "2", "7"]
    assert rows[("societal_domain", "unknown")] == [dutch(SocietalDomain.UNKNOWN.label),
                                                    "0", "1", "1", "2", "3"]
    assert rows[("nature", "threat")] == [dutch(Nature.THREAT.label), "1", "0", "1", "0", "1"]
    assert rows[("handling", "mediation")] == [dutch(Handling.MEDIATION.label),
                                               "1", "0", "1", "0", "1"]
    assert rows[("handling", "total")] == [total, "2", "1", "3", "0", "3"]
    # Every CSV cell equals the JSON cell of the same form.
    for (table, row), values in rows.items():
        assert [int(v) for v in values[1:]] == list(ASSEN_2020[table][row].values()), (table, row)

    assert AnnualSnapshot.objects.filter(year=2020).count() == 12
    assert AnnualSnapshot.objects.count() == 12


def test_rerun_replaces_the_snapshots(complaints_2020, celery_through_redis, tmp_path,
                                      settings) -> None:
    settings.ANNUAL_STATISTICS_WAIT_SECONDS = 60
    first = run_command(tmp_path / "first")
    second = run_command(tmp_path / "second")

    assert first.pk != second.pk
    assert list(StatisticsRun.objects.filter(year=2020).order_by("pk")
                .values_list("state", flat=True)) == ["succeeded", "succeeded"]
    assert AnnualSnapshot.objects.filter(year=2020).count() == 12
    assert AnnualSnapshot.objects.filter(year=2020, run=second).count() == 12
    assert AnnualSnapshot.objects.filter(run=first).count() == 0
    assert sorted(AnnualSnapshot.objects.filter(year=2020)
                  .values_list("municipality_id", flat=True)) == sorted(SERVED)
    first_files = sorted(p.name for p in (tmp_path / "first" / "2020").iterdir())
    second_files = sorted(p.name for p in (tmp_path / "second" / "2020").iterdir())
    assert len(first_files) == len(second_files) == 24
    for name in second_files:
        assert ((tmp_path / "first" / "2020" / name).read_text(encoding="utf-8")
                == (tmp_path / "second" / "2020" / name).read_text(encoding="utf-8")), name
    assen = json.loads((tmp_path / "second" / "2020" / f"{ASSEN}.json").read_text("utf-8"))
    assert assen["tables"] == ASSEN_2020
