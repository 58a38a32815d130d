"""The coordinators' form for the office's reminder periods (``/backoffice/herinneringen/``). It
only validates input; the view hands the cleaned data to ``reports.services.reminders``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

#: The accepted range, in working days (``reports.services.reminders.MIN_DAYS``/``MAX_DAYS``).
MIN_DAYS, MAX_DAYS = 1, 250


class ReminderPeriodsForm(forms.Form):
    """Two whole numbers of working days, 1 to 250."""

    in_progress_days = forms.IntegerField(
        label=_("Remind when a case is “in progress” for more than (working days)"),
        min_value=MIN_DAYS, max_value=MAX_DAYS)
    awaiting_reporter_days = forms.IntegerField(
        label=_("Remind when a case is “awaiting reporter” for more than (working days)"),
        min_value=MIN_DAYS, max_value=MAX_DAYS)
