"""Running the annual statistics job and writing its files.

Flow: ``request_annual_statistics`` records a ``StatisticsRun`` and queues
``reports.tasks.build_annual_statistics`` after commit; the task calls ``execute_statistics_run``,
which counts in the database and replaces the year's snapshots in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.models import AnnualSnapshot, Municipality, Office, StatisticsRun
from reports.selectors.statistics import COLUMNS, count_annual_year, snapshots_for_year
from reports.types import User
from reports.vocabulary import FORM_TABLES

logger = logging.getLogger(__name__)
MIN_YEAR, MAX_YEAR = 2000, 2100


def _publish(task, run_id: int) -> None:
    """Queue ``task`` for a run; with the broker down the run stays ``queued`` (it can be
    started again from the back office) instead of failing the request."""
    try:
        task.delay(run_id)
    except Exception:
        if task.app.conf.task_always_eager:
            raise
        logger.warning("statistics run %s could not be queued (broker unavailable)", run_id)


def check_statistics_year(year: int) -> None:
    """Refuse a registration year the statistics cannot count.

    Raises:
        ValidationError: ``year`` is before 2000, after 2100 (code ``year``), or has not
            started yet in Europe/Amsterdam (code ``future_year``).
    """
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(_("Choose a year between %(min)d and %(max)d.")
                              % {"min": MIN_YEAR, "max": MAX_YEAR}, code="year")
    if year > timezone.localdate().year:
        raise ValidationError(_("The year %(year)d has not started yet.") % {"year": year},
                              code="future_year")


@transaction.atomic
def request_annual_statistics(*, office: Office, year: int,
                              actor: User | None = None) -> StatisticsRun:
    """Record a run for ``year`` and queue the job once the transaction commits.

    Raises:
        ValidationError: ``year`` is before 2000, after 2100, or has not started yet
            (Europe/Amsterdam).
    """
    from reports.tasks import build_annual_statistics

    check_statistics_year(year)
    run = StatisticsRun.objects.create(office=office, year=year, requested_by=actor)
    transaction.on_commit(lambda: _publish(build_annual_statistics, run.pk))
    return run


def execute_statistics_run(*, run_id: int) -> StatisticsRun:
    """Count the forms for a run and store them, replacing that year's snapshots.

    Idempotent and safe to retry: a finished run is left alone; an interrupted one is redone
    from scratch. The whole year is counted from one database state (``count_annual_forms``,
    a read-only transaction of its own, so this must be called outside a transaction for that
    guarantee); the replacement then happens in one write transaction under a lock on the
    office row, so concurrent or repeated runs never leave duplicate or half-written snapshots.
    """
    run = StatisticsRun.objects.get(pk=run_id)
    if run.state == StatisticsRun.State.SUCCEEDED:
        return run
    StatisticsRun.objects.filter(pk=run.pk).update(state=StatisticsRun.State.RUNNING,
                                                   started_at=timezone.now())
    try:
        # Counting reads one database state in its own read-only transaction (issue 10 §1);
        # storing is a separate write transaction afterwards.
        counted = count_annual_year(office=run.office, year=run.year)
        forms = counted.forms
        with transaction.atomic():
            # A no-key lock serialises the replacement without blocking new complaints that
            # reference the office (PostgreSQL FOR NO KEY UPDATE; a plain lock elsewhere).
            office = Office.objects.select_for_update(
                no_key=connection.features.has_select_for_no_key_update).get(pk=run.office_id)
            if (StatisticsRun.objects.filter(pk=run.pk).values_list("state", flat=True).get()
                    == StatisticsRun.State.SUCCEEDED):
                # Another worker executing the same run (a second beat) stored it meanwhile.
                run.refresh_from_db()
                return run
            AnnualSnapshot.objects.filter(office=office, year=run.year).delete()
            AnnualSnapshot.objects.bulk_create([
                AnnualSnapshot(office=office, year=run.year, municipality_id=code, run=run,
                               data={"tables": form})
                for code, form in sorted(forms.items())
            ])
            StatisticsRun.objects.filter(pk=run.pk).update(
                state=StatisticsRun.State.SUCCEEDED, finished_at=timezone.now(), error="",
                progress=len(forms), progress_total=len(forms), counted_cases=counted.cases,
                mass_reports=counted.mass_reports, mass_incidents=counted.mass_incidents)
    except Exception as exc:
        StatisticsRun.objects.filter(pk=run.pk).update(
            state=StatisticsRun.State.FAILED, finished_at=timezone.now(),
            error=type(exc).__name__)
        logger.exception("statistics run %s failed", run.pk)
        raise
    logger.info("statistics run %s stored %d forms for %d", run.pk, len(forms), run.year)
    run.refresh_from_db()
    return run


def form_document(*, snapshot: AnnualSnapshot) -> dict:
    """The JSON document of one stored form, tables and rows in the legal form's order.

    Shape: ``{"year": 2020, "office": str, "municipality": {"code": str, "name": str},
    "tables": {table: {row: {column: int}}}}``.
    """
    stored = snapshot.data["tables"]
    tables = {}
    for table, vocabulary in FORM_TABLES.items():
        rows = ["total"] if vocabulary is None else [*vocabulary.values, "total"]
        tables[table] = {row: {column: stored[table][row][column] for column in COLUMNS}
                         for row in rows}
    municipality: Municipality = snapshot.municipality
    return {"year": snapshot.year, "office": snapshot.office.name,
            "municipality": {"code": municipality.code, "name": municipality.name},
            "tables": tables}


def form_csv(*, document: dict) -> str:
    """The form as CSV: one line per table row, with the Dutch legal label.

    Columns: ``table,row,label,resident_here,resident_elsewhere,resident_total,
    non_resident_here,total``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "row", "label", *COLUMNS])
    with translation.override("nl"):
        for table, rows in document["tables"].items():
            vocabulary = FORM_TABLES[table]
            for row, counts in rows.items():
                label = (_("Total") if row == "total" or vocabulary is None
                         else str(vocabulary(row).label))
                writer.writerow([table, row, label, *(counts[c] for c in COLUMNS)])
    return buffer.getvalue()


def write_documents(*, documents: dict[str, dict], year: int, output_dir: Path,
                    to_csv: Callable[[dict], str]) -> list[Path]:
    """Write ``output_dir/<year>/<code>.json`` and ``.csv`` for each ``{code: document}``.

    Args:
        to_csv: renders one document as CSV text.

    Returns:
        The paths written, sorted.
    """
    target = Path(output_dir) / str(year)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for code, document in documents.items():
        json_path, csv_path = target / f"{code}.json", target / f"{code}.csv"
        json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
        csv_path.write_text(to_csv(document), encoding="utf-8")
        written += [json_path, csv_path]
    return sorted(written)


def write_annual_files(*, office: Office, year: int, output_dir: Path) -> list[Path]:
    """Write the exact forms of ``year``: ``output_dir/<year>/<CBS code>.json`` and ``.csv``.

    Returns:
        The paths written, sorted.
    """
    documents = {snapshot.municipality_id: form_document(snapshot=snapshot)
                 for snapshot in snapshots_for_year(office=office, year=year)}
    return write_documents(documents=documents, year=year, output_dir=output_dir,
                           to_csv=lambda document: form_csv(document=document))
