"""Annual statistics per desk (issue 11 §1): the protected summary of the municipalities a desk
served in a year, computed from the stored forms of the latest run (nothing is written).

The desk summary is, like the office summary, the sum of the municipal forms
(``disclosure.sum_forms``) of the municipalities the desk served on at least one day of the year
(``reports.selectors.desks.desk_municipality_codes``), protected and audited with
``reports.disclosure`` at the office's threshold. A case without any municipality (incident online
or not known, residence unknown) is on no municipal form, so on no desk or office summary either
(as before desks); the page gives the number of counted cases the desk handled
(``Complaint.desk``) and how many of those had no municipality at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db.models import Count, Q

from reports import disclosure
from reports.models import Desk, Office
from reports.selectors.desks import desk_municipality_codes
from reports.selectors.reference import merger_map
from reports.selectors.statistics import counted_complaints, snapshots_for_year
from reports.services.reports import canonical_form, disclosure_threshold


@dataclass(frozen=True)
class DeskSummary:
    """A desk's annual summary.

    Attributes:
        codes: the CBS codes the desk served that year (sorted).
        forms: how many of those have a stored form (the others had no counted case or no run).
        exact: the summed exact form, or ``None`` without stored forms.
        protected: the protected form when the audit passed, else ``None``.
        threshold: the disclosure threshold used.
        handled_cases: counted cases of the year whose ``desk`` is this desk.
        handled_without_municipality: of those, cases with neither an incident municipality nor
            a residence (on no municipal form).
        mass_reports: counted cases of the year on one of the desk's municipal forms (reporter
            living in, or incident in, one of ``codes`` or a municipality merged into one) that
            are part of a mass report ("waarvan massameldingen"), each once; counted now, by
            the office summary's rule (``selectors.statistics.AnnualCount``).
        mass_incidents: the number of distinct mass reports (incidents) those concern.
    """

    codes: list[str]
    forms: int
    exact: dict | None
    protected: dict | None
    threshold: int
    handled_cases: int
    handled_without_municipality: int
    mass_reports: int = 0
    mass_incidents: int = 0


def desk_summary(*, office: Office, desk: Desk, year: int) -> DeskSummary:
    """The protected annual summary of ``desk`` for registration ``year`` (see module docstring).

    Raises:
        ValueError: never for stored forms (they share one shape); an inconsistent form is
            reported as ``protected=None``.
    """
    threshold = disclosure_threshold()
    codes = desk_municipality_codes(desk_id=desk.pk, year=year)
    snapshots = list(snapshots_for_year(office=office, year=year).filter(
        municipality_id__in=codes))
    exact = protected = None
    if snapshots:
        exact = disclosure.sum_forms([canonical_form(s.data["tables"]) for s in snapshots])
        try:
            result, audit = disclosure.protect_and_audit(exact, threshold=threshold)
        except ValueError:
            result, audit = None, None
        if result is not None and audit is not None and audit.passed:
            protected = json.loads(json.dumps(result))
    handled = counted_complaints(office=office, year=year).filter(desk=desk)
    mapping = merger_map(year=year)
    relevant = set(codes) | {former for former, successor in mapping.items() if successor in codes}
    mass = (counted_complaints(office=office, year=year)
            .filter(Q(reporter_residence__in=relevant) | Q(incident_municipality__in=relevant),
                    incident__isnull=False)
            .order_by().aggregate(reports=Count("pk"), incidents=Count("incident", distinct=True)))
    return DeskSummary(
        mass_reports=mass["reports"] or 0, mass_incidents=mass["incidents"] or 0,
        codes=codes, forms=len(snapshots), exact=exact, protected=protected,
        threshold=threshold, handled_cases=handled.count(),
        handled_without_municipality=handled.filter(
            Q(incident_municipality__isnull=True) & Q(reporter_residence__isnull=True)).count())
