"""``{% case_rows %}`` writes the rows the case-list template wrote (issue 13): same elements,
attributes, text and escaping, in Dutch and in Arabic."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.db.models import F
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from reports.models import Complaint, UnreadCase
from reports.selectors import cases
from reports.timezones import AMSTERDAM
from reports.views.cases import COLUMNS
from reports.vocabulary import Channel, IncidentPlace, Status
from tests.factories import ComplaintFactory

#: The rows as templates/backoffice/complaint_list.html wrote them before this tag.
TEMPLATE_ROWS = (Path(__file__).parent / "case_rows_before.html").read_text()
TAG_ROWS = "{% load case_rows %}{% case_rows page headers bulk_form %}"


def same(html: str) -> str:
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*(<|>)\s*", r"\1", html).strip()


@pytest.fixture
def rows(reference_data, caseworker):
    """Five cases: assigned and unread, overdue, online without a municipality, a municipality
    with an odd name, closed; returned through the list's selectors, newest first."""
    first = ComplaintFactory(incident_municipality="GM0106", channel=Channel.PHONE,
                             received_at=datetime.datetime(2020, 3, 29, 1, 30, tzinfo=AMSTERDAM))
    Complaint.objects.filter(pk=first.pk).update(assigned_to=caseworker)
    UnreadCase.objects.create(complaint=first, user=caseworker, since=first.received_at)
    ComplaintFactory(received_at=datetime.datetime(2020, 10, 25, 2, 30, tzinfo=AMSTERDAM))
    ComplaintFactory(incident_place=IncidentPlace.ONLINE)
    odd = ComplaintFactory(incident_municipality="GM0109")
    Complaint.objects.filter(pk=odd.pk).update(incident_municipality_name="<Coevorden & \"zo\">",
                                               external_reference="x")
    from reports.models import Municipality
    Municipality.objects.filter(code="GM0109").update(name="<Coevorden & \"zo\">")
    closed = ComplaintFactory(status=Status.NEW)
    Complaint.objects.filter(pk=closed.pk).update(status=Status.CLOSED,
                                                  first_response_due=None)
    queryset = cases.with_unread(queryset=cases.case_list(queryset=Complaint.objects.all()),
                                 user=caseworker)
    return queryset.order_by(F("received_at").desc(), F("id").desc())


@pytest.mark.parametrize("language", ["nl", "ar", "en"])
@pytest.mark.parametrize("selectable", [True, False])
def test_the_tag_writes_the_templates_rows(rows, language, selectable):
    engine = engines["django"]
    request = RequestFactory().get("/backoffice/")
    with translation.override(language):
        headers = [{"key": key, "label": label} for key, label in COLUMNS]
        context = {"headers": headers, "bulk_form": object() if selectable else None}
        before = engine.from_string(TEMPLATE_ROWS).render(
            {**context, "page": list(rows)}, request)
        after = engine.from_string(TAG_ROWS).render(
            {**context, "page": list(cases.list_page_columns(queryset=rows))}, request)
    assert same(after) == same(before)
    assert after.count('data-testid="case-row"') == 5
    assert after.count('data-testid="select-case"') == (5 if selectable else 0)
    assert "&lt;Coevorden &amp; &quot;zo&quot;&gt;" in after
    assert after.count('data-testid="unread"') == 1


def test_no_rows_give_no_markup(reference_data):
    out = engines["django"].from_string(TAG_ROWS).render(
        {"page": [], "headers": [{"label": "x"}] * 7, "bulk_form": None})
    assert out == ""
