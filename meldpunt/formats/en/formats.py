"""English dates in one format, day first as in the Netherlands: 02/12/2026 14:05."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

DATE_FORMAT = SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "d/m/Y H:i"
