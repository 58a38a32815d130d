"""Reads of reference data: municipalities, mergers and the configured office."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Now, TruncDate

from reports.models import Complaint, Municipality, MunicipalityMerger, Office
from reports.timezones import AMSTERDAM


def served_municipalities(*, office: Office) -> QuerySet[Municipality]:
    """The municipalities the office serves, ordered by name."""
    return office.municipalities.order_by("name")


def existing_municipalities() -> QuerySet[Municipality]:
    """Municipalities that exist today (Europe/Amsterdam, evaluated by the database when the
    query runs): established (or always known) and not dissolved. Ordered by name."""
    today = TruncDate(Now(), tzinfo=AMSTERDAM)
    return Municipality.objects.filter(
        Q(established_on__isnull=True) | Q(established_on__lte=today),
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=today),
    ).order_by("name")


def annual_form_municipalities(*, office: Office, year: int,
                               mapping: dict[str, str]) -> set[str]:
    """The municipalities ``office`` makes an annual form for, for registration ``year``.

    Every served municipality, except one that a merger has replaced by 1 January of ``year + 1``
    (its complaints count for the successor: ``mapping`` is ``merger_map(year=year)``) and one
    established after that day (it did not exist yet). So an office keeps the old codes in
    ``OFFICE_MUNICIPALITIES`` next to the new one, and every year gets the forms of the
    municipalities as they were when its form was due. One query.
    """
    cutoff = datetime.date(year + 1, 1, 1)
    codes = office.municipalities.filter(
        Q(established_on__isnull=True) | Q(established_on__lte=cutoff)
    ).values_list("code", flat=True)
    return {code for code in codes if code not in mapping}


def filter_municipalities() -> QuerySet[Municipality]:
    """The municipalities worth offering as a case-list filter, ordered by name: those the
    configured office serves (``MELDPUNT_OFFICE["municipalities"]``) and any other that a
    complaint names as the place of the incident or the reporter's residence."""
    # EXISTS per municipality (a few hundred index probes on the foreign-key indexes), not
    # IN (subquery over every complaint): at 1,000,000 complaints the latter no longer fits
    # work_mem and took 12 s (issue 13).
    return Municipality.objects.filter(
        Q(code__in=settings.MELDPUNT_OFFICE["municipalities"])
        | Exists(Complaint.objects.filter(incident_municipality=OuterRef("pk")))
        | Exists(Complaint.objects.filter(reporter_residence=OuterRef("pk")))
    ).order_by("name")


#: Seconds a process reuses the case-list filter's municipality choices
#: (``filter_municipality_choices``).
FILTER_CHOICES_SECONDS = 300
_filter_choices: tuple[float, list[tuple[str, str]]] | None = None


def filter_municipality_choices() -> list[tuple[str, str]]:
    """``(code, name)`` of ``filter_municipalities()``, by name, read at most once every
    ``FILTER_CHOICES_SECONDS`` per process: the case list shows this drop-down on every page
    load and the list changes only when a case first names a municipality outside the office
    (issue 13; about 4 ms of the page at 1,000,000 complaints). Such a municipality may appear
    in the filter up to five minutes late; filtering by it works at once (``?municipality=``).
    Reads the database only; the copy is kept in this module, not written anywhere."""
    global _filter_choices
    now = time.monotonic()
    if _filter_choices is None or now - _filter_choices[0] >= FILTER_CHOICES_SECONDS:
        _filter_choices = (now, list(filter_municipalities().values_list("code", "name")))
    return _filter_choices[1]


def is_filter_municipality(*, code: str) -> bool:
    """Whether ``code`` (a CBS code) is one of ``filter_municipalities()`` now, read from the
    database (one ``EXISTS``): for a value missing from this process's copy of
    ``filter_municipality_choices``, such as a municipality a case named a moment ago."""
    return filter_municipalities().filter(code=code).exists()


def forget_filter_municipality_choices() -> None:
    """Drop this process's copy of ``filter_municipality_choices`` (tests; after loading
    reference data)."""
    global _filter_choices
    _filter_choices = None


def merger_map(*, year: int) -> dict[str, str]:
    """Map former CBS codes to the code they count for in registration year ``year``.

    A code that a merger replaced on or before 1 January of ``year + 1`` counts for its successor;
    chains of mergers are followed to the end (issue 2; Wga art. 3 counts per current municipality).

    Args:
        year: the registration year (calendar year, Europe/Amsterdam).

    Returns:
        ``{former_code: final_successor_code}``; codes not in the map count for themselves.
    """
    cutoff = datetime.date(year + 1, 1, 1)
    direct: dict[str, str] = {}
    rows = MunicipalityMerger.objects.filter(effective_date__lte=cutoff).order_by(
        "effective_date", "former_id", "successor_id"
    ).values_list("former_id", "successor_id")
    for former, successor in rows:
        # A split municipality would have several successors; the first one listed takes it.
        direct.setdefault(former, successor)
    resolved: dict[str, str] = {}
    for former, target in direct.items():
        seen = {former}
        while target in direct and target not in seen:
            seen.add(target)
            target = direct[target]
        resolved[former] = target
    return resolved
