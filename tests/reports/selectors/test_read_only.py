"""Selectors never write: each runs under a database wrapper that fails on any write statement.

``reports.selectors.reference`` is covered function by function (a new public function there
fails ``test_every_reference_selector_is_covered`` until it is added here). Import rules
(``make lint``: selectors import no service or task) keep writes out of the rest.
"""

from __future__ import annotations

import inspect
import re
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
                       "filter_municipalities", "merger_map", "served_municipalities"]


def _evaluate(result: Any) -> Any:
    return list(result) if hasattr(result, "__iter__") and not isinstance(result, dict) else result


def _reference_calls(office: Office) -> dict[str, Callable[[], Any]]:
    return {
        "served_municipalities": lambda: reference.served_municipalities(office=office),
        "existing_municipalities": lambda: reference.existing_municipalities(),
        "annual_form_municipalities": lambda: reference.annual_form_municipalities(
            office=office, year=2024, mapping=reference.merger_map(year=2024)),
        "filter_municipalities": lambda: reference.filter_municipalities(),
        "merger_map": lambda: reference.merger_map(year=2024),
    }


def test_the_wrapper_refuses_a_write(db):
    with pytest.raises(WriteAttemptedError), no_writes():
        Office.objects.create(code="X", name="X")


def test_every_reference_selector_is_covered(office):
    public = {name for name, value in vars(reference).items()
              if inspect.isfunction(value) and value.__module__ == reference.__name__
              and not name.startswith("_")}
    assert public == set(_reference_calls(office)) == set(REFERENCE_SELECTORS)


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
