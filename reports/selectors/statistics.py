"""Counting the legal annual form (Regeling registratieformulier antidiscriminatievoorzieningen).

The counts are computed in the database with three ``GROUP BY`` queries (tables 1, 3 and 4
together; grounds; handling). Municipality codes are mapped through mergers and every code the
office does not serve is folded into NULL, so each query returns at most (served + 1)² rows per
table row: memory and result size do not grow with the number of complaints.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from reports.models import AnnualSnapshot, Complaint, Office, StatisticsRun
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


def _served_code(field: str, served: set[str], mapping: dict[str, str]) -> Case:
    """``field``'s municipality after mergers when the office serves it, else NULL.

    All codes the office does not serve fall into one NULL bucket, so the grouped queries return
    at most (served + 1)² key pairs per table row, whatever the number of complaints.
    """
    into_served: dict[str, list[str]] = defaultdict(list)
    for former, successor in mapping.items():
        if successor in served:
            into_served[successor].append(former)
    whens = [When(**{f"{field}__in": sorted(formers)}, then=Value(successor))
             for successor, formers in sorted(into_served.items())]
    whens.append(When(**{f"{field}__in": sorted(served)}, then=F(field)))
    return Case(*whens, default=Value(None), output_field=CharField())


def _row_expression(table: str) -> Case | F | Coalesce | Value:
    if table == "total":
        return Value("total")
    if table == "ground":
        return Coalesce(F("grounds__code"), Value("unknown"))
    if table == "handling":
        return F("handling__code")
    return Case(When(**{table: ""}, then=Value("unknown")), default=F(table),
                output_field=CharField())


def empty_form() -> Form:
    """A form with every table, row (vocabulary order, then ``total``) and column set to 0."""
    form: Form = {}
    for table, vocabulary in FORM_TABLES.items():
        rows = ["total"] if vocabulary is None else [*vocabulary.values, "total"]
        form[table] = {row: dict.fromkeys(COLUMNS, 0) for row in rows}
    return form


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
        form that year (``annual_form_municipalities``), zeros included.

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


def _count_annual_forms(*, office: Office, year: int) -> AnnualCount:
    mapping = merger_map(year=year)
    served = annual_form_municipalities(office=office, year=year, mapping=mapping)
    relevant = served | {former for former, successor in mapping.items() if successor in served}
    base = counted_complaints(office=office, year=year).filter(
        Q(reporter_residence__in=relevant) | Q(incident_municipality__in=relevant)
    ).annotate(res=_served_code("reporter_residence", served, mapping),
               inc=_served_code("incident_municipality", served, mapping))
    forms = {code: empty_form() for code in served}

    def place(residence: str | None, incident: str | None, table: str, row: str,
              n: int) -> None:
        if residence is not None:
            column = "resident_here" if incident == residence else "resident_elsewhere"
            forms[residence][table][row][column] += n
        if incident is not None and incident != residence:
            forms[incident][table][row]["non_resident_here"] += n

    # Tables 1, 3 and 4 have exactly one row per complaint: one pass counts all three.
    single = (base.annotate(domain=_row_expression("societal_domain"),
                            nature_row=_row_expression("nature"))
              .values_list("res", "inc", "domain", "nature_row").annotate(n=Count("pk"))
              .order_by())
    cases = 0  # every counted complaint is in exactly one group of this query
    for residence, incident, domain, nature, n in single:
        cases += n
        place(residence, incident, "total", "total", n)
        place(residence, incident, "societal_domain", domain, n)
        place(residence, incident, "nature", nature, n)
    # Grounds and handling: one row per code, so one joined query each.
    for table in ("ground", "handling"):
        queryset = base.annotate(row=_row_expression(table))
        if table == "handling":
            # Filter on the annotation so the existing join is reused (no second join).
            queryset = queryset.filter(row__isnull=False)
        grouped = queryset.values_list("res", "inc", "row").annotate(n=Count("pk")).order_by()
        for residence, incident, row, n in grouped:
            place(residence, incident, table, row, n)
    for form in forms.values():
        _complete(form)
    # Mass reports among the counted cases: one aggregate over the partial index
    # ``complaint_incident`` (each report once, however many forms it is on).
    mass = base.filter(incident__isnull=False).order_by().aggregate(
        reports=Count("pk"), incidents=Count("incident", distinct=True))
    return AnnualCount(forms=forms, cases=cases, mass_reports=mass["reports"] or 0,
                       mass_incidents=mass["incidents"] or 0)


def _complete(form: Form) -> None:
    """Fill in the derived columns and each table's ``total`` row."""
    for rows in form.values():
        for row, counts in rows.items():
            if row == "total" and len(rows) > 1:
                continue
            counts["resident_total"] = counts["resident_here"] + counts["resident_elsewhere"]
            counts["total"] = counts["resident_total"] + counts["non_resident_here"]
        if len(rows) > 1:
            rows["total"] = {column: sum(c[column] for r, c in rows.items() if r != "total")
                             for column in COLUMNS}


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
        counted = _count_annual_forms(office=office, year=year)
        mapping = merger_map(year=year)
        served = set(counted.forms)
        relevant = served | {former for former, successor in mapping.items()
                             if successor in served}
        base = counted_complaints(office=office, year=year).filter(
            Q(reporter_residence__in=relevant) | Q(incident_municipality__in=relevant)
        ).annotate(res=_served_code("reporter_residence", served, mapping),
                   inc=_served_code("incident_municipality", served, mapping))
        second_codes = {"societal_domain": SocietalDomain.values, "nature": Nature.values}
        cross: dict[str, Cross] = {
            code: {name: {f"{g}|{o}": dict.fromkeys(COLUMNS, 0) for g in Ground.values
                          for o in second_codes[other]}
                   for name, _rows, other in CROSS_TABLES}
            for code in served}
        for name, _rows, other in CROSS_TABLES:
            grouped = (base.annotate(g=_row_expression("ground"), o=_row_expression(other))
                       .values_list("res", "inc", "g", "o").annotate(n=Count("pk")).order_by())
            for residence, incident, ground, second, n in grouped:
                key = f"{ground}|{second}"
                if residence is not None:
                    column = "resident_here" if incident == residence else "resident_elsewhere"
                    cross[residence][name][key][column] += n
                if incident is not None and incident != residence:
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
