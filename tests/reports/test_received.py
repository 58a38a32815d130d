"""``reports.received``: the one rule for the time of receipt (staff form and import)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from reports.received import received_moment
from reports.timezones import AMSTERDAM

UTC = datetime.UTC
NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    # The repeated autumn hour: the first occurrence (summer time, UTC+2).
    (datetime.datetime(2025, 10, 26, 2, 30), datetime.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
    (datetime.datetime(2025, 10, 26, 1, 59), datetime.datetime(2025, 10, 25, 23, 59, tzinfo=UTC)),
    (datetime.datetime(2025, 10, 26, 3, 0), datetime.datetime(2025, 10, 26, 2, 0, tzinfo=UTC)),
    (datetime.datetime(2000, 1, 1, 0, 0), datetime.datetime(1999, 12, 31, 23, 0, tzinfo=UTC)),
    # An explicit offset is kept, whichever occurrence it names.
    (datetime.datetime(2025, 10, 26, 2, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
     datetime.datetime(2025, 10, 26, 1, 30, tzinfo=UTC)),
])
def test_accepted(value, expected):
    moment = received_moment(value, now=NOW)

    assert moment == expected
    assert moment.utcoffset() is not None


@pytest.mark.parametrize(("value", "code"), [
    (datetime.datetime(1, 1, 1), "too_early"),
    (datetime.datetime(1, 1, 1, tzinfo=UTC), "too_early"),
    (datetime.datetime(1999, 12, 31, 23, 59, 59), "too_early"),
    (datetime.datetime(2000, 1, 1, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=5))),
     "too_early"),
    (datetime.datetime(2020, 3, 29, 2, 30), "nonexistent"),
    (datetime.datetime(2026, 1, 1, 13, 1), "future"),
    (datetime.datetime(9999, 12, 31, 23, 59, tzinfo=AMSTERDAM), "future"),
])
def test_refused(value, code):
    with pytest.raises(ValidationError) as refused:
        received_moment(value, now=NOW)

    assert refused.value.code == code
