"""Reads for the back-office case list, its export, the coordinator dashboard and the access log.

Every function takes a queryset of complaints the caller already restricted to what the user may
see (``reports.selectors.permissions.visible_complaints``) and never widens it.

Calendar things (today, the received-date range, deadlines) are Europe/Amsterdam dates.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, TypeVar, cast

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)

from reports import crypto
from reports.models import (
    AccessLog,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    ComplaintStatusCount,
    UnreadCase,
)
from reports.selectors.permissions import assignable_users
from reports.timezones import AMSTERDAM, local_today

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations
from reports.vocabulary import FINAL_STATUSES, Status

#: ``?sort=`` column key -> the field it orders by. ``id`` is always added as a tie-breaker.
SORT_FIELDS: dict[str, str] = {
    "case_number": "case_number",
    "received_at": "received_at",
    "status": "status",
    # A copy of the name on the complaint, indexed (complaint_municipality_sort): no join.
    "incident_municipality": "incident_municipality_name",
    "assignee": "assigned_to__username",
    "first_response_due": "first_response_due",
    "channel": "channel",
}
#: The list's order when no (valid) ``sort`` is given: newest first.
DEFAULT_SORT = "-received_at"


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in Europe/Amsterdam (timezone-aware)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=AMSTERDAM)


def overdue_condition(*, today: datetime.date | None = None) -> Q:
    """The condition for an overdue case.

    A case is overdue when it has had no first response (``first_response_at`` is null), its
    ``first_response_due`` date lies before ``today`` and its status is not final
    (``FINAL_STATUSES``).

    Args:
        today: the reference date in Europe/Amsterdam; defaults to ``local_today()``.
    """
    today = today or local_today()
    return (Q(first_response_at__isnull=True, first_response_due__lt=today)
            & ~Q(status__in=FINAL_STATUSES))


class OverdueAnnotation(TypedDict):
    """The annotation ``with_overdue`` adds."""

    is_overdue: bool


#: A complaint read through ``with_overdue``.
OverdueComplaint: TypeAlias = "WithAnnotations[Complaint, OverdueAnnotation]"


#: A complaint, annotated or not (the sort keeps what it is given).
_Case = TypeVar("_Case", bound=Complaint)


def open_cases(*, queryset: QuerySet[_Case]) -> QuerySet[_Case]:
    """The cases of ``queryset`` that are still open: status not in ``FINAL_STATUSES``.

    At 1,000,000 rows the newest-first page uses the partial index ``complaint_open_received``
    (same condition), so closed cases cost nothing to skip.
    """
    return queryset.exclude(status__in=FINAL_STATUSES)


def with_overdue(*, queryset: QuerySet[Complaint],
                 today: datetime.date | None = None) -> QuerySet[OverdueComplaint]:
    """``queryset`` with a boolean ``is_overdue`` annotation computed in the database.

    Args:
        today: see ``overdue_condition``.
    """
    # Case/When rather than the bare condition: a null deadline must give False, not NULL.
    return queryset.annotate(is_overdue=Case(
        When(overdue_condition(today=today), then=Value(True)),
        default=Value(False), output_field=BooleanField()))


def filter_overdue(*, queryset: QuerySet[Complaint], overdue: bool,
                   today: datetime.date | None = None) -> QuerySet[OverdueComplaint]:
    """Only the overdue cases of ``queryset`` (``overdue=True``) or only the others (``False``).

    Uses the ``is_overdue`` annotation, adding it (``with_overdue``) when it is missing.
    """
    if "is_overdue" in queryset.query.annotations:  # read through with_overdue already
        annotated = cast("QuerySet[OverdueComplaint]", queryset)
    else:
        annotated = with_overdue(queryset=queryset, today=today)
    return annotated.filter(is_overdue=overdue)


def with_unread(*, queryset: QuerySet[_Case], user: object) -> QuerySet[_Case]:
    """``queryset`` with a boolean ``is_unread`` annotation: the reporter replied or sent files
    since ``user`` last opened the case (an ``UnreadCase`` row; an ``EXISTS`` on its
    (user, complaint) unique index)."""
    user_id = getattr(user, "pk", None)
    if user_id is None:  # anonymous: nothing is unread for nobody
        annotated = queryset.annotate(is_unread=Value(False))
    else:
        annotated = queryset.annotate(is_unread=Exists(UnreadCase.objects.filter(
            complaint=OuterRef("pk"), user_id=user_id)))
    # The same rows with one more attribute; callers keep their (possibly annotated) type.
    return cast("QuerySet[_Case]", annotated)


def filter_unread(*, queryset: QuerySet[_Case], user: object,
                  unread: bool = True) -> QuerySet[_Case]:
    """Only the cases unread for ``user`` (``unread=True``) or only the others."""
    if "is_unread" not in queryset.query.annotations:
        queryset = with_unread(queryset=queryset, user=user)
    return queryset.filter(is_unread=unread)


def case_list(*, queryset: QuerySet[Complaint]) -> QuerySet[OverdueComplaint]:
    """``queryset`` prepared for the case list: the related rows it shows joined in, and
    ``is_overdue`` annotated. Adds no rows and no query per row."""
    return with_overdue(queryset=queryset.select_related(
        "assigned_to", "incident_municipality", "reporter_residence"))


#: The columns a case-list row shows (``templates/backoffice/complaint_list.html``): the page
#: reads only these, so no encrypted field is decrypted and no municipality joined for it.
LIST_COLUMNS = ("id", "public_id", "case_number", "received_at", "status", "incident_place",
                "incident_municipality_name", "first_response_due", "channel", "desk_id",
                "assigned_to__username")


def list_page_columns(*, queryset: QuerySet[_Case]) -> QuerySet[_Case]:
    """``queryset`` (through ``case_list``) reading only ``LIST_COLUMNS`` for the rows of one
    page, the caseworker's name joined in. A template that shows another field must add it
    here (else each row would load it with a query of its own; the page's query count is
    asserted in the view tests)."""
    return queryset.select_related(None).select_related("assigned_to").only(*LIST_COLUMNS)


def for_export(*, queryset: QuerySet[OverdueComplaint]) -> QuerySet[OverdueComplaint]:
    """``queryset`` (already through ``case_list``) with everything one case's export row
    needs loaded: team joined in, grounds and handling prefetched, for
    ``reports.services.export.case_row`` (the per-case reference of a row, which the tests
    compare the export with). The export itself reads tuples (``export_records``) and is
    given the plain queryset."""
    return queryset.select_related("team").prefetch_related("grounds", "handling")


#: The fields of an ``export_records`` tuple, in order (``received_local`` and ``closed_local``
#: are computed; ``grounds`` and ``handling`` are codes).
EXPORT_RECORD_FIELDS: tuple[str, ...] = (
    "case_number", "received_local", "status", "channel", "contact_type",
    "incident_municipality", "incident_municipality__name", "reporter_residence",
    "reporter_residence__name", "grounds", "societal_domain", "nature", "handling",
    "assigned_to__username", "team__name", "is_overdue", "external_reference", "anonymity",
    "outcome", "closed_local",
)
#: The reporter's contact fields, appended to each tuple with ``include_contact``.
EXPORT_CONTACT_FIELDS: tuple[str, ...] = ("reporter_name", "reporter_email", "reporter_phone")
#: The model fields read per case (the rest of ``EXPORT_RECORD_FIELDS`` is computed).
_EXPORT_READ = tuple(name for name in EXPORT_RECORD_FIELDS if name not in (
    "received_local", "grounds", "handling", "closed_local"))
#: Separator of the codes in a record's ``grounds`` and ``handling`` (no code contains it).
CODE_SEPARATOR = ","


class _LocalSecond(Func):
    """A ``timestamptz`` as the Amsterdam wall-clock time to the second, without time zone
    (PostgreSQL; read as a naive ``datetime``)."""

    template = "date_trunc('second', %(expressions)s AT TIME ZONE 'Europe/Amsterdam')"
    output_field = DateTimeField()


class _LocalDate(Func):
    """A ``timestamptz`` as its Amsterdam calendar date (PostgreSQL); ``NULL`` stays ``NULL``."""

    template = "(%(expressions)s AT TIME ZONE 'Europe/Amsterdam')::date"
    output_field = DateField()


def _codes(model: type[ComplaintGround] | type[ComplaintHandling]) -> Func:
    """The codes of ``model`` for the outer complaint, sorted and joined by ``CODE_SEPARATOR``
    (``''`` for none): ``array_to_string(ARRAY(SELECT code ... ORDER BY code), ',')``, one
    index lookup per case in the export's one query."""
    return Func(ArraySubquery(model.objects.filter(complaint=OuterRef("pk"))
                              .order_by("code").values("code")),
                Value(CODE_SEPARATOR), function="array_to_string", output_field=TextField())


def _in_database(alias: str) -> bool:
    """Whether the database ``alias`` converts times and aggregates codes for
    ``export_records`` (PostgreSQL)."""
    return connections[alias].vendor == "postgresql"


def export_records(*, queryset: QuerySet[OverdueComplaint], include_contact: bool,
                   chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """Every case of ``queryset`` (through ``case_list``, sliced or not) as a tuple of
    ``EXPORT_RECORD_FIELDS`` (plus ``EXPORT_CONTACT_FIELDS`` with ``include_contact``), in its
    order, read in constant memory ``chunk_size`` cases per round trip.

    ``received_local`` is a naive ``datetime``: the Europe/Amsterdam wall-clock time, to the
    second (truncated); ``closed_local`` the Europe/Amsterdam date of ``closed_at`` or ``None``;
    ``grounds`` and ``handling`` the codes sorted and joined by ``CODE_SEPARATOR`` (``""`` for
    none); related names ``None`` when the relation is empty.

    On PostgreSQL this is one query through a server-side cursor (times converted and codes
    aggregated by the database: ``AT TIME ZONE``, ``ARRAY(SELECT ...)``), outside any
    transaction of its own (the download keeps no transaction open). Elsewhere (the
    SQLite demo) the times are converted in Python and the codes read with two ``IN`` queries
    per chunk.
    """
    queryset = queryset.prefetch_related(None)
    contact = EXPORT_CONTACT_FIELDS if include_contact else ()
    if _in_database(queryset.db):
        annotated = queryset.annotate(
            received_local=_LocalSecond("received_at"), closed_local=_LocalDate("closed_at"),
            grounds_codes=_codes(ComplaintGround), handling_codes=_codes(ComplaintHandling))
        names = tuple({"grounds": "grounds_codes", "handling": "handling_codes"}.get(name, name)
                      for name in EXPORT_RECORD_FIELDS)
        # No transaction of its own: a streamed download may last as long as the client makes
        # it, and a transaction held open that long would keep locks and hold back VACUUM.
        # JIT, which cost about 1.3 s of 5 s here, is off for every connection (DB_JIT).
        yield from annotated.values_list(*names, *contact).iterator(chunk_size=chunk_size)
        return
    chunk: list[tuple[Any, ...]] = []
    for record in queryset.values_list(
            "pk", "received_at", "closed_at", *_EXPORT_READ, *contact).iterator(
            chunk_size=chunk_size):
        chunk.append(record)
        if len(chunk) == chunk_size:
            yield from _fallback_chunk(chunk)
            chunk = []
    if chunk:
        yield from _fallback_chunk(chunk)


def _fallback_chunk(chunk: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """``export_records`` tuples of a chunk of ``(pk, received_at, closed_at, *_EXPORT_READ,
    *contact)`` (the portable path)."""
    ids = [record[0] for record in chunk]
    codes: dict[str, dict[int, list[str]]] = {"grounds": {}, "handling": {}}
    for name, model in (("grounds", ComplaintGround), ("handling", ComplaintHandling)):
        for complaint_id, code in model.objects.filter(complaint_id__in=ids).values_list(
                "complaint_id", "code"):
            codes[name].setdefault(complaint_id, []).append(code)
    read = len(_EXPORT_READ) + 3
    for record in chunk:
        pk, received, closed = record[0], record[1], record[2]
        values = dict(zip(_EXPORT_READ, record[3:read], strict=True))
        values["received_local"] = received.astimezone(AMSTERDAM).replace(
            tzinfo=None, microsecond=0)
        values["closed_local"] = closed.astimezone(AMSTERDAM).date() if closed else None
        for name in ("grounds", "handling"):
            values[name] = CODE_SEPARATOR.join(sorted(codes[name].get(pk, ())))
        yield tuple(values[name] for name in EXPORT_RECORD_FIELDS) + record[read:]


def search_cases(*, queryset: QuerySet[Complaint], text: str) -> QuerySet[Complaint]:
    """Cases matching the search ``text``: its case number or external reference contains
    ``text`` (case-insensitive, so partial numbers such as ``2020-004`` match), or its description
    contains every word of ``text``.

    Descriptions are encrypted, so words are matched through the blind index
    (``Complaint.description_index``, ``reports.crypto.index_terms``): case, accents and Dutch
    word endings are ignored ("discriminatie" finds "gediscrimineerd" only if the Snowball stems
    agree), and the same query works on PostgreSQL and SQLite. Blank ``text`` leaves ``queryset``
    unchanged.
    """
    text = text.strip()
    if not text:
        return queryset
    contains = Q(case_number__icontains=text) | Q(external_reference__icontains=text)
    terms = crypto.search_terms(text)
    if not terms:
        return queryset.filter(contains)
    hashes = [crypto.blind_index(term) for term in terms]
    if connections[queryset.db].vendor == "postgresql":
        # The GIN index complaint_search_terms (migration 0017) serves exactly this expression.
        return queryset.alias(search_terms=_IndexTerms(F("description_index"))).filter(
            contains | Q(search_terms__contains=hashes))
    words = Q()
    for blind in hashes:
        words &= Q(description_index__contains=f" {blind} ")
    return queryset.filter(contains | words)


class _IndexTerms(Func):
    """``Complaint.description_index`` as an array of its hashes (PostgreSQL), the expression of
    the GIN index ``complaint_search_terms``: ``terms @> ARRAY[h1, h2]`` finds the cases with
    every word."""

    template = "string_to_array(btrim(%(expressions)s), ' ')"
    output_field = ArrayField(TextField())


def filter_ground(*, queryset: QuerySet[Complaint], code: str) -> QuerySet[Complaint]:
    """Cases that have the ground ``code`` (a ``Ground`` code) among their grounds."""
    return queryset.filter(Exists(ComplaintGround.objects.filter(
        complaint=OuterRef("pk"), code=code)))


def filter_received(*, queryset: QuerySet[Complaint], after: datetime.date | None = None,
                    before: datetime.date | None = None) -> QuerySet[Complaint]:
    """Cases received on or after ``after`` and on or before ``before``.

    Both are inclusive calendar dates in Europe/Amsterdam: ``before=2020-06-30`` keeps a case
    received at 23:59 local time on 30 June and drops one at 00:30 on 1 July.
    """
    if after is not None:
        queryset = queryset.filter(received_at__gte=start_of_day(after))
    if before is not None:
        queryset = queryset.filter(
            received_at__lt=start_of_day(before + datetime.timedelta(days=1)))
    return queryset


def parse_sort(value: str | None) -> str:
    """The valid sort key for the ``?sort=`` parameter ``value``.

    Returns ``value`` when it is a column of ``SORT_FIELDS``, optionally prefixed with ``-``
    (descending); otherwise ``DEFAULT_SORT``.
    """
    if value and value.removeprefix("-") in SORT_FIELDS:
        return value
    return DEFAULT_SORT


def sort_cases(*, queryset: QuerySet[_Case], sort: str) -> QuerySet[_Case]:
    """``queryset`` ordered by the sort key ``sort`` (see ``parse_sort``), ``id`` breaking ties
    in the same direction, so the order is total and pages never repeat or skip a case.

    Empty values (no municipality, no caseworker, no deadline) come last in ascending order and
    first in descending order, on every database.

    Raises:
        KeyError: ``sort`` is not a known column (pass it through ``parse_sort`` first).
    """
    descending = sort.startswith("-")
    field = F(SORT_FIELDS[sort.removeprefix("-")])
    if descending:
        return queryset.order_by(field.desc(nulls_first=True), F("id").desc())
    return queryset.order_by(field.asc(nulls_last=True), F("id").asc())


@dataclass(frozen=True)
class CaseworkerLoad:
    """Open, overdue and unread cases of one caseworker; ``user_id`` ``None`` is the unassigned
    queue. ``unread``: open cases with reporter activity the assignee has not opened yet (always
    0 for the queue, which has no assignee)."""

    user_id: int | None
    username: str
    open: int
    overdue: int
    unread: int = 0


@dataclass(frozen=True)
class Dashboard:
    """The coordinator dashboard's numbers.

    ``per_status`` holds every ``Status`` in vocabulary order (zeros included);
    ``per_caseworker`` the caseworkers by username, then the unassigned queue.
    """

    per_status: list[tuple[str, str, int]]
    per_caseworker: list[CaseworkerLoad]
    open_total: int
    overdue_total: int
    unread_total: int = 0


def dashboard(*, queryset: QuerySet[Complaint], today: datetime.date | None = None,
              desk_ids: frozenset[int] | None = None, every_case: bool = False) -> Dashboard:
    """Counts for the coordinator dashboard over ``queryset``, in four aggregate queries.

    Per status: every status with its number of cases; with ``every_case`` (``queryset`` is
    every complaint, ``permissions.sees_every_complaint``) read from the counter
    ``ComplaintStatusCount`` the status services keep, instead of counting 1,000,000 rows.
    Per caseworker: open cases (status not in
    ``FINAL_STATUSES``), overdue cases and cases unread by the assignee, per assignee, listing
    every user who may handle cases (zeros included), anyone else who still holds open cases,
    and the unassigned queue.

    Args:
        today: see ``overdue_condition``.
        desk_ids: list the caseworkers of these desks (``permissions.desk_scope``; ``None``:
            every desk).
    """
    if every_case:
        status_counts = dict(ComplaintStatusCount.objects.values_list("status", "count"))
    else:
        status_counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    per_status = [(value, str(label), status_counts.get(value, 0))
                  for value, label in Status.choices]

    open_cases = with_overdue(queryset=queryset, today=today).exclude(status__in=FINAL_STATUSES)
    # Open cases per holder from the covering partial index complaint_open_by_assignee
    # (index-only); the unread ones from the few UnreadCase rows, not a subplan per open case.
    # Grouped by the holder's id only: joining the user table before grouping hashed every open
    # case (64 ms for 89,519 open cases); the names come from the list of people below.
    grouped = (open_cases.order_by()
               .values("assigned_to")
               # Count a column of the index (not id) so that the scan stays index-only.
               .annotate(open=Count("status"),
                         overdue=Count("status", filter=Q(is_overdue=True))))
    unread = dict(UnreadCase.objects.filter(
        complaint__in=open_cases.order_by().values("pk"), user=F("complaint__assigned_to"))
        .order_by().values_list("user").annotate(n=Count("id")))
    loads: dict[int | None, CaseworkerLoad] = {
        user.pk: CaseworkerLoad(user_id=user.pk, username=user.get_username(), open=0, overdue=0)
        for user in assignable_users(desk_ids=desk_ids)
    }
    loads[None] = CaseworkerLoad(user_id=None, username="", open=0, overdue=0)
    rows = list(grouped)
    others = {row["assigned_to"] for row in rows} - set(loads)
    names = {pk: load.username for pk, load in loads.items()}
    if others:  # people who hold open cases but may no longer take them (one query)
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        names.update(user_model.objects.filter(pk__in=others).values_list(
            "pk", user_model.USERNAME_FIELD))
    for row in rows:
        loads[row["assigned_to"]] = CaseworkerLoad(
            user_id=row["assigned_to"], username=names.get(row["assigned_to"]) or "",
            open=row["open"], overdue=row["overdue"], unread=unread.get(row["assigned_to"], 0))
    per_caseworker = sorted(loads.values(),
                            key=lambda load: (load.user_id is None, load.username, load.user_id))
    return Dashboard(
        per_status=per_status, per_caseworker=per_caseworker,
        open_total=sum(load.open for load in per_caseworker),
        overdue_total=sum(load.overdue for load in per_caseworker),
        unread_total=sum(load.unread for load in per_caseworker),
    )


def access_log_entries(*, desk_ids: frozenset[int] | None = None) -> QuerySet[AccessLog]:
    """Every access-log entry, newest first, with the user joined in (filter with
    ``reports.filters.AccessLogFilter``).

    Args:
        desk_ids: ``permissions.desk_scope`` of the reader, ``None`` when they cover the whole
            office (``permissions.covers_office``): everything. Otherwise only
            entries about cases of these desks, and entries about no case by these desks'
            people (a desk coordinator does not see other desks' case numbers).
    """
    entries = AccessLog.objects.select_related("user").order_by("-at", "-id")
    if desk_ids is None:
        return entries
    from reports.selectors.desks import desk_people

    ids = sorted(desk_ids)
    return entries.filter(Q(complaint__desk__in=ids)
                          | Q(complaint__isnull=True, user__in=desk_people(desk_ids=ids)))
