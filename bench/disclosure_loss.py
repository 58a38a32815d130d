"""Information loss of the disclosure protection: the product's suppression against the exact
minimum (issue 10, §3).

Run by hand (not part of the test suite)::

    DATABASE_URL=sqlite:////tmp/meldpunt_bench_loss.sqlite3 \\
        .venv/bin/python bench/disclosure_loss.py [--forms 200] [--no-demo] [--write]

For every form, the 200 random forms of ``tests/reports/test_disclosure.py``
(``test_random_forms_are_protected``: seeds 0-199, 0-30 complaints, threshold 3 or 5) and the
demo year (``seed_demo_year``: 80 complaints in 2020, every municipality of the office and the
office summary; needs a database, migrated here), it computes

* the product's protection, ``protect(form)`` (default method), and checks that its audit
  passes;
* the exact minimum, ``optimal_complements(form)`` (mixed-integer programme, HiGHS, no time
  limit). It protects against a reader who solves over real numbers; the audit's reader uses
  integers and can be sharper, so where the optimum fails the (integer) audit it is a lower
  bound of the true minimum and the ratio is an upper bound;

and reports, per form, hidden cells and hidden total value (the sum of the exact counts of the
hidden cells), product ÷ optimum: min, median and max over the forms, and the pooled ratio.
With ``--write`` the Markdown report replaces the section between the markers in
``docs/benchmarks.md``. Synthetic data only.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from reports import disclosure  # noqa: E402
from tests.reports.test_disclosure import count, random_complaint  # noqa: E402

DOC_PATH = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- BEGIN bench/disclosure_loss.py: generated, rerun the script to refresh -->"
END = "<!-- END bench/disclosure_loss.py -->"


def random_forms(n: int) -> list[tuple[str, dict, int]]:
    """The random forms of ``test_random_forms_are_protected``: ``(name, form, threshold)``."""
    forms = []
    for seed in range(n):
        rng = random.Random(seed)
        threshold = rng.choice([3, 5, 5, 5])
        forms.append((f"random {seed}", count([random_complaint(rng)
                                               for _ in range(rng.randint(0, 30))]), threshold))
    return forms


def demo_forms() -> list[tuple[str, dict, int]]:
    """The demo year 2020 (80 complaints) of the office: every municipality and the summary."""
    from django.core.management import call_command

    from reports.selectors.statistics import count_annual_forms
    from reports.services.demo import seed_demo_year
    from reports.services.reference import current_office, load_reference_data

    call_command("migrate", verbosity=0)
    load_reference_data()
    office = current_office()
    seed_demo_year(office=office, year=2020, count=80)
    forms = count_annual_forms(office=office, year=2020)
    result = [(f"demo {code}", form, disclosure.DEFAULT_THRESHOLD)
              for code, form in sorted(forms.items())]
    result.append(("demo office", disclosure.sum_forms(forms.values()),
                   disclosure.DEFAULT_THRESHOLD))
    return result


def hidden(protected: dict) -> set[tuple[str, str, str]]:
    return {(t, r, c) for t, rows in protected["tables"].items()
            for r, cells in rows.items() for c, v in cells.items() if v is None}


def measure(name: str, form: dict, threshold: int) -> dict:
    """One form: product and optimum, both audited."""
    start = time.perf_counter()
    product = hidden(disclosure.protect(form, threshold=threshold))
    product_seconds = time.perf_counter() - start
    start = time.perf_counter()
    optimum, proven = disclosure.optimal_complements(form, threshold=threshold)
    optimum_seconds = time.perf_counter() - start
    product_audit = disclosure.audit(disclosure._published(form, product, threshold),
                                     exact=form, threshold=threshold)
    if not product_audit.passed:
        raise SystemExit(f"{name}: the product's protection fails the audit")
    optimum_passes = disclosure.audit(disclosure._published(form, optimum, threshold),
                                      exact=form, threshold=threshold).passed
    primary = disclosure.primary_cells(form, threshold=threshold)

    def value(cells: set) -> int:
        return sum(form[t][r][c] for t, r, c in cells)

    return {"name": name, "primary": len(primary), "product": len(product),
            "optimum": len(optimum), "product_value": value(product),
            "optimum_value": value(optimum), "proven": proven,
            "optimum_passes": optimum_passes,
            "product_seconds": product_seconds, "optimum_seconds": optimum_seconds,
            "cells": sum(len(rows) * len(disclosure.COLUMNS) for rows in form.values())}


def ratio(a: float, b: float) -> float:
    return 1.0 if a == b else (a / b if b else float("inf"))


def render(results: list[dict], command: str) -> str:
    lines = [BEGIN, "", "### Information loss of the disclosure protection (issue 10, §3)", ""]
    for label, group in (("random forms", [r for r in results if r["name"].startswith("random")]),
                         ("demo year", [r for r in results if r["name"].startswith("demo")])):
        if not group:
            continue
        cells = [ratio(r["product"], r["optimum"]) for r in group]
        values = [ratio(r["product_value"], r["optimum_value"]) for r in group]
        pooled_cells = ratio(sum(r["product"] for r in group), sum(r["optimum"] for r in group))
        pooled_values = ratio(sum(r["product_value"] for r in group),
                              sum(r["optimum_value"] for r in group))
        pooled_comp = ratio(sum(r["product"] - r["primary"] for r in group),
                            sum(r["optimum"] - r["primary"] for r in group))
        comp = [ratio(r["product"] - r["primary"], r["optimum"] - r["primary"]) for r in group
                if r["optimum"] > r["primary"]]
        lines += [
            f"**{label}** ({len(group)} forms, {sum(r['cells'] for r in group)} cells, "
            f"{sum(r['primary'] for r in group)} primary; optimum proven for "
            f"{sum(r['proven'] for r in group)}; the optimum, computed for a reader who "
            "solves over real numbers, also passes the integer audit for "
            f"{sum(r['optimum_passes'] for r in group)}; where it does not, it is a lower "
            "bound and the ratio an upper bound):", "",
            "| product ÷ optimum | min | median | max | pooled |",
            "| --- | --- | --- | --- | --- |",
            f"| hidden cells | {min(cells):.3f} | {median(cells):.3f} | {max(cells):.3f} | "
            f"{pooled_cells:.3f} |",
            f"| hidden total value | {min(values):.3f} | {median(values):.3f} | "
            f"{max(values):.3f} | "
            f"{pooled_values:.3f} |",
        ]
        if comp:
            lines.append(f"| complementary cells (forms that need any) | {min(comp):.3f} | "
                         f"{median(comp):.3f} | {max(comp):.3f} | "
                         f"{pooled_comp:.3f} |")
        seconds = [r["product_seconds"] for r in group]
        optimum_seconds = [r["optimum_seconds"] for r in group]
        lines += ["", f"Seconds per form: product {min(seconds):.2f} / {median(seconds):.2f} / "
                  f"{max(seconds):.2f}, exact programme {min(optimum_seconds):.2f} / "
                  f"{median(optimum_seconds):.2f} / {max(optimum_seconds):.2f} (min / median / "
                  "max). Every product and every optimum passed the audit.", ""]
    lines += ["Command:", "", "```", command, "```", "", END]
    return "\n".join(lines)


def write_doc(report: str) -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + report + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + report + "\n"
    DOC_PATH.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    forms = ([] if args.no_demo else demo_forms()) + random_forms(args.forms)
    command = ("DATABASE_URL=sqlite:////tmp/meldpunt_bench_loss.sqlite3 .venv/bin/python "
               "bench/disclosure_loss.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    results = []
    for name, form, threshold in forms:
        results.append(measure(name, form, threshold))
        r = results[-1]
        print(f"{name}: primary {r['primary']} product {r['product']} optimum {r['optimum']} "
              f"({r['product_seconds']:.2f}s / {r['optimum_seconds']:.2f}s)", flush=True)
        if args.write and len(results) % 10 == 0:  # partial results survive an interruption
            write_doc(render(results, command + f"  # partial: {len(results)} forms so far"))
    report = render(results, command)
    print(report)
    if args.write:
        write_doc(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
