"""The product's one calendar time zone: Europe/Amsterdam.

Everything calendar-based (registration years, working-day deadlines, retention dates, the
received-date filters, the CSV and export times, the yearly beat slot) is a date or a time in
Europe/Amsterdam, whatever the server's own time zone. ``settings.TIME_ZONE`` and
``CELERY_TIMEZONE`` name the same zone (a test checks it). Import the constant from here rather
than building another ``ZoneInfo``. This module needs no Django settings at import time.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

#: Europe/Amsterdam (CET/CEST), the zone of every calendar date in Meldpunt.
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local_today() -> datetime.date:
    """Today's calendar date in Europe/Amsterdam (from ``django.utils.timezone.now()``)."""
    return timezone.localdate(timezone=AMSTERDAM)
