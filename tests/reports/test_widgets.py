"""The Python-rendered select gives the HTML of Django's templates (issue 13)."""

from __future__ import annotations

import re

import pytest
from django import forms

from reports.filters import AllYesNoSelect
from reports.widgets import FastSelect, FastSelectMixin

CHOICES = [("", "---"), ("a<b", "A & B \"q\" 'x'"), ("c", "C"), ("c", "C again")]
ATTRS = {"class": "form-select", "id": "id_x", "required": True, "disabled": False,
         "data-x": 'a"b'}


def same(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize("value", ["c", None, "a<b", "", "missing", ["c"]])
def test_select_matches_djangos(value):
    expected = forms.Select(choices=CHOICES, attrs=ATTRS).render("x", value)
    assert FastSelect(choices=CHOICES, attrs=ATTRS).render("x", value) == same(expected)


def test_only_the_first_matching_option_is_selected():
    html = FastSelect(choices=CHOICES).render("x", "c")
    assert html.count(" selected") == 1
    assert '<option value="c" selected>C</option>' in html


def test_optgroups_match_djangos():
    choices = [("Group <1>", [("1", "one"), ("2", "two")]), ("3", "three")]
    assert (FastSelect(choices=choices).render("g", "2")
            == same(forms.Select(choices=choices).render("g", "2")))


class _NullBoolean(FastSelectMixin, forms.NullBooleanSelect):
    pass


@pytest.mark.parametrize("value", [True, False, None, "true", "false", "unknown", "2"])
def test_yes_no_select_matches_djangos(value):
    assert (_NullBoolean().render("o", value)
            == same(forms.NullBooleanSelect().render("o", value)))


def test_the_case_lists_yes_no_select_offers_all_yes_no():
    html = AllYesNoSelect().render("overdue", True)
    assert re.findall(r'<option value="(\w+)"( selected)?>', html) == [
        ("unknown", ""), ("true", " selected"), ("false", "")]
