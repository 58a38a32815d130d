"""The bounded paginator of the case list (issue 13): exact counts up to a limit, deep pages by
id, the same rows as Django's paginator."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from reports import pagination
from reports.models import Complaint
from reports.pagination import BoundedPaginator
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(office):
    return [ComplaintFactory() for _ in range(7)]


def ordered():
    return Complaint.objects.order_by("-received_at", "-id")


def test_counts_exactly_up_to_the_limit(seven):
    paginator = BoundedPaginator(ordered(), 2, limit=7)

    assert (paginator.count, paginator.truncated, paginator.num_pages) == (7, False, 4)


def test_beyond_the_limit_counts_the_limit_and_pages_only_through_it(seven):
    paginator = BoundedPaginator(ordered(), 2, limit=5)

    assert (paginator.count, paginator.truncated, paginator.num_pages) == (5, True, 3)
    assert [c.pk for c in paginator.get_page(3)] == [seven[-5].pk]
    assert paginator.get_page(1000).number == 3  # clamped to the last page, as Django's


def test_counting_stops_after_limit_plus_one(seven, django_assert_num_queries):
    paginator = BoundedPaginator(ordered(), 2, limit=3)

    with django_assert_num_queries(1) as captured:
        assert paginator.count == 3
    assert "LIMIT 4" in captured.captured_queries[0]["sql"]


@pytest.mark.parametrize("deferred_from", [0, 2, 1000])
def test_every_page_holds_the_same_rows_as_djangos_paginator(seven, monkeypatch,
                                                             deferred_from):
    monkeypatch.setattr(pagination, "DEFERRED_FROM", deferred_from)
    bounded, plain = BoundedPaginator(ordered(), 3, limit=100), Paginator(ordered(), 3)

    for number in plain.page_range:
        assert [c.pk for c in bounded.page(number)] == [c.pk for c in plain.page(number)]


def test_a_deep_page_is_one_query(seven, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 0)
    paginator = BoundedPaginator(ordered(), 3, limit=100)
    assert paginator.count == 7

    with django_assert_num_queries(1) as captured:
        rows = list(paginator.page(2))
    assert [c.pk for c in rows] == [seven[3].pk, seven[2].pk, seven[1].pk]
    assert "OFFSET 3" in captured.captured_queries[0]["sql"]
