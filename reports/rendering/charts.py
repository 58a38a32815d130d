"""Charts of a released report, drawn with matplotlib (Agg canvas, no pyplot state) and returned
as SVG markup to embed inline in the PDF's HTML: no files, no external references."""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

from reports import disclosure
from reports.rendering.tables import form_tables

#: Same input, same SVG: fixed id salt, no date in the metadata.
#: Text stays text (``svg.fonttype: none``), so the PDF's figures can be read and checked
#: against the table.
_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "meldpunt", "font.family": "DejaVu Sans", "font.size": 8,
    "svg.fonttype": "none"}


def _integer_locator() -> MaxNLocator:
    """Matplotlib's default tick choice (``AutoLocator``), on whole numbers only."""
    return MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True)


def _svg(figure: Figure, *, prefix: str) -> str:
    """The figure as an ``<svg>`` element (XML prolog and DOCTYPE removed), every ``id`` and
    reference to it prefixed with ``prefix`` so that two charts in one page never clash."""
    FigureCanvasAgg(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = re.sub(r"<!--.*?-->|<metadata>.*?</metadata>", "", text[text.index("<svg"):],
                  flags=re.DOTALL)
    # Inline in HTML, style="fill: …" would go through the HTML's CSS parser (which does not
    # know SVG properties); SVG presentation attributes mean the same and are read by the SVG
    # renderer directly.
    text = _STYLE.sub(_attributes, text)
    ids = set(re.findall(r'\sid="([^"]+)"', text))
    text = re.sub(r'(\sid=")([^"]+)"', lambda m: f'{m[1]}{prefix}-{m[2]}"', text)
    text = re.sub(r"#([\w.\-]+)", lambda m: f"#{prefix}-{m[1]}" if m[1] in ids else m[0], text)
    return text.strip()


_STYLE = re.compile(r'\sstyle="([^"]*)"')


def _attributes(match: re.Match) -> str:
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def grounds_chart_svg(*, data: dict, threshold: int) -> str:
    """A horizontal bar chart of table 2 (grounds), column ``total``, exactly as published.

    A hidden value gets no bar and the same mark as in the table (``disclosure.HIDDEN_MARK``):
    the chart never states a figure the table does not. When every bar is hidden the chart
    says nothing the table does not, so it is left out: the result is ``""`` and the PDF says
    why in one line.
    """
    ground = next(table for table in form_tables(data=data) if table.key == "ground")
    rows = [row for row in ground.rows if row.code != "total"]
    labels = [row.label for row in rows]
    values = [row.values[-1] for row in rows]
    if all(value is None for value in values):
        return ""
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(6.5, 3.6))
        axes = figure.add_subplot()
        positions = list(range(len(rows)))[::-1]
        axes.barh(positions, [value or 0 for value in values], color="#1f5f8b")
        axes.set_yticks(positions, labels)
        for position, value in zip(positions, values, strict=True):
            axes.annotate(disclosure.display_value(value), (value or 0, position),
                          xytext=(3, 0), textcoords="offset points", va="center")
        axes.set_xlim(0, max([value or 0 for value in values] + [1]) * 1.2)
        axes.set_title("Discriminatiegrond (totaal)")
        axes.xaxis.set_major_locator(_integer_locator())
        axes.spines[["top", "right"]].set_visible(False)
        return _svg(figure, prefix="grounds")


def trend_chart_svg(*, totals: list[tuple[int, int | None]]) -> str:
    """A bar chart of the total number of complaints (table 1) per year, oldest first; a year
    without a released report is marked ``–``."""
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(4.0, 2.4))
        axes = figure.add_subplot()
        positions = list(range(len(totals)))
        axes.bar(positions, [total or 0 for _year, total in totals], color="#1f5f8b")
        axes.set_xticks(positions, [str(year) for year, _total in totals])
        for index, (_year, total) in enumerate(totals):
            axes.annotate("–" if total is None else str(total), (index, total or 0),
                          xytext=(0, 3), textcoords="offset points", ha="center")
        axes.set_title("Totaal aantal klachten per jaar")
        axes.yaxis.set_major_locator(_integer_locator())
        axes.spines[["top", "right"]].set_visible(False)
        return _svg(figure, prefix="trend")
