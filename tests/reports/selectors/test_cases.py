"""Selectors of the case list: overdue, search, date range, sorting, dashboard, access log."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from reports import crypto
from reports.models import AccessLog, Complaint
from reports.selectors import cases
from reports.services.audit import log_access
from reports.services.complaints import assign_complaint
from reports.vocabulary import Status
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def numbers(queryset) -> list[str]:
    return list(queryset.values_list("case_number", flat=True))


def ids(queryset) -> list[int]:
    return list(queryset.values_list("id", flat=True))


# --- Dates -------------------------------------------------------------------------------------


def test_local_today_is_the_amsterdam_date():
    assert cases.local_today() == timezone.now().astimezone(AMSTERDAM).date()


def test_start_of_day_is_amsterdam_midnight():
    start = cases.start_of_day(datetime.date(2020, 3, 29))  # the day summer time starts

    assert start == datetime.datetime(2020, 3, 28, 23, 0, tzinfo=datetime.UTC)
    assert start.utcoffset() == datetime.timedelta(hours=1)


# --- Overdue -----------------------------------------------------------------------------------


@pytest.fixture
def deadlines(office):
    """Cases whose deadline is yesterday, today or none, in various statuses."""
    today = cases.local_today()
    yesterday = today - datetime.timedelta(days=1)
    made = SimpleNamespace(
        late=ComplaintFactory(),
        due_today=ComplaintFactory(),
        answered=ComplaintFactory(),
        closed=ComplaintFactory(status=Status.CLOSED),
        rejected=ComplaintFactory(status=Status.REJECTED),
        reopened=ComplaintFactory(status=Status.REOPENED),
        no_deadline=ComplaintFactory(),
    )
    Complaint.objects.update(first_response_due=yesterday)
    Complaint.objects.filter(pk=made.due_today.pk).update(first_response_due=today)
    Complaint.objects.filter(pk=made.answered.pk).update(first_response_at=timezone.now())
    Complaint.objects.filter(pk=made.no_deadline.pk).update(first_response_due=None)
    return made


def test_with_overdue_annotates_each_case(deadlines):
    flags = dict(cases.with_overdue(queryset=Complaint.objects.all())
                 .values_list("case_number", "is_overdue"))

    assert flags == {
        deadlines.late.case_number: True,
        deadlines.due_today.case_number: False,
        deadlines.answered.case_number: False,
        deadlines.closed.case_number: False,
        deadlines.rejected.case_number: False,
        deadlines.reopened.case_number: True,
        deadlines.no_deadline.case_number: False,
    }


def test_with_overdue_takes_the_reference_date(deadlines):
    tomorrow = cases.local_today() + datetime.timedelta(days=1)

    overdue = cases.with_overdue(queryset=Complaint.objects.all(), today=tomorrow).filter(
        is_overdue=True)

    assert sorted(numbers(overdue)) == sorted([deadlines.late.case_number,
                                               deadlines.due_today.case_number,
                                               deadlines.reopened.case_number])


def test_filter_overdue_with_and_without_the_annotation(deadlines):
    plain = Complaint.objects.order_by("id")
    annotated = cases.with_overdue(queryset=plain)

    for queryset in (plain, annotated):
        assert numbers(cases.filter_overdue(queryset=queryset, overdue=True)) == [
            deadlines.late.case_number, deadlines.reopened.case_number]
        assert numbers(cases.filter_overdue(queryset=queryset, overdue=False)) == [
            deadlines.due_today.case_number, deadlines.answered.case_number,
            deadlines.closed.case_number, deadlines.rejected.case_number,
            deadlines.no_deadline.case_number]


def test_a_case_received_long_ago_is_overdue_and_one_received_now_is_not(office):
    old = ComplaintFactory(received_at=local(2020, 6, 15))
    new = ComplaintFactory(received_at=timezone.now())

    flags = dict(cases.with_overdue(queryset=Complaint.objects.all())
                 .values_list("pk", "is_overdue"))

    assert flags == {old.pk: True, new.pk: False}


# --- Received-date range -------------------------------------------------------------------------


def test_filter_received_uses_inclusive_amsterdam_dates(office):
    before_start = ComplaintFactory(received_at=local(2020, 5, 31, 23, 30))
    first = ComplaintFactory(received_at=local(2020, 6, 1, 0, 30))
    last = ComplaintFactory(received_at=local(2020, 6, 30, 23, 59))
    after_end = ComplaintFactory(received_at=local(2020, 7, 1, 0, 30))
    base = Complaint.objects.order_by("id")

    june = cases.filter_received(queryset=base, after=datetime.date(2020, 6, 1),
                                 before=datetime.date(2020, 6, 30))
    assert ids(june) == [first.pk, last.pk]
    assert ids(cases.filter_received(queryset=base, after=datetime.date(2020, 7, 1))) == [
        after_end.pk]
    assert ids(cases.filter_received(queryset=base, before=datetime.date(2020, 5, 31))) == [
        before_start.pk]
    assert ids(cases.filter_received(queryset=base)) == [before_start.pk, first.pk, last.pk,
                                                         after_end.pk]


# --- Search --------------------------------------------------------------------------------------


@pytest.fixture
def searchable(office):
    return SimpleNamespace(
        bike=ComplaintFactory(external_reference="EXT-77",
                              description="Geweigerd bij de fietsenwinkel vanwege afkomst."),
        job=ComplaintFactory(external_reference="KL/2020/12",
                             description="Sollicitatie afgewezen na het gesprek."),
        rent=ComplaintFactory(description="Opmerkingen over de leeftijd van de huurder."),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("EXT-77", ["bike"]),
    ("ext-77", ["bike"]),
    ("kl/2020", ["job"]),
    ("MDD-2020-0002", ["job"]),
    ("2020-0003", ["rent"]),
    ("fietsenwinkel", ["bike"]),
    ("Sollicitatie", ["job"]),
    ("LEEFTIJD", ["rent"]),
    ("discriminatie", []),
    ("", ["bike", "job", "rent"]),
    ("   ", ["bike", "job", "rent"]),
])
def test_search_on_every_database(searchable, text, expected):
    found = cases.search_cases(queryset=Complaint.objects.order_by("id"), text=text)

    assert numbers(found) == [getattr(searchable, name).case_number for name in expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("fietsenwinkels", ["bike"]),  # Dutch stemming
    ("opmerking", ["rent"]),
    ("Leeftijd HUURDER", ["rent"]),  # every word must occur, in any case
    ("leeftijd fietsenwinkel", []),
    ("na het gesprek", ["job"]),
    ("fietsenwin", []),  # whole words only: the index holds no prefixes
    ("afkomst!", ["bike"]),  # punctuation is not part of a word
])
def test_search_matches_whole_words_through_the_blind_index(searchable, text, expected):
    found = cases.search_cases(queryset=Complaint.objects.order_by("id"), text=text)

    assert numbers(found) == [getattr(searchable, name).case_number for name in expected]


def test_the_search_index_holds_no_words(searchable):
    """Descriptions are encrypted; their index holds keyed hashes, not the words."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT description, description_index FROM reports_complaint "
                       "WHERE id = %s", [searchable.bike.pk])
        description, index = cursor.fetchone()
    assert "fietsenwinkel" not in description.lower()
    assert "fietsenwinkel" not in index
    assert index == " " + " ".join(crypto.blind_index(term) for term in [
        "weiger", "bij", "de", "fietsenwinkel", "vanweg", "afkomst"]) + " "


# --- Sorting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (None, "-received_at"), ("", "-received_at"), ("bogus", "-received_at"),
    ("--status", "-received_at"), ("id", "-received_at"), ("description", "-received_at"),
    ("status", "status"), ("-status", "-status"), ("assignee", "assignee"),
    ("-incident_municipality", "-incident_municipality"),
])
def test_parse_sort(value, expected):
    assert cases.parse_sort(value) == expected


@pytest.fixture
def sortable(office, coordinator, caseworker, other_caseworker):
    """A-D with ties and empty values in every sortable column (see the expected orders)."""
    a = ComplaintFactory(received_at=local(2020, 6, 1), status="new",
                         incident_municipality="GM0106", channel="online")
    b = ComplaintFactory(received_at=local(2020, 6, 1), status="closed", channel="phone")
    c = ComplaintFactory(received_at=local(2020, 6, 3), status="in_progress",
                         incident_municipality="GM0114", channel="email")
    d = ComplaintFactory(received_at=local(2020, 6, 2), status="new",
                         incident_municipality="GM0106", channel="phone")
    assign_complaint(complaint=a, actor=coordinator, assignee=other_caseworker)
    assign_complaint(complaint=c, actor=coordinator, assignee=caseworker)
    assign_complaint(complaint=d, actor=coordinator, assignee=caseworker)
    Complaint.objects.filter(pk__in=[a.pk, b.pk]).update(
        first_response_due=datetime.date(2020, 6, 8))
    Complaint.objects.filter(pk=c.pk).update(first_response_due=None)
    Complaint.objects.filter(pk=d.pk).update(first_response_due=datetime.date(2020, 6, 5))
    return {"A": a, "B": b, "C": c, "D": d}


#: Ascending orders of the ``sortable`` cases; descending is the exact reverse.
ASCENDING = {
    "case_number": "ABCD",
    "received_at": "ABDC",            # A and B at the same moment: id breaks the tie
    "status": "BCAD",                 # closed, in_progress, new (A, D)
    "incident_municipality": "ADCB",  # Assen (A, D), Emmen, none last
    "assignee": "CDAB",               # caseworker1 (C, D), caseworker2, unassigned last
    "first_response_due": "DABC",     # 5 June, 8 June (A, B), none last
    "channel": "CABD",                # email, online, phone (B, D)
}


def test_every_sort_column_is_covered():
    assert set(ASCENDING) == set(cases.SORT_FIELDS)


@pytest.mark.parametrize("column", list(ASCENDING))
def test_sort_cases_both_directions(sortable, column):
    base = Complaint.objects.all()

    ascending = ids(cases.sort_cases(queryset=base, sort=column))
    descending = ids(cases.sort_cases(queryset=base, sort=f"-{column}"))

    assert ascending == [sortable[letter].pk for letter in ASCENDING[column]]
    assert descending == [sortable[letter].pk for letter in reversed(ASCENDING[column])]


def test_sort_cases_refuses_an_unknown_column(office):
    with pytest.raises(KeyError):
        cases.sort_cases(queryset=Complaint.objects.all(), sort="description")


# --- Dashboard -----------------------------------------------------------------------------------


def test_dashboard_counts(office, coordinator, caseworker, other_caseworker):
    def make(status: str, assignee=None, overdue: bool = False) -> Complaint:
        complaint = ComplaintFactory(status=status, received_at=local(2020, 6, 15)
                                     if overdue else timezone.now())
        if assignee is not None:
            assign_complaint(complaint=complaint, actor=coordinator, assignee=assignee)
        return complaint

    make("new", overdue=True)
    make("new")
    make("in_progress", caseworker, overdue=True)
    make("in_progress", caseworker, overdue=True)
    make("awaiting_reporter", caseworker)
    make("closed", caseworker, overdue=True)  # final: neither open nor overdue
    make("rejected")
    make("reopened", other_caseworker)

    board = cases.dashboard(queryset=Complaint.objects.all())

    assert [(code, count) for code, _label, count in board.per_status] == [
        ("new", 2), ("in_progress", 2), ("awaiting_reporter", 1), ("awaiting_other_party", 0),
        ("closed", 1), ("reopened", 1), ("rejected", 1)]
    assert [(load.user_id, load.username, load.open, load.overdue)
            for load in board.per_caseworker] == [
        (caseworker.pk, "caseworker1", 3, 2),
        (other_caseworker.pk, "caseworker2", 1, 0),
        (coordinator.pk, "coordinator1", 0, 0),
        (None, "", 2, 1),
    ]
    assert (board.open_total, board.overdue_total) == (6, 3)


def test_dashboard_without_cases_lists_zeros(office, caseworker):
    board = cases.dashboard(queryset=Complaint.objects.all())

    assert [count for _code, _label, count in board.per_status] == [0] * len(Status)
    assert [(load.username, load.open, load.overdue) for load in board.per_caseworker] == [
        ("caseworker1", 0, 0), ("", 0, 0)]
    assert (board.open_total, board.overdue_total) == (0, 0)


def test_dashboard_counts_only_the_given_cases(office, coordinator, caseworker):
    mine = ComplaintFactory(received_at=local(2020, 6, 15))
    ComplaintFactory(received_at=local(2020, 6, 15))
    assign_complaint(complaint=mine, actor=coordinator, assignee=caseworker)

    board = cases.dashboard(queryset=Complaint.objects.filter(pk=mine.pk))

    assert [(load.username, load.open, load.overdue) for load in board.per_caseworker] == [
        ("caseworker1", 1, 1), ("coordinator1", 0, 0), ("", 0, 0)]


# --- Access log ----------------------------------------------------------------------------------


def test_access_log_entries_newest_first(office, coordinator, caseworker):
    complaint = ComplaintFactory()
    first = log_access(user=caseworker, action=AccessLog.Action.VIEW, complaint=complaint)
    second = log_access(user=coordinator, action=AccessLog.Action.EXPORT,
                        detail={"format": "csv", "rows": 1, "filters": []})
    AccessLog.objects.filter(pk=first.pk).update(at=second.at)  # same moment: id decides

    assert [entry.pk for entry in cases.access_log_entries()] == [second.pk, first.pk]
