"""Working-day deadlines. Dutch public holidays come from the ``holidays`` package."""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays
from django.conf import settings

from reports.timezones import AMSTERDAM


@lru_cache(maxsize=32)
def _dutch_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("NL", years=year))


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday, and not a Dutch public holiday (``holidays.NL``)."""
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count).

    Args:
        start: a calendar date (Europe/Amsterdam).
        days: a non-negative number of working days.

    Raises:
        ValueError: ``days`` is negative.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def first_response_due(received_at: datetime.datetime) -> datetime.date:
    """The last day for a first response to a report received at ``received_at``.

    ``FIRST_RESPONSE_WORKING_DAYS`` (default 5) working days after the day of receipt in
    Europe/Amsterdam.
    """
    return add_working_days(received_at.astimezone(AMSTERDAM).date(),
                            settings.FIRST_RESPONSE_WORKING_DAYS)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """The number of working days after ``start`` up to and including ``end`` (0 when ``end`` is
    not after ``start``). Calendar dates in Europe/Amsterdam.

    Example: from Friday to the next Monday is 1 (the weekend does not count).
    """
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def latest_overdue_start(today: datetime.date, days: int) -> datetime.date:
    """The latest start date that is more than ``days`` working days before ``today``.

    A period that began on date ``d`` (Europe/Amsterdam) has lasted more than ``days`` working
    days on ``today`` exactly when ``d <= latest_overdue_start(today, days)``, i.e. when
    ``working_days_between(d, today) > days``. Lets a query compare a timestamp with one fixed
    bound instead of counting working days per row.

    Raises:
        ValueError: ``days`` is negative.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    # Walk back until more than ``days`` working days lie after the day, up to ``today``.
    day, count = today, 0
    while count <= days:
        if is_working_day(day):
            count += 1
        day -= datetime.timedelta(days=1)
    return day
