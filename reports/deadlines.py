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
