"""Benchmark of the back-office case list and dashboard at national scale, in-process, against
the trivial privacy page (issue 13).

Run by hand (not part of the test suite), on a database loaded by ``bench/national_data.py``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench_national \\
        .venv/bin/python bench/national_data.py --complaints 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench_national \\
        .venv/bin/python bench/case_list.py [--runs 5] [--requests 20]

Every page is requested through Django's test client (the whole stack: middleware, session,
two-factor check, view, template), logged in as ``bench_office_coordinator`` (works across desks:
sees every case), ``bench_coordinator`` (a desk's coordinator: every case of that desk) and
``bench_caseworker`` (that desk; object permissions on 10,000 of its cases plus the desk's queue).
The municipality filter uses the first municipality the user's desk serves (Assen for the
office coordinator). One run requests each
page ``--requests`` times, interleaved round-robin with ``GET /melden/privacy/`` so that both
see the same machine load, and takes each page's 95th percentile. The ratio is a page's p95 over
the privacy page's p95 of the same run; the target is at most 5. Over ``--runs`` runs the report
gives the median, min and max of each ratio and the 1-minute load average before and after each
run (other work shares the machine). It is printed and written into ``docs/benchmarks.md``
between ``<!-- bench/case_list.py:start -->`` and ``<!-- bench/case_list.py:end -->``
(``--no-write`` leaves it alone). Synthetic data only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

import django_otp  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from reports.models import Complaint  # noqa: E402

settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
START, END = "<!-- bench/case_list.py:start -->", "<!-- bench/case_list.py:end -->"
LIST, DASHBOARD, PRIVACY = "/backoffice/", "/backoffice/dashboard/", "/melden/privacy/"
#: A trivial back-office page (the reply templates' list, a handful of rows), requested as the
#: office coordinator: what every logged-in page costs (session, user, second factor,
#: permissions, menu), for a second ratio next to the privacy page's.
BACKOFFICE_TRIVIAL = "/backoffice/antwoordsjablonen/"

#: (label, path) per scenario; the list's query strings as a user's clicks make them.
SCENARIOS: list[tuple[str, str]] = [
    ("first page", LIST),
    ("status filter (in progress)", f"{LIST}?status=in_progress"),
    ("municipality filter", f"{LIST}?municipality={{municipality}}"),
    ("search: rare word (0.5% of cases)", f"{LIST}?q=zeldzaam042&closed=1"),
    ("search: common word (a third of the cases)", f"{LIST}?q=politie&closed=1"),
    ("search: part of a case number", f"{LIST}?q=2024-0012&closed=1"),
    ("sort by municipality", f"{LIST}?sort=incident_municipality"),
    ("sort by municipality, all cases, descending",
     f"{LIST}?sort=-incident_municipality&closed=1"),
    ("page 1000 (all cases)", f"{LIST}?closed=1&page=1000"),
    ("dashboard", DASHBOARD),
]


def client_for(username: str) -> Client:
    """A test client logged in as ``username`` with a verified second factor."""
    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="bench", confirmed=True))
    request = RequestFactory().get("/")
    request.session, request.user = client.session, user
    django_otp.login(request, device)
    request.session.save()
    return client


#: Who is measured: label -> username.
USERS = {"office coordinator": "bench_office_coordinator",
         "desk coordinator": "bench_coordinator", "caseworker": "bench_caseworker"}


def municipality_for(username: str) -> str:
    """A municipality whose cases ``username`` sees: the first one their desk serves (Assen,
    GM0106, for users in no desk)."""
    from reports.models import DeskMunicipality

    code = (DeskMunicipality.objects.filter(desk__members__username=username)
            .order_by("municipality_id").values_list("municipality_id", flat=True).first())
    return code or "GM0106"


def timed(client: Client, path: str) -> float:
    """Seconds for one GET of ``path``; the answer must be 200 (or the dashboard's 403 for a
    user without it, which is skipped by the caller)."""
    began = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")
    return elapsed


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def one_run(clients: dict[str, Client], requests: int, scenarios: list[tuple[str, str]],
            municipalities: dict[str, str]) -> dict[tuple[str, str], float]:
    """One run: per (user, scenario) the p95 in seconds, and ("", "privacy")."""
    anonymous = Client()
    samples: dict[tuple[str, str], list[float]] = {}
    for _round in range(requests):
        for who, client in clients.items():
            for label, path in scenarios:
                if path == DASHBOARD and who == "caseworker":
                    continue
                path = path.format(municipality=municipalities[who])
                samples.setdefault((who, label), []).append(timed(client, path))
                samples.setdefault(("", "privacy"), []).append(timed(anonymous, PRIVACY))
                samples.setdefault(("", "trivial"), []).append(
                    timed(clients["office coordinator"], BACKOFFICE_TRIVIAL))
    return {key: p95(values) for key, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", help="run only scenarios whose label contains this")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    scenarios = [s for s in SCENARIOS if not args.only or args.only in s[0]]
    total = Complaint.objects.count()
    clients = {who: client_for(username) for who, username in USERS.items()}
    municipalities = {who: municipality_for(username) for who, username in USERS.items()}
    one_run(clients, 2, scenarios, municipalities)  # warm up caches and connections
    runs: list[dict[tuple[str, str], float]] = []
    loads: list[str] = []
    for run in range(1, args.runs + 1):
        before = os.getloadavg()[0]
        result = one_run(clients, args.requests, scenarios, municipalities)
        after = os.getloadavg()[0]
        runs.append(result)
        loads.append(f"{before:.1f}→{after:.1f}")
        base = result[("", "privacy")]
        worst = max((v / base, k) for k, v in result.items() if k[0])
        print(f"run {run}: privacy p95 {base * 1000:.1f} ms, worst {worst[1]} "
              f"{worst[0]:.1f}×, load {loads[-1]}", flush=True)
    report = render(runs, loads, total, args)
    print(report)
    if not args.no_write and not args.only:
        path = ROOT / "docs" / "benchmarks.md"
        text = path.read_text()
        head, _old, tail = text.partition(START)
        _old, _end, rest = tail.partition(END)
        if not _end:
            raise SystemExit(f"{path} has no {START} ... {END} block")
        path.write_text(f"{head}{START}\n{report}\n{END}{rest}")


def render(runs: list[dict[tuple[str, str], float]], loads: list[str], total: int,
           args: argparse.Namespace) -> str:
    """The Markdown report of ``runs`` (see the module docstring)."""
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]

    def triple(values: list[float], fmt: str) -> str:
        return " / ".join(format(v, fmt) for v in
                          (statistics.median(values), min(values), max(values)))

    privacy = [run[("", "privacy")] * 1000 for run in runs]
    trivial = [run[("", "trivial")] * 1000 for run in runs]
    lines = [
        f"Measured {now} by `bench/case_list.py` on {total:,} complaints "
        f"(`bench/national_data.py`), in-process (Django test client, whole middleware stack), "
        f"{len(runs)} runs of {args.requests} requests per page, interleaved with the privacy "
        f"page; {platform.machine()}, {os.cpu_count()} CPUs shared with other work, Python "
        f"{platform.python_version()}, PostgreSQL {server.split()[0]} on 127.0.0.1, page size "
        f"{settings.BACKOFFICE_PAGE_SIZE}, count limit {settings.BACKOFFICE_COUNT_LIMIT:,}.",
        "",
        f"Privacy page p95 (median / min / max of the runs): {triple(privacy, '.1f')} ms; "
        f"a trivial back-office page (`{BACKOFFICE_TRIVIAL}`, office coordinator) p95: "
        f"{triple(trivial, '.1f')} ms. "
        f"1-minute load average before→after each run: {', '.join(loads)}.",
        "",
        "| user | page | p95 ms (median / min / max) | ratio to privacy p95 "
        "(median / min / max) | target ≤ 5× | ratio to the trivial back-office page p95 "
        "(median / min / max) |",
        "|---|---|---|---|---|---|",
    ]
    keys = [key for key in runs[0] if key[0]]
    for who, label in keys:
        ms = [run[(who, label)] * 1000 for run in runs]
        ratios = [run[(who, label)] / run[("", "privacy")] for run in runs]
        backoffice = [run[(who, label)] / run[("", "trivial")] for run in runs]
        met = "met" if statistics.median(ratios) <= 5 else "**not met**"
        lines.append(f"| {who} | {label} | {triple(ms, '.1f')} | {triple(ratios, '.2f')} | "
                     f"{met} | {triple(backoffice, '.2f')} |")
    lines += ["", f"Command: `DATABASE_URL=... .venv/bin/python bench/case_list.py --runs "
                  f"{len(runs)} --requests {args.requests}` after "
                  f"`bench/national_data.py --complaints {total}`."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
