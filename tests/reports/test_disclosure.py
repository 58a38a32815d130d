"""Disclosure control of the annual form (issue 4): ``reports.disclosure``."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pytest

from reports import disclosure
from reports.disclosure import (
    DEFAULT_THRESHOLD,
    AuditFailure,
    audit,
    display_value,
    protect,
    protect_and_audit,
    sum_forms,
)
from reports.selectors import statistics
from reports.selectors.statistics import COLUMNS, count_annual_forms, empty_form
from reports.services.demo import seed_demo_year
from reports.vocabulary import Ground, Handling, Nature, SocietalDomain

#: Where a complaint falls for the municipality whose form is built.
HERE, ELSEWHERE, NON_RESIDENT = "resident_here", "resident_elsewhere", "non_resident_here"


@dataclass(frozen=True)
class Complaint:
    """A complaint as the counting sees it (``count_annual_forms``)."""

    column: str
    grounds: tuple[str, ...] = ()
    domain: str = "unknown"
    nature: str = "unknown"
    handling: tuple[str, ...] = ()


def count(complaints: list[Complaint]):
    """Count complaints into a form with the rules of ``count_annual_forms``: one row per
    complaint in tables 1, 3 and 4, one per code in 2 and 5 (``unknown`` ground when none)."""
    form = empty_form()
    for c in complaints:
        form["total"]["total"][c.column] += 1
        for ground in c.grounds or ("unknown",):
            form["ground"][ground][c.column] += 1
        form["societal_domain"][c.domain][c.column] += 1
        form["nature"][c.nature][c.column] += 1
        for code in c.handling:
            form["handling"][code][c.column] += 1
    for rows in form.values():
        for row, cells in rows.items():
            if row == "total" and len(rows) > 1:
                continue
            cells["resident_total"] = cells[HERE] + cells[ELSEWHERE]
            cells["total"] = cells["resident_total"] + cells[NON_RESIDENT]
        if len(rows) > 1:
            rows["total"] = {column: sum(c[column] for r, c in rows.items() if r != "total")
                             for column in COLUMNS}
    return form


def hidden_cells(protected: dict) -> set[tuple[str, str, str]]:
    return {(t, r, c) for t, rows in protected["tables"].items()
            for r, cells in rows.items() for c, v in cells.items() if v is None}


ALL = ["resident_here", "resident_total", "total"]  # a here-only row's non-zero columns


def hand_form():
    """20 complaints, all by residents about their own municipality; one sexual-orientation
    complaint among 10 race and 9 religion; every other count is at least 5 or zero."""
    complaints = (
        [Complaint(HERE, ("race",), "labour_market", "disputed_treatment",
                   ("registration", "advice_information"))] * 6
        + [Complaint(HERE, ("race",), "labour_market", "disputed_treatment",
                     ("registration",))] * 4
        + [Complaint(HERE, ("religion",), "labour_market", "disputed_treatment",
                     ("registration",))] * 2
        + [Complaint(HERE, ("religion",), "neighbourhood", "disputed_treatment",
                     ("registration",))] * 3
        + [Complaint(HERE, ("religion",), "neighbourhood", "hostile_treatment",
                     ("registration",))] * 4
        + [Complaint(HERE, ("sexual_orientation",), "neighbourhood", "hostile_treatment",
                     ("registration",))]
    )
    return count(complaints)


def test_hand_made_form_hides_the_small_cell_and_exactly_its_complement():
    form = hand_form()
    protected, result = protect_and_audit(form, threshold=5)

    assert protected["threshold"] == 5
    assert protected["suppressed"] == {
        "total": {},
        # primary: the 1; complementary: religion (9), the cheapest row that can absorb a
        # change of 3 up and 1 down without touching the table's published total
        "ground": {"religion": ALL, "sexual_orientation": ALL},
        "societal_domain": {}, "nature": {}, "handling": {},
    }
    assert protected["tables"]["ground"]["sexual_orientation"] == {
        "resident_here": None, "resident_elsewhere": 0, "resident_total": None,
        "non_resident_here": 0, "total": None}
    assert protected["tables"]["ground"]["total"] == {
        "resident_here": 20, "resident_elsewhere": 0, "resident_total": 20,
        "non_resident_here": 0, "total": 20}
    assert protected["tables"]["ground"]["race"]["total"] == 10
    # everything else is the exact form
    for table, rows in form.items():
        for row, cells in rows.items():
            for column, value in cells.items():
                if (table, row, column) not in hidden_cells(protected):
                    assert protected["tables"][table][row][column] == value
    assert list(protected["tables"]) == list(form)
    assert [list(rows) for rows in protected["tables"].values()] == [list(r) for r in
                                                                     form.values()]
    assert result.passed is True
    assert result.failures == []
    assert result.checked == 6


def test_hand_made_form_intervals_of_the_hidden_cells():
    protected = protect(hand_form(), threshold=5)
    protected["tables"]["ground"]["religion"]["resident_here"] = None
    # both hidden rows share 20 - 10 = 10 complaints: each lies anywhere in [0, 10]
    model = disclosure._table_model("ground", tuple(protected["tables"]["ground"]),
                                    tuple((c, 20.0 if c in ALL else 0.0) for c in COLUMNS))
    rows = list(protected["tables"]["ground"])
    values = [float(v or 0) for row in rows
              for v in protected["tables"]["ground"][row].values()]
    hidden = {i for i, (row, column) in enumerate(model.cells)
              if protected["tables"]["ground"][row][column] is None}
    found = model.intervals(sorted(hidden), hidden=hidden, values=values)
    assert sorted(set(found.values())) == [(0.0, 10.0)]


def test_zero_cells_and_large_cells_are_published():
    form = hand_form()
    protected = protect(form, threshold=5)
    for table, rows in form.items():
        for row, cells in rows.items():
            for column, value in cells.items():
                shown = protected["tables"][table][row][column]
                if value == 0:
                    assert shown == 0
                elif value >= 5 and not (table == "ground" and row == "religion"):
                    assert shown == value


def test_table_1_is_exact_even_below_the_threshold():
    form = count([Complaint(HERE, ("age",), "housing", "threat", ("mediation",)),
                  Complaint(NON_RESIDENT, ("age",), "housing", "violence", ())])
    protected, result = protect_and_audit(form, threshold=5)

    assert protected["tables"]["total"] == {"total": {
        "resident_here": 1, "resident_elsewhere": 0, "resident_total": 1,
        "non_resident_here": 1, "total": 2}}
    # tables 3 and 4 have one row per complaint: their total rows equal table 1 and stay
    assert protected["tables"]["societal_domain"]["total"] == form["total"]["total"]
    assert protected["tables"]["nature"]["total"] == form["total"]["total"]
    assert protected["suppressed"]["total"] == {}
    # table 1 says nobody reported an incident elsewhere: that zero is known, so published
    assert protected["tables"]["societal_domain"]["housing"] == {
        "resident_here": None, "resident_elsewhere": 0, "resident_total": None,
        "non_resident_here": None, "total": None}
    assert result.passed is True
    # an age cell can only be narrowed to [0, table 1's figure]: the widest the law allows
    assert protected["tables"]["ground"]["age"]["total"] is None


def test_audit_catches_primary_suppression_only():
    complaints = ([Complaint(HERE, ("race",))] * 10 + [Complaint(HERE, ("religion",))] * 8
                  + [Complaint(HERE, ("age",))] * 2)
    form = count(complaints)
    protected = {"tables": {t: {r: dict(c) for r, c in rows.items()} for t, rows in form.items()},
                 "suppressed": {t: {} for t in form}, "threshold": 5}
    for column in ALL:
        protected["tables"]["ground"]["age"][column] = None
    protected["suppressed"]["ground"]["age"] = ALL

    result = audit(protected, exact=form, threshold=5)

    assert result.passed is False
    assert result.checked == 3
    assert result.failures == [
        AuditFailure(table="ground", row="age", column=column, low=2.0, high=2.0, required=4.0)
        for column in ALL]


def test_audit_refuses_a_form_without_table_1():
    protected = protect(hand_form(), threshold=5)
    protected["tables"]["total"]["total"]["total"] = None
    protected["suppressed"]["total"] = {"total": ["total"]}
    with pytest.raises(ValueError, match="table 1"):
        audit(protected, threshold=5)


def test_audit_checks_the_suppressed_map():
    protected = protect(hand_form(), threshold=5)
    protected["suppressed"]["ground"] = {}
    with pytest.raises(ValueError, match="suppressed"):
        audit(protected, threshold=5)


def test_protect_refuses_an_inconsistent_form():
    form = hand_form()
    form["ground"]["race"]["total"] += 1
    with pytest.raises(ValueError, match="columns do not add up"):
        protect(form)
    with pytest.raises(ValueError, match="threshold"):
        protect(hand_form(), threshold=0)


def test_display_value():
    assert display_value(None, threshold=5) == "<5"
    assert display_value(None, threshold=3) == "<3"
    assert display_value(0, threshold=5) == "0"
    assert display_value(12, threshold=5) == "12"
    assert DEFAULT_THRESHOLD == 5


def test_sum_forms():
    a = count([Complaint(HERE, ("race",))])
    b = count([Complaint(NON_RESIDENT, ("race", "age"), handling=("referral",))] * 2)
    total = sum_forms([a, b])
    assert total["total"]["total"] == {"resident_here": 1, "resident_elsewhere": 0,
                                       "resident_total": 1, "non_resident_here": 2, "total": 3}
    assert total["ground"]["age"]["total"] == 2
    assert total["handling"]["referral"]["non_resident_here"] == 2
    assert a["total"]["total"]["total"] == 1  # inputs untouched
    with pytest.raises(ValueError, match="no forms"):
        sum_forms([])


def test_columns_match_the_counting():
    assert disclosure.COLUMNS == statistics.COLUMNS


def random_complaint(rng: random.Random) -> Complaint:
    column = rng.choice([HERE, HERE, HERE, ELSEWHERE, NON_RESIDENT])
    grounds = tuple(rng.sample([g for g in Ground.values if g != "unknown"],
                               rng.choice([0, 1, 1, 1, 1, 2, 3])))
    domain = rng.choice(SocietalDomain.values)
    nature = rng.choice(Nature.values)
    handling = tuple(rng.sample(Handling.values, rng.choice([0, 1, 1, 2, 3])))
    return Complaint(column, grounds, domain, nature, handling)


@pytest.mark.parametrize("chunk", range(4))
def test_random_forms_are_protected(chunk):
    """200 random forms (50 per chunk) with small counts: protect, then the audit passes, every
    exact value lies in its interval (``audit(exact=...)`` raises otherwise), published cells are
    exact, and every published total row is the sum of its published rows when none is hidden."""
    for seed in range(chunk * 50, chunk * 50 + 50):
        rng = random.Random(seed)
        threshold = rng.choice([3, 5, 5, 5])
        form = count([random_complaint(rng) for _ in range(rng.randint(0, 30))])
        protected, result = protect_and_audit(form, threshold=threshold)
        assert result.passed, (seed, result.failures)
        assert protected["tables"]["total"] == form["total"]
        for table, rows in protected["tables"].items():
            for row, cells in rows.items():
                for column, value in cells.items():
                    exact = form[table][row][column]
                    if value is None:
                        assert table != "total"
                        assert row in protected["suppressed"][table]
                        assert column in protected["suppressed"][table][row]
                    else:
                        assert value == exact
                        assert not (0 < exact < threshold and table != "total"
                                    and not (row == "total"
                                             and table in ("societal_domain", "nature")))
            for column in COLUMNS:
                shown = [cells[column] for row, cells in rows.items() if row != "total"]
                if rows["total"][column] is not None and None not in shown and len(rows) > 1:
                    assert rows["total"][column] == sum(shown)


def test_a_large_form_is_fast_and_light():
    rng = random.Random(2024)
    form = count([random_complaint(rng) for _ in range(400)])
    start = time.perf_counter()
    protected, result = protect_and_audit(form)
    assert time.perf_counter() - start < 5
    assert result.passed is True
    assert all(protected["tables"][t][r][c] is not None or 0 < form[t][r][c]
               for t, r, c in hidden_cells(protected))


@pytest.mark.django_db
def test_demo_year_every_municipality_and_the_office(office):
    seed_demo_year(office=office, year=2020, count=80)
    forms = count_annual_forms(office=office, year=2020)
    assert len(forms) == 12
    for code, form in sorted(forms.items()):
        protected, result = protect_and_audit(form)
        assert result.passed, (code, result.failures)
        assert protected["tables"]["total"] == form["total"]
    summary = sum_forms(forms.values())
    protected, result = protect_and_audit(summary)
    assert result.passed is True
    assert protected["tables"]["total"] == summary["total"]


@pytest.mark.parametrize(("value", "exact", "shown"), [
    (7, 7, "7"), (0, 0, "0"), (None, 3, "<5"), (None, 4, "<5"), (None, 1, "<5"),
    (None, 5, "x"), (None, 12, "x"), (None, 0, "x"), (None, None, "<5"),
])
def test_display_value_never_prints_a_false_bound(value, exact, shown):
    assert display_value(value, threshold=5, exact=exact) == shown
