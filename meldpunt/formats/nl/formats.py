"""Dutch dates everywhere in one format: 02-12-2026 and 02-12-2026 14:05 (issue 12 §5)."""

from django.conf.locale.nl.formats import *  # noqa: F403 (input formats, separators)

DATE_FORMAT = SHORT_DATE_FORMAT = "d-m-Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "d-m-Y H:i"
