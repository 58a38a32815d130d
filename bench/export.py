"""Benchmark of the case-list export (CSV and XLSX) at 100,000 cases: time and peak memory.

Run by hand (not part of the test suite), on a database loaded by ``bench/national_data.py``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench_national \\
        .venv/bin/python bench/national_data.py --complaints 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench_national \\
        .venv/bin/python bench/export.py [--runs 5] [--formats csv xlsx]

Each run exports every case as ``bench_office_coordinator`` (role ``office_coordinator``, created
if missing: it works across desks, so it sees every case; contact columns included),
through the same calls as the view (``visible_complaints`` → ``case_list`` → default sort →
``for_export`` → ``export_cases``) and consumes the stream of chunks as the web server would,
counting bytes. Memory: the growth of the process's maximum resident set (``ru_maxrss``) over
the timed runs, and with ``--trace`` one extra run under ``tracemalloc`` (slow) for the Python
peak above what was allocated before. The streamed response must stay constant in memory, so
neither may grow with the number of cases (compare with ``--complaints 10000``).

The report (median, min, max, 1-minute load average before and after, the command) is printed
and written into ``docs/benchmarks.md`` between ``<!-- bench/export.py:start -->`` and
``<!-- bench/export.py:end -->`` (``--no-write`` leaves it alone). Synthetic data only.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.utils import translation  # noqa: E402

from reports.models import AccessLog, Complaint  # noqa: E402
from reports.selectors import cases, permissions  # noqa: E402
from reports.services import export  # noqa: E402
from reports.types import User  # noqa: E402

START, END = "<!-- bench/export.py:start -->", "<!-- bench/export.py:end -->"
#: The exporting account: an office coordinator works across desks (``reports.work_across_desks``),
#: so desk scoping hides no case from it (a coordinator in no desk would see none).
EXPORTER = "bench_office_coordinator"


def exporter() -> User:
    """The ``EXPORTER`` account, created with the role ``office_coordinator`` if missing."""
    account, _created = get_user_model().objects.get_or_create(username=EXPORTER)
    account.groups.add(Group.objects.get(name="office_coordinator"))
    return get_user_model().objects.get(pk=account.pk)  # fresh: no cached permissions


def run_export(fmt: str, limit: int | None = None) -> tuple[int, int]:
    """One export of every case (or the newest ``limit``) as ``EXPORTER``: (bytes sent, case
    rows)."""
    user = exporter()
    queryset = cases.for_export(queryset=cases.sort_cases(
        queryset=cases.case_list(queryset=permissions.visible_complaints(user=user)),
        sort=cases.DEFAULT_SORT))
    if limit is not None:
        queryset = queryset[:limit]
    with translation.override("nl"):
        exported = export.export_cases(user=user, queryset=queryset, fmt=fmt, filter_names=[])
        size = sum(len(chunk) for chunk in exported.chunks)
    return size, exported.rows


def maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--limit", type=int, default=None,
                        help="export only the newest N cases (100000 on a 1,000,000 database)")
    parser.add_argument("--trace", action="store_true",
                        help="one extra run under tracemalloc for the Python peak (slow)")
    args = parser.parse_args()

    total = Complaint.objects.count()
    results = []
    for fmt in args.formats:
        peak = 0
        if args.trace:
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            run_export(fmt, args.limit)
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
        times = []
        loads = []
        rss_before = maxrss_kib()
        size = rows = 0
        for _ in range(args.runs):
            load_before = os.getloadavg()[0]
            began = time.perf_counter()
            size, rows = run_export(fmt, args.limit)
            times.append(time.perf_counter() - began)
            loads.append((load_before, os.getloadavg()[0]))
            print(f"{fmt}: {times[-1]:.2f} s, load {loads[-1][0]:.2f} -> {loads[-1][1]:.2f}, "
                  f"max RSS {maxrss_kib() / 1024:.0f} MiB", flush=True)
        rss_growth = maxrss_kib() - rss_before
        results.append((fmt, rows, size, times, peak, rss_growth, loads))
    AccessLog.objects.filter(user__username=EXPORTER).delete()

    lines = [
        START,
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} by `bench/export.py` on "
        f"{total:,} complaints (`bench/national_data.py`): "
        f"{f'the newest {args.limit:,} cases' if args.limit else 'every case'} exported as "
        f"an office coordinator (contact columns included), the stream consumed in-process; "
        f"{platform.machine()}, {os.cpu_count()} CPUs shared with other work, Python "
        f"{platform.python_version()}, PostgreSQL on 127.0.0.1. {args.runs} timed runs per "
        "format without tracing; *max RSS growth*: how much the process's maximum resident set "
        "grew over the timed runs of the format (0: no run needed more memory than the process "
        "had already reached); *Python peak* only with `--trace` (else 0).",
        "",
        "| format | rows | size (MB) | median (s) | min (s) | max (s) | Python peak (MiB) | "
        "max RSS growth (MiB) | 1-min load avg (before → after, per run) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for fmt, rows, size, times, peak, rss_growth, loads in results:
        lines.append(
            f"| {fmt} | {rows:,} | {size / 1e6:.1f} | {statistics.median(times):.2f} | "
            f"{min(times):.2f} | {max(times):.2f} | {peak / 2**20:.1f} | {rss_growth / 1024:.1f} "
            f"| {', '.join(f'{a:.1f}→{b:.1f}' for a, b in loads)} |")
    lines += [
        "",
        "Target (issue 13): streamed, constant memory, under 20 s at 100,000 cases. Command: "
        f"`DATABASE_URL=... .venv/bin/python bench/export.py --runs {args.runs} --formats "
        f"{' '.join(args.formats)}{f' --limit {args.limit}' if args.limit else ''}` after "
        f"`bench/national_data.py --complaints {total}`.",
        END,
    ]
    report = "\n".join(lines)
    print(report)
    if args.no_write:
        return
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        text = text[:text.index(START)] + report + text[text.index(END) + len(END):]
    else:
        text += "\n## Export of the case list\n\n" + report + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
