"""Releasing the annual reports, the scheduled yearly run, and municipal accounts.

Flow: the year's current ``AnnualSnapshot`` rows (counted by ``execute_statistics_run``) are
protected per municipality and for the office-wide summary with ``reports.disclosure``; only when
every scope passes the disclosure audit is anything released. A scope whose protected form equals
its latest released version gets no new version, so releasing twice changes nothing.
"""

from __future__ import annotations

import datetime
import json
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from reports import disclosure
from reports.models import (
    OFFICE_SCOPE,
    AnnualReport,
    AnnualSnapshot,
    Municipality,
    Office,
    StatisticsRun,
)
from reports.roles import CASEWORKER, COORDINATOR, MUNICIPALITY, ROLE_PERMISSIONS
from reports.selectors.reports import (
    VIEW_REPORTS,
    accounts_of_municipality,
    latest_report,
    municipalities_of_account,
)
from reports.selectors.statistics import COLUMNS, snapshots_for_year
from reports.services.outbox import queue_email
from reports.services.statistics import execute_statistics_run, write_documents
from reports.timezones import AMSTERDAM
from reports.types import User
from reports.vocabulary import FORM_TABLES

logger = logging.getLogger(__name__)
RELEASED_KIND = "annual_report_released"


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


def release_annual_reports(*, office: Office, year: int,
                           actor: User | None = None,
                           run: StatisticsRun | None = None) -> list[AnnualReport]:
    """Release the protected annual reports of ``year``: one per served municipality and the
    office-wide summary (the sum of the municipal forms, scope ``"office"``).

    When no forms are stored for ``year`` they are counted first (a new ``StatisticsRun``,
    executed in this process). Everything happens in one transaction holding the office lock:
    either every scope passes the disclosure audit and new versions are stored, or nothing is.
    A scope whose protected form equals its latest version gets no new version; otherwise
    version n+1 records in ``changes`` the published cells that differ from version n. Accounts
    linked to a municipality with a new version get an e-mail through the outbox (no figures).

    Args:
        office: the office releasing.
        year: the registration year.
        actor: who released (``None`` for the schedule).
        run: when given, the stored forms must be this run's (else ``ValidationError``).

    Returns:
        The new versions (empty when nothing changed), office summary first, then by
        municipality name.

    Raises:
        ValidationError: no forms could be counted, the forms are not ``run``'s, or the
            disclosure audit failed for at least one scope (the message names the scopes).
    """
    threshold = disclosure_threshold()
    if run is None and not AnnualSnapshot.objects.filter(office=office, year=year).exists():
        counting = StatisticsRun.objects.create(office=office, year=year, requested_by=actor)
        run = execute_statistics_run(run_id=counting.pk)
    with transaction.atomic():
        office = _lock_office(office)
        snapshots = list(snapshots_for_year(office=office, year=year))
        if not snapshots:
            raise ValidationError(_("No forms are stored for %(year)s; run the statistics "
                                    "first.") % {"year": year}, code="no_forms")
        if run is not None and {s.run_id for s in snapshots} != {run.pk}:
            raise ValidationError(_("The stored forms of %(year)s are not those of the run "
                                    "to release; release again.") % {"year": year},
                                  code="stale_run")
        source_run = snapshots[0].run
        municipalities = {s.municipality_id: s.municipality for s in snapshots}
        exact = {s.municipality_id: canonical_form(s.data["tables"])
                 for s in snapshots}  # ordered by name
        scopes = {OFFICE_SCOPE: disclosure.sum_forms(list(exact.values())), **exact}
        protected: dict[str, dict] = {}
        failed: list[str] = []
        for scope, form in scopes.items():
            try:
                result, audit = disclosure.protect_and_audit(form, threshold=threshold)
            except ValueError:  # an inconsistent form cannot be protected: never release it
                logger.exception("release %s/%s: %s cannot be protected", office.pk, year, scope)
                failed.append(scope)
                continue
            protected[scope] = json.loads(json.dumps(result))
            if not audit.passed:
                failed.append(scope)
        if failed:
            logger.error("release %s/%s refused: disclosure audit failed for %s",
                         office.pk, year, ", ".join(failed))
            raise ValidationError(
                _("The disclosure audit failed for %(scopes)s; nothing was released.")
                % {"scopes": ", ".join(failed)}, code="audit_failed")
        released: list[AnnualReport] = []
        for scope, form in scopes.items():
            previous = latest_report(office=office, year=year, scope=scope)
            if previous is not None and previous.protected_data == protected[scope]:
                continue
            report = AnnualReport.objects.create(
                office=office, year=year, scope=scope, municipality=municipalities.get(scope),
                version=previous.version + 1 if previous else 1, run=source_run,
                released_by=actor, threshold=threshold,
                exact_data=json.loads(json.dumps({"tables": form})),
                protected_data=protected[scope],
                changes=published_changes(before=previous.protected_data,
                                          after=protected[scope]) if previous else [])
            released.append(report)
            if report.municipality is not None:
                _notify_accounts(report=report)
    logger.info("release %s/%s: %d new versions", office.pk, year, len(released))
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
            failed.append(code)
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
                                "written.") % {"scopes": ", ".join(failed)},
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
