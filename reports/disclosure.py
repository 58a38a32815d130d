"""Statistical disclosure control for the annual form (issue 4, "anonymised means nobody can be
recognised").

The exact form (``reports.selectors.statistics.Form``) must not be published as it is: in a small
municipality a cell such as "sexual orientation, private sphere: 1" can identify a neighbour.
``protect`` hides cells in two steps, the standard method of statistics offices (see
``shared/reference/README.md``, "Statistical disclosure control", and
``docs/disclosure-control.md``):

1. **Primary suppression**: every non-zero cell below ``threshold`` (default 5) is hidden.
2. **Secondary (complementary) suppression**: more cells are hidden until no hidden cell can be
   narrowed down, from the published figures and the structure of the form, to an interval
   narrower than ``threshold - 1``.

``audit`` checks the result independently with linear programmes (``scipy.optimize.linprog``,
HiGHS): for every hidden cell it computes the smallest and largest value consistent with every
published figure, the sum relations of the form, what the counting rules imply
(``docs/annual-statistics.md``) and non-negativity. A form whose audit does not pass must not be
released.

**Table 1 is published exactly** (the figure the law is about), all five columns of its one row.
Tables 3 (societal domain) and 4 (nature) count every complaint exactly once, so their ``total``
rows equal table 1's row and are published exactly as well. Because table 1 is fully known, the
five tables are only linked through known figures and every table can be protected and audited
on its own (with table 1's figures as bounds). Where table 1's figures are small, no suppression
can give a hidden cell an interval wider than they allow; the required width is then capped at
the widest interval that hiding every other cell of the table could give (see ``required_width``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

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

#: Table 1 of the form: one row, ``total``, published exactly.
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
#: Cost, per unit of perturbation, of hiding a published zero: far above any count, so zeros are
#: used as complementary cells only when no non-zero cell can do.
_ZERO_COST = 1e4
#: Tie-break added per cell position: earlier rows and columns are preferred.
_POSITION_COST = 1e-4

ProtectedForm = dict[str, Any]


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


def required_width(*, threshold: int, attainable: float) -> float:
    """The width ``high - low`` a hidden cell's interval must reach.

    Args:
        threshold: the suppression threshold.
        attainable: the width of the cell's interval when every cell of its table is hidden
            except the figures published by law (table 1, and the total rows of tables 3 and 4).

    Returns:
        ``min(threshold - 1, attainable)``: ``threshold - 1`` (issue 4), unless the legal figures
        themselves do not allow that much (a column of table 1 below ``threshold - 1``).
    """
    return float(min(threshold - 1, attainable))


#: Printed for a cell hidden only to protect other cells (its count is 0 or at least the
#: threshold, so "<5" would be false).
COMPLEMENTARY_MARK = "x"


def display_value(value: int | None, *, threshold: int, exact: int | None = None) -> str:
    """How a cell of a protected form is printed.

    Args:
        value: a cell of ``protect(...)["tables"]``; ``None`` means hidden.
        threshold: the threshold the form was protected with (``protect(...)["threshold"]``).
        exact: the cell's exact count, when the caller has it. A hidden cell whose exact count is
            below the threshold (primary suppression) prints as ``"<threshold"``; one hidden only
            to protect others (complementary suppression) prints as ``COMPLEMENTARY_MARK``.
            Without ``exact`` every hidden cell prints as ``"<threshold"``.
    """
    if value is not None:
        return str(value)
    if exact is not None and not 0 < exact < threshold:
        return COMPLEMENTARY_MARK
    return f"<{threshold}"


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


def protect(form: Form, *, threshold: int = DEFAULT_THRESHOLD) -> ProtectedForm:
    """Protect an exact form by primary and secondary cell suppression.

    Primary: every non-zero cell below ``threshold`` is hidden, except the legal figures (table
    1's row, and the ``total`` rows of tables 3 and 4 which equal it). Secondary: the hidden cells
    of each table are checked in table order (row, then column); a cell whose interval (see
    ``audit``) is narrower than ``required_width`` is given a perturbation, found by two linear
    programmes (one up, one down), that the published figures cannot rule out; the published
    cells the perturbation touches are hidden too. Cheap cells are preferred: already hidden
    cells cost nothing, a published non-zero cell costs ``1 + value`` per unit, a published zero
    ``_ZERO_COST``. Hiding cells only widens every interval, so a cell once protected stays
    protected and the loop ends after at most one pass over all cells; should a linear
    programme fail, every cell of the table except the legal figures is hidden, which meets
    ``required_width`` by its definition. Deterministic for a given form.

    Args:
        form: the exact form, ``{table: {row: {column: int}}}`` as counted by
            ``reports.selectors.statistics.count_annual_forms`` (or ``sum_forms``).
        threshold: the suppression threshold (at least 1).

    Returns:
        ``{"tables": {table: {row: {column: int | None}}}, "suppressed": {table: {row:
        [column, ...]}}, "threshold": threshold}``: every table, row and column of ``form`` in
        its order, hidden cells ``None`` and listed in ``suppressed`` (every table present, only
        rows with hidden cells, columns in form order).

    Raises:
        ValueError: if ``threshold`` is below 1 or ``form`` is not a consistent form (unknown or
            missing tables, missing ``total`` rows or columns, negative counts, sums that do not
            add up).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    _validate(form)
    law = _law_row(form)
    hidden_by_table: dict[str, set[int]] = {}
    for table, rows in form.items():
        if table == TABLE_1:
            hidden_by_table[table] = set()
            continue
        model = _table_model(table, tuple(rows), tuple(law.items()))
        values = [float(rows[row][column]) for row, column in model.cells]
        hidden = {k for k, value in enumerate(values)
                  if 0 < value < threshold and not model.is_law[k]}
        _complement(model=model, values=values, hidden=hidden, threshold=threshold)
        hidden_by_table[table] = hidden
    return _published(form, hidden_by_table, threshold)


def audit(protected: ProtectedForm, *, exact: Form | None = None,
          threshold: int = DEFAULT_THRESHOLD) -> AuditResult:
    """Check that no hidden cell of a protected form can be recomputed or narrowed down.

    For every hidden cell, two linear programmes (``scipy.optimize.linprog``, HiGHS, continuous)
    give the smallest and largest value the cell can take given only what is published:

    * every published cell of the form, and table 1's row (which must be published);
    * the sum relations of every row (``resident_total = resident_here + resident_elsewhere``,
      ``total = resident_total + non_resident_here``) and of every column (the ``total`` row is
      the sum of the other rows);
    * across tables: the ``total`` rows of tables 3 and 4 equal table 1's row (one row per
      complaint); what the counting rules of ``docs/annual-statistics.md`` imply for tables 2
      and 5 (a complaint counts at most once per code, so every row is at most table 1's figure
      of the same column and the ``total`` row at most that times the number of codes; every
      complaint has at least one ground, so table 2's ``total`` row is at least table 1's);
    * non-negativity.

    A cell fails when ``high - low`` is below ``required_width`` (``threshold - 1``, or less when
    table 1's figures do not allow that much). The exact values are never used for the bounds.

    Args:
        protected: the result of ``protect`` (only ``"tables"`` and ``"suppressed"`` are read).
        exact: the exact form, optional, for sanity checks: its published cells must equal the
            protected ones and each hidden exact value must lie within its interval.
        threshold: the threshold to audit against.

    Returns:
        ``AuditResult`` listing every failing cell with its interval (table order).

    Raises:
        ValueError: if table 1 is not fully published, ``suppressed`` does not match the hidden
            cells, the published figures are inconsistent, or ``exact`` does not match.
    """
    tables: Mapping[str, Mapping[str, Mapping[str, int | None]]] = protected["tables"]
    _check_suppressed_map(protected)
    if TABLE_1 not in tables or any(v is None for v in tables[TABLE_1]["total"].values()):
        raise ValueError("table 1 must be published exactly")
    law = {column: float(value) for column, value in tables[TABLE_1]["total"].items()
           if value is not None}  # none is None: checked above
    result = AuditResult()
    for table, rows in tables.items():
        if table == TABLE_1:
            continue
        if table not in KNOWN_TABLES:
            raise ValueError(f"unknown table {table!r}")
        model = _table_model(table, tuple(rows), tuple(law.items()))
        published = [rows[row][column] for row, column in model.cells]
        hidden = {k for k, value in enumerate(published) if value is None}
        values = [0.0 if value is None else float(value) for value in published]
        found = model.intervals(sorted(hidden), hidden=hidden, values=values)
        model.caps([k for k in hidden if found[k][1] - found[k][0] < threshold - 1 - _TOL])
        for k in sorted(hidden):
            row, column = model.cells[k]
            low, high = found[k]
            result.checked += 1
            if exact is not None:
                true_value = exact[table][row][column]
                if not low - _TOL <= true_value <= high + _TOL:
                    raise ValueError(f"exact value of {table}/{row}/{column} outside its "
                                     f"interval [{low}, {high}]: the forms do not match")
            if high - low >= threshold - 1 - _TOL:
                continue
            width = model.required(k, threshold=threshold)
            if high - low < width - _TOL:
                result.failures.append(AuditFailure(table=table, row=row, column=column,
                                                    low=low, high=high, required=width))
        if exact is not None:
            for k, value in enumerate(published):
                row, column = model.cells[k]
                if value is not None and value != exact[table][row][column]:
                    raise ValueError(f"published {table}/{row}/{column} differs from exact")
    return result


def protect_and_audit(form: Form, *,
                      threshold: int = DEFAULT_THRESHOLD) -> tuple[ProtectedForm, AuditResult]:
    """``protect`` the form, then ``audit`` the result against the exact form.

    Raises:
        ValueError: as ``protect`` and ``audit``.
    """
    protected = protect(form, threshold=threshold)
    return protected, audit(protected, exact=form, threshold=threshold)


# --- the linear programmes --------------------------------------------------------------------


class _TableModel:
    """The cells of one table (row-major), its sum relations and the bounds known a priori."""

    def __init__(self, *, table: str, rows: list[str], law: Mapping[str, float]) -> None:
        self.table = table
        self.cells = [(row, column) for row in rows for column in COLUMNS]
        n = len(self.cells)
        col = {column: j for j, column in enumerate(COLUMNS)}
        width = len(COLUMNS)
        equations: list[np.ndarray] = []
        for i in range(len(rows)):
            base = i * width
            for total, parts in (("resident_total", ("resident_here", "resident_elsewhere")),
                                 ("total", ("resident_total", "non_resident_here"))):
                equation = np.zeros(n)
                equation[base + col[total]] = 1.0
                for part in parts:
                    equation[base + col[part]] = -1.0
                equations.append(equation)
        total_index = rows.index("total")
        if len(rows) > 1:
            for j in range(width):
                equation = np.zeros(n)
                for i in range(len(rows)):
                    equation[i * width + j] = 1.0 if i == total_index else -1.0
                equations.append(equation)
        self.a_eq = np.array(equations)
        codes = len(rows) - 1
        self.lower = np.zeros(n)
        self.upper = np.full(n, np.inf)
        self.is_law = [False] * n
        for k, (row, column) in enumerate(self.cells):
            figure = law[column]
            if table in ONE_PER_COMPLAINT:
                if row == "total":
                    self.lower[k] = self.upper[k] = figure
                    self.is_law[k] = True
                else:
                    self.upper[k] = figure
            elif table in PER_CODE:
                if row == "total":
                    self.upper[k] = codes * figure
                    if table in AT_LEAST_ONE:
                        self.lower[k] = figure
                else:
                    self.upper[k] = figure
        self._caps: dict[int, tuple[float, float]] = {}

    def _bounds(self, hidden: set[int], values: list[float]) -> tuple[np.ndarray, np.ndarray]:
        lower = np.array(values, dtype=float)
        upper = lower.copy()
        for k in hidden:
            lower[k], upper[k] = self.lower[k], self.upper[k]
        return lower, upper

    def _extremes(self, ks: list[int], lower: np.ndarray,
                  upper: np.ndarray) -> dict[int, tuple[float, float]]:
        """Min and max of each cell in ``ks`` over the relations and bounds.

        Cells with ``lower == upper`` are fixed and eliminated. The programmes of all cells are
        independent, so they are solved as one block-diagonal linear programme (a "min" and a
        "max" copy of the free cells per cell of ``ks``, minimising ``sum(min copies) -
        sum(max copies)``): its optimum is every copy's own optimum. One ``linprog`` call per
        table and pass keeps the solver's fixed cost per call from dominating.

        Raises:
            ValueError: if the figures admit no solution (inconsistent published figures).
        """
        result: dict[int, tuple[float, float]] = {}
        free = np.flatnonzero(lower < upper)
        position = {int(i): p for p, i in enumerate(free)}
        fixed = np.flatnonzero(lower >= upper)
        rhs = -self.a_eq[:, fixed] @ lower[fixed]
        matrix = self.a_eq[:, free]
        used = np.flatnonzero(np.any(matrix != 0, axis=1))
        if np.any(np.all(matrix == 0, axis=1) & (np.abs(rhs) > _TOL)):
            raise ValueError(f"published figures of table {self.table!r} are inconsistent")
        solve = [k for k in ks if k in position]
        for k in ks:
            if k not in position:
                result[k] = (float(lower[k]), float(lower[k]))
        if not solve:
            return result
        matrix, rhs = matrix[used], rhs[used]
        components = _components(matrix, len(free))
        rows_idx: list[np.ndarray] = []
        cols_idx: list[np.ndarray] = []
        data: list[np.ndarray] = []
        b_eq: list[np.ndarray] = []
        bounds: list[tuple[float, float | None]] = []
        objective: list[float] = []
        spans: list[tuple[int, int]] = []  # (offset of the min copy's cell, of the max copy's)
        n_vars = n_rows = 0
        for k in solve:
            variables, equations = components[position[k]]
            sub = matrix[np.ix_(equations, variables)]
            r, c = np.nonzero(sub)
            local = variables.index(position[k])
            offsets = []
            for sign in (1.0, -1.0):
                rows_idx.append(r + n_rows)
                cols_idx.append(c + n_vars)
                data.append(sub[r, c])
                b_eq.append(rhs[equations])
                bounds.extend((float(lower[free[v]]), None if math.isinf(upper[free[v]])
                               else float(upper[free[v]])) for v in variables)
                cost = [0.0] * len(variables)
                cost[local] = sign
                objective.extend(cost)
                offsets.append(n_vars + local)
                n_vars += len(variables)
                n_rows += len(equations)
            spans.append((offsets[0], offsets[1]))
        a_eq = (sparse.csr_matrix((np.concatenate(data),
                                   (np.concatenate(rows_idx), np.concatenate(cols_idx))),
                                  shape=(n_rows, n_vars)) if n_rows else None)
        solution = linprog(np.array(objective), A_eq=a_eq,
                           b_eq=np.concatenate(b_eq) if n_rows else None,
                           bounds=bounds, method="highs")
        if solution.status == 3 and len(solve) > 1:  # some cell unbounded: one at a time
            for k in solve:
                result.update(self._extremes([k], lower, upper))
            return result
        if solution.status == 3:
            # the first half of the variables and equations is the "min" copy
            low = linprog(np.array(objective[: n_vars // 2]),
                          A_eq=a_eq[: n_rows // 2, : n_vars // 2] if a_eq is not None else None,
                          b_eq=np.concatenate(b_eq)[: n_rows // 2] if n_rows else None,
                          bounds=bounds[: n_vars // 2], method="highs")
            result[solve[0]] = (round(float(low.fun), 6) if low.status == 0 else 0.0,
                                math.inf)
            return result
        if solution.status != 0:
            raise ValueError(f"published figures of table {self.table!r} are inconsistent "
                             f"({solution.message})")
        for k, (low_at, high_at) in zip(solve, spans, strict=True):
            result[k] = (round(float(solution.x[low_at]), 6),
                         round(float(solution.x[high_at]), 6))
        return result

    def intervals(self, ks: list[int], *, hidden: set[int],
                  values: list[float]) -> dict[int, tuple[float, float]]:
        """Smallest and largest value of each cell in ``ks`` given the published cells (those
        not in ``hidden``, fixed at ``values``), the relations and the a-priori bounds."""
        lower, upper = self._bounds(hidden, values)
        return self._extremes(ks, lower, upper)

    def caps(self, ks: list[int]) -> dict[int, tuple[float, float]]:
        """Each cell's interval when every cell but the legal figures is hidden (cached)."""
        missing = [k for k in ks if k not in self._caps]
        if missing:
            self._caps.update(self._extremes(missing, self.lower.copy(), self.upper.copy()))
        return {k: self._caps[k] for k in ks}

    def cap(self, k: int) -> tuple[float, float]:
        """``caps`` of one cell."""
        return self.caps([k])[k]

    def required(self, k: int, *, threshold: int) -> float:
        """``required_width`` for cell ``k``."""
        if threshold - 1 <= 0:
            return 0.0
        low, high = self.cap(k)
        return required_width(threshold=threshold, attainable=high - low)

    def perturbation(self, k: int, *, step: float, hidden: set[int],
                     values: list[float]) -> set[int] | None:
        """Published cells to hide so that cell ``k`` can move by ``step`` unnoticed.

        Solves ``min sum(cost * |y|)`` subject to ``A y = 0``, ``y[k] = step``, ``y = 0`` on the
        legal figures and ``lower <= values + y <= upper``; returns the published cells with
        ``y != 0``, or ``None`` when the programme has no solution.
        """
        n = len(self.cells)
        value = np.array(values, dtype=float)
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
            room_up = self.upper[i] - value[i]
            room_down = value[i] - self.lower[i]
            if self.is_law[i]:
                room_up = room_down = 0.0
            bounds_up.append((0.0, None if math.isinf(room_up) else max(0.0, float(room_up))))
            bounds_down.append((0.0, max(0.0, float(room_down))))
        if step > 0:
            bounds_up[k], bounds_down[k] = (step, step), (0.0, 0.0)
        else:
            bounds_up[k], bounds_down[k] = (0.0, 0.0), (-step, -step)
        cost[k] = 0.0
        solution = linprog(np.concatenate([cost, cost]),
                           A_eq=np.hstack([self.a_eq, -self.a_eq]),
                           b_eq=np.zeros(self.a_eq.shape[0]),
                           bounds=bounds_up + bounds_down, method="highs")
        if solution.status != 0:
            return None
        moves = solution.x[:n] - solution.x[n:]
        return {i for i in range(n) if i not in hidden and abs(moves[i]) > _TOL}


@functools.lru_cache(maxsize=256)
def _table_model(table: str, rows: tuple[str, ...],
                 law: tuple[tuple[str, float], ...]) -> _TableModel:
    """The model of one table, cached so that the caps (which depend only on the table's rows
    and table 1's figures) are computed once for ``protect`` and ``audit`` alike."""
    return _TableModel(table=table, rows=list(rows), law=dict(law))


def _complement(*, model: _TableModel, values: list[float], hidden: set[int],
                threshold: int) -> None:
    """Secondary suppression of one table, in place on ``hidden`` (see ``protect``)."""
    verified: set[int] = set()
    while pending := sorted(hidden - verified):
        found = model.intervals(pending, hidden=hidden, values=values)
        model.caps([k for k in pending if found[k][1] - found[k][0] < threshold - 1 - _TOL])
        failures = []
        for k in pending:  # cells that pass stay passing: hiding more only widens intervals
            low, high = found[k]
            if (high - low >= threshold - 1 - _TOL
                    or high - low >= model.required(k, threshold=threshold) - _TOL):
                verified.add(k)
            else:
                failures.append(k)
        if not failures:
            break
        failing = failures[0]  # the first in table order; the others are checked again
        verified.add(failing)
        need = model.required(failing, threshold=threshold)
        cap_low, _ = model.cap(failing)
        down = min(values[failing] - cap_low, need)
        for step in (need - down, -down):
            if abs(step) <= _TOL:
                continue
            added = model.perturbation(failing, step=step, hidden=hidden, values=values)
            if added is None:
                break
            hidden |= added
        low, high = model.intervals([failing], hidden=hidden, values=values)[failing]
        if high - low < need - _TOL:  # cannot happen in exact arithmetic; the safe fallback
            hidden |= {i for i in range(len(values)) if not model.is_law[i]}


def _components(matrix: np.ndarray, size: int) -> dict[int, tuple[list[int], list[int]]]:
    """Connected components of the free cells (columns of ``matrix``) through the equations
    (rows): ``{cell: (cells of its component, equations of its component)}``."""
    parent = list(range(size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for equation in matrix:
        members = np.flatnonzero(equation).tolist()
        for other in members[1:]:
            parent[find(other)] = find(members[0])
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for cell in range(size):
        groups.setdefault(find(cell), ([], []))[0].append(cell)
    for e, equation in enumerate(matrix):
        groups[find(int(np.flatnonzero(equation)[0]))][1].append(e)
    return {cell: groups[find(cell)] for cell in range(size)}


# --- shapes -----------------------------------------------------------------------------------


def _shape(form: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list:
    return [(table, [(row, list(counts)) for row, counts in rows.items()])
            for table, rows in form.items()]


def _law_row(form: Form) -> dict[str, float]:
    return {column: float(value) for column, value in form[TABLE_1]["total"].items()}


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


def _published(form: Form, hidden_by_table: dict[str, set[int]],
               threshold: int) -> ProtectedForm:
    tables: dict[str, dict[str, dict[str, int | None]]] = {}
    suppressed: dict[str, dict[str, list[str]]] = {}
    for table, rows in form.items():
        hidden = hidden_by_table[table]
        tables[table] = {}
        suppressed[table] = {}
        for i, (row, counts) in enumerate(rows.items()):
            tables[table][row] = {}
            for j, (column, value) in enumerate(counts.items()):
                if i * len(COLUMNS) + j in hidden:
                    tables[table][row][column] = None
                    suppressed[table].setdefault(row, []).append(column)
                else:
                    tables[table][row][column] = value
    return {"tables": tables, "suppressed": suppressed, "threshold": threshold}
