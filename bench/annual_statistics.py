"""Benchmark of the annual statistics counting against one hand-written SQL statement.

Run by hand (this is not part of the test suite), against a dedicated PostgreSQL database::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench \\
        .venv/bin/python bench/annual_statistics.py [--sizes 10000 100000] [--national] [--debug]

The script creates the database when it is missing, runs ``migrate`` and ``load_reference_data``
and then, for every size N: wipes the complaint tables, loads N synthetic complaints with
``COPY`` (deterministic, seeded), runs ``VACUUM ANALYZE`` and measures

* the job, ``count_annual_forms(office=..., year=2020)``: wall time (best and median of
  ``--repeat`` runs) and the peak of Python memory (``tracemalloc``) during one call;
* one hand-written SQL statement computing the same cells, executed with ``cursor.execute`` and
  ``fetchall``; its cells must equal the job's cells exactly, or the script fails;
* the whole ``execute_statistics_run``, including storing the snapshots.

It prints a Markdown report and writes it into ``docs/benchmarks.md`` (between the markers, so
that hand-written text outside them survives a rerun). Because every size starts by truncating
the complaint tables, it refuses to run on a database whose name does not contain ``bench``.
``--national`` makes the office serve every current municipality (342, a national office) instead
of the configured ones, to measure the counting's fixed cost and memory with many forms.
Synthetic data only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import re
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")
# Benchmark like production: no query log kept in memory, no chatter from the job's logger.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from psycopg import sql as pgsql  # noqa: E402

from reports.models import (  # noqa: E402
    AnnualSnapshot,
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    Municipality,
    Office,
    StatisticsRun,
)
from reports.selectors.reference import annual_form_municipalities, merger_map  # noqa: E402
from reports.selectors.statistics import (  # noqa: E402
    Form,
    count_annual_forms,
    counted_complaints,
)
from reports.services.reference import current_office, load_reference_data  # noqa: E402
from reports.services.statistics import execute_statistics_run  # noqa: E402
from reports.timezones import AMSTERDAM  # noqa: E402
from reports.vocabulary import (  # noqa: E402
    Channel,
    ContactType,
    Ground,
    Handling,
    Nature,
    SocietalDomain,
    Status,
)

YEAR = 2020
SEED = 20200101
DEFAULT_SIZES = (10_000, 100_000)
TARGET_RATIO = 2.0
DOC_PATH = ROOT / "docs" / "benchmarks.md"
BEGIN_MARKER = "<!-- BEGIN bench/annual_statistics.py: generated, rerun the script to refresh -->"
END_MARKER = "<!-- END bench/annual_statistics.py -->"
RERUN_COMMAND = ("DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench \\\n"
                 "    .venv/bin/python bench/annual_statistics.py --sizes 10000 100000")

#: One cell group of the form: (municipality, table, row) -> (resident_here,
#: resident_elsewhere, non_resident_here). Only groups with a non-zero count are kept.
Cells = dict[tuple[str, str, str], tuple[int, int, int]]

WORDS = ("melding", "incident", "buurt", "werk", "school", "winkel", "opmerking", "bus",
         "sollicitatie", "huurwoning", "verenigingen", "collega", "klant", "portier", "online",
         "bericht", "uitgescholden", "geweigerd", "behandeld", "gemeente", "politie", "sport")


# --------------------------------------------------------------------------------------------
# Database preparation
# --------------------------------------------------------------------------------------------

def ensure_database(*, allow_any_name: bool, recreate: bool = False) -> str:
    """Check that the default database is a PostgreSQL benchmark database; create it if missing.

    Args:
        allow_any_name: skip the check that the database name contains ``bench``.
        recreate: drop the database first (for instance after a migration was rewritten).

    Returns:
        The database name.

    Raises:
        SystemExit: the database is not PostgreSQL, or its name does not look like a benchmark
            database (every size truncates the complaint tables).
    """
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"Refusing to run: the benchmark needs PostgreSQL, not {db['ENGINE']}. "
                         "Set DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench")
    name = db["NAME"]
    if "bench" not in name and not allow_any_name:
        raise SystemExit(f"Refusing to run on database {name!r}: this script truncates the "
                         "complaint tables. Use a dedicated database such as meldpunt_bench.")
    params = {"dbname": "postgres", "user": db.get("USER"), "password": db.get("PASSWORD"),
              "host": db.get("HOST"), "port": db.get("PORT")}
    params = {key: str(value) for key, value in params.items() if value}
    with psycopg.connect(**params, autocommit=True) as admin:
        if recreate:
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                          .format(pgsql.Identifier(name)))
            print(f"Dropped database {name}.")
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
            print(f"Created database {name}.")
    return name


def prepare_schema(*, national: bool = False) -> Office:
    """Migrate the database and load the reference data; return the configured office.

    With ``national``, the office serves every current municipality (a national office) instead
    of its configured ones (``load_reference_data`` restores those on the next run without it).
    """
    call_command("migrate", verbosity=0, interactive=False)
    load_reference_data()
    office = current_office()
    if national:
        office.municipalities.set(Municipality.objects.filter(dissolved_on__isnull=True))
    return office


# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Places:
    """The municipality codes synthetic complaints draw from."""

    served: tuple[str, ...]
    elsewhere: tuple[str, ...]
    dissolved: tuple[str, ...]

    @classmethod
    def for_office(cls, office: Office) -> Places:
        """Served codes of ``office``, other current codes, and codes dissolved by a merger."""
        served = tuple(sorted(office.municipalities.values_list("code", flat=True)))
        current = Municipality.objects.filter(dissolved_on__isnull=True).exclude(code__in=served)
        dissolved = Municipality.objects.filter(dissolved_on__isnull=False)
        return cls(served=served,
                   elsewhere=tuple(sorted(current.values_list("code", flat=True))),
                   dissolved=tuple(sorted(dissolved.values_list("code", flat=True))))

    def pick(self, rng: random.Random, weights: tuple[float, float, float, float]) -> str | None:
        """A served, elsewhere, dissolved (old) or unknown (``None``) code, by ``weights``.

        A kind without codes (``elsewhere`` for a national office) is never picked.
        """
        kinds = ("served", "elsewhere", "dissolved", "unknown")
        available = [w if kind == "unknown" or getattr(self, kind) else 0.0
                     for kind, w in zip(kinds, weights, strict=True)]
        kind = rng.choices(kinds, available)[0]
        if kind == "unknown":
            return None
        return rng.choice(getattr(self, kind))


@dataclass
class SyntheticData:
    """Rows to ``COPY`` into the complaint, ground and handling tables."""

    complaints: list[dict[str, Any]] = field(default_factory=list)
    grounds: list[tuple[int, str]] = field(default_factory=list)
    handling: list[tuple[int, str]] = field(default_factory=list)
    last_number: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ComplaintColumns:
    """Every concrete column of ``Complaint``, with the value a synthetic row gets by default.

    Read from the model and the table, so that columns added later get their model default
    instead of breaking the ``COPY`` (and fields still waiting for a migration are left out).
    """

    names: tuple[str, ...]
    columns: tuple[str, ...]
    defaults: dict[str, Any]

    @classmethod
    def from_model(cls) -> ComplaintColumns:
        """The columns of ``Complaint`` that both the model and the database table have."""
        with connection.cursor() as cursor:
            in_table = {column.name for column in connection.introspection.get_table_description(
                cursor, Complaint._meta.db_table)}
        fields = [f for f in Complaint._meta.concrete_fields if f.column in in_table]
        return cls(names=tuple(f.name for f in fields), columns=tuple(f.column for f in fields),
                   defaults={f.name: f.get_db_prep_save(f.get_default(), connection)
                             for f in fields})

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """One row in column order: ``values`` where given, the model default elsewhere."""
        return tuple(values[name] if name in values else self.defaults[name]
                     for name in self.names)


def _received_at(rng: random.Random) -> datetime.datetime:
    """A moment mostly in 2020, some in 2019 and 2021, 1% within 3 hours of a New Year."""
    if rng.random() < 0.01:
        boundary = datetime.datetime(rng.choice((YEAR, YEAR + 1)), 1, 1, tzinfo=AMSTERDAM)
        moment = boundary + datetime.timedelta(seconds=rng.randint(-3 * 3600, 3 * 3600))
    else:
        year = rng.choices((YEAR - 1, YEAR, YEAR + 1), (0.075, 0.85, 0.075))[0]
        start = datetime.datetime(year, 1, 1, tzinfo=AMSTERDAM).astimezone(datetime.UTC)
        end = datetime.datetime(year + 1, 1, 1, tzinfo=AMSTERDAM).astimezone(datetime.UTC)
        moment = start + datetime.timedelta(
            seconds=rng.randrange(int((end - start).total_seconds())))
    return moment.astimezone(datetime.UTC)


def synthetic_data(*, n: int, office: Office, places: Places, seed: int = SEED) -> SyntheticData:
    """Generate ``n`` complaints deterministically (same ``seed``, same rows).

    The mix: 85% received in 2020 (Europe/Amsterdam), the rest in 2019/2021, 1% near a New Year;
    30% complaints, 60% reports, 10% information requests; 5% rejected, the other statuses
    equally often. Columns not set here get their model default. Residences and incident
    places come from the office's municipalities, other municipalities, dissolved (merged) codes
    or are unknown; half of the residents of a served municipality report an incident in their
    own municipality. 10% are unclassified (no grounds, domain, nature or handling); the others
    have 0-3 grounds and 0-2 handling codes, and 8% of them lack a domain or a nature.
    Case numbers are ``<office>-<year>-<six digits>``, in order of receipt per year.
    """
    rng = random.Random(seed)
    grounds, handlings = list(Ground.values), list(Handling.values)
    domains, natures, channels = SocietalDomain.values, Nature.values, Channel.values
    contact_types = (ContactType.COMPLAINT, ContactType.REPORT, ContactType.INFORMATION_REQUEST)
    # 5% rejected; the other statuses of the workflow share the rest equally.
    statuses = list(Status.values)
    status_weights = [0.05 if status == Status.REJECTED else 0.95 / (len(statuses) - 1)
                      for status in statuses]
    data = SyntheticData()
    for pk, received in enumerate(sorted(_received_at(rng) for _ in range(n)), start=1):
        local_year = received.astimezone(AMSTERDAM).year
        data.last_number[local_year] = number = data.last_number.get(local_year, 0) + 1
        residence = places.pick(rng, (0.62, 0.15, 0.05, 0.18))
        if residence in places.served and rng.random() < 0.5:
            incident = residence
        else:
            incident = places.pick(rng, (0.45, 0.15, 0.05, 0.35))
        unclassified = rng.random() < 0.10
        domain = nature = ""
        if not unclassified:
            for code in rng.sample(grounds, rng.choices((0, 1, 2, 3), (0.1, 0.6, 0.22, 0.08))[0]):
                data.grounds.append((pk, code))
            for code in rng.sample(handlings, rng.choices((0, 1, 2), (0.3, 0.5, 0.2))[0]):
                data.handling.append((pk, code))
            domain = "" if rng.random() < 0.08 else rng.choice(domains)
            nature = "" if rng.random() < 0.08 else rng.choice(natures)
        anonymous = rng.random() < 0.4
        incident_date = (None if rng.random() < 0.2
                         else (received - datetime.timedelta(days=rng.randint(0, 30))).date())
        data.complaints.append({
            "id": pk, "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "office": office.pk, "case_number": f"{office.code}-{local_year}-{number:06d}",
            "external_reference": "", "received_at": received, "channel": rng.choice(channels),
            "contact_type": rng.choices(contact_types, (0.3, 0.6, 0.1))[0],
            "status": rng.choices(statuses, status_weights)[0],
            "reporter_name": "" if anonymous else f"Synthetic reporter {pk}",
            "reporter_email": "" if anonymous else f"reporter{pk}@example.org",
            "reporter_phone": "", "reporter_residence": residence,
            "consent_to_contact": not anonymous and rng.random() < 0.7,
            "incident_date": incident_date, "incident_municipality": incident,
            # The check constraint: "municipality" exactly when one is set.
            "incident_place": "municipality" if incident else "unknown",
            "description": " ".join(rng.choices(WORDS, k=rng.randint(20, 80))),
            "societal_domain": domain, "nature": nature, "assigned_to": None,
            "created_at": received, "updated_at": received,
        })
    return data


def _copy(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """``COPY`` ``rows`` into ``table`` through Django's connection (psycopg 3)."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def load_complaints(*, n: int, office: Office, places: Places) -> None:
    """Replace all complaints (and the office's statistics runs) with ``n`` synthetic ones.

    Truncates the complaint tables (cascading to history, notes and object permissions),
    copies the synthetic rows in, moves the id and case number sequences past them and runs
    ``VACUUM ANALYZE`` so that the planner sees fresh statistics.
    """
    data = synthetic_data(n=n, office=office, places=places)
    complaint_table = Complaint._meta.db_table
    ground_table, handling_table = ComplaintGround._meta.db_table, ComplaintHandling._meta.db_table
    layout = ComplaintColumns.from_model()
    with transaction.atomic():
        AnnualSnapshot.objects.filter(office=office).delete()
        StatisticsRun.objects.filter(office=office).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {complaint_table}, {ground_table}, {handling_table} "
                           "RESTART IDENTITY CASCADE")
        _copy(complaint_table, layout.columns, (layout.row(c) for c in data.complaints))
        _copy(ground_table, ["complaint_id", "code"], data.grounds)
        _copy(handling_table, ["complaint_id", "code"], data.handling)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                           [complaint_table, max(n, 1)])
        CaseNumberSequence.objects.filter(office=office).delete()
        CaseNumberSequence.objects.bulk_create(
            [CaseNumberSequence(office=office, year=year, last_number=last)
             for year, last in sorted(data.last_number.items())])
    with connection.cursor() as cursor:
        for table in (complaint_table, ground_table, handling_table):
            cursor.execute(f"VACUUM ANALYZE {table}")


# --------------------------------------------------------------------------------------------
# The hand-written statement and the comparison of cells
# --------------------------------------------------------------------------------------------

HANDWRITTEN_SQL = """
WITH merger(former, successor) AS (VALUES {mergers}),
counted AS MATERIALIZED (
    -- The counted complaints touching a served municipality (after mergers). res_code: the
    -- served residence, else NULL; inc_code: the served incident place if it differs from the
    -- residence, else NULL; here: the incident happened in the municipality of residence.
    SELECT p.id, p.societal_domain, p.nature,
           CASE WHEN p.res = ANY(%(served)s) THEN p.res END AS res_code,
           CASE WHEN p.inc = ANY(%(served)s) AND p.inc IS DISTINCT FROM p.res
                THEN p.inc END AS inc_code,
           p.inc IS NOT DISTINCT FROM p.res AS here
    FROM (
        SELECT c.id, c.societal_domain, c.nature,
               COALESCE(mr.successor, c.reporter_residence_id) AS res,
               COALESCE(mi.successor, c.incident_municipality_id) AS inc
        FROM reports_complaint AS c
        LEFT JOIN merger AS mr ON mr.former = c.reporter_residence_id
        LEFT JOIN merger AS mi ON mi.former = c.incident_municipality_id
        WHERE c.office_id = %(office)s
          AND c.received_at >= make_timestamptz(%(year)s, 1, 1, 0, 0, 0, 'Europe/Amsterdam')
          AND c.received_at < make_timestamptz(%(year)s + 1, 1, 1, 0, 0, 0, 'Europe/Amsterdam')
          AND c.contact_type IN ('complaint', 'report')
          AND c.status <> 'rejected'
    ) AS p
    WHERE p.res = ANY(%(served)s) OR p.inc = ANY(%(served)s)
),
grouped(res_code, inc_code, here, tbl, row_code, n) AS (
    SELECT res_code, inc_code, here, 'total', 'total', count(*)
    FROM counted GROUP BY 1, 2, 3
    UNION ALL
    SELECT res_code, inc_code, here, 'societal_domain',
           COALESCE(NULLIF(societal_domain, ''), 'unknown'), count(*)
    FROM counted GROUP BY 1, 2, 3, 5
    UNION ALL
    SELECT res_code, inc_code, here, 'nature', COALESCE(NULLIF(nature, ''), 'unknown'), count(*)
    FROM counted GROUP BY 1, 2, 3, 5
    UNION ALL
    SELECT c.res_code, c.inc_code, c.here, 'ground', COALESCE(g.code, 'unknown'), count(*)
    FROM counted AS c LEFT JOIN reports_complaintground AS g ON g.complaint_id = c.id
    GROUP BY 1, 2, 3, 5
    UNION ALL
    SELECT c.res_code, c.inc_code, c.here, 'handling', h.code, count(*)
    FROM counted AS c JOIN reports_complainthandling AS h ON h.complaint_id = c.id
    GROUP BY 1, 2, 3, 5
)
-- Each group lands in at most two cells: its residence's resident_here (col 1) or
-- resident_elsewhere (col 2), and its incident place's non_resident_here (col 3).
SELECT place.code, g.tbl, g.row_code,
       COALESCE(sum(g.n) FILTER (WHERE place.col = 1), 0)::bigint AS resident_here,
       COALESCE(sum(g.n) FILTER (WHERE place.col = 2), 0)::bigint AS resident_elsewhere,
       COALESCE(sum(g.n) FILTER (WHERE place.col = 3), 0)::bigint AS non_resident_here
FROM grouped AS g
CROSS JOIN LATERAL (VALUES (g.res_code, CASE WHEN g.here THEN 1 ELSE 2 END), (g.inc_code, 3))
    AS place(code, col)
WHERE place.code IS NOT NULL
GROUP BY place.code, g.tbl, g.row_code
"""


def handwritten_statement(*, office: Office, year: int) -> tuple[str, dict[str, Any]]:
    """The single hand-written statement for ``office`` and ``year``, with its parameters.

    The municipalities with a form that year (``annual_form_municipalities``) are passed as an
    array and the merger mapping (``merger_map(year=year)``) is inlined as a ``VALUES`` list;
    PostgreSQL computes the year bounds in Europe/Amsterdam itself.
    """
    merged = merger_map(year=year)
    params: dict[str, Any] = {
        "office": office.pk, "year": year,
        "served": sorted(annual_form_municipalities(office=office, year=year, mapping=merged)),
    }
    mapping = sorted(merged.items())
    for i, (former, successor) in enumerate(mapping):
        params[f"f{i}"], params[f"t{i}"] = former, successor
    mergers = (", ".join(f"(%(f{i})s, %(t{i})s)" for i in range(len(mapping)))
               or "(NULL::varchar, NULL::varchar)")
    return HANDWRITTEN_SQL.format(mergers=mergers), params


def run_statement(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Execute ``sql`` and fetch all its rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def statement_cells(rows: list[tuple[Any, ...]]) -> Cells:
    """The cells of the hand-written statement's result rows."""
    return {(code, table, row): (here, elsewhere, non_resident)
            for code, table, row, here, elsewhere, non_resident in rows}


def form_cells(forms: dict[str, Form]) -> Cells:
    """The counted (non-derived, non-zero) cells of ``count_annual_forms``' result.

    Leaves out the derived columns (``resident_total``, ``total``) and every table's ``total``
    row except table 1's, whose only row is ``total``.
    """
    cells: Cells = {}
    for code, form in forms.items():
        for table, rows in form.items():
            for row, counts in rows.items():
                if row == "total" and table != "total":
                    continue
                triple = (counts["resident_here"], counts["resident_elsewhere"],
                          counts["non_resident_here"])
                if any(triple):
                    cells[(code, table, row)] = triple
    return cells


def assert_same_cells(job: Cells, statement: Cells) -> None:
    """Fail loudly when the job and the hand-written statement disagree on any cell."""
    if job == statement:
        return
    keys = sorted(set(job) | set(statement))
    differing = [(key, job.get(key), statement.get(key)) for key in keys
                 if job.get(key) != statement.get(key)]
    lines = [f"  {key}: job={mine} statement={theirs}" for key, mine, theirs in differing[:25]]
    raise AssertionError(f"count_annual_forms and the hand-written SQL differ in "
                         f"{len(differing)} cell groups:\n" + "\n".join(lines))


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    """Wall times of repeated calls, in seconds."""

    samples: tuple[float, ...]

    @property
    def best(self) -> float:
        """The fastest run."""
        return min(self.samples)

    @property
    def median(self) -> float:
        """The median run."""
        return median(self.samples)


def time_calls(function: Callable[[], Any], *, repeat: int,
               before: Callable[[], Any] | None = None) -> Timing:
    """Call ``function`` ``repeat`` times and time each call (``before`` runs untimed)."""
    samples = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


def peak_memory_kib(function: Callable[[], Any]) -> float:
    """Peak Python memory (``tracemalloc``) allocated while ``function`` runs, in KiB."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - baseline) / 1024


@dataclass(frozen=True)
class SizeResult:
    """The figures of one benchmark size."""

    size: int
    counted: int
    cell_groups: int
    job_queries: int
    job_rows: int
    load_average: float
    job: Timing
    statement: Timing
    run: Timing
    job_peak_kib: float
    statement_peak_kib: float
    run_peak_kib: float

    @property
    def ratio_best(self) -> float:
        """Job time over statement time, best runs."""
        return self.job.best / self.statement.best

    @property
    def ratio_median(self) -> float:
        """Job time over statement time, median runs."""
        return self.job.median / self.statement.median


def rows_fetched(function: Callable[[], Any]) -> tuple[int, int]:
    """The number of queries ``function`` runs and the result rows they return, in total.

    Server-side cursors are switched off meanwhile, so that rows a ``QuerySet.iterator()``
    streams are counted too (the cursor then reports them after ``execute``).
    """
    counts = [0, 0]
    settings_dict = connection.settings_dict
    disabled = settings_dict.get("DISABLE_SERVER_SIDE_CURSORS", False)

    def count_rows(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                   context: dict[str, Any]) -> Any:
        result = execute(sql, params, many, context)
        counts[0] += 1
        counts[1] += max(context["cursor"].rowcount, 0)
        return result

    settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        with connection.execute_wrapper(count_rows):
            function()
    finally:
        settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = disabled
    return counts[0], counts[1]


def explain(sql: str, params: dict[str, Any] | None = None) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` output of ``sql``."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(line for (line,) in cursor.fetchall())


def debug_queries(*, office: Office, sql: str, params: dict[str, Any]) -> None:
    """Print every query the job runs, with its plan, and the hand-written statement's plan."""
    with CaptureQueriesContext(connection) as captured:
        count_annual_forms(office=office, year=YEAR)
    for number, query in enumerate(captured.captured_queries, start=1):
        print(f"\n--- job query {number} ({query['time']} s) ---\n{query['sql']}")
        if query["sql"].lstrip().upper().startswith("SELECT"):
            print(explain(query["sql"]))
    print(f"\n--- hand-written statement ---\n{explain(sql, params)}")


def measure_size(*, size: int, office: Office, places: Places, repeat: int,
                 debug: bool) -> SizeResult:
    """Load ``size`` complaints, check the job against the statement and time both."""
    started = time.perf_counter()
    load_complaints(n=size, office=office, places=places)
    print(f"\nLoaded {size:,} synthetic complaints in {time.perf_counter() - started:.1f} s.")
    office = Office.objects.get(pk=office.pk)
    sql, params = handwritten_statement(office=office, year=YEAR)

    job_cells = form_cells(count_annual_forms(office=office, year=YEAR))  # also warms the cache
    sql_cells = statement_cells(run_statement(sql, params))
    assert_same_cells(job_cells, sql_cells)
    print(f"Cells agree: {len(job_cells)} non-zero cell groups.")
    if debug:
        debug_queries(office=office, sql=sql, params=params)

    def job() -> None:
        count_annual_forms(office=office, year=YEAR)

    def statement() -> None:
        run_statement(sql, params)

    run_ids: list[int] = []

    def new_run() -> None:
        run_ids.append(StatisticsRun.objects.create(office=office, year=YEAR).pk)

    def full_run() -> None:
        execute_statistics_run(run_id=run_ids[-1])

    job_samples: list[float] = []
    statement_samples: list[float] = []
    for _ in range(repeat):  # interleaved, so that drift affects both alike
        job_samples += time_calls(job, repeat=1).samples
        statement_samples += time_calls(statement, repeat=1).samples
    run_timing = time_calls(full_run, repeat=repeat, before=new_run)
    stored = {s.municipality_id: s.data["tables"]
              for s in AnnualSnapshot.objects.filter(office=office, year=YEAR)}
    assert_same_cells(job_cells, form_cells(stored))  # execute_statistics_run stored them

    new_run()
    job_queries, job_rows = rows_fetched(job)
    return SizeResult(
        size=size, counted=counted_complaints(office=office, year=YEAR).count(),
        cell_groups=len(job_cells), job_queries=job_queries, job_rows=job_rows,
        load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0,
        job=Timing(tuple(job_samples)),
        statement=Timing(tuple(statement_samples)), run=run_timing,
        job_peak_kib=peak_memory_kib(job), statement_peak_kib=peak_memory_kib(statement),
        run_peak_kib=peak_memory_kib(full_run),
    )


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------

def machine_description() -> list[tuple[str, str]]:
    """Labelled facts about the machine, the database server and the software versions."""
    cpu = "unknown CPU"
    memory = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        if found := re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE):
            cpu = found.group(1).strip()
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        if found := re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE):
            memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    db = settings.DATABASES["default"]
    return [
        ("CPUs (nproc)", f"{cpus} × {cpu}"),
        ("Memory", memory),
        ("OS", platform.platform()),
        ("PostgreSQL", f"{server_version} on {db.get('HOST') or 'local socket'}, "
                       f"shared_buffers {shared_buffers}, same machine"),
        ("Python", platform.python_version()),
        ("Django / psycopg", f"{django.get_version()} / {psycopg.__version__}"),
    ]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def _memory_sentence(results: list[SizeResult]) -> str:
    """Whether the job's peak memory grew with the number of complaints, from the figures."""
    if len(results) < 2:
        return "Run at least two sizes to see whether the job's memory grows with N."
    small, large = min(results, key=lambda r: r.size), max(results, key=lambda r: r.size)
    growth = large.job_peak_kib / max(small.job_peak_kib, 1.0)
    rows = large.job_rows / max(small.job_rows, 1)
    scale = f"{large.size / small.size:g}× more complaints"
    if growth <= 1.5:
        return (f"The job's peak memory stays flat ({growth:.2f}× for {scale}): it fetches "
                f"{small.job_rows:,} and {large.job_rows:,} grouped rows, not complaints.")
    return (f"The job's peak memory grows {growth:.1f}× for {scale}. It never loads complaints; "
            f"the growth follows the grouped rows it fetches: {small.job_rows:,} at "
            f"{small.size:,} and {large.job_rows:,} ({rows:.1f}×) at {large.size:,}. Memory "
            "is bounded only if the number of distinct grouping keys is.")


def render_report(results: list[SizeResult], *, repeat: int, served: int = 12) -> str:
    """The Markdown report (the part of ``docs/benchmarks.md`` between the markers)."""
    met = all(result.ratio_best <= TARGET_RATIO for result in results)
    met_median = all(result.ratio_median <= TARGET_RATIO for result in results)
    date = datetime.datetime.now(AMSTERDAM).strftime("%Y-%m-%d %H:%M %Z")
    loads = ", ".join(f"{r.load_average:.1f} ({r.size:,})" for r in results)
    lines = [
        "## Annual statistics: `count_annual_forms` against one hand-written SQL statement",
        "",
        f"Measured {date} by `bench/annual_statistics.py` (registration year {YEAR}, "
        f"best and median of {repeat} runs, warm cache, office serving {served} "
        "municipalities).",
        "",
        *[f"- {label}: {value}" for label, value in machine_description()],
        f"- 1-minute load average after each size: {loads}",
        "",
        "| Complaints loaded | Counted in 2020 | Job best (ms) | Job median (ms) "
        "| SQL best (ms) | SQL median (ms) | Ratio best | Ratio median | Job peak (KiB) "
        "| SQL peak (KiB) | Job queries / rows fetched |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.size:,} | {r.counted:,} | {_ms(r.job.best)} | {_ms(r.job.median)} "
            f"| {_ms(r.statement.best)} | {_ms(r.statement.median)} | {r.ratio_best:.2f}× "
            f"| {r.ratio_median:.2f}× | {r.job_peak_kib:,.0f} | {r.statement_peak_kib:,.0f} "
            f"| {r.job_queries} / {r.job_rows:,} |")
    if met and met_median:
        verdict = "**met** for every size, on the best and on the median runs"
    elif met:
        verdict = "**met** for every size on the best runs, but not on the median runs"
    else:
        verdict = "**not met**: " + ", ".join(
            f"{r.ratio_best:.2f}× at {r.size:,}" for r in results if r.ratio_best > TARGET_RATIO)
    lines += [
        "",
        f"Target: the job takes at most {TARGET_RATIO:g}× the statement's time (best runs). "
        f"The target is {verdict}.",
        "",
        _memory_sentence(results),
        "",
        "The whole job, `execute_statistics_run` (counting, replacing the year's snapshots in one "
        "transaction and marking the run finished):",
        "",
        "| Complaints loaded | Best (ms) | Median (ms) | Peak (KiB) |",
        "|---:|---:|---:|---:|",
        *[f"| {r.size:,} | {_ms(r.run.best)} | {_ms(r.run.median)} | {r.run_peak_kib:,.0f} |"
          for r in results],
        "",
        "### Method",
        "",
        "- Each size starts from empty complaint tables and loads synthetic complaints with "
        "`COPY` (seeded, so every run loads the same rows), then runs `VACUUM ANALYZE`. "
        "85% are received in 2020 (Europe/Amsterdam), the rest in 2019 and 2021, 1% within "
        "three hours of a New Year. Residences and incident places are the served "
        "municipalities (Drenthe's 12, or with `--national` all 342 current ones), other "
        "municipalities, codes dissolved by a merger (such as GM0007) or "
        "unknown; 30% complaints, 60% reports, 10% information requests; 5% rejected; 10% "
        "unclassified, the others with 0-3 grounds and 0-2 handling codes.",
        "- *Job*: `count_annual_forms(office=..., year=2020)`, including its reads of the "
        "served municipalities and the merger map. *SQL*: one statement, executed with "
        "`cursor.execute` and `fetchall`: a materialized CTE of the counted complaints with "
        "their served residence and incident place (the merger map of 2020 inlined as "
        "`VALUES`, the year bounds computed by PostgreSQL in Europe/Amsterdam), one `GROUP BY` "
        "per table joined with `UNION ALL`, then each group placed in its cells. Before "
        "timing, the script asserts that both give exactly the same cells "
        f"({results[-1].cell_groups if results else 0} non-zero cell groups at the largest "
        "size) and that `execute_statistics_run` stores them; job and statement runs are "
        "interleaved. PostgreSQL may run the job's queries with parallel workers; the "
        "statement's materialized CTE keeps it on one process.",
        "- *Peak*: the peak of Python memory (`tracemalloc`) during one call, above what was "
        "allocated before it (memory inside libpq and the server is not included). "
        "*Rows fetched*: result rows of all the job's queries, as the cursor reports them "
        "after `execute`, counted in a separate call with server-side cursors switched off (so "
        "the rows `QuerySet.iterator()` streams are counted too).",
        "- The script sets `DEBUG=false` unless set, so Django keeps no query log. Timings on "
        "a shared machine are noisy; compare the ratio rather than the absolute times, and see "
        "the load average above.",
        "",
        "### How to rerun",
        "",
        "With PostgreSQL on 127.0.0.1:5432 (the script creates the database if it is missing and "
        "refuses a non-PostgreSQL database or a database name without `bench`, since it "
        "truncates the complaint tables):",
        "",
        "```sh",
        RERUN_COMMAND,
        "```",
        "",
        "`--repeat N` changes the number of timed runs; `--debug` prints every query of the job "
        "with `EXPLAIN (ANALYZE, BUFFERS)`, and the statement's plan; `--no-write` leaves this "
        "file alone; `--recreate` drops and recreates the database (after a migration changed). "
        "The script ends with a non-zero exit status if the cells differ.",
    ]
    return "\n".join(lines)


def write_doc(report: str, path: Path = DOC_PATH) -> None:
    """Put ``report`` between the markers of ``path``, keeping any text outside them."""
    block = f"{BEGIN_MARKER}\n{report}\n{END_MARKER}"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN_MARKER in existing and END_MARKER in existing:
        head, rest = existing.split(BEGIN_MARKER, 1)
        tail = rest.split(END_MARKER, 1)[1]
        text = f"{head}{block}{tail}"
    else:
        text = f"# Benchmarks\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        help="numbers of synthetic complaints to load, in turn")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--debug", action="store_true",
                        help="print the job's queries with EXPLAIN ANALYZE")
    parser.add_argument("--no-write", action="store_true",
                        help=f"do not update {DOC_PATH.relative_to(ROOT)}")
    parser.add_argument("--national", action="store_true",
                        help="the office serves every current municipality (342), not Drenthe's")
    parser.add_argument("--recreate", action="store_true",
                        help="drop and recreate the benchmark database first")
    parser.add_argument("--allow-any-database", action="store_true",
                        help="run even if the database name does not contain 'bench'")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    args = parse_args(argv)
    if args.repeat < 1 or any(size < 1 for size in args.sizes):
        raise SystemExit("--repeat and --sizes must be positive.")
    name = ensure_database(allow_any_name=args.allow_any_database, recreate=args.recreate)
    office = prepare_schema(national=args.national)
    places = Places.for_office(office)
    print(f"Database {name}; office {office.code} serves {len(places.served)} municipalities.")
    results = [measure_size(size=size, office=office, places=places, repeat=args.repeat,
                            debug=args.debug) for size in args.sizes]
    report = render_report(results, repeat=args.repeat, served=len(places.served))
    print(f"\n{report}")
    if not args.no_write:
        write_doc(report)
        print(f"\nWrote {DOC_PATH.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
