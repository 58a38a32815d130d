"""Releasing the annual reports, the scheduled yearly run, and municipal accounts.

Flow: the year's current ``AnnualSnapshot`` rows (counted by ``execute_statistics_run``) are
protected per municipality and for the office-wide summary with ``reports.disclosure``; only when
every scope passes the disclosure audit is anything released. A scope whose protected form equals
its latest released version gets no new version, so releasing twice changes nothing.
"""

from __future__ import annotations

import datetime
import hmac
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from reports import disclosure
from reports.crypto import keyed_hash
from reports.models import (
    OFFICE_SCOPE,
    AnnualReport,
    AnnualSnapshot,
    Municipality,
    Office,
    StatisticsRun,
)
from reports.roles import CASEWORKER, COORDINATOR, MUNICIPALITY, ROLE_PERMISSIONS
from reports.selectors import permissions
from reports.selectors.reports import (
    VIEW_REPORTS,
    accounts_of_municipality,
    latest_reports,
    latest_versions,
    municipalities_of_account,
)
from reports.selectors.statistics import COLUMNS, snapshots_for_year
from reports.services.outbox import queue_email
from reports.services.statistics import (
    check_statistics_year,
    execute_statistics_run,
    write_documents,
)
from reports.timezones import AMSTERDAM
from reports.types import User
from reports.vocabulary import FORM_TABLES

logger = logging.getLogger(__name__)
RELEASED_KIND = "annual_report_released"
#: How often a release plans again when a run or another release finished while it protected.
RELEASE_ATTEMPTS = 3


def disclosure_threshold() -> int:
    """The suppression threshold in force (setting ``DISCLOSURE_THRESHOLD``, default 5)."""
    return int(getattr(settings, "DISCLOSURE_THRESHOLD", disclosure.DEFAULT_THRESHOLD))


def form_cells(tables: dict) -> list[tuple[str, str, str]]:
    """Every ``(table, row, column)`` of the legal form, in the form's order."""
    cells = []
    for table, vocabulary in FORM_TABLES.items():
        rows = ["total"] if vocabulary is None else [*vocabulary.values, "total"]
        cells += [(table, row, column) for row in rows for column in COLUMNS
                  if row in tables.get(table, {})]
    return cells


def canonical_form(tables: dict) -> dict:
    """A stored form with tables, rows and columns in the legal order (PostgreSQL's ``jsonb``
    does not keep key order, and ``reports.disclosure`` expects it)."""
    form = {}
    for table, vocabulary in FORM_TABLES.items():
        rows = ["total"] if vocabulary is None else [*vocabulary.values, "total"]
        form[table] = {row: {column: tables[table][row][column] for column in COLUMNS}
                       for row in rows}
    return form


def published_changes(*, before: dict, after: dict) -> list[dict]:
    """The published cells that differ between two protected forms (``None`` = suppressed).

    Returns:
        ``[{"table", "row", "column", "before", "after"}]`` in the form's order.
    """
    changes = []
    for table, row, column in form_cells(after["tables"]):
        old = before["tables"].get(table, {}).get(row, {}).get(column)
        new = after["tables"][table][row][column]
        if old != new:
            changes.append({"table": table, "row": row, "column": column,
                            "before": old, "after": new})
    return changes


def _lock_office(office: Office) -> Office:
    # The same no-key lock as execute_statistics_run: releases and runs of one office are
    # serialised, new complaints referencing the office are not blocked.
    return Office.objects.select_for_update(
        no_key=connection.features.has_select_for_no_key_update).get(pk=office.pk)


def _notify_accounts(*, report: AnnualReport) -> None:
    """Queue the "a report is available" e-mail for the municipality's accounts (no figures);
    nothing for an office-wide report."""
    if report.municipality is None:
        return
    recipients = [user.email for user in
                  accounts_of_municipality(municipality=report.municipality)]
    if not recipients:
        return
    link = f"{getattr(settings, 'SITE_URL', '')}{reverse('municipal:reports')}"
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Annual report %(year)s of %(municipality)s available") % {
            "year": report.year, "municipality": report.municipality.name}
        body = _(
            "A new version of the annual discrimination complaints report of %(municipality)s "
            "for %(year)s has been released by %(office)s.\n\n"
            "Log in to view and download it:\n%(link)s\n"
        ) % {"municipality": report.municipality.name, "year": report.year,
             "office": report.office.name, "link": link}
    queue_email(kind=RELEASED_KIND, event_key=f"report:{report.public_id}",
                recipients=recipients, subject=subject, body=body)


@dataclass
class ScopePlan:
    """What releasing would do for one scope (a CBS code or ``"office"``).

    Attributes:
        scope: the CBS code, or ``OFFICE_SCOPE``.
        name: the municipality's name, or the office's for the summary.
        exact: the counted form, ``{table: {row: {column: int}}}`` in the legal order.
        protected: the form as it would be published (``reports.disclosure.protect``'s
            result), or ``None`` when it cannot be protected or fails the audit.
        previous: the latest released version, or ``None``.
        reused: the counts equal those of ``previous`` (same threshold), so its protected form
            is taken as it is instead of being protected again.
        failure: why the scope cannot be released (audit), or ``""``.
    """

    scope: str
    name: str
    exact: dict
    protected: dict | None
    previous: AnnualReport | None
    reused: bool = False
    failure: str = ""

    @property
    def gets_new_version(self) -> bool:
        """Releasing stores a new version (the first, or published cells changed)."""
        return self.protected is not None and (
            self.previous is None or self.previous.protected_data != self.protected)

    @property
    def changes(self) -> list[dict]:
        """Published cells that differ from ``previous`` (see ``published_changes``)."""
        if self.previous is None or self.protected is None:
            return []
        return published_changes(before=self.previous.protected_data, after=self.protected)


@dataclass
class ReleasePlan:
    """The preview of a release: every scope, office summary first, then by municipality name.

    Attributes:
        fingerprint: binds a confirmation to this state (keyed hash of the runs, the counted
            forms, the threshold and the latest released versions); releasing with another
            fingerprint is refused.
        cases: complaints counted on at least one form (``None`` for runs before it was kept);
            the office summary's table 1 total can be larger, see ``summary_complaints``.
        mass_reports, mass_incidents: of ``cases``, those in a mass report and the number of
            distinct mass reports ("waarvan massameldingen"; ``None`` for older runs).
    """

    office: Office
    year: int
    threshold: int
    run: StatisticsRun
    run_ids: set[int]
    fingerprint: str
    cases: int | None
    scopes: list[ScopePlan] = field(default_factory=list)
    mass_reports: int | None = None
    mass_incidents: int | None = None

    @property
    def failures(self) -> list[str]:
        return [plan.failure for plan in self.scopes if plan.failure]

    @property
    def summary_complaints(self) -> int:
        """Table 1's total of the office summary: complaints summed over the forms."""
        return self.scopes[0].exact["total"]["total"]["total"]

    @property
    def new_versions(self) -> list[ScopePlan]:
        return [plan for plan in self.scopes if plan.gets_new_version]


def _fingerprint(*, office: Office, year: int, threshold: int,
                 snapshots: list[AnnualSnapshot]) -> str:
    """A keyed hash of what a release of ``year`` would be based on (see ``ReleasePlan``)."""
    state = {
        "office": office.pk, "year": year, "threshold": threshold,
        "forms": sorted([s.municipality_id, s.run_id, canonical_form(s.data["tables"])]
                        for s in snapshots),
        "released": sorted(latest_versions(office=office, year=year).items()),
    }
    return keyed_hash(purpose="release-preview",
                      value=json.dumps(state, sort_keys=True, separators=(",", ":")))


def plan_release(*, office: Office, year: int) -> ReleasePlan:
    """Protect and audit the stored forms of ``year`` as releasing would, without storing or
    locking anything: the release preview.

    A scope whose counts (and threshold) equal its latest released version reuses that
    version's protected form and gets no new version; only changed forms are protected again.
    The office summary (scope ``"office"``) is the sum of the municipal forms.

    Raises:
        ValidationError: no forms are stored for ``year`` (code ``no_forms``).
    """
    threshold = disclosure_threshold()
    snapshots = list(snapshots_for_year(office=office, year=year))
    if not snapshots:
        raise ValidationError(_("No forms are stored for %(year)s; run the statistics "
                                "first.") % {"year": year}, code="no_forms")
    exact = {s.municipality_id: canonical_form(s.data["tables"]) for s in snapshots}
    names = {s.municipality_id: s.municipality.name for s in snapshots}
    source_run = StatisticsRun.objects.get(pk=max(s.run_id for s in snapshots))
    plan = ReleasePlan(office=office, year=year, threshold=threshold, run=source_run,
                       run_ids={s.run_id for s in snapshots},
                       fingerprint=_fingerprint(office=office, year=year, threshold=threshold,
                                                snapshots=snapshots),
                       cases=source_run.counted_cases,
                       mass_reports=source_run.mass_reports,
                       mass_incidents=source_run.mass_incidents)
    scopes = {OFFICE_SCOPE: disclosure.sum_forms(list(exact.values())), **exact}
    latest = latest_reports(office=office, year=year)
    for scope, form in scopes.items():
        name = office.name if scope == OFFICE_SCOPE else names[scope]
        previous = latest.get(scope)
        if (previous is not None and previous.threshold == threshold
                and canonical_form(previous.exact_data["tables"]) == form):
            plan.scopes.append(ScopePlan(scope=scope, name=name, exact=form,
                                         protected=previous.protected_data, previous=previous,
                                         reused=True))
            continue
        try:
            protected, audit = disclosure.protect_and_audit(form, threshold=threshold)
            protected = json.loads(json.dumps(protected))
        except ValueError:  # an inconsistent form cannot be protected: never release it
            logger.exception("release %s/%s: %s cannot be protected", office.pk, year, scope)
            plan.scopes.append(ScopePlan(scope=scope, name=name, exact=form, protected=None,
                                         previous=previous, failure=f"{name} ({scope})"))
            continue
        plan.scopes.append(ScopePlan(
            scope=scope, name=name, exact=form, previous=previous,
            protected=protected if audit.passed else None,
            failure="" if audit.passed else audit_failure_text(
                scope=scope, name=name, failures=audit.failures)))
    return plan


def release_preview(*, office: Office, year: int,
                    actor: User | None = None) -> ReleasePlan:
    """``plan_release`` for the preview page; when no forms are stored for ``year`` they are
    counted first (a ``StatisticsRun`` executed in this process, as releasing does). Nothing is
    released.

    Raises:
        ValidationError: as ``plan_release``, or a year the statistics cannot count
            (``check_statistics_year``).
    """
    check_statistics_year(year)
    if not AnnualSnapshot.objects.filter(office=office, year=year).exists():
        counting = StatisticsRun.objects.create(office=office, year=year, requested_by=actor)
        execute_statistics_run(run_id=counting.pk)
    return plan_release(office=office, year=year)


def release_annual_reports(*, office: Office, year: int,
                           actor: User | None = None,
                           run: StatisticsRun | None = None,
                           confirmation: str | None = None) -> list[AnnualReport]:
    """Release the protected annual reports of ``year``: one per served municipality and the
    office-wide summary (the sum of the municipal forms, scope ``"office"``).

    When no forms are stored for ``year`` (and no ``run`` is given) they are counted first (a
    new ``StatisticsRun``, executed in this process). The forms are protected and audited
    **without** holding any lock (``plan_release``; unchanged forms reuse their released
    protection). Then one short transaction holding the office lock checks that the stored
    forms and released versions are still those that were protected (else nothing is stored)
    and stores the new versions: either every scope passed the audit and new versions are
    stored, or nothing is. A scope whose protected form equals its latest version gets no new
    version; otherwise version n+1 records in ``changes`` the published cells that differ from
    version n. Accounts linked to a municipality with a new version get an e-mail through the
    outbox (no figures).

    Args:
        office: the office releasing.
        year: the registration year.
        actor: who released (``None`` for the schedule).
        run: when given, the stored forms must be this run's (else ``ValidationError``).
        confirmation: the ``fingerprint`` of the preview the user confirmed; when given, the
            release is refused unless the state is still the previewed one.

    Returns:
        The new versions (empty when nothing changed), office summary first, then by
        municipality name.

    Raises:
        ValidationError: no forms could be counted (``no_forms``), the forms are not ``run``'s
            or changed while protecting (``stale_run``), the state differs from the confirmed
            preview (``preview_changed``), or the disclosure audit failed for at least one
            scope (``audit_failed``; the message names the scopes).
        PermissionDenied: ``actor`` works for some desks of the office only (releasing is
            office-wide; ``reports.selectors.permissions.covers_office``).
    """
    check_statistics_year(year)
    if actor is not None and not permissions.covers_office(user=actor, office_id=office.pk):
        raise PermissionDenied
    if run is None and not AnnualSnapshot.objects.filter(office=office, year=year).exists():
        counting = StatisticsRun.objects.create(office=office, year=year, requested_by=actor)
        run = execute_statistics_run(run_id=counting.pk)
    stale = ValidationError(_("The stored forms of %(year)s are not those of the run to "
                              "release; release again.") % {"year": year}, code="stale_run")
    for _attempt in range(RELEASE_ATTEMPTS):
        plan = plan_release(office=office, year=year)
        if confirmation is not None and not hmac.compare_digest(confirmation,
                                                                plan.fingerprint):
            raise ValidationError(_("The forms or the released versions of %(year)s changed "
                                    "after the preview; nothing was released. Check the new "
                                    "preview and confirm again.") % {"year": year},
                                  code="preview_changed")
        if run is not None and plan.run_ids != {run.pk}:
            raise stale
        if plan.failures:
            logger.error("release %s/%s refused: disclosure audit failed for %d scopes",
                         office.pk, year, len(plan.failures))
            raise ValidationError(
                _("The disclosure audit failed for %(scopes)s; nothing was released.")
                % {"scopes": "; ".join(plan.failures)}, code="audit_failed")
        stored = _store_release(plan=plan, actor=actor)
        if stored is not None:
            released = stored
            break
        # A run or a release finished while we protected (a second beat): plan again; what
        # was released meanwhile is reused, not protected again.
    else:
        raise stale
    logger.info("release %s/%s: %d new versions", office.pk, year, len(released))
    return released


def _store_release(*, plan: ReleasePlan,
                   actor: User | None) -> list[AnnualReport] | None:
    """Store ``plan``'s new versions in one transaction holding the office lock, or return
    ``None`` (storing nothing) when the state is no longer the planned one."""
    released: list[AnnualReport] = []
    with transaction.atomic():
        office = _lock_office(plan.office)
        year = plan.year
        snapshots = list(snapshots_for_year(office=office, year=year))
        if _fingerprint(office=office, year=year, threshold=plan.threshold,
                        snapshots=snapshots) != plan.fingerprint:
            return None
        municipalities = {s.municipality_id: s.municipality for s in snapshots}
        for scope_plan in plan.new_versions:
            previous = scope_plan.previous
            exact_data: dict = {"tables": scope_plan.exact}
            if scope_plan.scope == OFFICE_SCOPE and plan.cases is not None:
                exact_data["cases"] = plan.cases
            if scope_plan.scope == OFFICE_SCOPE and plan.mass_reports is not None:
                # "waarvan massameldingen": counted reports in a mass report, and incidents.
                exact_data["mass_reports"] = plan.mass_reports
                exact_data["mass_incidents"] = plan.mass_incidents
            report = AnnualReport.objects.create(
                office=office, year=year, scope=scope_plan.scope,
                municipality=municipalities.get(scope_plan.scope),
                version=previous.version + 1 if previous else 1, run=plan.run,
                released_by=actor, threshold=plan.threshold,
                exact_data=json.loads(json.dumps(exact_data)),
                protected_data=scope_plan.protected, changes=scope_plan.changes)
            released.append(report)
            if report.municipality is not None:
                _notify_accounts(report=report)
    return released


def scheduled_slot(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """The yearly slot of ``now``'s year: 15 January, 03:00 Europe/Amsterdam (timezone-aware)."""
    local = timezone.localtime(now or timezone.now(), AMSTERDAM)
    return datetime.datetime(local.year, 1, 15, 3, 0, tzinfo=AMSTERDAM)


def run_scheduled_slot(*, now: datetime.datetime | None = None) -> str:
    """The beat job of 15 January 03:00: count and release the previous year, once per slot.

    Each office gets at most one ``StatisticsRun`` per slot (constraint ``unique_run_per_slot``;
    a second beat or a retried task finds the existing run). Executing a finished run does
    nothing and releasing unchanged forms creates no version, so repeating the job is harmless.

    Returns:
        A one-line summary for the task result and the logs.
    """
    slot = scheduled_slot(now=now)
    year = slot.year - 1
    summary = []
    for office in Office.objects.order_by("pk"):
        # get_or_create retries the lookup after an IntegrityError from a concurrent insert.
        run, _created = StatisticsRun.objects.get_or_create(office=office, slot=slot,
                                                           defaults={"year": year})
        run = execute_statistics_run(run_id=run.pk)
        released = release_annual_reports(office=office, year=run.year, run=run)
        summary.append(f"{office.code} {run.year}: run {run.pk}, {len(released)} new versions")
    return f"slot {slot.isoformat()}: " + ("; ".join(summary) or "no office")


#: Permissions that give access to cases; a municipal account holds none of them.
CASE_PERMISSIONS = frozenset(ROLE_PERMISSIONS[CASEWORKER] + ROLE_PERMISSIONS[COORDINATOR])


@transaction.atomic
def link_municipal_account(*, user: User, municipality: Municipality) -> None:
    """Let ``user`` see the released reports of ``municipality`` (and get the e-mails).

    Grants the guardian object permission ``view_municipality_reports`` on the municipality and
    adds the user to the ``municipality`` role group (the portal). Linking twice is harmless.

    Raises:
        ValidationError: ``user`` is a superuser or holds a permission on cases (back-office
            staff cannot be municipal accounts).
    """
    if user.is_superuser or any(user.has_perm(f"reports.{codename}")
                                for codename in CASE_PERMISSIONS):
        raise ValidationError(_("A back-office account cannot be a municipal account."),
                              code="staff_account")
    assign_perm(VIEW_REPORTS, user, municipality)
    user.groups.add(Group.objects.get(name=MUNICIPALITY))
    _forget_cached_permissions(user)


@transaction.atomic
def unlink_municipal_account(*, user: User, municipality: Municipality) -> None:
    """Withdraw ``user``'s access to ``municipality``'s reports; when no municipality is left,
    the user also leaves the ``municipality`` role group."""
    remove_perm(VIEW_REPORTS, user, municipality)
    if not municipalities_of_account(user=user).exists():
        user.groups.remove(*Group.objects.filter(name=MUNICIPALITY))
    _forget_cached_permissions(user)


def _forget_cached_permissions(user: User) -> None:
    """Drop the permission caches Django's and guardian's backends keep on the user object."""
    for name in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(name, None)
    user.__dict__.pop("_guardian_perms_cache", None)


def audit_failure_text(*, scope: str, name: str,
                       failures: list[disclosure.AuditFailure]) -> str:
    """A failed audit for a refusal message (active language): the municipality (or office)
    and its first failing cell, e.g. ``Assen (GM0106): cell 2. Discriminatiegrond / Ras /
    resident_here`` plus how many more cells failed. No figure is in it (the message is shown
    and may be logged)."""
    from reports.rendering.tables import LEGAL_TABLE_TITLES, row_label

    first = failures[0]
    cell = (f"{LEGAL_TABLE_TITLES.get(first.table, first.table)} / "
            f"{row_label(table=first.table, row=first.row)} / {first.column}")
    text = _("%(name)s (%(scope)s): cell %(cell)s") % {"name": name, "scope": scope,
                                                       "cell": cell}
    if len(failures) > 1:
        text += " " + _("(and %(count)s more cells)") % {"count": len(failures) - 1}
    return text


def protected_form_documents(*, office: Office, year: int) -> dict[str, dict]:
    """The stored forms of ``year``, protected and audited, as JSON documents per CBS code.

    Shape of a document: ``{"year", "office", "municipality": {"code", "name"}, "protected":
    true, "threshold", "tables": {table: {row: {column: int | None}}}, "suppressed": {table:
    {row: [column, ...]}}}``; hidden cells are ``null`` and listed in ``suppressed``.

    Raises:
        ValidationError: the disclosure audit failed for a municipality (named in the message).
    """
    threshold = disclosure_threshold()
    documents: dict[str, dict] = {}
    failed: list[str] = []
    for snapshot in snapshots_for_year(office=office, year=year):
        code = snapshot.municipality_id
        try:
            protected, audit = disclosure.protect_and_audit(
                canonical_form(snapshot.data["tables"]), threshold=threshold)
        except ValueError:
            failed.append(code)
            continue
        if not audit.passed:
            failed.append(audit_failure_text(scope=code, name=snapshot.municipality.name,
                                             failures=audit.failures))
            continue
        tables = {table: {row: dict(cells) for row, cells in protected["tables"][table].items()}
                  for table in FORM_TABLES}
        documents[code] = {
            "year": year, "office": office.name,
            "municipality": {"code": code, "name": snapshot.municipality.name},
            "protected": True, "threshold": threshold, "tables": tables,
            "suppressed": {table: rows for table, rows in protected["suppressed"].items()
                           if rows},
        }
    if failed:
        raise ValidationError(_("The disclosure audit failed for %(scopes)s; nothing was "
                                "written.") % {"scopes": "; ".join(failed)},
                              code="audit_failed")
    return documents


def write_protected_files(*, office: Office, year: int, output_dir: Path) -> list[Path]:
    """Write ``output_dir/<year>/<CBS code>.json`` and ``.csv``, protected (see
    ``protected_form_documents``; the CSV is ``reports.rendering.tables.data_csv``). Nothing is
    written when a form fails the audit.

    Returns:
        The paths written, sorted.
    """
    from reports.rendering.tables import data_csv

    documents = protected_form_documents(office=office, year=year)
    return write_documents(documents=documents, year=year, output_dir=output_dir,
                           to_csv=lambda document: data_csv(data=document))
