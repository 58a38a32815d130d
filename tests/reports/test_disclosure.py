"""Disclosure control of the annual form (issue 4): ``reports.disclosure``."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    model = disclosure._form_model(disclosure._shape_key(protected["tables"]))
    values = model.values(protected["tables"])
    hidden = {k for k, (t, r, c) in enumerate(model.cells)
              if protected["tables"][t][r][c] is None}
    found = model.intervals(sorted(hidden), hidden=hidden, values=values)
    # both hidden rows share 20 - 10 = 10 complaints: each lies anywhere in [0, 10]
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


def test_table_1_columns_are_protected_and_only_the_grand_total_is_exempt():
    form = count([Complaint(HERE, ("age",), "housing", "threat", ("mediation",)),
                  Complaint(NON_RESIDENT, ("age",), "housing", "violence", ())])
    protected, result = protect_and_audit(form, threshold=5)

    # two complaints: every line is small, so everything but the grand total is hidden,
    # zeros included (group disclosure: a published 0 would show where the two are)
    assert protected["tables"]["total"] == {"total": {
        "resident_here": None, "resident_elsewhere": None, "resident_total": None,
        "non_resident_here": None, "total": 2}}
    for table in ("societal_domain", "nature"):
        assert protected["tables"][table]["total"] == {
            "resident_here": None, "resident_elsewhere": None, "resident_total": None,
            "non_resident_here": None, "total": 2}
    # published: the exempt cells, and zeros that their row or column shows to be 0 anyway
    for table, rows in protected["tables"].items():
        for row, cells in rows.items():
            for column, value in cells.items():
                assert value is None or value == 0 or disclosure.is_exempt(
                    table=table, row=row, column=column)
    assert protected["tables"]["ground"]["age"]["resident_here"] is None  # 1
    assert result.passed is True


def test_a_small_table_1_column_is_hidden_with_its_complement():
    form = count([Complaint(HERE, ("race",), "labour_market", "disputed_treatment")] * 12
                 + [Complaint(NON_RESIDENT, ("race",), "labour_market", "disputed_treatment")]
                 * 2)
    protected, result = protect_and_audit(form, threshold=5)

    # 2 non-residents: primary; table 1's total is exempt, so resident_total (12) must go too
    assert protected["tables"]["total"] == {"total": {
        "resident_here": None, "resident_elsewhere": 0, "resident_total": None,
        "non_resident_here": None, "total": 14}}
    assert result.passed is True
    assert result.checked == len(hidden_cells(protected))


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
    assert display_value(None, threshold=5) == "x"
    assert display_value(None, threshold=3) == "x"
    assert display_value(None) == disclosure.HIDDEN_MARK == "x"
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
        assert protected["tables"]["total"]["total"]["total"] == form["total"]["total"]["total"]
        primary = disclosure.primary_cells(form, threshold=threshold)
        assert primary <= hidden_cells(protected)
        for table, rows in protected["tables"].items():
            for row, cells in rows.items():
                for column, value in cells.items():
                    exact = form[table][row][column]
                    if value is None:
                        assert not disclosure.is_exempt(table=table, row=row, column=column)
                        assert row in protected["suppressed"][table]
                        assert column in protected["suppressed"][table][row]
                    else:
                        assert value == exact
                        assert not 0 < exact < threshold or disclosure.is_exempt(
                            table=table, row=row, column=column)
            for column in COLUMNS:
                shown = [cells[column] for row, cells in rows.items() if row != "total"]
                if rows["total"][column] is not None and None not in shown and len(rows) > 1:
                    assert rows["total"][column] == sum(shown)


def test_a_large_form_is_fast_and_light():
    rng = random.Random(2024)
    form = count([random_complaint(rng) for _ in range(400)])
    start = time.perf_counter()
    protected, result = protect_and_audit(form)
    assert time.perf_counter() - start < 10
    assert result.passed is True


@pytest.mark.django_db
def test_demo_year_every_municipality_and_the_office(office):
    seed_demo_year(office=office, year=2020, count=80)
    forms = count_annual_forms(office=office, year=2020)
    assert len(forms) == 12
    for code, form in sorted(forms.items()):
        protected, result = protect_and_audit(form)
        assert result.passed, (code, result.failures)
        assert protected["tables"]["total"]["total"]["total"] == form["total"]["total"]["total"]
    summary = sum_forms(forms.values())
    protected, result = protect_and_audit(summary)
    assert result.passed is True
    assert protected["tables"]["total"]["total"]["total"] == summary["total"]["total"]["total"]


@pytest.mark.parametrize("value", [None])
def test_display_value_never_tells_why_a_cell_is_hidden(value):
    # one mark for a primary cell (3), a complementary one (12) and a hidden zero alike: the
    # function does not even receive the exact count
    assert {display_value(value, threshold=5), display_value(value, threshold=3)} == {"x"}

def small_pair_form():
    """20 complaints by residents about their own municipality: race 16, religion 3, age 1."""
    return count([Complaint(HERE, ("race",))] * 16 + [Complaint(HERE, ("religion",))] * 3
                 + [Complaint(HERE, ("age",))])


def hide(form, cells):
    protected = {"tables": {t: {r: dict(c) for r, c in rows.items()} for t, rows in form.items()},
                 "suppressed": {t: {} for t in form}, "threshold": 5}
    for table, row, column in cells:
        protected["tables"][table][row][column] = None
        protected["suppressed"][table].setdefault(row, []).append(column)
    return protected


def test_audit_models_a_reader_who_knows_whether_zeros_can_be_hidden():
    form = small_pair_form()
    protected = hide(form, [("ground", row, column) for row in ("religion", "age")
                            for column in ALL])
    # the two hidden rows share 4 complaints: [0, 4] when a hidden cell can be 0 ...
    assert audit(protected, exact=form, threshold=5).passed is True
    # ... but [1, 3] for a reader who knows that zeros are never hidden: width 2 < 5 - 2
    result = audit(protected, threshold=5, zeros_can_be_hidden=False)
    assert result.failures == [
        AuditFailure(table="ground", row=row, column=column, low=1.0, high=3.0, required=3.0)
        for row in ("age", "religion") for column in ALL]  # form order


def test_required_width():
    assert disclosure.required_width(threshold=5, attainable=20) == 4.0
    assert disclosure.required_width(threshold=5, attainable=20, zeros_can_be_hidden=False) == 3.0
    assert disclosure.required_width(threshold=5, attainable=2) == 2.0
    assert disclosure.required_width(threshold=1, attainable=2, zeros_can_be_hidden=False) == 0.0


def test_zeros_of_a_small_column_are_hidden_group_disclosure():
    # one non-resident complaint (religion) among 20 resident ones: with the column's zeros
    # published, "the one non-resident complaint was about religion" would be readable
    form = count([Complaint(HERE, ("race",), "labour_market", "disputed_treatment")] * 20
                 + [Complaint(NON_RESIDENT, ("religion",), "labour_market",
                              "disputed_treatment")])
    primary = disclosure.primary_cells(form, threshold=5)
    # a zero in the small column, in a row that has complaints: hidden
    assert ("ground", "race", "non_resident_here") in primary
    assert ("societal_domain", "labour_market", "non_resident_here") in primary
    # a zero whose row has no complaint at all is known to be 0 anyway: published
    assert ("ground", "age", "non_resident_here") not in primary
    assert ("ground", "age", "resident_here") not in primary  # a zero of a large column
    protected, result = protect_and_audit(form, threshold=5)
    assert protected["tables"]["ground"]["race"]["non_resident_here"] is None
    assert protected["tables"]["ground"]["age"]["resident_here"] == 0
    assert result.passed is True


def test_exact_minimum_suppression_is_never_worse_than_the_heuristic():
    for seed in (4, 6, 10):
        rng = random.Random(seed)
        threshold = rng.choice([3, 5, 5, 5])
        form = count([random_complaint(rng) for _ in range(rng.randint(0, 30))])
        optimum, proven = disclosure.optimal_complements(form, threshold=threshold)
        heuristic = hidden_cells(protect(form, threshold=threshold, method="heuristic"))
        exact, result = protect_and_audit(form, threshold=threshold, method="auto")
        assert proven is True
        assert result.passed is True
        assert len(optimum) <= len(hidden_cells(exact)) <= len(heuristic)
        assert disclosure.primary_cells(form, threshold=threshold) <= optimum
        # deterministic
        assert protect(form, threshold=threshold, method="auto") == exact


def test_protect_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="method"):
        protect(hand_form(), method="fast")


complaint_strategy = st.builds(
    Complaint,
    column=st.sampled_from([HERE, ELSEWHERE, NON_RESIDENT]),
    grounds=st.lists(st.sampled_from([g for g in Ground.values if g != "unknown"]),
                     max_size=2, unique=True).map(tuple),
    domain=st.sampled_from(SocietalDomain.values),
    nature=st.sampled_from(Nature.values),
    handling=st.lists(st.sampled_from(Handling.values), max_size=2, unique=True).map(tuple),
)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(complaints=st.lists(complaint_strategy, max_size=25),
       threshold=st.sampled_from([3, 5]))
def test_protection_holds_for_any_small_form(complaints, threshold):
    """Any form: the audit passes, the grand total is published, every primary cell is hidden,
    every published cell is exact, and no published output says why a cell is hidden."""
    form = count(complaints)
    protected, result = protect_and_audit(form, threshold=threshold)

    assert result.passed, result.failures
    assert protected["tables"]["total"]["total"]["total"] == len(complaints)
    assert disclosure.primary_cells(form, threshold=threshold) <= hidden_cells(protected)
    assert set(protected) == {"tables", "suppressed", "threshold"}
    for table, rows in protected["tables"].items():
        for row, cells in rows.items():
            for column, value in cells.items():
                assert value is None or value == form[table][row][column]
