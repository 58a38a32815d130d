"""Counting the legal annual form (Regeling registratieformulier antidiscriminatievoorzieningen).

On PostgreSQL one statement (``_PLACED_SQL``, ``_count_placed``) counts and places every
complaint in the database: the rows it returns are the forms' cells (municipality, table row,
three counts), at most served municipalities × rows of the form whatever the number of
complaints, so the rows fetched are bounded too (issue 13). The portable path (SQLite, the
demo) gives the same results by the same rules.

Portable path: one statement (``_grouped``), the ``UNION ALL`` of three ``GROUP BY`` queries
(tables 1, 3 and 4 together; grounds; handling) and the aggregate of the mass reports. Every
code that neither is served nor merges into a served municipality is folded into NULL in the
database, so the statement returns at most (relevant + 1)² key pairs per table row, whatever the
number of complaints; the rows are streamed (``_stream``) and mapped through the mergers in
Python, so Python's memory stays flat.

On PostgreSQL the relevant codes are one parameter, not ``IN`` with a placeholder per code, so
the ORM compiles the same statement for 12 or for 342 municipalities (a national office): a JSON
object from each relevant code to the code it counts for in ``_PLACED_SQL``, an array
(``= ANY(%s)``, hashed by the server) in ``_Scope.base`` (the national report's cross-tables)
(issue 13).

The cells of the forms that nothing was counted in are one shared read-only zero
(``_ZeroCounts``: changing it raises ``TypeError``; put a new dict in a cell's place instead).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, NoReturn

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import In

from reports.models import (
    AnnualSnapshot,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    Office,
    StatisticsRun,
)
from reports.selectors.reference import annual_form_municipalities, merger_map
from reports.timezones import AMSTERDAM
from reports.vocabulary import COUNTED_CONTACT_TYPES, FORM_TABLES, Status

#: Column order of every table of the form.
COLUMNS: tuple[str, ...] = (
    "resident_here", "resident_elsewhere", "resident_total", "non_resident_here", "total",
)
Counts = dict[str, int]
Table = dict[str, Counts]
Form = dict[str, Table]


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """Start (inclusive) and end (exclusive) of calendar ``year`` in Europe/Amsterdam."""
    return (datetime.datetime(year, 1, 1, tzinfo=AMSTERDAM),
            datetime.datetime(year + 1, 1, 1, tzinfo=AMSTERDAM))


def counted_complaints(*, office: Office, year: int) -> QuerySet[Complaint]:
    """Complaints that count for ``year``: received that calendar year (Europe/Amsterdam), of
    contact type complaint or report, and not rejected (issue 2, "Which complaints count")."""
    start, end = year_bounds(year)
    return (Complaint.objects.filter(office=office, received_at__gte=start, received_at__lt=end,
                                     contact_type__in=COUNTED_CONTACT_TYPES)
            .exclude(status=Status.REJECTED))


#: Rows fetched per round trip when streaming the grouped rows (``_stream``).
CHUNK_SIZE = 2000


class _AnyOf(In):
    """``field IN (codes)``, rendered on PostgreSQL as ``field = ANY(%s)`` with the codes as one
    array parameter: the ORM compiles no placeholder per code and the server hashes the array
    (PostgreSQL 14+). Other databases get the usual ``IN``."""

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


def _relevant_code(field: str, relevant: Iterable[str]) -> Case:
    """``field``'s code when it is ``relevant`` (served, or merged into a served municipality),
    else NULL: every other code falls into one NULL bucket, so the grouped queries return at
    most (relevant + 1)² key pairs per table row, whatever the number of complaints. The
    mergers are applied in Python (``_Scope.place``)."""
    return Case(When(_AnyOf(F(field), sorted(relevant)), then=F(field)),
                default=Value(None), output_field=CharField())


def _row_expression(table: str) -> Case | F | Coalesce | Value:
    if table == "total":
        return Value("total")
    if table == "ground":
        return Coalesce(F("grounds__code"), Value("unknown"))
    if table == "handling":
        return F("handling__code")
    return Case(When(**{table: ""}, then=Value("unknown")), default=F(table),
                output_field=CharField())


@cache
def _form_rows() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(table, rows)`` of the form in order, ``total`` last; computed once (the vocabularies'
    ``values`` build a new list on every access)."""
    return tuple((table, ("total",) if vocabulary is None else (*vocabulary.values, "total"))
                 for table, vocabulary in FORM_TABLES.items())


#: A cell group of zeros, to copy.
_ZERO: Counts = dict.fromkeys(COLUMNS, 0)


class _ZeroCounts(dict):
    """The one read-only cell group of zeros that every uncounted cell of a counted form
    shares (``_zero_forms``): 342 forms of 49 cells are 16,758 cells, and copying a zero dict
    for each took 3-7 ms of a 26 ms count (issue 13). Changing it in place raises
    ``TypeError`` (the counting replaces a counted cell, never changes it); to change a cell,
    put a new dict in its place (``dict(cell)``). It stays read-only through ``copy``,
    ``deepcopy`` and pickle (which give it back, or one read-only zero per copy: they keep
    shared objects shared, so a writable copy would be one dict behind thousands of cells); it
    compares equal to, and is stored as JSON like, a plain dict."""

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a shared zero cell is read-only; put dict(cell) in its place first")

    __setitem__ = __delitem__ = __ior__ = _read_only
    update = pop = popitem = clear = setdefault = _read_only

    def __reduce__(self) -> tuple[type[_ZeroCounts], tuple[dict[str, int]]]:
        return _ZeroCounts, (dict(self),)

    def __copy__(self) -> _ZeroCounts:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _ZeroCounts:
        return self


_ZERO_CELL: Counts = _ZeroCounts(_ZERO)


def _zero_forms(served: Iterable[str]) -> dict[str, Form]:
    """A form of zeros for every code of ``served`` (sorted): each table's ``total`` row a
    fresh dict (the counting adds to it), every other row the shared read-only
    ``_ZERO_CELL`` until the counting replaces it with its counts."""
    return {code: {table: {row: _ZERO.copy() if row == "total" else _ZERO_CELL for row in rows}
                   for table, rows in _form_rows()}
            for code in sorted(served)}


def empty_form() -> Form:
    """A form with every table, row (vocabulary order, then ``total``) and column set to 0."""
    return {table: {row: _ZERO.copy() for row in rows}
            for table, rows in _form_rows()}


@contextmanager
def one_database_state() -> Iterator[None]:
    """Run the enclosed reads in one read-only transaction that sees one database state.

    PostgreSQL: ``REPEATABLE READ, READ ONLY`` (the first statement of the transaction, so every
    query inside sees the snapshot taken at its first read, and nothing inside can write).
    SQLite: one transaction (``BEGIN``); its first read fixes what the transaction sees until
    it ends, in rollback-journal and in WAL mode (with ``transaction_mode`` ``IMMEDIATE``, the
    demo's setting, writers wait meanwhile).

    Inside a transaction that is already open (a caller's ``atomic`` block, a test) no new
    transaction can start: the reads then see what that transaction's isolation level gives.
    The statistics job calls this outside any transaction (issue 10 §1).
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def count_annual_forms(*, office: Office, year: int) -> dict[str, Form]:
    """Count the annual form of every municipality ``office`` serves, for registration ``year``.

    Columns, for municipality M (after mergers, see ``merger_map``):
    ``resident_here`` (reporter lives in M, incident in M), ``resident_elsewhere`` (reporter lives
    in M, incident elsewhere, online or unknown), ``non_resident_here`` (reporter lives elsewhere
    or unknown, incident in M), ``resident_total`` and ``total``. Ground and handling count a
    complaint once per code; an unclassified complaint counts as ``unknown`` for ground, domain and
    nature and in no handling row. Every table's ``total`` row sums its rows.

    Args:
        office: the office whose registrations count.
        year: the registration year (calendar year in Europe/Amsterdam).

    Returns:
        ``{cbs_code: {table: {row: {column: int}}}}`` for every served municipality that has a
        form that year (``annual_form_municipalities``), zeros included. Every cell (row) in
        which nothing was counted is one shared read-only zero (``_ZeroCounts``, a ``dict``
        whose change raises ``TypeError``); every other cell and every ``total`` row is a dict
        of its own.

    All queries run in one database state (``one_database_state``): a case reclassified while
    counting is counted before or after the change in every table, never mixed (issue 10 §1).
    """
    return count_annual_year(office=office, year=year).forms


@dataclass(frozen=True)
class AnnualCount:
    """One run's counts: ``forms`` as ``count_annual_forms`` returns them, and ``cases``, the
    number of counted complaints on at least one of them (each complaint once, although it can
    be on two forms: where the reporter lives and where it happened)."""

    forms: dict[str, Form]
    cases: int
    #: Of ``cases``: those that were part of a mass report ("waarvan massameldingen"), and the
    #: number of distinct mass reports (incidents) they concern.
    mass_reports: int = 0
    mass_incidents: int = 0


def count_annual_year(*, office: Office, year: int) -> AnnualCount:
    """``count_annual_forms`` plus the number of distinct complaints, from one database state."""
    with one_database_state():
        return _count_annual_forms(office=office, year=year)


@dataclass(frozen=True)
class _Scope:
    """What one run counts: ``served`` (the municipalities with a form), ``to_served`` (every
    relevant code, served or merged into a served municipality, to its served code) and
    ``counted``, the counted complaints (``counted_complaints``)."""

    served: frozenset[str]
    to_served: dict[str, str]
    counted: QuerySet[Complaint]

    @cached_property
    def base(self) -> QuerySet[Complaint]:
        """The counted complaints touching a relevant code, annotated with ``res`` and ``inc``:
        the reporter's residence and the incident place when relevant, else NULL (the portable
        path and the national report's cross-tables; ``_count_placed`` maps the codes in SQL)."""
        relevant = sorted(self.to_served)
        return self.counted.filter(
            _AnyOf(F("reporter_residence"), relevant) | _AnyOf(F("incident_municipality"),
                                                               relevant)
        ).annotate(res=_relevant_code("reporter_residence", relevant),
                   inc=_relevant_code("incident_municipality", relevant))

    def place(self, raw_residence: str | None,
              raw_incident: str | None) -> tuple[str | None, str | None, bool]:
        """The served residence, the served incident place (``None`` when not served) and
        whether the incident happened in the municipality of residence, after mergers."""
        residence = self.to_served.get(raw_residence) if raw_residence else None
        incident = self.to_served.get(raw_incident) if raw_incident else None
        return residence, incident, incident == residence


def _scope(*, office: Office, year: int) -> _Scope:
    """The ``_Scope`` of ``office`` and ``year``: reads the merger map and the served
    municipalities once (two queries)."""
    mapping = merger_map(year=year)
    served = annual_form_municipalities(office=office, year=year, mapping=mapping)
    to_served = {code: code for code in served}
    to_served.update({former: successor for former, successor in mapping.items()
                      if successor in served})
    return _Scope(served=frozenset(served), to_served=to_served,
                  counted=counted_complaints(office=office, year=year))


#: Counted cells while counting: ``(code, table, row) -> [here, elsewhere, non_resident]``.
_Tally = dict[tuple[str, str, str], list[int]]


def _tally(tally: _Tally, residence: str | None, incident: str | None, here: bool,
           table: str, row: str, n: int) -> None:
    """Add ``n`` complaints of one group to its cells: its residence's ``resident_here`` (or
    ``resident_elsewhere``) and, if elsewhere, its incident place's ``non_resident_here``."""
    if residence is not None:
        cell = tally.get((residence, table, row))
        if cell is None:
            cell = tally[(residence, table, row)] = [0, 0, 0]
        cell[0 if here else 1] += n
    if incident is not None and not here:
        cell = tally.get((incident, table, row))
        if cell is None:
            cell = tally[(incident, table, row)] = [0, 0, 0]
        cell[2] += n


def _counts(here: int, elsewhere: int, non_resident: int) -> Counts:
    """One cell group with its derived columns, in ``COLUMNS`` order."""
    return {"resident_here": here, "resident_elsewhere": elsewhere,
            "resident_total": here + elsewhere, "non_resident_here": non_resident,
            "total": here + elsewhere + non_resident}


def _forms(served: Iterable[str], tally: _Tally) -> dict[str, Form]:
    """The complete form of every served code: counted cells from ``tally``, zeros elsewhere,
    the derived columns and each table's ``total`` row (the sum of its rows).

    Raises:
        KeyError: ``tally`` has a row that the form does not have (a code outside the
            vocabulary).
    """
    forms = _zero_forms(served)
    for (code, table, row), (here, elsewhere, non_resident) in tally.items():
        cells = forms[code][table]
        if row not in cells:
            raise KeyError(row)
        cells[row] = _counts(here, elsewhere, non_resident)
        if table != "total":  # table 1's only row is its total; the others add up
            _add_to(cells["total"], here, elsewhere, non_resident)
    return forms


def _count_annual_forms(*, office: Office, year: int, scope: _Scope | None = None) -> AnnualCount:
    """``count_annual_year`` without its transaction; ``scope`` (``_scope(office=office,
    year=year)``) when the caller has read it already."""
    if scope is None:
        scope = _scope(office=office, year=year)
    if connection.vendor == "postgresql":
        return _count_placed(scope)
    base, place = scope.base, scope.place
    tally: _Tally = {}
    cases = mass_reports = mass_incidents = 0
    for kind, raw_residence, raw_incident, first, second, n, distinct in _stream(_grouped(base)):
        if kind == _MASS:
            mass_reports, mass_incidents = n, distinct
            continue
        residence, incident, here = place(raw_residence, raw_incident)
        if kind == _SINGLE:
            cases += n  # every counted complaint is in exactly one group of this kind
            _tally(tally, residence, incident, here, "total", "total", n)
            _tally(tally, residence, incident, here, "societal_domain", first, n)
            _tally(tally, residence, incident, here, "nature", second, n)
        else:
            _tally(tally, residence, incident, here, _JOINED[kind], first, n)
    return AnnualCount(forms=_forms(scope.served, tally), cases=cases,
                       mass_reports=mass_reports, mass_incidents=mass_incidents)


def _stream(queryset: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``queryset`` as plain tuples, ``CHUNK_SIZE`` at a time (a server-side cursor
    on PostgreSQL unless ``DISABLE_SERVER_SIDE_CURSORS``, as ``QuerySet.iterator``), so Python
    holds one chunk at a time however many rows there are. The SQL is the ORM's; only Django's
    per-row conversions are skipped: every column of ``_grouped`` is a string, NULL or an
    integer, which the database drivers return as such."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return _stream_sql(sql, params)


def _stream_sql(sql: str, params: Sequence[Any], *,
                server_side: bool = True) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` as ``_stream`` fetches them: ``CHUNK_SIZE`` at a time, through a
    server-side cursor on PostgreSQL unless ``DISABLE_SERVER_SIDE_CURSORS`` or not
    ``server_side``. Without one, the database sends the whole result in one round trip (the
    driver holds it) and Python still converts ``CHUNK_SIZE`` rows at a time: for a result
    whose size is bounded whatever the number of complaints."""
    chunked = (server_side and connection.features.can_use_chunked_reads
               and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"))
    with connection.chunked_cursor() if chunked else connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchmany(CHUNK_SIZE)
        while rows:
            yield from rows
            rows = []  # let the chunk go before the next one arrives
            rows = cursor.fetchmany(CHUNK_SIZE)


#: The kinds of rows of ``_grouped``.
_SINGLE, _GROUND, _HANDLING, _MASS = 0, 1, 2, 3
_JOINED = {_GROUND: "ground", _HANDLING: "handling"}


def _grouped(base: QuerySet[Complaint]) -> QuerySet[Any]:
    """All the counting in one statement (``UNION ALL``, one round trip), rows
    ``(kind, res, inc, first, second, n, distinct)``:

    * ``_SINGLE``: tables 1, 3 and 4, which have exactly one row per complaint, in one
      ``GROUP BY res, inc, domain, nature`` (``first``: domain row, ``second``: nature row);
    * ``_GROUND``, ``_HANDLING``: one row per code, so one joined ``GROUP BY res, inc, code``
      each (``first``: the code);
    * ``_MASS``: at most one row, the counted complaints that are part of a mass report (``n``)
      and the number of distinct mass reports (``distinct``), over the partial index
      ``complaint_incident``.
    """
    none = Value(None, output_field=CharField())
    blank = Value("", output_field=CharField())
    zero = Value(0)
    single = (base.annotate(kind=Value(_SINGLE), first=_row_expression("societal_domain"),
                            second=_row_expression("nature"))
              .values_list("kind", "res", "inc", "first", "second")
              .annotate(n=Count("pk"), distinct=zero).order_by())
    joined = []
    for kind, table in _JOINED.items():
        queryset = base.annotate(kind=Value(kind), first=_row_expression(table), second=blank)
        if table == "handling":
            # Filter on the annotation so the existing join is reused (no second join).
            queryset = queryset.filter(first__isnull=False)
        joined.append(queryset.values_list("kind", "res", "inc", "first", "second")
                      .annotate(n=Count("pk"), distinct=zero).order_by())
    mass = (base.filter(incident__isnull=False)
            .annotate(kind=Value(_MASS), no_res=none, no_inc=none, first=blank, second=blank)
            .values_list("kind", "no_res", "no_inc", "first", "second")
            .annotate(n=Count("pk"), distinct=Count("incident", distinct=True)).order_by())
    return single.union(*joined, mass, all=True)


#: The counting on PostgreSQL (``_count_placed``), one statement over one scan of the counted
#: complaints (``counted``, materialized: the complaint table is read once). ``served`` is one
#: JSON object mapping every relevant code to its served code (the mergers); ``->>`` looks a
#: code up by binary search over the object's sorted keys, so ``res`` and ``inc`` are the
#: served residence and incident place or NULL, and a complaint with neither is left out. (Code
#: arrays with ``= ANY`` cost milliseconds of planning, the planner estimating each element;
#: a join with the codes as a table hashed the complaints instead of the 360 codes.)
#: ``grouped`` counts per (res, inc, row) for each table
#: (domain, nature, ground, handling; table 1 is the sum of the domain rows); each group then
#: lands in at most two places, its residence's column 0 (``resident_here``, when the incident
#: happened there too) or 1 (``resident_elsewhere``) and, when elsewhere, its incident place's
#: column 2 (``non_resident_here``), and the three columns are summed per (kind,
#: municipality, row) in one hash aggregate (grouping sets for the total rows would make
#: PostgreSQL sort every placed group on disk; Python adds the total rows up instead). So the
#: result has at most served × rows of the form rows, plus two (the
#: mass reports: complaints and distinct incidents; the number of counted complaints), whatever
#: the number of complaints (issue 13).
_PLACED_SQL = """
WITH served(codes) AS (SELECT %s::jsonb),
counted AS MATERIALIZED (
    SELECT b.pk AS id, b.dom, b.nat, b.incident AS incident_id, s.codes ->> b.res AS res,
           s.codes ->> b.inc AS inc
    FROM ({base}) AS b CROSS JOIN served AS s
    WHERE s.codes ->> b.res IS NOT NULL OR s.codes ->> b.inc IS NOT NULL
),
grouped(kind, res, inc, first, n) AS (
    SELECT {societal_domain}, res, inc, dom, count(*) FROM counted GROUP BY res, inc, dom
    UNION ALL
    SELECT {nature}, res, inc, nat, count(*) FROM counted GROUP BY res, inc, nat
    UNION ALL
    SELECT {ground}, c.res, c.inc, COALESCE(g.code, 'unknown'), count(*)
    FROM counted AS c LEFT JOIN {ground_table} AS g ON g.{ground_fk} = c.id
    GROUP BY c.res, c.inc, COALESCE(g.code, 'unknown')
    UNION ALL
    SELECT {handling}, c.res, c.inc, h.code, count(*)
    FROM counted AS c JOIN {handling_table} AS h ON h.{handling_fk} = c.id
    GROUP BY c.res, c.inc, h.code
)
SELECT g.kind, p.code, g.first,
       COALESCE(sum(g.n) FILTER (WHERE p.col = 0), 0)::bigint,
       COALESCE(sum(g.n) FILTER (WHERE p.col = 1), 0)::bigint,
       COALESCE(sum(g.n) FILTER (WHERE p.col = 2), 0)::bigint
FROM grouped AS g
CROSS JOIN LATERAL (VALUES
    (g.res, CASE WHEN g.inc IS NOT DISTINCT FROM g.res THEN 0 ELSE 1 END),
    (CASE WHEN g.inc IS DISTINCT FROM g.res THEN g.inc END, 2)
) AS p(code, col)
WHERE p.code IS NOT NULL
GROUP BY g.kind, p.code, g.first
UNION ALL
SELECT {mass}, NULL, NULL, count(incident_id)::bigint, count(DISTINCT incident_id)::bigint, 0
FROM counted
UNION ALL
SELECT {cases}, NULL, NULL, count(*)::bigint, 0, 0 FROM counted
"""

#: ``kind`` of ``_PLACED_SQL``'s rows: the table of ``first``, or the two totals.
_PLACED_TABLES = ("societal_domain", "nature", "ground", "handling")
_PLACED_MASS, _PLACED_CASES = len(_PLACED_TABLES), len(_PLACED_TABLES) + 1


@cache
def _placed_sql() -> str:
    """``_PLACED_SQL`` with the tables of grounds and handling codes filled in (``{base}``
    left for the counted complaints)."""
    names: dict[str, object] = {name: kind for kind, name in enumerate(_PLACED_TABLES)}
    for name, model in (("ground", ComplaintGround), ("handling", ComplaintHandling)):
        names[f"{name}_table"] = connection.ops.quote_name(model._meta.db_table)
        names[f"{name}_fk"] = connection.ops.quote_name(
            model._meta.get_field("complaint").get_attname_column()[1])
    return _PLACED_SQL.format(base="{base}", mass=_PLACED_MASS, cases=_PLACED_CASES,
                              **names)


def _count_placed(scope: _Scope) -> AnnualCount:
    """``_count_annual_forms`` on PostgreSQL: one statement (``_PLACED_SQL``) that counts and
    places every group in the database, so the rows fetched are bounded by the served
    municipalities and the rows of the form, not by the number of complaints (issue 13).
    Same rules and results as the portable path (``_grouped`` and ``_Scope.place``)."""
    # The raw codes: ``served`` maps them in SQL (NULL when not relevant) and the complaints
    # touching no relevant code are dropped there (``scope.base``'s ``= ANY`` arrays took
    # milliseconds of planning with 342 municipalities).
    base = (scope.counted.annotate(res=F("reporter_residence"), inc=F("incident_municipality"),
                                   dom=_row_expression("societal_domain"),
                                   nat=_row_expression("nature"))
            .values("pk", "incident", "res", "inc", "dom", "nat").order_by())
    inner, inner_params = base.query.get_compiler(using=base.db).as_sql()
    sql = _placed_sql().format(base=inner)
    params = [json.dumps(scope.to_served), *inner_params]
    forms = _zero_forms(scope.served)
    cases = mass_reports = mass_incidents = 0
    tables = _PLACED_TABLES
    # No server-side cursor (one round trip instead of four): the result is bounded by the
    # served municipalities times the form rows.
    for kind, code, row, here, elsewhere, non_resident in _stream_sql(sql, params,
                                                                      server_side=False):
        if kind == _PLACED_CASES:
            cases = here
        elif kind == _PLACED_MASS:
            mass_reports, mass_incidents = here, elsewhere
        else:
            form = forms[code]
            cells = form[tables[kind]]
            if row not in cells:
                raise KeyError(row)  # a code outside the vocabulary, as ``_forms``
            cells[row] = _counts(here, elsewhere, non_resident)
            _add_to(cells["total"], here, elsewhere, non_resident)
            if kind == 0:  # table 1 has one row per complaint, as the domain table
                _add_to(form["total"]["total"], here, elsewhere, non_resident)
    return AnnualCount(forms=forms, cases=cases,
                       mass_reports=mass_reports, mass_incidents=mass_incidents)


def _add_to(total: Counts, here: int, elsewhere: int, non_resident: int) -> None:
    """Add one cell's counts to a ``total`` row (all five columns)."""
    total["resident_here"] += here
    total["resident_elsewhere"] += elsewhere
    total["resident_total"] += here + elsewhere
    total["non_resident_here"] += non_resident
    total["total"] += here + elsewhere + non_resident


def latest_runs(*, office: Office, limit: int = 20) -> QuerySet[StatisticsRun]:
    """The office's most recent statistics runs, newest first."""
    return StatisticsRun.objects.filter(office=office).select_related("requested_by")[:limit]


def snapshots_for_year(*, office: Office, year: int) -> QuerySet[AnnualSnapshot]:
    """The stored forms of ``year``, one per municipality, ordered by municipality name."""
    return (AnnualSnapshot.objects.filter(office=office, year=year)
            .select_related("municipality", "office").order_by("municipality__name"))


def snapshot_years(*, office: Office) -> list[int]:
    """Years for which forms are stored, newest first."""
    return list(AnnualSnapshot.objects.filter(office=office).order_by("-year")
                .values_list("year", flat=True).distinct())


#: The cross-tables of the national report: ``(name, row table, column table)``.
CROSS_TABLES: tuple[tuple[str, str, str], ...] = (
    ("ground_x_societal_domain", "ground", "societal_domain"),
    ("ground_x_nature", "ground", "nature"),
)
Cross = dict[str, dict[str, Counts]]


@dataclass(frozen=True)
class NationalCount:
    """Exact counts of one office and year for the national report, from one database state.

    Attributes:
        forms: as ``count_annual_forms``.
        cross: ``{cbs_code: {cross_name: {f"{ground}|{other}": counts}}}`` for the
            ``CROSS_TABLES``: every ground code (vocabulary order) by every domain / nature code,
            zeros included, no total rows; a complaint counts once per ground, like table 2.
        cases: complaints on at least one form.
        mass_reports, mass_incidents: of ``cases``, those in a mass report, and the number of
            distinct mass reports they concern (``AnnualCount``).
    """

    forms: dict[str, Form]
    cross: dict[str, Cross]
    cases: int
    mass_reports: int = 0
    mass_incidents: int = 0


def count_national_report(*, office: Office, year: int) -> NationalCount:
    """Count the five tables and the cross-tables of every served municipality for ``year``
    (rules as ``count_annual_forms``), all in one database state (``one_database_state``).

    Returns:
        A ``NationalCount``; the cross-tables' cells of a municipality sum, over the second
        code, to its table 2 (ground) rows.
    """
    from reports.vocabulary import Ground, Nature, SocietalDomain

    with one_database_state():
        scope = _scope(office=office, year=year)
        counted = _count_annual_forms(office=office, year=year, scope=scope)
        base, place, served = scope.base, scope.place, scope.served
        second_codes = {"societal_domain": SocietalDomain.values, "nature": Nature.values}
        cross: dict[str, Cross] = {
            code: {name: {f"{g}|{o}": dict.fromkeys(COLUMNS, 0) for g in Ground.values
                          for o in second_codes[other]}
                   for name, _rows, other in CROSS_TABLES}
            for code in served}
        for name, _rows, other in CROSS_TABLES:
            grouped = (base.annotate(g=_row_expression("ground"), o=_row_expression(other))
                       .values_list("res", "inc", "g", "o").annotate(n=Count("pk")).order_by())
            for raw_residence, raw_incident, ground, second, n in grouped.iterator(
                    chunk_size=CHUNK_SIZE):
                key = f"{ground}|{second}"
                residence, incident, here = place(raw_residence, raw_incident)
                if residence is not None:
                    column = "resident_here" if here else "resident_elsewhere"
                    cross[residence][name][key][column] += n
                if incident is not None and not here:
                    cross[incident][name][key]["non_resident_here"] += n
        for tables in cross.values():
            for cells in tables.values():
                for counts in cells.values():
                    counts["resident_total"] = counts["resident_here"] + counts[
                        "resident_elsewhere"]
                    counts["total"] = counts["resident_total"] + counts["non_resident_here"]
    return NationalCount(forms=counted.forms, cross=cross, cases=counted.cases,
                         mass_reports=counted.mass_reports,
                         mass_incidents=counted.mass_incidents)
