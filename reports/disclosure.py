"""Statistical disclosure control for the annual form (issues 4 and 10).

The exact form (``reports.selectors.statistics.Form``) must not be published as it is: in a small
municipality a cell such as "sexual orientation, private sphere: 1" can identify a neighbour.
``protect`` hides cells in two steps, the standard method of statistics offices (see
``shared/reference/README.md``, "Statistical disclosure control", and
``docs/disclosure-control.md``):

1. **Primary suppression** (``primary_cells``): every non-zero cell below ``threshold`` (default
   5), and every cell, zeros included, of a row or column whose total is below the threshold
   (group disclosure, see ``docs/disclosure-control.md``).
2. **Secondary (complementary) suppression**: the fewest further cells such that no hidden cell
   can be narrowed down, from everything published and every published rule, to an interval
   narrower than ``threshold - 1``. Found exactly by a mixed-integer programme
   (``scipy.optimize.milp``, HiGHS) within ``EXACT_TIME_LIMIT``; the perturbation heuristic of
   issue 4 is the fallback.

``audit`` checks the result independently: for every hidden cell it computes the smallest and
largest integer value consistent with every published figure, the sum relations of the form,
what the counting rules imply (``docs/annual-statistics.md``) and non-negativity. Zeros can be
hidden, so a reader who knows the rules can only assume that a hidden cell is at least 0. A form
whose audit does not pass must not be released.

**Only table 1's grand total** (``total``/``total``/``total``, the figure the law is about) is
exempt from suppression, and with it the ``total`` cells of the ``total`` rows of tables 3 and
4, which equal it. Table 1's other columns are protected like every other cell; tables 1, 3
and 4 are then linked through unknown figures, so the whole form is protected and audited as
one system.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

if TYPE_CHECKING:  # no runtime import: this module works without Django being set up
    from reports.selectors.statistics import Form

#: Column order of every table; the same as ``reports.selectors.statistics.COLUMNS`` (a test
#: checks it), repeated so that this module imports without Django's settings.
COLUMNS: tuple[str, ...] = (
    "resident_here", "resident_elsewhere", "resident_total", "non_resident_here", "total",
)

#: Cells with a non-zero count below this are hidden (issue 4; a minimum frequency of 3 to 5 is
#: common practice, see ``shared/reference/README.md``).
DEFAULT_THRESHOLD = 5

#: The one mark printed for every hidden cell, whatever the reason it is hidden (issue 10: a
#: mark per reason would tell a reader which hidden cells are small). ``x`` is the symbol
#: Statistics Netherlands (CBS) uses for "geheim" (confidential).
HIDDEN_MARK = "x"

#: The product's rule on zeros (``docs/disclosure-control.md``): zeros can be hidden, so the
#: audit gives a hidden cell the lower bound 0 and requires a width of ``threshold - 1``.
ZEROS_CAN_BE_HIDDEN = True

#: Whether the zeros of a small row or column are hidden as primary cells (group disclosure,
#: ``primary_cells``); see ``docs/disclosure-control.md`` for the decision and its reason.
GROUP_ZEROS = True

#: Seconds the exact secondary suppression may take per form before the heuristic takes over.
EXACT_TIME_LIMIT = 10.0

#: Table 1 of the form: one row, ``total``; only its ``total`` column is exempt.
TABLE_1 = "total"
#: Tables with exactly one row per complaint: their ``total`` row equals table 1's row.
ONE_PER_COMPLAINT: frozenset[str] = frozenset({"societal_domain", "nature"})
#: Tables in which a complaint counts once per code: each row is at most table 1's figure.
PER_CODE: frozenset[str] = frozenset({"ground", "handling"})
#: Per-code tables in which every complaint has at least one row (``unknown`` when unclassified).
AT_LEAST_ONE: frozenset[str] = frozenset({"ground"})
KNOWN_TABLES: frozenset[str] = frozenset({TABLE_1}) | ONE_PER_COMPLAINT | PER_CODE

#: Numerical tolerance for the linear programmes.
_TOL = 1e-6
#: Cells per block-diagonal linear programme in ``_extremes``.
_CHUNK = 8
#: Cost, per unit of perturbation, of hiding a published zero in the heuristic: far above any
#: count, so zeros are used as complementary cells only when no non-zero cell can do.
_ZERO_COST = 1e4
#: Tie-break added per cell position in the heuristic: earlier rows and columns are preferred.
_POSITION_COST = 1e-4

ProtectedForm = dict[str, Any]
Cell = tuple[str, str, str]


@dataclass(frozen=True)
class AuditFailure:
    """A hidden cell that the published figures pin down too narrowly.

    ``low`` and ``high`` are the smallest and largest values the cell can take given everything
    published; ``required`` is the width ``high - low`` must reach (see ``required_width``).
    """

    table: str
    row: str
    column: str
    low: float
    high: float
    required: float = 0.0


@dataclass
class AuditResult:
    """The outcome of ``audit``: every under-protected hidden cell, and how many were checked."""

    failures: list[AuditFailure] = field(default_factory=list)
    checked: int = 0

    @property
    def passed(self) -> bool:
        """True when every hidden cell is protected: the form may be released."""
        return not self.failures


def required_width(*, threshold: int, attainable: float,
                   zeros_can_be_hidden: bool = ZEROS_CAN_BE_HIDDEN) -> float:
    """The width ``high - low`` a hidden cell's interval must reach.

    Args:
        threshold: the suppression threshold.
        attainable: the width of the cell's interval when every cell of the form is hidden
            except the figures exempt by law (table 1's grand total, which the ``total`` cells
            of the total rows of tables 3 and 4 equal).
        zeros_can_be_hidden: the attacker model. When zeros can be hidden a hidden cell can be
            0, and the interval must span ``threshold - 1`` (e.g. [0, 4]); when zeros are never
            hidden a hidden cell is at least 1 and the interval must span ``threshold - 2``
            (e.g. [1, 4]).

    Returns:
        ``min(threshold - 1 (or - 2), attainable)``, never below 0.
    """
    wanted = threshold - 1 if zeros_can_be_hidden else threshold - 2
    return float(max(0, min(wanted, attainable)))


def display_value(value: int | None, *, threshold: int | None = None) -> str:
    """How a cell of a protected form is printed: the number, or ``HIDDEN_MARK`` for every
    hidden cell (``None``), whatever the reason it is hidden.

    Args:
        value: a cell of ``protect(...)["tables"]``; ``None`` means hidden.
        threshold: accepted for the callers' convenience; the mark does not depend on it.
    """
    return HIDDEN_MARK if value is None else str(value)


def sum_forms(forms: Iterable[Form]) -> Form:
    """Add forms cell by cell, e.g. every municipality's form into the office-wide summary.

    Args:
        forms: forms of the same shape (``{table: {row: {column: int}}}``).

    Returns:
        A new form with the same tables, rows and columns (in the first form's order).

    Raises:
        ValueError: if ``forms`` is empty or the forms differ in tables, rows or columns.
    """
    result: Form | None = None
    for form in forms:
        if result is None:
            result = {table: {row: dict(counts) for row, counts in rows.items()}
                      for table, rows in form.items()}
            continue
        if _shape(form) != _shape(result):
            raise ValueError("forms differ in tables, rows or columns")
        for table, rows in form.items():
            for row, counts in rows.items():
                for column, value in counts.items():
                    result[table][row][column] += value
    if result is None:
        raise ValueError("no forms to sum")
    return result


def is_exempt(*, table: str, row: str, column: str) -> bool:
    """True for the cells that are never hidden: table 1's grand total and the ``total`` cells
    of the ``total`` rows of tables 3 and 4 (which equal it)."""
    return row == "total" and column == "total" and (
        table == TABLE_1 or table in ONE_PER_COMPLAINT)


def primary_cells(form: Form, *, threshold: int = DEFAULT_THRESHOLD) -> set[Cell]:
    """The cells hidden by primary suppression.

    * every non-zero cell below ``threshold``;
    * group disclosure: every cell, zeros included, of a **line** whose total is non-zero and
      below ``threshold``. The lines of a table are each row (total: its ``total`` cell), each
      row's resident part (``resident_here``, ``resident_elsewhere``, ``resident_total``; total:
      ``resident_total``) and each column (total: the ``total`` row's cell; for tables 2 and 5,
      where a complaint counts once per code, also when table 1's figure of the column is
      below the threshold). Otherwise the published zeros of a small line would show where its
      few complaints are, e.g. "the one non-resident complaint was about religion". A zero
      that another line through it already shows to be 0 (``_known_zero``) stays published.

    The exempt cells (``is_exempt``) are never hidden.

    Args:
        form: a consistent exact form.
        threshold: the suppression threshold.

    Returns:
        ``{(table, row, column)}``.
    """
    cells: set[Cell] = set()

    def small(value: int) -> bool:
        return 0 < value < threshold

    law = form[TABLE_1]["total"]
    for table, rows in form.items():
        lines: list[tuple[bool, list[Cell]]] = []
        for row, counts in rows.items():
            lines.append((small(counts["total"]), [(table, row, c) for c in COLUMNS]))
            lines.append((small(counts["resident_total"]),
                          [(table, row, c) for c in COLUMNS[:3]]))
            for column, value in counts.items():
                if small(value):
                    cells.add((table, row, column))
        if len(rows) > 1:
            for column in COLUMNS:
                group = small(rows["total"][column]) or (
                    table in PER_CODE and small(law[column]))
                lines.append((group, [(table, row, column) for row in rows]))
        for is_small, members in lines:
            if is_small and GROUP_ZEROS:
                cells.update(cell for cell in members
                             if not _known_zero(form, cell, law=law))
    return {cell for cell in cells if not is_exempt(table=cell[0], row=cell[1], column=cell[2])}


def _known_zero(form: Form, cell: Cell, *, law: Mapping[str, int]) -> bool:
    """True for a zero that another line through it shows to be 0 anyway (its row, resident
    part or column sums to 0, or table 1's figure of its column is 0 for tables 2 and 5):
    hiding it would protect nothing and only force more cells to be hidden."""
    table, row, column = cell
    rows = form[table]
    if rows[row][column] != 0:
        return False
    totals = []
    if column != "total":
        totals.append(rows[row]["total"])
    if row != "total":
        totals.append(rows["total"][column])
        if table in PER_CODE or table in ONE_PER_COMPLAINT:
            totals.append(law[column])
    if column in COLUMNS[:2]:
        totals.append(rows[row]["resident_total"])
    return 0 in totals


def protect(form: Form, *, threshold: int = DEFAULT_THRESHOLD, method: str = "heuristic",
            time_limit: float = EXACT_TIME_LIMIT) -> ProtectedForm:
    """Protect an exact form by primary and secondary cell suppression.

    Primary: ``primary_cells``. Secondary: the fewest further cells (ties: the smallest total
    value) such that every hidden cell's interval (see ``audit``) reaches ``required_width``,
    found by ``optimal_complements`` (a mixed-integer programme, HiGHS) within ``time_limit``
    seconds. If it does not finish in time, or its result does not pass the audit (the audit
    is integer, the programme continuous), the perturbation heuristic (``_complement``)
    completes the suppression from there: it hides the cells that let a failing cell move
    cheapest, until every hidden cell passes; should a linear programme fail, every cell but
    the exempt ones is hidden, which meets ``required_width`` by its definition.
    Deterministic for a given form and scipy/HiGHS version.

    Args:
        form: the exact form, ``{table: {row: {column: int}}}`` as counted by
            ``reports.selectors.statistics.count_annual_forms`` (or ``sum_forms``).
        threshold: the suppression threshold (at least 1).
        method: ``"heuristic"`` (the default in production: deterministic, about 0.5 s per
            form, within a few per cent of the optimum, see ``docs/benchmarks.md``), ``"auto"``
            (exact within ``time_limit``, heuristic as fallback; about 2-15 s per form, and with
            a time limit the result can depend on the machine's speed) or ``"exact"`` (no
            fallback: raises ``TimeoutError`` when the programme does not finish).
        time_limit: seconds for the exact programme.

    Returns:
        ``{"tables": {table: {row: {column: int | None}}}, "suppressed": {table: {row:
        [column, ...]}}, "threshold": threshold}``: every table, row and column of ``form`` in
        its order, hidden cells ``None`` and listed in ``suppressed`` (every table present, only
        rows with hidden cells, columns in form order). Which cells were primary and which
        complementary is not in it: the published form must not tell.

    Raises:
        ValueError: if ``threshold`` is below 1, ``method`` is unknown or ``form`` is not a
            consistent form (unknown or missing tables, missing ``total`` rows or columns,
            negative counts, sums that do not add up).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if method not in ("auto", "exact", "heuristic"):
        raise ValueError(f"unknown method {method!r}")
    _validate(form)
    model = _form_model(_shape_key(form))
    values = model.values(form)
    hidden = {model.index[cell] for cell in primary_cells(form, threshold=threshold)}
    if method != "heuristic":
        found = _optimal(model=model, values=values, primary=hidden, threshold=threshold,
                         time_limit=time_limit)
        if found is None and method == "exact":
            raise TimeoutError("the exact suppression did not finish within the time limit")
        if found is not None:
            hidden = found[0]
            if found[2]:  # already passes: nothing for the heuristic to add
                return _published(form, {model.cells[k] for k in hidden}, threshold)
    _complement(model=model, values=values, hidden=hidden, threshold=threshold)
    return _published(form, {model.cells[k] for k in hidden}, threshold)


def optimal_complements(form: Form, *, threshold: int = DEFAULT_THRESHOLD,
                        time_limit: float | None = None) -> tuple[set[Cell], bool]:
    """The exact minimum secondary suppression of a form (for the benchmark, ``bench/``).

    Mixed-integer programme (``scipy.optimize.milp``, HiGHS): a binary ``z`` per cell (1 =
    hidden; primary cells fixed at 1, exempt cells at 0) and, for every hidden cell that needs
    it, two perturbations of the whole form (one up, one down) that keep every relation and
    counting rule, stay non-negative and change only hidden cells; the two must differ in that
    cell by at least ``required_width``. That is exactly "the cell's interval is wide enough"
    for the continuous attacker. The objective is the number of complementary cells, ties
    broken by their total value. Cells are added to the programme lazily: only those that fail
    with the current solution.

    Args:
        form: a consistent exact form.
        threshold: the suppression threshold.
        time_limit: seconds in all, ``None`` for no limit.

    Returns:
        ``(hidden cells, proven optimal)``; ``proven optimal`` is False when the time ran out
        (the cells are then the best found and may not pass the audit).

    Raises:
        ValueError: as ``protect``.
        TimeoutError: no solution within ``time_limit``.
    """
    _validate(form)
    model = _form_model(_shape_key(form))
    values = model.values(form)
    primary = {model.index[cell] for cell in primary_cells(form, threshold=threshold)}
    found = _optimal(model=model, values=values, primary=primary, threshold=threshold,
                     time_limit=time_limit)
    if found is None:
        raise TimeoutError("no solution within the time limit")
    return {model.cells[k] for k in found[0]}, found[1]


def audit(protected: ProtectedForm, *, exact: Form | None = None,
          threshold: int = DEFAULT_THRESHOLD,
          zeros_can_be_hidden: bool = ZEROS_CAN_BE_HIDDEN) -> AuditResult:
    """Check that no hidden cell of a protected form can be recomputed or narrowed down by a
    reader who knows every published rule.

    For every hidden cell, the smallest and largest **integer** value it can take given only
    what is published (linear programmes with ``scipy.optimize.linprog``, HiGHS; a cell whose
    bound is fractional is solved again as an integer programme with ``milp``):

    * every published cell of the form; table 1's grand total must be published;
    * the sum relations of every row (``resident_total = resident_here + resident_elsewhere``,
      ``total = resident_total + non_resident_here``) and of every column (the ``total`` row is
      the sum of the other rows);
    * across tables: the ``total`` rows of tables 3 and 4 equal table 1's row (one row per
      complaint); what the counting rules of ``docs/annual-statistics.md`` imply for tables 2
      and 5 (a complaint counts at most once per code, so every row is at most table 1's figure
      of the same column and the ``total`` row at most that times the number of codes; every
      complaint has at least one ground, so table 2's ``total`` row is at least table 1's);
    * a hidden cell is at least 0 (``zeros_can_be_hidden``, the product's rule) or at least 1
      (the model for a product that never hides zeros).

    A cell fails when ``high - low`` is below ``required_width`` (``threshold - 1``, or
    ``threshold - 2`` with the lower bound 1; less only when the exempt grand total itself does
    not allow that much). The exact values are never used for the bounds.

    Args:
        protected: the result of ``protect`` (only ``"tables"`` and ``"suppressed"`` are read).
        exact: the exact form, optional, for sanity checks: its published cells must equal the
            protected ones and each hidden exact value must lie within its interval.
        threshold: the threshold to audit against.
        zeros_can_be_hidden: the attacker model, see above.

    Returns:
        ``AuditResult`` listing every failing cell with its interval (form order).

    Raises:
        ValueError: if table 1's grand total is not published, a table is unknown,
            ``suppressed`` does not match the hidden cells, the published figures are
            inconsistent, or ``exact`` does not match.
    """
    tables: Mapping[str, Mapping[str, Mapping[str, int | None]]] = protected["tables"]
    _check_suppressed_map(protected)
    for table in tables:
        if table not in KNOWN_TABLES:
            raise ValueError(f"unknown table {table!r}")
    if TABLE_1 not in tables or tables[TABLE_1].get("total", {}).get("total") is None:
        raise ValueError("table 1's grand total must be published")
    model = _form_model(_shape_key(tables))
    published = [tables[t][r][c] for t, r, c in model.cells]
    hidden = {k for k, value in enumerate(published) if value is None}
    if any(model.is_law[k] for k in hidden):
        raise ValueError("table 1's grand total (and the equal cells of tables 3 and 4) must "
                         "be published")
    values = [0.0 if value is None else float(value) for value in published]
    floor = 0.0 if zeros_can_be_hidden else 1.0
    result = AuditResult()
    found = model.intervals(sorted(hidden), hidden=hidden, values=values, floor=floor)
    wanted = threshold - 1 if zeros_can_be_hidden else threshold - 2
    narrow = {k for k in hidden if found[k][1] - found[k][0] < wanted - _TOL}
    caps = _attainable(model=model, values=values, hidden=narrow, every=hidden, floor=floor)
    for k in sorted(hidden):
        table, row, column = model.cells[k]
        low, high = found[k]
        result.checked += 1
        if exact is not None:
            true_value = exact[table][row][column]
            if not low - _TOL <= true_value <= high + _TOL:
                raise ValueError(f"exact value of {table}/{row}/{column} outside its "
                                 f"interval [{low}, {high}]: the forms do not match")
        width = required_width(threshold=threshold,
                               attainable=caps(k) if k in narrow else math.inf,
                               zeros_can_be_hidden=zeros_can_be_hidden)
        if high - low < width - _TOL:
            result.failures.append(AuditFailure(table=table, row=row, column=column,
                                                low=low, high=high, required=width))
    if exact is not None:
        for k, value in enumerate(published):
            table, row, column = model.cells[k]
            if value is not None and value != exact[table][row][column]:
                raise ValueError(f"published {table}/{row}/{column} differs from exact")
    return result


def protect_and_audit(form: Form, *, threshold: int = DEFAULT_THRESHOLD,
                      method: str = "heuristic") -> tuple[ProtectedForm, AuditResult]:
    """``protect`` the form, then ``audit`` the result against the exact form.

    Raises:
        ValueError: as ``protect`` and ``audit``.
    """
    protected = protect(form, threshold=threshold, method=method)
    return protected, audit(protected, exact=form, threshold=threshold)


# --- the model of a form ----------------------------------------------------------------------


class _FormModel:
    """All cells of a form (table, row, column order), its relations and the a-priori bounds.

    ``a_eq @ x == 0``: the row and column sums and "the total rows of tables 3 and 4 equal
    table 1's row"; ``g_ub @ x <= 0``: the counting rules of tables 2 and 5. Both are
    homogeneous, so a perturbation ``y`` of a table ``x`` keeps the equations when
    ``a_eq @ y == 0`` and the rules when ``g_ub @ y <= -g_ub @ x``.
    """

    def __init__(self, shape: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        self.cells: list[Cell] = [(table, row, column) for table, rows in shape
                                  for row in rows for column in COLUMNS]
        self.index = {cell: k for k, cell in enumerate(self.cells)}
        n = len(self.cells)
        self.is_law = [is_exempt(table=t, row=r, column=c) for t, r, c in self.cells]
        equations: list[dict[int, float]] = []
        inequalities: list[dict[int, float]] = []
        ix = self.index
        tables = dict(shape)
        for table, rows in shape:
            for row in rows:
                equations.append({ix[table, row, "resident_total"]: 1.0,
                                  ix[table, row, "resident_here"]: -1.0,
                                  ix[table, row, "resident_elsewhere"]: -1.0})
                equations.append({ix[table, row, "total"]: 1.0,
                                  ix[table, row, "resident_total"]: -1.0,
                                  ix[table, row, "non_resident_here"]: -1.0})
            if len(rows) > 1:
                for column in COLUMNS:
                    equation = {ix[table, row, column]: -1.0 for row in rows if row != "total"}
                    equation[ix[table, "total", column]] = 1.0
                    equations.append(equation)
            has_law = TABLE_1 in tables and "total" in tables[TABLE_1]
            if table in ONE_PER_COMPLAINT and has_law:
                for column in COLUMNS:
                    equations.append({ix[table, "total", column]: 1.0,
                                      ix[TABLE_1, "total", column]: -1.0})
            if table in PER_CODE and has_law:
                codes = len(rows) - 1
                for column in COLUMNS:
                    law = ix[TABLE_1, "total", column]
                    for row in rows:
                        factor = float(codes) if row == "total" else 1.0
                        inequalities.append({ix[table, row, column]: 1.0, law: -factor})
                    if table in AT_LEAST_ONE:
                        inequalities.append({law: 1.0, ix[table, "total", column]: -1.0})
        self.a_eq = _matrix(equations, n)
        self.g_ub = _matrix(inequalities, n)
        #: Upper bound of a cell in units of table 1's grand total (per-code total rows can
        #: count a complaint once per code).
        self.scale = np.ones(n)
        for k, (table, row, _column) in enumerate(self.cells):
            if table in PER_CODE and row == "total":
                self.scale[k] = max(1, len(tables[table]) - 1)
        self.grand_total = ix.get((TABLE_1, "total", "total"))
        self._caps: dict[tuple[float, float], dict[int, tuple[float, float]]] = {}

    def values(self, form: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[float]:
        """The form's cells as floats in model order (hidden cells as 0)."""
        return [float(form[t][r][c] or 0) for t, r, c in self.cells]

    def upper(self, values: list[float]) -> np.ndarray:
        """A-priori upper bound of every cell: the grand total (times the codes for per-code
        total rows)."""
        grand = values[self.grand_total] if self.grand_total is not None else math.inf
        return self.scale * grand

    def intervals(self, ks: list[int], *, hidden: set[int], values: list[float],
                  floor: float = 0.0) -> dict[int, tuple[float, float]]:
        """Smallest and largest integer value of each cell in ``ks`` given the published cells
        (those not in ``hidden``, fixed at ``values``), the relations and ``floor <= x``."""
        lower = np.array(values, dtype=float)
        upper = lower.copy()
        for k in hidden:
            lower[k], upper[k] = floor, math.inf
        return _extremes(self, ks, lower, upper)

    def caps(self, ks: list[int], *, values: list[float]) -> dict[int, tuple[float, float]]:
        """Each cell's interval when every cell but the exempt ones is hidden (cached per
        grand total): ``attainable`` of ``required_width``."""
        key = (values[self.grand_total] if self.grand_total is not None else -1.0, 0.0)
        cache = self._caps.setdefault(key, {})
        missing = [k for k in ks if k not in cache]
        if missing:
            hidden = {k for k in range(len(self.cells)) if not self.is_law[k]}
            cache.update(self.intervals(missing, hidden=hidden, values=values))
        return {k: cache[k] for k in ks}

    def required(self, ks: list[int], *, values: list[float], threshold: int) -> dict[int, float]:
        """``required_width`` of each cell in ``ks`` (product rule: zeros can be hidden)."""
        caps = self.caps(ks, values=values)
        return {k: required_width(threshold=threshold, attainable=caps[k][1] - caps[k][0])
                for k in ks}


def _matrix(rows: list[dict[int, float]], n: int) -> np.ndarray:
    matrix = np.zeros((len(rows), n))
    for i, row in enumerate(rows):
        for k, value in row.items():
            matrix[i, k] = value
    return matrix


@functools.lru_cache(maxsize=64)
def _form_model(shape: tuple[tuple[str, tuple[str, ...]], ...]) -> _FormModel:
    """The model of a form's shape, cached (its caps depend only on the grand total)."""
    return _FormModel(shape)


def _shape_key(form: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((table, tuple(rows)) for table, rows in form.items())


def _attainable(*, model: _FormModel, values: list[float], hidden: set[int], every: set[int],
                floor: float):  # noqa: ANN202 - a small closure
    """``attainable`` per cell for the audit's attacker model: with ``floor == 0`` the cached
    caps; with ``floor == 1`` (zeros never hidden) every published zero stays fixed and every
    other non-exempt cell is hidden and at least 1."""
    if floor == 0.0:
        caps = model.caps(sorted(hidden), values=values)
        return lambda k: caps[k][1] - caps[k][0]
    others = {k for k in range(len(model.cells))
              if not model.is_law[k] and (k in every or values[k] > 0)}
    try:
        found = model.intervals(sorted(hidden), hidden=others, values=values, floor=floor)
    except ValueError:  # no table with every non-zero cell at least 1: nothing attainable
        return lambda k: 0.0
    return lambda k: found[k][1] - found[k][0]


# --- the linear and integer programmes --------------------------------------------------------


def _extremes(model: _FormModel, ks: list[int], lower: np.ndarray,
              upper: np.ndarray) -> dict[int, tuple[float, float]]:
    """Smallest and largest integer value of each cell in ``ks`` over the relations and the
    bounds ``lower <= x <= upper`` (cells with ``lower == upper`` are fixed and eliminated).

    The programmes of the cells are independent, so they are solved as one block-diagonal
    linear programme (a "min" and a "max" copy of each cell's connected component of free
    cells, minimising ``sum(min copies) - sum(max copies)``): its optimum is every copy's own
    optimum, and one ``linprog`` call keeps HiGHS's fixed cost per call from dominating. A bound
    that is not an integer is solved again as an integer programme (``milp``), so the intervals
    are those of a reader who knows that counts are whole numbers.

    Raises:
        ValueError: if the figures admit no solution (inconsistent published figures).
    """
    result: dict[int, tuple[float, float]] = {}
    free = np.flatnonzero(lower < upper)
    position = {int(i): p for p, i in enumerate(free)}
    fixed = np.flatnonzero(lower >= upper)
    eq_rhs = -model.a_eq[:, fixed] @ lower[fixed]
    ub_rhs = -model.g_ub[:, fixed] @ lower[fixed]
    eq = model.a_eq[:, free]
    ub = model.g_ub[:, free]
    eq_used = np.any(eq != 0, axis=1)
    ub_used = np.any(ub != 0, axis=1)
    if (np.any(~eq_used & (np.abs(eq_rhs) > _TOL))
            or np.any(~ub_used & (ub_rhs < -_TOL))):
        raise ValueError("the published figures are inconsistent")
    for k in ks:
        if k not in position:
            result[k] = (float(lower[k]), float(lower[k]))
    solve = [k for k in ks if k in position]
    if not solve:
        return result
    eq, eq_rhs, ub, ub_rhs = eq[eq_used], eq_rhs[eq_used], ub[ub_used], ub_rhs[ub_used]
    var_bounds = [(float(lower[i]), None if math.isinf(upper[i]) else float(upper[i]))
                  for i in free]
    warm = _warm_extremes(eq, eq_rhs, ub, ub_rhs, var_bounds, [position[k] for k in solve])
    if warm is not None:
        for k in solve:
            ends = []
            for sign, value in zip((1.0, -1.0), warm[position[k]], strict=True):
                if not math.isinf(value) and abs(value - round(value)) > 1e-6:
                    value = _integer_extreme(position[k], list(range(len(free))), eq, eq_rhs,
                                             ub, ub_rhs, var_bounds, sign)
                ends.append(value if math.isinf(value) else float(round(value, 6)))
            result[k] = (ends[0], ends[1])
        return result
    if len(solve) > _CHUNK:  # HiGHS's time grows faster than the size: solve in chunks
        for start in range(0, len(solve), _CHUNK):
            result.update(_extremes(model, solve[start:start + _CHUNK], lower, upper))
        return result
    components = _components([eq, ub], len(free))
    blocks: list[tuple[int, list[int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for k in solve:
        variables, eq_rows, ub_rows = components[position[k]]
        blocks.append((variables.index(position[k]), variables,
                       eq[np.ix_(eq_rows, variables)], eq_rhs[eq_rows],
                       ub[np.ix_(ub_rows, variables)], ub_rhs[ub_rows]))
    copies = [(block, sign) for block in blocks for sign in (1.0, -1.0)]
    c_parts: list[np.ndarray] = []
    eq_parts: list[sparse.csr_matrix] = []
    ub_parts: list[sparse.csr_matrix] = []
    b_eq: list[np.ndarray] = []
    b_ub: list[np.ndarray] = []
    bounds: list[tuple[float, float | None]] = []
    for (local, variables, a, b, g, h), sign in copies:
        cost = np.zeros(len(variables))
        cost[local] = sign
        c_parts.append(cost)
        eq_parts.append(sparse.csr_matrix(a))
        ub_parts.append(sparse.csr_matrix(g))
        b_eq.append(b)
        b_ub.append(h)
        bounds.extend(var_bounds[v] for v in variables)
    solution = linprog(
        np.concatenate(c_parts),
        A_ub=sparse.block_diag(ub_parts, format="csr") if sum(len(h) for h in b_ub) else None,
        b_ub=np.concatenate(b_ub) if sum(len(h) for h in b_ub) else None,
        A_eq=sparse.block_diag(eq_parts, format="csr") if sum(len(b) for b in b_eq) else None,
        b_eq=np.concatenate(b_eq) if sum(len(b) for b in b_eq) else None,
        bounds=bounds, method="highs")
    if solution.status == 2:
        raise ValueError(f"the published figures are inconsistent ({solution.message})")
    offsets = np.cumsum([0] + [len(block[1]) for block, _sign in copies])
    for i, k in enumerate(solve):
        ends = []
        for j, sign in ((2 * i, 1.0), (2 * i + 1, -1.0)):
            (local, variables, a, b, g, h), _ = copies[j]
            value = (float(solution.x[offsets[j] + local]) if solution.status == 0
                     else math.nan)
            if solution.status != 0 or abs(value - round(value)) > 1e-6:
                value = _integer_extreme(local, variables, a, b, g, h,
                                         [var_bounds[v] for v in variables], sign)
            ends.append(value if math.isinf(value) else float(round(value, 6)))
        result[k] = (ends[0], ends[1])
    return result


def _warm_extremes(eq: np.ndarray, eq_rhs: np.ndarray, ub: np.ndarray, ub_rhs: np.ndarray,
                   bounds: list[tuple[float, float | None]],
                   targets: list[int]) -> dict[int, tuple[float, float]] | None:
    """Min and max of each variable in ``targets`` over ``eq x = eq_rhs``, ``ub x <= ub_rhs``
    and ``bounds``, with one HiGHS instance re-solved per objective (each solve starts from the
    previous basis, a few simplex iterations). Uses scipy's bundled HiGHS binding; returns
    ``None`` when that binding is not available or a solve does not end optimal (the caller
    then uses ``linprog``)."""
    try:
        from scipy.optimize._highspy import _core as highs
    except ImportError:  # pragma: no cover - another scipy layout: the linprog path
        return None
    matrix = sparse.csc_matrix(np.vstack([eq, ub]))
    n = matrix.shape[1]
    lp = highs.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.array([low for low, _high in bounds], dtype=float)
    lp.col_upper_ = np.array([highs.kHighsInf if high is None else high
                              for _low, high in bounds], dtype=float)
    lp.row_lower_ = np.concatenate([eq_rhs, np.full(len(ub_rhs), -highs.kHighsInf)])
    lp.row_upper_ = np.concatenate([eq_rhs, ub_rhs])
    lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    solver = highs._Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("presolve", "off")
    if solver.passModel(lp) != highs.HighsStatus.kOk:
        return None
    optimal = highs.HighsModelStatus.kOptimal
    result: dict[int, tuple[float, float]] = {}
    for target in targets:
        ends = []
        solver.changeColCost(target, 1.0)
        for sense in (highs.ObjSense.kMinimize, highs.ObjSense.kMaximize):
            solver.changeObjectiveSense(sense)
            solver.run()
            status = solver.getModelStatus()
            if status == highs.HighsModelStatus.kUnbounded and sense == highs.ObjSense.kMaximize:
                ends.append(math.inf)
                continue
            if status != optimal:
                return None
            ends.append(float(solver.getSolution().col_value[target]))
        solver.changeColCost(target, 0.0)
        result[target] = (ends[0], ends[1])
    return result


def _integer_extreme(local: int, variables: list[int], a: np.ndarray, b: np.ndarray,
                     g: np.ndarray, h: np.ndarray, bounds: list[tuple[float, float | None]],
                     sign: float) -> float:
    """The minimum (``sign`` 1) or maximum (-1) of one cell over integers (``milp``)."""
    cost = np.zeros(len(variables))
    cost[local] = sign
    constraints = []
    if len(b):
        constraints.append(LinearConstraint(a, b, b))
    if len(h):
        constraints.append(LinearConstraint(g, -np.inf, h))
    low = np.array([lo for lo, _hi in bounds])
    high = np.array([np.inf if hi is None else hi for _lo, hi in bounds])
    solution = milp(cost, integrality=np.ones(len(variables)), bounds=Bounds(low, high),
                    constraints=constraints)
    if solution.x is None and "unbounded" in str(solution.message).lower():
        return -sign * math.inf
    if solution.x is None:
        raise ValueError(f"the published figures are inconsistent ({solution.message})")
    return float(round(solution.x[local]))


def _components(matrices: list[np.ndarray],
                size: int) -> dict[int, tuple[list[int], list[int], list[int]]]:
    """Connected components of the free cells (columns) through the rows of ``matrices``
    (equations, inequalities): ``{cell: (cells, equation rows, inequality rows)}``."""
    parent = list(range(size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for matrix in matrices:
        for row in matrix:
            members = np.flatnonzero(row).tolist()
            for other in members[1:]:
                parent[find(other)] = find(members[0])
    groups: dict[int, tuple[list[int], list[int], list[int]]] = {}
    for cell in range(size):
        groups.setdefault(find(cell), ([], [], []))[0].append(cell)
    for which, matrix in enumerate(matrices, start=1):
        for r, row in enumerate(matrix):
            groups[find(int(np.flatnonzero(row)[0]))][which].append(r)
    return {cell: groups[find(cell)] for cell in range(size)}


def _failing(model: _FormModel, *, hidden: set[int], values: list[float],
             threshold: int, ks: list[int] | None = None) -> list[int]:
    """The cells of ``ks`` (default: every hidden cell) whose interval is too narrow."""
    ks = sorted(hidden) if ks is None else ks
    found = model.intervals(ks, hidden=hidden, values=values)
    narrow = [k for k in ks if found[k][1] - found[k][0] < threshold - 1 - _TOL]
    need = model.required(narrow, values=values, threshold=threshold)
    return [k for k in narrow if found[k][1] - found[k][0] < need[k] - _TOL]


def _optimal(*, model: _FormModel, values: list[float], primary: set[int], threshold: int,
             time_limit: float | None) -> tuple[set[int], bool, bool] | None:
    """Exact secondary suppression (see ``optimal_complements``).

    Returns:
        ``(hidden, proven optimal, passes)`` or ``None`` when no solution was found in time.
    """
    start = time.monotonic()
    n = len(model.cells)
    a = np.array(values, dtype=float)
    upper = model.upper(values)
    hidden = set(primary)
    protect_set = _failing(model, hidden=hidden, values=values, threshold=threshold)
    if not protect_set:
        return hidden, True, True
    movable = [i for i in range(n) if not model.is_law[i]]
    total_value = float(a.sum()) + 1.0
    cost = np.array([0.0 if model.is_law[i] or i in primary else 1.0 + 0.5 * a[i] / total_value
                     for i in range(n)])
    z_low = np.array([1.0 if i in primary else 0.0 for i in range(n)])
    z_high = np.array([0.0 if model.is_law[i] else 1.0 for i in range(n)])
    y_low = np.array([0.0 if model.is_law[i] else -a[i] for i in range(n)])
    y_high = np.array([0.0 if model.is_law[i] else max(0.0, upper[i] - a[i]) for i in range(n)])
    a_eq = sparse.csr_matrix(model.a_eq)
    g_ub = sparse.csr_matrix(model.g_ub)
    g_rhs = -model.g_ub @ a
    link_y = sparse.csr_matrix(
        (np.ones(len(movable)), (np.arange(len(movable)), movable)), shape=(len(movable), n))
    link_up = sparse.csr_matrix(
        (-(y_high[movable]), (np.arange(len(movable)), movable)), shape=(len(movable), n))
    link_down = sparse.csr_matrix(
        (-a[movable], (np.arange(len(movable)), movable)), shape=(len(movable), n))
    optimal = False
    for _round in range(50):
        remaining = None if time_limit is None else time_limit - (time.monotonic() - start)
        if remaining is not None and remaining <= 0:
            return None
        copies = 2 * len(protect_set)
        size = n * (1 + copies)
        blocks_z, blocks_y, lows, highs = [], [], [], []
        for _copy in range(copies):
            for matrix, low, high, z_part in (
                (a_eq, np.zeros(a_eq.shape[0]), np.zeros(a_eq.shape[0]), None),
                (g_ub, np.full(g_ub.shape[0], -np.inf), g_rhs, None),
                (link_y, np.full(len(movable), -np.inf), np.zeros(len(movable)), link_up),
                (-link_y, np.full(len(movable), -np.inf), np.zeros(len(movable)), link_down),
            ):
                blocks_y.append(matrix)
                blocks_z.append(z_part if z_part is not None
                                else sparse.csr_matrix((matrix.shape[0], n)))
                lows.append(low)
                highs.append(high)
        rows_z = sparse.vstack(blocks_z)
        per_copy = len(blocks_y) // copies
        rows_y = sparse.block_diag(
            [sparse.vstack(blocks_y[c * per_copy:(c + 1) * per_copy]) for c in range(copies)],
            format="csr")
        need = model.required(protect_set, values=values, threshold=threshold)
        width_rows = []
        for j, s in enumerate(protect_set):
            row = sparse.lil_matrix((1, size))
            row[0, n + 2 * j * n + s] = 1.0
            row[0, n + (2 * j + 1) * n + s] = -1.0
            row[0, s] = -need[s]
            width_rows.append(row.tocsr())
        matrix = sparse.vstack([sparse.hstack([rows_z, rows_y]), *width_rows], format="csr")
        low = np.concatenate([*lows, np.zeros(len(protect_set))])
        high = np.concatenate([*highs, np.full(len(protect_set), np.inf)])
        objective = np.concatenate([cost, np.zeros(n * copies)])
        integrality = np.concatenate([np.ones(n), np.zeros(n * copies)])
        bounds = Bounds(np.concatenate([z_low, np.tile(y_low, copies)]),
                        np.concatenate([z_high, np.tile(y_high, copies)]))
        options: dict[str, Any] = {"mip_rel_gap": 0.0, "disp": False}
        if remaining is not None:
            options["time_limit"] = remaining
        solution = milp(objective, integrality=integrality, bounds=bounds,
                        constraints=LinearConstraint(matrix, low, high), options=options)
        if solution.x is None:
            return None
        optimal = solution.status == 0
        hidden = {i for i in range(n) if solution.x[i] > 0.5} | set(primary)
        failing = _failing(model, hidden=hidden, values=values, threshold=threshold)
        if not failing:
            return hidden, optimal, True
        new = [k for k in failing if k not in protect_set]
        if not new:
            return hidden, False, False
        protect_set = sorted(set(protect_set) | set(new))
    return hidden, False, False


def _perturbation(model: _FormModel, k: int, *, step: float, hidden: set[int],
                  values: list[float]) -> set[int] | None:
    """Published cells to hide so that cell ``k`` can move by ``step`` unnoticed (heuristic).

    Solves ``min sum(cost * |y|)`` subject to ``a_eq y = 0``, ``g_ub (x + y) <= 0``, ``y[k] =
    step``, ``y = 0`` on the exempt cells and ``0 <= x + y <= upper``; returns the published
    cells with ``y != 0``, or ``None`` when the programme has no solution. Already hidden cells
    cost nothing, a published non-zero cell ``1 + value`` per unit, a published zero
    ``_ZERO_COST``.
    """
    n = len(model.cells)
    value = np.array(values, dtype=float)
    upper = model.upper(values)
    cost = np.zeros(n)
    bounds_up: list[tuple[float, float | None]] = []
    bounds_down: list[tuple[float, float | None]] = []
    for i in range(n):
        if i in hidden:
            cost[i] = 0.0
        elif value[i] > 0:
            cost[i] = 1.0 + value[i] + _POSITION_COST * i
        else:
            cost[i] = _ZERO_COST + _POSITION_COST * i
        room_up, room_down = upper[i] - value[i], value[i]
        if model.is_law[i]:
            room_up = room_down = 0.0
        bounds_up.append((0.0, None if math.isinf(room_up) else max(0.0, float(room_up))))
        bounds_down.append((0.0, max(0.0, float(room_down))))
    if step > 0:
        bounds_up[k], bounds_down[k] = (step, step), (0.0, 0.0)
    else:
        bounds_up[k], bounds_down[k] = (0.0, 0.0), (-step, -step)
    cost[k] = 0.0
    solution = linprog(np.concatenate([cost, cost]),
                       A_ub=np.hstack([model.g_ub, -model.g_ub]) if len(model.g_ub) else None,
                       b_ub=-model.g_ub @ value if len(model.g_ub) else None,
                       A_eq=np.hstack([model.a_eq, -model.a_eq]),
                       b_eq=np.zeros(model.a_eq.shape[0]),
                       bounds=bounds_up + bounds_down, method="highs")
    if solution.status != 0:
        return None
    moves = solution.x[:n] - solution.x[n:]
    return {i for i in range(n) if i not in hidden and abs(moves[i]) > _TOL}


def _complement(*, model: _FormModel, values: list[float], hidden: set[int],
                threshold: int) -> None:
    """Heuristic secondary suppression, in place on ``hidden`` (see ``protect``).

    The hidden cells are checked in form order; the first that fails gets a perturbation (one
    up, one down) and the published cells it touches are hidden. Hiding cells only widens
    intervals, so a cell that passes stays passing and the loop ends.
    """
    verified: set[int] = set()
    while pending := sorted(hidden - verified):
        failures = _failing(model, hidden=hidden, values=values, threshold=threshold,
                            ks=pending)
        verified.update(k for k in pending if k not in failures)
        if not failures:
            break
        failing = failures[0]  # the first in form order; the others are checked again
        verified.add(failing)
        need = model.required([failing], values=values, threshold=threshold)[failing]
        cap_low = model.caps([failing], values=values)[failing][0]
        down = min(values[failing] - cap_low, need)
        for step in (need - down, -down):
            if abs(step) <= _TOL:
                continue
            added = _perturbation(model, failing, step=step, hidden=hidden, values=values)
            if added is None:
                break
            hidden |= added
        if _failing(model, hidden=hidden, values=values, threshold=threshold, ks=[failing]):
            # cannot happen in exact arithmetic; the safe fallback
            hidden |= {i for i in range(len(values)) if not model.is_law[i]}


# --- shapes -----------------------------------------------------------------------------------


def _shape(form: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list:
    return [(table, [(row, list(counts)) for row, counts in rows.items()])
            for table, rows in form.items()]


def _validate(form: Form) -> None:
    """Raise ``ValueError`` unless ``form`` is a consistent form (see ``protect``)."""
    if TABLE_1 not in form or list(form[TABLE_1]) != ["total"]:
        raise ValueError("table 1 ('total') with its one row 'total' is required")
    for table, rows in form.items():
        if table not in KNOWN_TABLES:
            raise ValueError(f"unknown table {table!r}")
        if "total" not in rows:
            raise ValueError(f"table {table!r} has no 'total' row")
        for row, counts in rows.items():
            if list(counts) != list(COLUMNS):
                raise ValueError(f"{table}/{row}: columns must be {', '.join(COLUMNS)}")
            if any(not isinstance(v, int) or v < 0 for v in counts.values()):
                raise ValueError(f"{table}/{row}: counts must be non-negative integers")
            if (counts["resident_total"] != counts["resident_here"] + counts["resident_elsewhere"]
                    or counts["total"] != counts["resident_total"] + counts["non_resident_here"]):
                raise ValueError(f"{table}/{row}: columns do not add up")
        if len(rows) > 1:
            for column in COLUMNS:
                if rows["total"][column] != sum(c[column] for r, c in rows.items()
                                                if r != "total"):
                    raise ValueError(f"{table}: rows do not add up to 'total' in {column}")
        if table in ONE_PER_COMPLAINT and rows["total"] != form[TABLE_1]["total"]:
            raise ValueError(f"{table}: 'total' row differs from table 1")


def _check_suppressed_map(protected: ProtectedForm) -> None:
    tables = protected["tables"]
    listed = {(table, row, column)
              for table, rows in protected.get("suppressed", {}).items()
              for row, columns in rows.items() for column in columns}
    hidden = {(table, row, column) for table, rows in tables.items()
              for row, counts in rows.items() for column, value in counts.items()
              if value is None}
    if listed != hidden:
        raise ValueError("'suppressed' does not list exactly the hidden (None) cells")


def _published(form: Form, hidden: set[Cell], threshold: int) -> ProtectedForm:
    tables: dict[str, dict[str, dict[str, int | None]]] = {}
    suppressed: dict[str, dict[str, list[str]]] = {}
    for table, rows in form.items():
        tables[table] = {}
        suppressed[table] = {}
        for row, counts in rows.items():
            tables[table][row] = {}
            for column, value in counts.items():
                if (table, row, column) in hidden:
                    tables[table][row][column] = None
                    suppressed[table].setdefault(row, []).append(column)
                else:
                    tables[table][row][column] = value
    return {"tables": tables, "suppressed": suppressed, "threshold": threshold}
