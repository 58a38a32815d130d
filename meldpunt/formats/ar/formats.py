"""Arabic dates in one format: 02/12/2026 14:05 (digits as in the rest of the page)."""

from django.conf.locale.ar.formats import *  # noqa: F403

DATE_FORMAT = SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "d/m/Y H:i"
