"""Selectors never write: each runs under a database wrapper that fails on any write statement.

``reports.selectors.reference`` is covered function by function (a new public function there
fails ``test_every_reference_selector_is_covered`` until it is added here), and so are the main
selectors of the other modules (``CASE_SELECTORS``) on a database with one case. Import rules
(``make lint``: selectors import no service or task) keep writes out of the rest.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from reports.models import Office
from reports.selectors import reference

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)


class WriteAttemptedError(AssertionError):
    pass


@contextmanager
def no_writes() -> Iterator[list[str]]:
    """Run the block with every write statement refused; yields the statements that ran."""
    seen: list[str] = []

    def refuse_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                      context: dict[str, Any]) -> Any:
        if WRITE.match(sql):
            raise WriteAttemptedError(sql)
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_writes):
        yield seen


REFERENCE_SELECTORS = ["annual_form_municipalities", "existing_municipalities",
                       "filter_municipalities", "filter_municipality_choices",
                       "is_filter_municipality", "merger_map", "served_municipalities"]
#: Public functions of the module that read nothing (they drop a per-process copy).
NO_READS = {"forget_filter_municipality_choices"}


def _evaluate(result: Any) -> Any:
    return list(result) if hasattr(result, "__iter__") and not isinstance(result, dict) else result


def _reference_calls(office: Office) -> dict[str, Callable[[], Any]]:
    return {
        "served_municipalities": lambda: reference.served_municipalities(office=office),
        "existing_municipalities": lambda: reference.existing_municipalities(),
        "annual_form_municipalities": lambda: reference.annual_form_municipalities(
            office=office, year=2024, mapping=reference.merger_map(year=2024)),
        "filter_municipalities": lambda: reference.filter_municipalities(),
        "filter_municipality_choices": lambda: reference.filter_municipality_choices(),
        "is_filter_municipality": lambda: reference.is_filter_municipality(code="GM0106"),
        "merger_map": lambda: reference.merger_map(year=2024),
    }


def test_the_wrapper_refuses_a_write(db):
    with pytest.raises(WriteAttemptedError), no_writes():
        Office.objects.create(code="X", name="X")


def test_every_reference_selector_is_covered(office):
    public = {name for name, value in vars(reference).items()
              if inspect.isfunction(value) and value.__module__ == reference.__name__
              and not name.startswith("_")}
    assert public - NO_READS == set(_reference_calls(office)) == set(REFERENCE_SELECTORS)


@pytest.mark.parametrize("name", REFERENCE_SELECTORS)
def test_reference_selector_reads_without_writing(office, name):
    with no_writes() as statements:
        result = _evaluate(_reference_calls(office)[name]())
    assert statements, f"{name} ran no query"
    assert result


def test_reference_selectors_do_not_create_the_office(reference_data):
    # The office row is created by the service reports.services.reference.current_office, not
    # by a read: with no office row the selectors still only read.
    Office.objects.all().delete()
    with no_writes():
        assert _evaluate(reference.existing_municipalities())
    assert not Office.objects.exists()


def _case_calls(office: Office, user: Any, complaint: Any) -> dict[str, Callable[[], Any]]:
    from reports.selectors import (
        accounts,
        cases,
        followup,
        intake,
        permissions,
        privacy,
        reminders,
        reports,
        statistics,
        timeline,
    )

    visible = permissions.visible_complaints(user=user)
    return {
        "visible_complaints": lambda: visible,
        "can_view": lambda: permissions.can_view(user=user, complaint=complaint),
        "can_change": lambda: permissions.can_change(user=user, complaint=complaint),
        "assignable_users": permissions.assignable_users,
        "case_list": lambda: cases.sort_cases(
            queryset=cases.case_list(queryset=visible), sort=cases.parse_sort(None)),
        "filter_overdue": lambda: cases.filter_overdue(queryset=visible, overdue=False),
        "search_cases": lambda: cases.search_cases(queryset=visible, text="melding"),
        "access_log_entries": cases.access_log_entries,
        "case_timeline": lambda: timeline.case_timeline(complaint=complaint),
        "count_annual_forms": lambda: statistics.count_annual_forms(office=office, year=2020),
        "latest_runs": lambda: statistics.latest_runs(office=office),
        "snapshot_years": lambda: statistics.snapshot_years(office=office),
        "released_reports": lambda: reports.released_reports(office=office),
        "report_years": lambda: reports.report_years(office=office),
        "due_for_retention": privacy.due_for_retention,
        "subject_access_data": lambda: privacy.subject_access_data(complaint=complaint),
        "municipal_accounts": accounts.municipal_accounts,
        "home_url": lambda: accounts.home_url(user=user),
        "portal_complaint": lambda: followup.portal_complaint(public_id=complaint.public_id),
        "portal_messages": lambda: followup.portal_messages(complaint=complaint),
        "portal_files": lambda: followup.portal_files(complaint=complaint),
        "submission_token_used": lambda: intake.submission_token_used(token=uuid.uuid4()),
        "overdue_digests": lambda: reminders.overdue_digests(),
    }


CASE_SELECTORS = sorted([
    "access_log_entries", "assignable_users", "can_change", "can_view", "case_list",
    "case_timeline", "count_annual_forms", "due_for_retention", "filter_overdue", "home_url",
    "latest_runs", "municipal_accounts", "overdue_digests", "portal_complaint", "portal_files",
    "portal_messages",
    "released_reports", "report_years", "search_cases", "snapshot_years", "subject_access_data",
    "submission_token_used", "visible_complaints"])


@pytest.mark.parametrize("name", CASE_SELECTORS)
def test_case_and_statistics_selectors_read_without_writing(office, coordinator, name):
    from tests.factories import ComplaintFactory

    complaint = ComplaintFactory(description="Een melding over de bus.")
    calls = _case_calls(office, coordinator, complaint)
    assert sorted(calls) == CASE_SELECTORS
    with no_writes() as statements:
        result = _evaluate(calls[name]())
    if name in {"can_view", "can_change", "home_url"}:
        assert result  # a coordinator's permissions may come from the cache: no query
    else:
        assert statements, f"{name} ran no query"
