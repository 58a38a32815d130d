"""Reads for mass reports (incidents), the case list's selection and background case jobs.

Cases are always read through ``reports.selectors.permissions.visible_complaints``, so what a
user sees of an incident follows who may see which case (and any scoping added there).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from reports.models import CaseJob, Complaint, Incident, Office
from reports.selectors.cases import OverdueComplaint, case_list
from reports.selectors.permissions import desk_scope, visible_complaints
from reports.types import AnyUser
from reports.workflow import TRANSITIONS


def can_manage_incidents(*, user: AnyUser) -> bool:
    """True when ``user`` may create mass reports, group reports into them and handle them."""
    return (user.is_authenticated and user.is_active
            and user.has_perm("reports.manage_incidents"))


def can_bulk_change(*, user: AnyUser) -> bool:
    """True when ``user`` may select cases on the case list and change them together."""
    return (user.is_authenticated and user.is_active
            and user.has_perm("reports.bulk_change_complaints"))


def can_follow_job(*, user: AnyUser, job: CaseJob) -> bool:
    """Whether ``user`` may see ``job``'s page and progress (its counts and the case numbers
    it skipped) and start it again: its actor, and those who manage mass reports across desks
    (``reports.work_across_desks``). A desk coordinator does not see another person's job: its
    counts and numbers may be of another desk's cases (issue 11 §1)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return job.actor_id == user.pk or (can_manage_incidents(user=user)
                                       and desk_scope(user=user) is None)


def incidents(*, office: Office, user: AnyUser) -> QuerySet[Incident]:
    """The office's mass reports, newest first, with ``report_count``: the number of their
    reports ``user`` may see (``visible_complaints``). Mass reports are office-wide (a national
    incident spans desks), so every one is listed to whoever may manage mass reports, a desk
    coordinator's with only their desks' reports counted (0 when none is theirs): they can
    group their own reports into it, and learn nothing of other desks' cases.

    The count is a correlated subquery (index ``complaint_incident``), so a page of 25 counts
    only its own 25 mass reports; a ``GROUP BY`` over the join counted every report of every
    mass report before paginating (370 ms for 40,000 reports, EXPLAIN ANALYZE).
    """
    count = (visible_complaints(user=user).filter(incident=OuterRef("pk")).order_by()
             .values("incident")
             .annotate(n=Count("pk")).values("n"))
    return (Incident.objects.filter(office=office)
            .annotate(report_count=Coalesce(Subquery(count), 0))
            .order_by("-created_at", "-id"))


def open_incidents(*, office: Office) -> QuerySet[Incident]:
    """The office's mass reports that were not closed, newest first (choices in forms)."""
    return Incident.objects.filter(office=office, closed_at__isnull=True).order_by(
        "-created_at", "-id")


def incident_reports(*, incident: Incident, user: AnyUser) -> QuerySet[OverdueComplaint]:
    """The reports of ``incident`` that ``user`` may see, newest first, prepared for a list
    (``reports.selectors.cases.case_list``; partial index ``complaint_incident``)."""
    return case_list(queryset=visible_complaints(user=user).filter(incident=incident)).order_by(
        "-received_at", "-id")


def overridden_reports(*, incident: Incident, user: AnyUser,
                       limit: int = 100) -> list[Complaint]:
    """At most ``limit`` visible reports of ``incident`` with their own classification."""
    return list(visible_complaints(user=user).filter(
        incident=incident, classification_overridden=True).order_by("case_number")[:limit])


def incident_jobs(*, incident: Incident, user: AnyUser, limit: int = 10) -> list[CaseJob]:
    """The latest ``limit`` jobs of ``incident`` that ``user`` may follow (``can_follow_job``:
    their own, or all for those who work across desks), newest first."""
    jobs = CaseJob.objects.filter(incident=incident)
    if desk_scope(user=user) is not None or not can_manage_incidents(user=user):
        jobs = jobs.filter(actor=user.pk)
    return list(jobs.order_by("-created_at", "-id")[:limit])


def selected_cases(*, user: AnyUser, public_ids: Iterable[str]) -> tuple[list[Complaint], int]:
    """The visible cases among ``public_ids`` (strings, as posted by the case list) and the
    number of ids that are not a visible case (malformed, unknown or not visible: one count,
    so nothing reveals whether an invisible case exists). Cases ordered by case number."""
    wanted: set[uuid.UUID] = set()
    bad = 0
    for value in public_ids:
        try:
            wanted.add(uuid.UUID(str(value)))
        except ValueError:
            bad += 1
    found = list(visible_complaints(user=user).filter(public_id__in=wanted)
                 .order_by("case_number")) if wanted else []
    return found, bad + len(wanted) - len(found)


def status_blockers(*, complaints: Iterable[Complaint], to_status: str) -> list[str]:
    """The case numbers of ``complaints`` whose status may not move to ``to_status``
    (``reports.workflow.TRANSITIONS``), in the given order."""
    return [c.case_number for c in complaints
            if to_status not in TRANSITIONS.get(c.status, frozenset())]


def cases_without_handling(*, complaints: Iterable[Complaint]) -> list[str]:
    """The case numbers of ``complaints`` with no manner of handling recorded yet, which
    therefore cannot be closed (``change_status``), in the given order; one query."""
    cases = list(complaints)
    handled = set(Complaint.objects.filter(pk__in=[c.pk for c in cases], handling__isnull=False)
                  .values_list("pk", flat=True))
    return [c.case_number for c in cases if c.pk not in handled]


def case_job(*, public_id: uuid.UUID) -> CaseJob | None:
    """The job with ``public_id`` (its incident joined in), or ``None``."""
    return CaseJob.objects.select_related("incident", "actor").filter(
        public_id=public_id).first()
