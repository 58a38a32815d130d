"""The annual statistics job: runs, snapshots and the JSON/CSV documents of a form."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reports.models import AnnualSnapshot, StatisticsRun
from reports.services import statistics as statistics_service
from reports.services.statistics import (
    execute_statistics_run,
    form_csv,
    form_document,
    request_annual_statistics,
)
from reports.vocabulary import Ground, Handling, Nature, SocietalDomain
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ASSEN, EMMEN = "GM0106", "GM0114"
DRENTHE = {
    "GM0106", "GM0109", "GM0114", "GM0118", "GM0119", "GM1680",
    "GM1681", "GM1690", "GM1699", "GM1701", "GM1730", "GM1731",
}
TABLE_ROWS: dict[str, list[str]] = {
    "total": ["total"],
    "ground": [*Ground.values, "total"],
    "societal_domain": [*SocietalDomain.values, "total"],
    "nature": [*Nature.values, "total"],
    "handling": [*Handling.values, "total"],
}
COLUMNS = ["resident_here", "resident_elsewhere", "resident_total", "non_resident_here", "total"]
CSV_HEADER = ("table,row,label,resident_here,resident_elsewhere,resident_total,"
              "non_resident_here,total")


def cells(here: int = 0, elsewhere: int = 0, non_resident: int = 0) -> dict[str, int]:
    return {"resident_here": here, "resident_elsewhere": elsewhere,
            "resident_total": here + elsewhere, "non_resident_here": non_resident,
            "total": here + elsewhere + non_resident}


def tables(value: dict[str, int] | None = None) -> dict:
    """All tables zero, except, when ``value`` is given, the rows of one complaint classified
    as ``report()`` classifies it."""
    result = {table: {row: cells() for row in rows} for table, rows in TABLE_ROWS.items()}
    if value is not None:
        for table, row in [("total", "total"), ("ground", "race"), ("ground", "total"),
                           ("societal_domain", "labour_market"), ("societal_domain", "total"),
                           ("nature", "threat"), ("nature", "total"),
                           ("handling", "mediation"), ("handling", "total")]:
            result[table][row] = value
    return result


def report(**kwargs):
    kwargs.setdefault("reporter_residence", ASSEN)
    kwargs.setdefault("incident_municipality", ASSEN)
    kwargs.setdefault("grounds", [Ground.RACE])
    kwargs.setdefault("societal_domain", SocietalDomain.LABOUR_MARKET)
    kwargs.setdefault("nature", Nature.THREAT)
    kwargs.setdefault("handling", [Handling.MEDIATION])
    return ComplaintFactory(**kwargs)


def executed_run(office, year: int = 2020) -> StatisticsRun:
    run = StatisticsRun.objects.create(office=office, year=year)
    return execute_statistics_run(run_id=run.pk)


def snapshot_of(office, code: str, year: int = 2020) -> AnnualSnapshot:
    return AnnualSnapshot.objects.select_related("municipality", "office").get(
        office=office, year=year, municipality_id=code)


# --- request_annual_statistics ----------------------------------------------------------------


def test_request_runs_the_job_after_commit_and_stores_one_form_per_municipality(
        office, coordinator, django_capture_on_commit_callbacks):
    report()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = request_annual_statistics(office=office, year=2020, actor=coordinator)

    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.state == StatisticsRun.State.SUCCEEDED
    assert (run.office_id, run.year, run.requested_by_id, run.error) == (
        office.pk, 2020, coordinator.pk, "")
    assert run.started_at is not None
    assert run.finished_at >= run.started_at
    snapshots = AnnualSnapshot.objects.filter(office=office, year=2020)
    assert snapshots.count() == 12
    assert set(snapshots.values_list("municipality_id", flat=True)) == DRENTHE
    assert set(snapshots.values_list("run_id", flat=True)) == {run.pk}
    assert snapshot_of(office, ASSEN).data == {"tables": tables(cells(here=1))}
    assert snapshot_of(office, EMMEN).data == {"tables": tables()}


def test_request_only_queues_the_run_until_the_transaction_commits(
        office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = request_annual_statistics(office=office, year=2020)

    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.state == StatisticsRun.State.QUEUED
    assert run.requested_by_id is None
    assert AnnualSnapshot.objects.count() == 0


@pytest.mark.parametrize("year", [0, 1999, 2101, 20200])
def test_request_rejects_a_year_outside_2000_to_2100(office, year,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError) as excinfo:
            request_annual_statistics(office=office, year=year)

    assert excinfo.value.code == "year"
    assert callbacks == []
    assert StatisticsRun.objects.count() == 0


def test_request_rejects_a_year_that_has_not_started(office, django_capture_on_commit_callbacks):
    next_year = timezone.localdate().year + 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError) as excinfo:
            request_annual_statistics(office=office, year=next_year)

    assert excinfo.value.code == "future_year"
    assert callbacks == []
    assert StatisticsRun.objects.count() == 0


@pytest.mark.parametrize("year", [2000, timezone.localdate().year])
def test_request_accepts_the_boundary_years(office, year, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = request_annual_statistics(office=office, year=year)

    run.refresh_from_db()
    assert run.state == StatisticsRun.State.SUCCEEDED
    assert AnnualSnapshot.objects.filter(year=year).count() == 12


# --- execute_statistics_run -------------------------------------------------------------------


def test_rerun_replaces_the_years_snapshots_and_leaves_other_years_alone(office):
    report()
    first = executed_run(office, 2020)
    other_year = executed_run(office, 2021)
    old_ids = set(AnnualSnapshot.objects.filter(run=first).values_list("pk", flat=True))
    assert len(old_ids) == 12
    assert snapshot_of(office, ASSEN).data == {"tables": tables(cells(here=1))}

    report(reporter_residence=EMMEN)  # a resident of Emmen, incident in Assen
    report()
    second = executed_run(office, 2020)

    assert second.state == StatisticsRun.State.SUCCEEDED
    current = AnnualSnapshot.objects.filter(office=office, year=2020)
    assert current.count() == 12
    assert set(current.values_list("run_id", flat=True)) == {second.pk}
    assert AnnualSnapshot.objects.filter(run=first).count() == 0
    assert AnnualSnapshot.objects.filter(pk__in=old_ids).count() == 0
    assert snapshot_of(office, ASSEN).data == {"tables": tables(cells(here=2, non_resident=1))}
    assert snapshot_of(office, EMMEN).data == {"tables": tables(cells(elsewhere=1))}
    assert AnnualSnapshot.objects.filter(year=2021, run=other_year).count() == 12
    assert AnnualSnapshot.objects.count() == 24


def test_a_succeeded_run_is_not_executed_again(office, django_assert_num_queries):
    report()
    run = executed_run(office, 2020)
    snapshot_ids = sorted(AnnualSnapshot.objects.values_list("pk", flat=True))
    report()

    with django_assert_num_queries(1):  # only reading the run
        again = execute_statistics_run(run_id=run.pk)

    assert again.state == StatisticsRun.State.SUCCEEDED
    assert again.finished_at == run.finished_at
    assert sorted(AnnualSnapshot.objects.values_list("pk", flat=True)) == snapshot_ids
    assert snapshot_of(office, ASSEN).data == {"tables": tables(cells(here=1))}


def test_a_failing_run_is_marked_failed_keeps_the_old_snapshots_and_can_be_retried(
        office, monkeypatch):
    report()
    previous = executed_run(office, 2020)
    run = StatisticsRun.objects.create(office=office, year=2020)
    report()

    def broken(**kwargs):
        raise RuntimeError("database went away")

    with monkeypatch.context() as patch:
        patch.setattr(statistics_service, "count_annual_year", broken)
        with pytest.raises(RuntimeError, match="database went away"):
            execute_statistics_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.state, run.error) == (StatisticsRun.State.FAILED, "RuntimeError")
    assert run.finished_at is not None
    assert set(AnnualSnapshot.objects.values_list("run_id", flat=True)) == {previous.pk}
    assert snapshot_of(office, ASSEN).data == {"tables": tables(cells(here=1))}

    retried = execute_statistics_run(run_id=run.pk)

    assert (retried.state, retried.error) == (StatisticsRun.State.SUCCEEDED, "")
    assert set(AnnualSnapshot.objects.values_list("run_id", flat=True)) == {run.pk}
    assert snapshot_of(office, ASSEN).data == {"tables": tables(cells(here=2))}


def test_snapshots_are_append_only(office):
    executed_run(office, 2020)
    snapshot = snapshot_of(office, ASSEN)
    snapshot.data = {"tables": tables(cells(here=99))}

    with pytest.raises(ValueError, match="AnnualSnapshot rows are append-only."):
        snapshot.save()

    assert snapshot_of(office, ASSEN).data == {"tables": tables()}


# --- Documents ------------------------------------------------------------------------------


def test_form_document_has_exactly_the_specified_shape(office):
    report(received_at=datetime.datetime(2020, 3, 1, 9, 0, tzinfo=AMSTERDAM))
    executed_run(office, 2020)

    document = form_document(snapshot=snapshot_of(office, ASSEN))

    assert document == {
        "year": 2020,
        "office": "Meldpunt Discriminatie Drenthe",
        "municipality": {"code": "GM0106", "name": "Assen"},
        "tables": tables(cells(here=1)),
    }
    assert document["tables"]["total"] == {"total": {
        "resident_here": 1, "resident_elsewhere": 0, "resident_total": 1,
        "non_resident_here": 0, "total": 1,
    }}
    # The legal form's order, whatever order the database returns the JSON keys in.
    assert list(document) == ["year", "office", "municipality", "tables"]
    assert list(document["tables"]) == ["total", "ground", "societal_domain", "nature",
                                        "handling"]
    for table, rows in TABLE_ROWS.items():
        assert list(document["tables"][table]) == rows
        for row in rows:
            assert list(document["tables"][table][row]) == COLUMNS


def test_form_csv_has_the_header_and_one_line_per_row_with_the_dutch_label(office):
    report(reporter_residence=EMMEN)
    report(grounds=[Ground.RACE, Ground.AGE])
    executed_run(office, 2020)

    text = form_csv(document=form_document(snapshot=snapshot_of(office, ASSEN)))

    lines = text.split("\n")
    assert lines[0] == CSV_HEADER
    assert lines[-1] == ""  # ends with a newline
    assert len(lines) == 1 + 1 + 16 + 16 + 7 + 9 + 1
    assert lines[1] == "total,total,Totaal,1,0,1,1,2"
    assert lines[2] == "ground,race,Ras (herkomst/huidskleur),1,0,1,1,2"
    assert lines[6] == "ground,age,Leeftijd,1,0,1,0,1"
    assert lines[16] == "ground,unknown,Onbekend,0,0,0,0,0"
    assert lines[17] == "ground,total,Totaal,2,0,2,1,3"
    assert "nature,threat,Bedreiging,1,0,1,1,2" in lines
    assert "handling,mediation,Bemiddeling,1,0,1,1,2" in lines
    assert lines[-2] == "handling,total,Totaal,1,0,1,1,2"
    assert [line.split(",")[:2] for line in lines[1:-1]] == [
        [table, row] for table, rows in TABLE_ROWS.items() for row in rows
    ]
