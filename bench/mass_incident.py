"""Benchmark of one national mass report: 5,000 reports grouped, replied to and closed.

Run by hand (not part of the test suite), against a dedicated PostgreSQL database (created
when missing; the complaint tables are truncated, so its name must contain ``bench``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_mass2_bench \\
        .venv/bin/python bench/mass_incident.py [--reports 5000]

Steps, each timed (wall clock) and with its queries counted (an execute wrapper):

1. load ``--reports`` synthetic reports with ``COPY`` (the generator of
   ``bench/annual_statistics.py``), all ``in_progress`` at the default desk, classified, two
   thirds with an e-mail address, half of those with consent to contact;
2. group them into one new mass report (``group_into_incident``, a ``CaseJob`` of kind group);
3. reply to all (``reply_to_all``: a portal message per report, an outbox e-mail where the
   reporter consented);
4. close all (``close_incident``: handling and outcome recorded, status closed).

The jobs run through the Celery task ``reports.tasks.run_case_job`` called as the worker calls
it (``task.apply(args=[job_id])``: the task's own wrapper, in this process) rather than in a
separate worker process, so that the queries can be counted; the work per case is the same.
The actor is an office coordinator (works across desks). Synthetic data only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (str(ROOT), str(ROOT / "bench")):
    if path not in sys.path:
        sys.path.insert(0, path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Queued tasks (the jobs' own publication, the outbox's sending) go to an in-process broker that
# nobody consumes: the jobs are run below, and no e-mail leaves the machine.
os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

import annual_statistics as helpers  # noqa: E402 (sets Django up)
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from reports.models import (  # noqa: E402
    CaseJob,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    Message,
    OutboundEmail,
)
from reports.services.accounts import create_staff_user  # noqa: E402
from reports.services.desks import default_desk  # noqa: E402
from reports.services.incidents import (  # noqa: E402
    close_incident,
    create_incident,
    group_into_incident,
    reply_to_all,
)
from reports.tasks import run_case_job  # noqa: E402
from reports.vocabulary import ContactType, Status  # noqa: E402


def load(*, n: int) -> None:
    """Replace every complaint with ``n`` synthetic open reports at the default desk."""
    office = helpers.prepare_schema()
    desk = default_desk(office=office)
    data = helpers.synthetic_data(n=n, office=office, places=helpers.Places.for_office(office))
    layout = helpers.ComplaintColumns.from_model()
    for index, row in enumerate(data.complaints):
        row.update(status=Status.IN_PROGRESS, contact_type=ContactType.REPORT, desk=desk.pk,
                   reporter_email=f"reporter{row['id']}@example.org" if index % 3 else "",
                   consent_to_contact=index % 3 != 0 and index % 2 == 0)
    table = Complaint._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}, {ComplaintGround._meta.db_table}, "
                       f"{ComplaintHandling._meta.db_table}, {CaseJob._meta.db_table}, "
                       f"{OutboundEmail._meta.db_table} RESTART IDENTITY CASCADE")
        # Every value through its field (encrypted fields are encrypted, as the ORM stores them).
        fields = [Complaint._meta.get_field(name) for name in layout.names]
        helpers._copy(table, layout.columns, (
            tuple(field.get_db_prep_save(value, connection) if field.name in c else value
                  for field, value in zip(fields, layout.row(c), strict=True))
            for c in data.complaints))
        helpers._copy(ComplaintGround._meta.db_table, ["complaint_id", "code"], data.grounds)
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, n])
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


def timed(label: str, function, *, cases: int, results: list) -> object:  # type: ignore[no-untyped-def]
    """Run ``function`` once; record wall seconds and queries (per case) under ``label``.

    Queries are counted with an execute wrapper (Django's query log keeps only the last 9,000).
    """
    count = [0]

    def counter(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        value = function()
        seconds = time.perf_counter() - start
    results.append((label, seconds, count[0], count[0] / cases if cases else 0))
    print(f"{label}: {seconds:.1f} s, {count[0]} queries "
          f"({count[0] / cases:.1f} per case)", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5000)
    args = parser.parse_args()
    helpers.ensure_database(allow_any_name=False)
    n = args.reports
    print(f"load average before: {os.getloadavg()}", flush=True)
    results: list = []
    timed("load (COPY)", lambda: load(n=n), cases=n, results=results)
    user_model = get_user_model()
    actor = (user_model.objects.filter(username="bench_national").first()
             or create_staff_user(username="bench_national", role="office_coordinator"))
    office = helpers.current_office()
    with transaction.atomic():
        incident = create_incident(office=office, actor=actor, title="Uitzending (bench)")
        job = group_into_incident(incident=incident, actor=actor,
                                  complaints=list(Complaint.objects.only("pk")))

    def run(job_id: int) -> CaseJob:
        run_case_job.apply(args=[job_id]).get()
        return CaseJob.objects.get(pk=job_id)

    done = timed("group into the mass report", lambda: run(job.pk), cases=n, results=results)
    assert isinstance(done, CaseJob) and done.changed == n, done
    ComplaintHandling.objects.bulk_create(
        [ComplaintHandling(complaint_id=pk, code="registration")
         for pk in Complaint.objects.values_list("pk", flat=True)], ignore_conflicts=True)
    job = reply_to_all(incident=incident, actor=actor, body="Wij hebben uw melding ontvangen.")
    done = timed("reply to all", lambda: run(job.pk), cases=n, results=results)
    assert isinstance(done, CaseJob) and done.changed == n, done
    print(f"  messages: {Message.objects.count()}, outbox e-mails (consent): "
          f"{OutboundEmail.objects.count()}, with consent and address: "
          f"{Complaint.objects.filter(consent_to_contact=True).exclude(reporter_email='').count()}")
    job = close_incident(incident=incident, actor=actor, outcome="referred",
                         handling=["registration"])
    done = timed("close all", lambda: run(job.pk), cases=n, results=results)
    assert isinstance(done, CaseJob) and done.changed == n, (done.changed, done.skipped[:3])
    print(f"load average after: {os.getloadavg()}")
    print("\n| step | wall time | queries | per case |\n| --- | --- | --- | --- |")
    for label, seconds, count, per_case in results:
        print(f"| {label} | {seconds:.1f} s | {count} | {per_case:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
