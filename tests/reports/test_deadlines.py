"""Working-day deadlines with Dutch public holidays (``reports.deadlines``)."""

from __future__ import annotations

import datetime

import pytest

from reports.deadlines import (
    add_working_days,
    first_response_due,
    is_working_day,
    latest_overdue_start,
    working_days_between,
)

D = datetime.date
UTC = datetime.UTC


@pytest.mark.parametrize(("day", "expected"), [
    (D(2020, 6, 8), True),     # an ordinary Monday
    (D(2020, 6, 5), True),     # an ordinary Friday
    (D(2020, 6, 6), False),    # Saturday
    (D(2020, 6, 7), False),    # Sunday
    (D(2020, 4, 27), False),   # King's Day, Monday
    (D(2021, 4, 27), False),   # King's Day, Tuesday
    (D(2020, 4, 28), True),    # the day after King's Day
    (D(2020, 4, 13), False),   # Easter Monday
    (D(2020, 5, 21), False),   # Ascension Day, Thursday
    (D(2020, 5, 22), True),    # the Friday after Ascension Day
    (D(2020, 6, 1), False),    # Whit Monday
    (D(2020, 12, 25), False),  # Christmas Day, Friday
    (D(2019, 12, 26), False),  # Second Day of Christmas, Thursday
    (D(2021, 1, 1), False),    # New Year's Day, Friday
    (D(2020, 5, 1), True),     # 1 May is no public holiday in the Netherlands
])
def test_is_working_day(day, expected):
    assert is_working_day(day) is expected


@pytest.mark.parametrize(("start", "days", "expected"), [
    (D(2020, 6, 8), 1, D(2020, 6, 9)),      # Monday -> Tuesday
    (D(2020, 6, 5), 1, D(2020, 6, 8)),      # Friday -> Monday, over the weekend
    (D(2020, 6, 5), 5, D(2020, 6, 12)),     # a full working week
    (D(2020, 6, 6), 1, D(2020, 6, 8)),      # starting on a Saturday
    (D(2020, 4, 24), 1, D(2020, 4, 28)),    # over the weekend and King's Day
    (D(2020, 4, 24), 5, D(2020, 5, 4)),     # ... Tue 28, Wed 29, Thu 30, Fri 1, Mon 4
    (D(2020, 4, 10), 1, D(2020, 4, 14)),    # over Easter weekend and Easter Monday
    (D(2020, 5, 20), 1, D(2020, 5, 22)),    # over Ascension Day
    (D(2020, 5, 29), 1, D(2020, 6, 2)),     # over Whitsun and Whit Monday
    (D(2020, 12, 23), 1, D(2020, 12, 24)),  # Christmas Eve is a working day
    (D(2020, 12, 24), 1, D(2020, 12, 28)),  # over Christmas (Fri 25, Sat 26) and the weekend
    (D(2020, 12, 24), 5, D(2021, 1, 4)),    # Mon 28 .. Thu 31, New Year's Day, weekend, Mon 4
    (D(2020, 6, 8), 0, D(2020, 6, 8)),      # zero days: the start itself
    (D(2020, 6, 6), 0, D(2020, 6, 6)),      # ... even when it is no working day
])
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize("days", [-1, -5])
def test_add_working_days_refuses_a_negative_number(days):
    with pytest.raises(ValueError, match="days must not be negative"):
        add_working_days(D(2020, 6, 8), days)


@pytest.mark.parametrize(("received_at", "expected"), [
    # Friday 22:30 UTC is Saturday 00:30 in Amsterdam (summer time): counted from Saturday.
    (datetime.datetime(2020, 6, 5, 22, 30, tzinfo=UTC), D(2020, 6, 12)),
    # Thursday 22:30 UTC is Friday 00:30 in Amsterdam: counted from Friday, not Thursday
    # (which would give Thursday 11 June).
    (datetime.datetime(2020, 6, 4, 22, 30, tzinfo=UTC), D(2020, 6, 12)),
    # Friday 21:59 UTC is still Friday 23:59 in Amsterdam.
    (datetime.datetime(2020, 6, 5, 21, 59, tzinfo=UTC), D(2020, 6, 12)),
    # Received on the Friday before King's Day 2020.
    (datetime.datetime(2020, 4, 24, 16, 0, tzinfo=UTC), D(2020, 5, 4)),
    # Received on Christmas Eve 2020.
    (datetime.datetime(2020, 12, 24, 9, 0, tzinfo=UTC), D(2021, 1, 4)),
])
def test_first_response_due_counts_five_working_days_from_the_day_in_amsterdam(received_at,
                                                                               expected):
    assert first_response_due(received_at) == expected


@pytest.mark.parametrize(("received_at", "expected"), [
    # With no working days the deadline is the day of receipt in Amsterdam itself.
    (datetime.datetime(2020, 6, 5, 22, 30, tzinfo=UTC), D(2020, 6, 6)),
    (datetime.datetime(2020, 6, 5, 21, 59, tzinfo=UTC), D(2020, 6, 5)),
    # Winter time: 23:30 UTC on 31 December is 00:30 on 1 January in Amsterdam.
    (datetime.datetime(2020, 12, 31, 23, 30, tzinfo=UTC), D(2021, 1, 1)),
])
def test_first_response_due_uses_the_calendar_day_in_amsterdam(settings, received_at, expected):
    settings.FIRST_RESPONSE_WORKING_DAYS = 0

    assert first_response_due(received_at) == expected


def test_first_response_due_follows_the_setting(settings):
    settings.FIRST_RESPONSE_WORKING_DAYS = 2

    assert first_response_due(datetime.datetime(2020, 4, 24, 12, 0, tzinfo=UTC)) == D(2020, 4, 29)


@pytest.mark.parametrize(("start", "end", "expected"), [
    (datetime.date(2026, 4, 24), datetime.date(2026, 4, 28), 1),  # Fri -> Tue over King's Day
    (datetime.date(2026, 4, 23), datetime.date(2026, 4, 30), 4),
    (datetime.date(2026, 4, 30), datetime.date(2026, 4, 30), 0),
    (datetime.date(2026, 5, 1), datetime.date(2026, 4, 30), 0),
])
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


@pytest.mark.parametrize(("today", "days", "expected"), [
    # Thu 30 April 2026, 3 days: Thu, Wed, Tue, (King's Day, weekend), Fri 24 -> Thu 23.
    (datetime.date(2026, 4, 30), 3, datetime.date(2026, 4, 23)),
    (datetime.date(2026, 4, 30), 0, datetime.date(2026, 4, 29)),
    # Saturday: Fri, Thu -> Wed.
    (datetime.date(2026, 5, 2), 1, datetime.date(2026, 4, 29)),
])
def test_latest_overdue_start(today, days, expected):
    assert latest_overdue_start(today, days) == expected
    assert working_days_between(expected, today) > days
    assert working_days_between(expected + datetime.timedelta(days=1), today) <= days


def test_latest_overdue_start_refuses_a_negative_number():
    with pytest.raises(ValueError):
        latest_overdue_start(datetime.date(2026, 4, 30), -1)
