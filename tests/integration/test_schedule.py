"""The yearly beat slot (15 January 03:00 Europe/Amsterdam): due exactly once per slot across
the daylight-saving changes, and running it twice, or from two processes at once, makes one
run and one version per scope (PostgreSQL)."""

from __future__ import annotations

import copy
import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

from meldpunt.celery import app
from reports.models import AnnualReport, StatisticsRun
from reports.services.reports import run_scheduled_slot
from tests.reports.rendering.year import hand_made_year

pytestmark = pytest.mark.integration

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC
SLOT_2021 = datetime.datetime(2021, 1, 15, 3, 0, tzinfo=AMSTERDAM)
SLOT_2022 = datetime.datetime(2022, 1, 15, 3, 0, tzinfo=AMSTERDAM)
SCOPES = 13  # the office summary and Drenthe's 12 municipalities


def beat_schedule(now: datetime.datetime):
    """The configured crontab, on the project's Celery app, with a fixed clock."""
    schedule = copy.copy(settings.CELERY_BEAT_SCHEDULE["annual-statistics"]["schedule"])
    schedule.app = app
    schedule.nowfun = lambda: now
    return schedule


def next_due(*, last_run_at: datetime.datetime, now: datetime.datetime) -> datetime.datetime:
    return now + beat_schedule(now).remaining_estimate(last_run_at)


def test_the_app_runs_beat_in_amsterdam_time():
    assert str(app.timezone) == "Europe/Amsterdam"
    assert settings.CELERY_BEAT_SCHEDULE["annual-statistics"]["task"] == (
        "reports.tasks.run_scheduled_annual_statistics")


def test_due_at_the_slot_and_not_before():
    last = datetime.datetime(2020, 1, 15, 3, 0, 1, tzinfo=AMSTERDAM)
    before = datetime.datetime(2021, 1, 15, 2, 59, 30, tzinfo=AMSTERDAM)
    after = datetime.datetime(2021, 1, 15, 3, 0, 2, tzinfo=AMSTERDAM)

    due, check_again = beat_schedule(before).is_due(last)
    assert (due, check_again) == (False, 30.0)
    assert next_due(last_run_at=last, now=before) == SLOT_2021
    assert beat_schedule(after).is_due(last)[0] is True
    # 02:00 UTC on 15 January is 03:00 in Amsterdam (CET, UTC+1).
    assert SLOT_2021.astimezone(UTC) == datetime.datetime(2021, 1, 15, 2, 0, tzinfo=UTC)
    assert beat_schedule(datetime.datetime(2021, 1, 15, 1, 59, tzinfo=UTC)).is_due(last)[0] is (
        False)
    assert beat_schedule(datetime.datetime(2021, 1, 15, 2, 0, 1, tzinfo=UTC)).is_due(last)[0] is (
        True)


def test_not_due_again_after_running_the_slot():
    ran = datetime.datetime(2021, 1, 15, 3, 0, 1, tzinfo=AMSTERDAM)

    for now in (ran + datetime.timedelta(seconds=5), ran + datetime.timedelta(hours=1),
                datetime.datetime(2021, 1, 16, 3, 0, 1, tzinfo=AMSTERDAM)):
        due, _check_again = beat_schedule(now).is_due(ran)
        assert due is False, now
        assert next_due(last_run_at=ran, now=now) == SLOT_2022, now


@pytest.mark.parametrize("now", [
    # Just before and after the spring change (02:00 CET -> 03:00 CEST, 28 March 2021).
    datetime.datetime(2021, 3, 28, 0, 59, tzinfo=UTC),
    datetime.datetime(2021, 3, 28, 1, 1, tzinfo=UTC),
    # Just before and after the autumn change (03:00 CEST -> 02:00 CET, 31 October 2021), and
    # the repeated hour itself.
    datetime.datetime(2021, 10, 31, 0, 30, tzinfo=UTC),
    datetime.datetime(2021, 10, 31, 1, 30, tzinfo=UTC),
    datetime.datetime(2021, 10, 31, 2, 30, tzinfo=UTC),
    # Summer, and just before the next slot.
    datetime.datetime(2021, 7, 1, 12, 0, tzinfo=UTC),
    datetime.datetime(2022, 1, 15, 1, 59, tzinfo=UTC),
])
def test_next_due_is_15_january_03_00_local_across_dst(now):
    last = datetime.datetime(2021, 1, 15, 3, 0, 1, tzinfo=AMSTERDAM)

    due_at = next_due(last_run_at=last, now=now)

    assert due_at == SLOT_2022
    assert due_at.astimezone(AMSTERDAM).replace(tzinfo=None) == datetime.datetime(
        2022, 1, 15, 3, 0)
    assert due_at.astimezone(UTC) == datetime.datetime(2022, 1, 15, 2, 0, tzinfo=UTC)
    assert beat_schedule(now).is_due(last)[0] is False


def test_running_the_slot_twice_makes_one_run_and_one_version_per_scope(
        committed_reference_data):
    hand_made_year()
    now = SLOT_2021 + datetime.timedelta(seconds=3)

    run_scheduled_slot(now=now)
    run_scheduled_slot(now=now + datetime.timedelta(minutes=10))  # a retried task

    run = StatisticsRun.objects.get()
    assert (run.slot, run.year, run.state) == (SLOT_2021, 2020, "succeeded")
    assert AnnualReport.objects.count() == SCOPES
    assert set(AnnualReport.objects.values_list("version", flat=True)) == {1}


def test_two_beats_at_once_make_one_run_and_one_version_per_scope(committed_reference_data):
    hand_made_year()
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(run_scheduled_slot(now=SLOT_2021 + datetime.timedelta(seconds=1)))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(results) == 2
    run = StatisticsRun.objects.get()
    assert (run.slot, run.year, run.state) == (SLOT_2021, 2020, "succeeded")
    assert sorted(results) == [
        f"slot 2021-01-15T03:00:00+01:00: MDD 2020: run {run.pk}, 0 new versions",
        f"slot 2021-01-15T03:00:00+01:00: MDD 2020: run {run.pk}, 13 new versions"]
    assert AnnualReport.objects.count() == SCOPES
    assert sorted(AnnualReport.objects.values_list("scope", "version"))[:2] == [
        ("GM0106", 1), ("GM0109", 1)]
    assert set(AnnualReport.objects.values_list("version", flat=True)) == {1}
