"""When a report was received: the one rule shared by the staff registration form and
``import_complaints`` (issue 10 §6).

* A date and time **without an offset** is wall-clock time in Europe/Amsterdam.
* A wall-clock time in the **spring-forward gap** (e.g. 2020-03-29 02:30, which never happened)
  is refused.
* A wall-clock time in the **repeated autumn hour** (e.g. 2025-10-26 02:30, which happened twice)
  is read as its **first occurrence**, still summer time (CEST, UTC+02:00; ``fold=0``). The
  hour is within one day and never near a year boundary, so the registration year, the
  statistics and the response deadline do not depend on the choice. An import can say which
  occurrence it means with an explicit offset (``+02:00`` first, ``+01:00`` second).
* A time **before 1 January 2000** (Europe/Amsterdam) is refused: no statistics year counts it
  (``reports.services.statistics.MIN_YEAR``), and it is always a typing or conversion error.
  Year 1, which cannot even be converted to UTC, is refused the same way instead of crashing.
* A time **in the future** is refused.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.timezones import AMSTERDAM

#: The first registration year the statistics count (``StatisticsRunForm``, import, staff form).
EARLIEST_YEAR = 2000
EARLIEST_RECEIVED = datetime.datetime(EARLIEST_YEAR, 1, 1, tzinfo=AMSTERDAM)

TOO_EARLY, NONEXISTENT, FUTURE = "too_early", "nonexistent", "future"


def received_moment(value: datetime.datetime, *,
                    now: datetime.datetime | None = None) -> datetime.datetime:
    """The timezone-aware moment of receipt for ``value``, by the rule of this module.

    Args:
        value: a naive datetime (wall-clock time in Europe/Amsterdam) or an aware one.
        now: the present moment (tz-aware); ``timezone.now()`` by default.

    Returns:
        An aware datetime: for naive input the instant in UTC, else ``value`` unchanged.

    Raises:
        ValidationError: code ``too_early`` (before 2000-01-01 00:00 Europe/Amsterdam),
            ``nonexistent`` (in the spring-forward gap) or ``future``; translated message.
    """
    # Refuse early years before any conversion: year 1 overflows when converted to UTC.
    if value.year < EARLIEST_YEAR:
        raise _too_early()
    if timezone.is_naive(value):
        local = value.replace(tzinfo=AMSTERDAM, fold=0)  # the repeated hour: first occurrence
        # A time in the spring-forward gap does not survive a round trip through UTC.
        if local.astimezone(datetime.UTC).astimezone(AMSTERDAM).replace(tzinfo=None) != value:
            raise ValidationError(
                _("This time does not exist in Amsterdam: the clocks were put forward an hour "
                  "that night."), code=NONEXISTENT)
        # In UTC: an aware time inside the repeated hour would compare unequal to every other
        # zone's equal moment (PEP 495), so hand on the unambiguous instant.
        value = local.astimezone(datetime.UTC)
    if value < EARLIEST_RECEIVED:
        raise _too_early()
    if value > (now or timezone.now()):
        raise ValidationError(_("The time of receipt cannot be in the future."), code=FUTURE)
    return value


def _too_early() -> ValidationError:
    return ValidationError(
        _("The time of receipt must be on or after 1 January %(year)d; no annual statistics "
          "count earlier reports.") % {"year": EARLIEST_YEAR}, code=TOO_EARLY)
