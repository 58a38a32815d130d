"""``{% case_rows page headers selectable %}``: the case list's table rows, built in Python.

The case list shows 25 rows on every page load. Through the template each row cost about
0.3 ms (a ``{% url %}``, a ``{% blocktranslate %}``, two date filters, three choice labels and
some 40 variable look-ups), a fifth of the page at 1,000,000 complaints (issue 13). This tag
writes the same elements, attributes and text (``tests/reports/templatetags/test_case_rows.py``
compares it with the template markup it replaced): the detail URL is reversed once and the
labels translated once per page; every value is escaped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from reports.vocabulary import Channel, IncidentPlace, Status

register = template.Library()

_PLACEHOLDER = uuid.UUID(int=0)


@register.simple_tag
def case_rows(page: Iterable[Any], headers: Sequence[dict[str, Any]],
              selectable: object = False) -> SafeString:
    """The ``<tr>`` rows of the case list for the complaints of ``page`` (read through
    ``reports.selectors.cases.case_list`` and ``list_page_columns``: ``is_overdue`` and
    ``is_unread`` annotated, the caseworker joined in), one cell per header of ``headers``
    (``reports.views.cases.COLUMNS`` order; their labels become each cell's ``data-label``), with
    a selection checkbox first when ``selectable``. Dates in the current time zone and the
    active language's formats. Escaped."""
    labels = [escape(header["label"]) for header in headers]
    detail = escape(reverse("backoffice:complaint_detail", args=[_PLACEHOLDER]))
    placeholder = str(_PLACEHOLDER)
    select_label = escape(gettext("Select"))
    unread = (' <span class="badge text-bg-primary" data-testid="unread">'
              f'{escape(gettext("Unread reply"))}</span>')
    overdue = (' <span class="badge text-bg-danger" data-testid="overdue">'
               f'{escape(gettext("Overdue"))}</span>')
    unassigned = escape(gettext("Unassigned"))
    statuses = {value: escape(label) for value, label in Status.choices}
    places = {value: escape(label) for value, label in IncidentPlace.choices}
    channels = {value: escape(label) for value, label in Channel.choices}
    parts: list[str] = []
    for complaint in page:
        public_id = str(complaint.public_id)
        number = escape(complaint.case_number)
        parts.append('<tr data-testid="case-row">')
        if selectable:
            aria = escape(gettext("Select case %(number)s") % {"number": complaint.case_number})
            parts.append(
                f'<td data-label="{select_label}"><input type="checkbox" '
                f'class="form-check-input" name="cases" value="{public_id}" '
                f'id="select-{public_id}" aria-label="{aria}" data-testid="select-case"></td>')
        received = formats.date_format(timezone.localtime(complaint.received_at),
                                       "SHORT_DATETIME_FORMAT")
        due = complaint.first_response_due
        assignee = complaint.assigned_to.get_username() if complaint.assigned_to else ""
        place = (escape(complaint.incident_municipality_name)
                 if complaint.incident_municipality_name
                 else places.get(complaint.incident_place, escape(complaint.incident_place)))
        parts += [
            f'<td data-label="{labels[0]}"><a href="{detail.replace(placeholder, public_id)}">'
            f"{number}</a>{unread if complaint.is_unread else ''}"
            f"{overdue if complaint.is_overdue else ''}</td>",
            f'<td data-label="{labels[1]}">{escape(received)}</td>',
            f'<td data-label="{labels[2]}">'
            f"{statuses.get(complaint.status, escape(complaint.status))}</td>",
            f'<td data-label="{labels[3]}">{place}</td>',
            f'<td data-label="{labels[4]}">'
            f"{escape(assignee) if assignee else unassigned}</td>",
            f'<td data-label="{labels[5]}">'
            f"{escape(formats.date_format(due, 'SHORT_DATE_FORMAT')) if due else '—'}</td>",
            f'<td data-label="{labels[6]}">'
            f"{channels.get(complaint.channel, escape(complaint.channel))}</td>",
            "</tr>",
        ]
    return mark_safe("".join(parts))  # noqa: S308  # every value above is escaped
