"""Load a national installation's worth of synthetic complaints quickly, with ``COPY``.

Run by hand (not part of the test suite)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldpunt_bench_national \\
        .venv/bin/python bench/national_data.py --complaints 1000000 [--years 10] [--granted 10000]

Issue 13's scale: ten years of about 15,000 reports over all 342 municipalities, 1,000,000
complaints. The script migrates the database (created if missing; its name must contain
``bench``: it **truncates the complaint tables**), loads the reference data, and then:

* ``--complaints N`` complaints received evenly over ``--years`` years up to now, case numbers in
  order per year; every current municipality as the incident place or residence (20% unknown);
  cases older than a year mostly closed (with an outcome and a closing time), newer ones spread
  over the workflow; 2% of the open ones unassigned (the queue); 0-3 grounds, 0-2 handling codes;
* a national office serving every current municipality, split over ``--desks`` desks (27 by
  default, as today's desks; the default desk is one of them), each serving a block of
  municipalities from 2000-01-01; a case goes to the desk of its incident municipality, else of
  the reporter's residence, else to the default desk (``reports.services.desks.route_desk``'s
  order);
* accounts ``bench_office_coordinator`` (role office_coordinator: every desk, all 1,000,000),
  ``bench_coordinator`` (role coordinator, member of the first desk that is not the default) and
  ``bench_caseworker`` (role caseworker, same desk) with object permissions
  (``view_complaint``, ``change_complaint``, as on assignment) on ``--granted`` cases of that
  desk, which are assigned to them; other cases go to two other caseworkers per desk;
* ``VACUUM ANALYZE``.

Rows are generated and copied as a stream (memory stays flat at 1,000,000). Descriptions are
one encrypted synthetic text shared by every row, reporter contact fields are empty (encrypted
fields would otherwise cost a Fernet operation each); search indexes come from a pool of 1,000
(``search_indexes``: common words in a third of the cases, rare ones in 0.5%). Deterministic
for a given ``--seed``. Synthetic data only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from annual_statistics import ComplaintColumns, _copy, ensure_database, prepare_schema  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from reports import crypto  # noqa: E402
from reports.models import (  # noqa: E402
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    ComplaintUserObjectPermission,
    Desk,
    DeskMunicipality,
    Municipality,
    Office,
)
from reports.models.complaint import CaseNumberSequence  # noqa: E402
from reports.services.desks import default_desk  # noqa: E402
from reports.services.status_counts import recount_statuses  # noqa: E402
from reports.timezones import AMSTERDAM  # noqa: E402
from reports.vocabulary import (  # noqa: E402
    FINAL_STATUSES,
    Channel,
    ContactType,
    Ground,
    Handling,
    IncidentPlace,
    Nature,
    Outcome,
    SocietalDomain,
    Status,
)

SEED = 13
#: Other caseworkers per desk (besides ``bench_caseworker`` in the bench desk).
CASEWORKERS_PER_DESK = 2


@dataclass(frozen=True)
class Staff:
    """Ids of the bench accounts and desks."""

    office_coordinator: int
    coordinator: int
    caseworker: int
    #: The desk of ``coordinator`` and ``caseworker``.
    bench_desk: int
    default_desk: int
    #: CBS code -> desk id.
    desk_of: dict[str, int]
    #: desk id -> the other caseworkers of that desk.
    others: dict[int, list[int]]


def _desks(*, office: Office, codes: list[str], count: int) -> tuple[int, int, dict[str, int]]:
    """``count`` desks (the default desk among them) serving consecutive blocks of ``codes``
    from 2000-01-01; returns (default desk id, bench desk id, code -> desk id)."""
    default = default_desk(office=office)
    DeskMunicipality.objects.all().delete()
    Desk.objects.filter(office=office).exclude(pk=default.pk).delete()
    desks = [default] + [Desk.objects.create(office=office, code=f"loket-{n:02d}",
                                             name=f"Loket {n:02d}") for n in range(1, count)]
    desk_of: dict[str, int] = {}
    start = datetime.date(2000, 1, 1)
    periods = []
    for index, code in enumerate(codes):
        desk = desks[index * count // len(codes)]
        desk_of[code] = desk.pk
        periods.append(DeskMunicipality(desk=desk, municipality_id=code, valid_from=start))
    DeskMunicipality.objects.bulk_create(periods)
    return default.pk, desks[1 % count].pk, desk_of


def _users(*, office: Office, codes: list[str], desks: int) -> Staff:
    """The bench accounts (created if missing) with their roles and desks."""
    user_model = get_user_model()
    roles = {group.name: group for group in Group.objects.filter(
        name__in=["coordinator", "caseworker", "office_coordinator"])}
    default, bench_desk, desk_of = _desks(office=office, codes=codes, count=desks)

    def user(name: str, role: str, desk: int | None) -> int:
        account, _created = user_model.objects.get_or_create(username=name)
        account.groups.add(roles[role])
        if desk is not None:
            Desk.objects.get(pk=desk).members.add(account)
        return int(account.pk)

    others = {desk: [user(f"bench_caseworker_{desk}_{n}", "caseworker", desk)
                     for n in range(CASEWORKERS_PER_DESK)]
              for desk in sorted({default, *desk_of.values()})}
    return Staff(office_coordinator=user("bench_office_coordinator", "office_coordinator", None),
                 coordinator=user("bench_coordinator", "coordinator", bench_desk),
                 caseworker=user("bench_caseworker", "caseworker", bench_desk),
                 bench_desk=bench_desk, default_desk=default, desk_of=desk_of, others=others)


#: Words of the synthetic descriptions' search index: common ones in many cases, rare ones in few.
COMMON_WORDS = ("weigering", "ingang", "afkomst", "werk", "huur", "school", "politie", "buren")
RARE_WORDS = tuple(f"zeldzaam{n:03d}" for n in range(200))


def search_indexes(*, seed: int) -> list[str]:
    """1,000 distinct description search indexes (``crypto.index_terms``), computed once and
    shared by the rows: every row gets two to four common words (each in about a third of the
    cases) and one of 200 rare words (each in about 0.5% of the cases)."""
    rng = random.Random(seed + 5)
    return [crypto.index_terms(" ".join(
        [*rng.sample(COMMON_WORDS, rng.randint(2, 4)), rng.choice(RARE_WORDS)]))
        for _n in range(1000)]


def complaint_rows(*, layout: ComplaintColumns, n: int, years: int, office_id: int,
                   office_code: str, codes: list[str], names: dict[str, str],
                   staff: Staff, grant_share: float, granted: list[int],
                   granted_count: int, seed: int) -> Iterator[tuple[object, ...]]:
    """The complaint rows in ``layout``'s order, ids 1..n in order of receipt. (``layout`` is
    read before: the connection is busy with the ``COPY`` while this runs.) Each case of the
    bench desk is granted to ``bench_caseworker`` with probability ``grant_share`` until
    ``granted_count``; the granted ids are appended to ``granted``."""
    rng = random.Random(seed)
    now = timezone.now()
    start = now - datetime.timedelta(days=365 * years)
    span = (now - start).total_seconds()
    description = crypto.encrypt_bytes(
        b"Synthetische melding: geweigerd bij de ingang vanwege afkomst.").decode("ascii")
    indexes = search_indexes(seed=seed)
    channels, domains, natures = Channel.values, SocietalDomain.values, Nature.values
    outcomes = Outcome.values
    open_statuses = [s for s in Status.values if s not in FINAL_STATUSES]
    contact_types = (ContactType.COMPLAINT, ContactType.REPORT, ContactType.INFORMATION_REQUEST)
    numbers: dict[int, int] = {}
    recent = now - datetime.timedelta(days=365)
    for pk in range(1, n + 1):
        received = start + datetime.timedelta(seconds=span * (pk - 0.5) / n)
        year = received.astimezone(AMSTERDAM).year
        numbers[year] = number = numbers.get(year, 0) + 1
        if received < recent:
            status = rng.choices((Status.CLOSED, Status.REJECTED, *open_statuses),
                                 (0.93, 0.05, *[0.02 / len(open_statuses)] * len(open_statuses)))[0]
        else:
            status = rng.choice(Status.values)
        closed = status == Status.CLOSED
        incident = None if rng.random() < 0.2 else rng.choice(codes)
        place = (IncidentPlace.MUNICIPALITY if incident else
                 IncidentPlace.ONLINE if rng.random() < 0.5 else IncidentPlace.UNKNOWN)
        residence = None if rng.random() < 0.2 else rng.choice(codes)
        desk = staff.desk_of[incident or residence] if (incident or residence) \
            else staff.default_desk
        if (desk == staff.bench_desk and len(granted) < granted_count
                and rng.random() < grant_share):
            granted.append(pk)
            assignee: int | None = staff.caseworker
        elif status not in FINAL_STATUSES and rng.random() < 0.02:
            assignee = None
        else:
            assignee = rng.choice(staff.others[desk])
        yield layout.row({
            "id": pk, "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "office": office_id, "case_number": f"{office_code}-{year}-{number:06d}",
            "received_at": received, "channel": rng.choice(channels),
            "contact_type": rng.choices(contact_types, (0.3, 0.6, 0.1))[0],
            "status": status, "outcome": rng.choice(outcomes) if closed else "",
            "closed_at": received + datetime.timedelta(days=rng.randint(1, 90)) if closed
            else None,
            "incident_municipality": incident, "incident_place": place,
            "incident_municipality_name": names[incident] if incident else None,
            "reporter_residence": residence,
            "description": description, "description_index": rng.choice(indexes),
            "societal_domain": rng.choice(domains), "nature": rng.choice(natures),
            "assigned_to": assignee, "desk": desk,
            "first_response_due": (received + datetime.timedelta(days=7)).date(),
            "created_at": received, "updated_at": received,
        })


def code_rows(*, n: int, codes: list[str], weights: tuple[float, ...],
              seed: int) -> Iterator[tuple[int, str]]:
    """(complaint id, code) rows: 0..len(weights)-1 distinct codes per complaint."""
    rng = random.Random(seed)
    for pk in range(1, n + 1):
        for code in rng.sample(codes, rng.choices(range(len(weights)), weights)[0]):
            yield pk, code


def load(*, n: int, years: int, granted_count: int, desks: int, seed: int = SEED) -> None:
    """Replace every complaint by ``n`` synthetic ones (see the module docstring)."""
    office = prepare_schema()
    names = dict(Municipality.objects.filter(dissolved_on__isnull=True)
                 .values_list("code", "name"))
    codes = sorted(names)
    office.municipalities.set(codes)  # a national office serves every municipality
    staff = _users(office=office, codes=codes, desks=desks)
    # The bench desk's expected share of the cases: its municipalities as the incident place
    # (80% have one) or else as the residence (80% of the other 20%).
    share = sum(1 for desk in staff.desk_of.values() if desk == staff.bench_desk) / len(codes)
    expected = n * share * (0.8 + 0.2 * 0.8)
    grant_share = min(1.0, 1.05 * granted_count / expected) if expected else 0.0
    granted: list[int] = []
    table = Complaint._meta.db_table
    permission_ids = list(Permission.objects.filter(
        content_type__app_label="reports", codename__in=["view_complaint", "change_complaint"])
        .values_list("pk", flat=True))
    layout = ComplaintColumns.from_model()
    began = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table}, {ComplaintGround._meta.db_table}, "
                           f"{ComplaintHandling._meta.db_table} RESTART IDENTITY CASCADE")
        _copy(table, layout.columns, complaint_rows(
            layout=layout, n=n, years=years, office_id=office.pk, office_code=office.code,
            codes=codes, names=names, staff=staff, grant_share=grant_share, granted=granted,
            granted_count=granted_count, seed=seed))
        _copy(ComplaintGround._meta.db_table, ["complaint_id", "code"], code_rows(
            n=n, codes=list(Ground.values), weights=(0.1, 0.6, 0.22, 0.08), seed=seed + 1))
        _copy(ComplaintHandling._meta.db_table, ["complaint_id", "code"], code_rows(
            n=n, codes=list(Handling.values), weights=(0.3, 0.5, 0.2), seed=seed + 2))
        _copy(ComplaintUserObjectPermission._meta.db_table,
              ["content_object_id", "permission_id", "user_id"],
              ((pk, permission, staff.caseworker) for pk in granted
               for permission in permission_ids))
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, n])
            cursor.execute(f"SELECT EXTRACT(YEAR FROM received_at AT TIME ZONE 'Europe/Amsterdam')"
                           f"::int, count(*) FROM {table} GROUP BY 1")  # noqa: S608
            counts = cursor.fetchall()
        recount_statuses()  # the dashboard's counter (the services keep it from here on)
        CaseNumberSequence.objects.filter(office=office).delete()
        CaseNumberSequence.objects.bulk_create([
            CaseNumberSequence(office=office, year=year, last_number=count)
            for year, count in counts])
    loaded = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Loaded {n:,} complaints over {desks} desks ({len(granted):,} granted to "
          f"bench_caseworker, id {staff.caseworker}, desk {staff.bench_desk}; bench_coordinator id "
          f"{staff.coordinator}) in {loaded:.1f} s, "
          f"VACUUM ANALYZE {time.perf_counter() - began - loaded:.1f} s; load average "
          f"{os.getloadavg()[0]:.2f}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--granted", type=int, default=10_000)
    parser.add_argument("--desks", type=int, default=27)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    ensure_database(allow_any_name=False)
    load(n=args.complaints, years=args.years, granted_count=args.granted, desks=args.desks,
         seed=args.seed)


if __name__ == "__main__":
    main()
