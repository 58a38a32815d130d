"""Applying a newer CBS municipality list and its mergers (gemeentelijke herindelingen).

CBS publishes the municipalities (gemeentelijke indeling) valid from 1 January each year, and the
mergers that take effect. :func:`plan_municipality_update` compares such a list and a merger file
with the database and reports what would change, without writing (the dry run);
:func:`apply_municipality_update` applies the same plan in one transaction and records the list
(:class:`~reports.models.MunicipalityList`). ``manage.py update_municipalities`` drives both.

What an update does:

* adds new municipalities (a merger's new successor exists from the merger's date:
  ``established_on``);
* records new mergers with their date and marks the former municipality ``dissolved_on`` that
  date. Old codes stay in the table: registrations, imports and the forms of the years they
  existed keep resolving them (``reports.selectors.reference.merger_map``);
* renames municipalities and corrects their province.

It never rewrites history: a merger already recorded with another date or successor, a
municipality missing from the list without a merger saying where it went, or a list older than
the newest one applied are refused, and nothing is written. The annual forms of registration
years before a new merger's first counting year do not change
(``tests/reports/services/test_municipality_updates.py``).

File formats (UTF-8, a BOM is allowed, comma- or semicolon-separated, one header row):

* list: ``code,name,province`` (the fixture's format) or CBS's column names ``Gemeentecode``,
  ``Gemeentenaam``, ``Provincienaam``; codes as ``GM0014``, ``0014`` or ``14``;
* mergers: ``former_code,former_name,successor_code,successor_name,effective_date`` with the
  date as ``YYYY-MM-DD`` (the fixture's format). A split municipality has one row per successor.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from reports.models import (
    AnnualReport,
    Complaint,
    Municipality,
    MunicipalityList,
    MunicipalityMerger,
    Office,
)

_CODE_COLUMNS = ("code", "gemeentecode", "gemeentecodegm", "gm_code")
_NAME_COLUMNS = ("name", "gemeentenaam", "gemeentecodelabel", "naam")
_PROVINCE_COLUMNS = ("province", "provincienaam", "provincie")
_MERGER_COLUMNS = ("former_code", "former_name", "successor_code", "successor_name",
                   "effective_date")


@dataclass(frozen=True)
class ListedMunicipality:
    """One row of a CBS municipality list."""

    code: str
    name: str
    province: str


@dataclass(frozen=True)
class Merger:
    """One row of a merger file: ``former`` became (part of) ``successor`` on ``effective_date``
    (the first day on which ``former`` no longer exists)."""

    former_code: str
    former_name: str
    successor_code: str
    successor_name: str
    effective_date: datetime.date


@dataclass
class MunicipalityUpdate:
    """What applying a list and a merger file changes (or why it cannot be applied).

    ``added``: (municipality, established_on or ``None``); ``renamed`` and ``moved``: (code, old,
    new); ``mergers``: the mergers not yet recorded; ``dissolved``: (code, date); ``notes``: what
    the office must know (counting years that change, its served municipalities, released
    reports); ``errors``: reasons it is refused (then nothing is written).
    """

    valid_from: datetime.date
    source: str
    added: list[tuple[ListedMunicipality, datetime.date | None]] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)
    mergers: list[Merger] = field(default_factory=list)
    dissolved: list[tuple[str, datetime.date]] = field(default_factory=list)
    formers_added: list[Merger] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.renamed or self.moved or self.mergers or self.dissolved)

    def report(self) -> list[str]:
        """The changes as lines of text (English, for the operator's terminal and the log)."""
        lines = [f"CBS municipality list valid from {self.valid_from.isoformat()} "
                 f"({self.source})."]
        lines += [f"ERROR: {error}" for error in self.errors]
        for municipality, established in self.added:
            since = f", exists from {established.isoformat()}" if established else ""
            lines.append(f"new municipality: {municipality.code} {municipality.name} "
                         f"({municipality.province or 'no province'}{since})")
        for merger in self.formers_added:
            lines.append(f"former municipality added: {merger.former_code} "
                         f"{merger.former_name} (dissolved {merger.effective_date.isoformat()})")
        lines += [f"renamed: {code} {old} -> {new}" for code, old, new in self.renamed]
        lines += [f"province: {code} {old or '-'} -> {new}" for code, old, new in self.moved]
        for merger in self.mergers:
            lines.append(f"merger: {merger.former_code} {merger.former_name} -> "
                         f"{merger.successor_code} {merger.successor_name} on "
                         f"{merger.effective_date.isoformat()}; counts for the successor from "
                         f"registration year {first_counting_year(merger.effective_date)}")
        lines += [f"dissolved: {code} on {date.isoformat()}" for code, date in self.dissolved]
        lines += [f"NOTE: {note}" for note in self.notes]
        if not self.has_changes and not self.errors:
            lines.append("No changes: the database already matches this list.")
        return lines


def first_counting_year(effective_date: datetime.date) -> int:
    """The first registration year in which a merger on ``effective_date`` counts the former
    municipality for its successor: the successor makes the form of every year whose form is
    made after the merger, i.e. whose 1 January after the year is on or after the date
    (``merger_map``; Wga art. 3)."""
    if (effective_date.month, effective_date.day) == (1, 1):
        return effective_date.year - 1
    return effective_date.year


# --- Reading the files ---------------------------------------------------------------------


def normalise_code(raw: str) -> str:
    """``GM0014``, ``gm0014``, ``0014`` or ``14`` -> ``GM0014``.

    Raises:
        ValueError: not a CBS municipality code.
    """
    text = raw.strip().upper().removeprefix("GM")
    if not re.fullmatch(r"\d{1,4}", text):
        raise ValueError(f"not a CBS municipality code: {raw.strip()!r}")
    return f"GM{int(text):04d}"


def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    text = text.removeprefix("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    rows = [{(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
            for row in reader]
    return header, rows


def _column(header: list[str], names: tuple[str, ...], what: str) -> str:
    for name in names:
        if name in header:
            return name
    raise ValueError(f"no {what} column (one of: {', '.join(names)})")


def read_municipality_list(path: Path) -> list[ListedMunicipality]:
    """Read a CBS municipality list.

    Raises:
        ValueError: a missing column, a bad or repeated code, or an empty name (with line
            numbers; all problems at once).
    """
    header, rows = _rows(path.read_text(encoding="utf-8"))
    code_col = _column(header, _CODE_COLUMNS, "code")
    name_col = _column(header, _NAME_COLUMNS, "name")
    province_col = next((name for name in _PROVINCE_COLUMNS if name in header), None)
    problems: list[str] = []
    listed: dict[str, ListedMunicipality] = {}
    for line, row in enumerate(rows, start=2):
        try:
            code = normalise_code(row.get(code_col, ""))
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        name = row.get(name_col, "")
        if not name:
            problems.append(f"line {line}: {code} has no name")
        elif code in listed:
            problems.append(f"line {line}: {code} is listed twice")
        else:
            listed[code] = ListedMunicipality(code, name, row.get(province_col, "")
                                              if province_col else "")
    if not listed and not problems:
        problems.append("the list is empty")
    if problems:
        raise ValueError("; ".join(problems))
    return list(listed.values())


def read_merger_file(path: Path) -> list[Merger]:
    """Read a merger file (``former_code,former_name,successor_code,successor_name,
    effective_date``).

    Raises:
        ValueError: a missing column, a bad code or date, a municipality merging into itself, or a
            repeated row (with line numbers; all problems at once).
    """
    header, rows = _rows(path.read_text(encoding="utf-8"))
    missing = [name for name in _MERGER_COLUMNS if name not in header]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    problems: list[str] = []
    mergers: dict[tuple[str, str], Merger] = {}
    for line, row in enumerate(rows, start=2):
        try:
            former, successor = (normalise_code(row["former_code"]),
                                 normalise_code(row["successor_code"]))
            effective = datetime.date.fromisoformat(row["effective_date"])
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if former == successor:
            problems.append(f"line {line}: {former} cannot merge into itself")
        elif (former, successor) in mergers:
            problems.append(f"line {line}: {former} -> {successor} is listed twice")
        elif not row["former_name"] or not row["successor_name"]:
            problems.append(f"line {line}: a name is missing")
        else:
            mergers[(former, successor)] = Merger(former, row["former_name"], successor,
                                                  row["successor_name"], effective)
    if problems:
        raise ValueError("; ".join(problems))
    return list(mergers.values())


# --- Planning and applying -----------------------------------------------------------------


def plan_municipality_update(*, municipalities: list[ListedMunicipality], mergers: list[Merger],
                             valid_from: datetime.date, source: str) -> MunicipalityUpdate:
    """Compare a list and a merger file with the database. Reads only.

    Args:
        municipalities: the CBS list valid from ``valid_from`` (every municipality existing that
            day).
        mergers: the mergers up to and including that day, and announced later ones (their new
            successors are added with the date they will exist from).
        valid_from: the date the list is valid from (CBS: 1 January of its year).
        source: where the files came from, for the record (e.g. the file names).

    Returns:
        The plan; ``errors`` non-empty means it must not be applied.
    """
    plan = MunicipalityUpdate(valid_from=valid_from, source=source)
    newest = MunicipalityList.objects.order_by("-valid_from").first()
    if newest is not None and valid_from < newest.valid_from:
        plan.errors.append(f"the database already holds the list valid from "
                           f"{newest.valid_from.isoformat()}; this list is older")
    known = {m.code: m for m in Municipality.objects.all()}
    recorded: dict[str, list[tuple[str, datetime.date]]] = defaultdict(list)
    for former, successor, date in MunicipalityMerger.objects.values_list(
            "former_id", "successor_id", "effective_date"):
        recorded[former].append((successor, date))
    listed = {m.code: m for m in municipalities}

    new_mergers = _check_mergers(plan, mergers, recorded, listed, known)
    _check_list(plan, listed, known, recorded, new_mergers)
    if not plan.errors:
        _notes(plan)
    return plan


def _check_mergers(plan: MunicipalityUpdate, mergers: list[Merger],
                   recorded: dict[str, list[tuple[str, datetime.date]]],
                   listed: dict[str, ListedMunicipality],
                   known: dict[str, Municipality]) -> list[Merger]:
    new: list[Merger] = []
    dates: dict[str, datetime.date] = {}
    for merger in mergers:
        former, successor, date = merger.former_code, merger.successor_code, merger.effective_date
        earlier = dict(recorded.get(former, []))
        other_dates = set(earlier.values()) | ({dates[former]} if former in dates else set())
        if successor in earlier:
            if earlier[successor] != date:
                plan.errors.append(
                    f"{former} -> {successor} is recorded with date "
                    f"{earlier[successor].isoformat()}, the file says {date.isoformat()}")
            continue
        if other_dates and date not in other_dates:
            plan.errors.append(f"{former} is already recorded as merged on "
                               f"{min(other_dates).isoformat()}; the file says "
                               f"{date.isoformat()}")
            continue
        dissolved = known[former].dissolved_on if former in known else None
        if dissolved is not None and dissolved != date:
            plan.errors.append(f"{former} was dissolved on {dissolved.isoformat()}; the file "
                               f"says it merged on {date.isoformat()}")
            continue
        if date <= plan.valid_from:
            if former in listed:
                plan.errors.append(f"{former} {merger.former_name} merged on "
                                   f"{date.isoformat()} but is still in the list")
                continue
            if successor not in listed:
                plan.errors.append(f"{successor} {merger.successor_name} (successor of "
                                   f"{former}) is not in the list")
                continue
        dates[former] = date
        new.append(merger)
        plan.mergers.append(merger)
        if former not in known and former not in listed:
            plan.formers_added.append(merger)
        elif former not in known or known[former].dissolved_on is None:
            if (former, date) not in plan.dissolved:
                plan.dissolved.append((former, date))
    return new


def _check_list(plan: MunicipalityUpdate, listed: dict[str, ListedMunicipality],
                known: dict[str, Municipality],
                recorded: dict[str, list[tuple[str, datetime.date]]],
                new_mergers: list[Merger]) -> None:
    founded: dict[str, datetime.date] = {}
    for merger in new_mergers:
        if merger.successor_code not in known:
            date = founded.get(merger.successor_code, merger.effective_date)
            founded[merger.successor_code] = min(date, merger.effective_date)
    for code, municipality in sorted(listed.items()):
        existing = known.get(code)
        if existing is None:
            established = founded.get(code, plan.valid_from)
            if code not in founded:
                plan.notes.append(f"{code} {municipality.name} is new without a merger in the "
                                  f"file: it exists from {plan.valid_from.isoformat()}")
            plan.added.append((municipality, established))
            continue
        if existing.dissolved_on is not None and existing.dissolved_on <= plan.valid_from:
            plan.errors.append(f"{code} {existing.name} was dissolved on "
                               f"{existing.dissolved_on.isoformat()} but is in the list")
            continue
        if existing.name != municipality.name:
            plan.renamed.append((code, existing.name, municipality.name))
        if municipality.province and existing.province != municipality.province:
            plan.moved.append((code, existing.province, municipality.province))
    # Announced mergers: a successor that is not in this list yet exists from the merger's date.
    for merger in new_mergers:
        code = merger.successor_code
        if code not in listed and code not in known and code not in {
                m.code for m, _ in plan.added}:
            province = (listed[merger.former_code].province if merger.former_code in listed
                        else getattr(known.get(merger.former_code), "province", ""))
            plan.added.append((ListedMunicipality(code, merger.successor_name, province),
                               founded[code]))
    merged_away = {m.former_code for m in new_mergers if m.effective_date <= plan.valid_from}
    merged_away |= {former for former, rows in recorded.items()
                    if any(date <= plan.valid_from for _, date in rows)}
    for code, stored in sorted(known.items()):
        exists = ((stored.dissolved_on is None or stored.dissolved_on > plan.valid_from)
                  and (stored.established_on is None
                       or stored.established_on <= plan.valid_from))
        if exists and code not in listed and code not in merged_away:
            plan.errors.append(f"{code} {stored.name} is not in the list and no merger "
                               f"says where it went")


def _notes(plan: MunicipalityUpdate) -> None:
    """What the office must know: its served municipalities, counting years, released reports."""
    served = set(settings.MELDPUNT_OFFICE["municipalities"])
    office = Office.objects.filter(code=settings.MELDPUNT_OFFICE["code"]).first()
    for merger in plan.mergers:
        year = first_counting_year(merger.effective_date)
        former, successor = merger.former_code, merger.successor_code
        if former not in served and successor not in served:
            continue
        if successor not in served:
            plan.notes.append(
                f"OFFICE_MUNICIPALITIES lists {former} but not its successor {successor}: add "
                f"{successor} (and keep {former} for the forms of the years before {year}), "
                f"then run load_reference_data")
        plan.notes.append(f"annual forms from registration year {year} on count {former} for "
                          f"{successor}; earlier years do not change")
        if office is not None:
            released = sorted(set(AnnualReport.objects.filter(
                office=office, year__gte=year, scope__in=[former, successor]).values_list(
                "year", flat=True)))
            if released:
                plan.notes.append(
                    f"reports for {', '.join(map(str, released))} were released before this "
                    f"merger was recorded: run and release those years again")


@transaction.atomic
def apply_municipality_update(*, municipalities: list[ListedMunicipality],
                              mergers: list[Merger], valid_from: datetime.date,
                              source: str) -> MunicipalityUpdate:
    """Apply a list and a merger file: plan (:func:`plan_municipality_update`) and write, in one
    transaction, and record the list. Applying the same list again changes nothing.

    Raises:
        ValidationError: the plan has errors (each one a message); nothing was written.

    Returns:
        The plan that was applied.
    """
    # One update at a time: a second one waits here and then plans against the first's result.
    list(MunicipalityList.objects.select_for_update().order_by("pk")[:1])
    plan = plan_municipality_update(municipalities=municipalities, mergers=mergers,
                                    valid_from=valid_from, source=source)
    if plan.errors:
        raise ValidationError(plan.errors)
    province = {m.code: m.province for m in municipalities}
    Municipality.objects.bulk_create([
        Municipality(code=m.code, name=m.name, province=m.province, established_on=established)
        for m, established in plan.added])
    Municipality.objects.bulk_create([
        Municipality(code=m.former_code, name=m.former_name,
                     province=province.get(m.successor_code, ""), dissolved_on=m.effective_date)
        for m in plan.formers_added], ignore_conflicts=True)
    for code, _old, new in plan.renamed:
        Municipality.objects.filter(code=code).update(name=new)
        # The case list's sort key (Complaint.incident_municipality_name) follows the name.
        Complaint.objects.filter(incident_municipality=code).update(
            incident_municipality_name=new)
    for code, _old, new in plan.moved:
        Municipality.objects.filter(code=code).update(province=new)
    for code, date in plan.dissolved:
        Municipality.objects.filter(code=code).update(dissolved_on=date)
    MunicipalityMerger.objects.bulk_create([
        MunicipalityMerger(former_id=m.former_code, successor_id=m.successor_code,
                           effective_date=m.effective_date) for m in plan.mergers])
    summary = "\n".join(plan.report())
    MunicipalityList.objects.update_or_create(valid_from=valid_from, defaults={
        "source": source[:500], "summary": summary})
    return plan
