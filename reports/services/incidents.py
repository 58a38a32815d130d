"""Mass reports (incidents) and changes to many cases at once (issue 11 §2, issue 12 §3).

Incident-level writes (create, classify) are one transaction each. Work on many cases runs as a
``CaseJob``: created here in the caller's transaction, queued to Celery after commit
(``reports.tasks.run_case_job``), and executed by ``run_case_job`` in batches of
``CASE_JOB_BATCH_SIZE`` cases. Each batch is one transaction; each case in it goes through the
ordinary case service (``reports.services.complaints``) in its own savepoint, so every changed
case gets its own history row with the acting user, a case the service refuses (no permission,
a workflow rule, Besluit art. 5/11) is skipped and listed with the reason, and the job's
position moves on in the same transaction: a retried or restarted job continues after the last
committed batch and never handles a case twice (no message is sent twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.models import CaseJob, Complaint, Incident, IncidentGround, Message, Office, Team
from reports.selectors.incidents import can_follow_job
from reports.selectors.permissions import can_view, visible_complaints
from reports.services import complaints as case_services
from reports.types import User
from reports.vocabulary import FINAL_STATUSES, Ground, Nature, SocietalDomain, Status

logger = logging.getLogger(__name__)

#: At most this many cases in one action from the case list (issue 12 §3).
MAX_BULK_CASES = 500


def _require_manage(actor: User) -> None:
    if not actor.has_perm("reports.manage_incidents"):
        raise PermissionDenied


def _check_classification(grounds: list[str], societal_domain: str, nature: str) -> None:
    if (any(code not in Ground.values for code in grounds)
            or (societal_domain and societal_domain not in SocietalDomain.values)
            or (nature and nature not in Nature.values)):
        raise ValidationError(_("Choose the classification from the lists."), code="code")


@transaction.atomic
def create_incident(*, office: Office, actor: User, title: str, description: str = "",
                    grounds: Iterable[str] = (), societal_domain: str = "",
                    nature: str = "") -> Incident:
    """Create a mass report (no reports yet).

    Args:
        title: a short name for staff (required, at most 200 characters).
        description: for staff only (encrypted at rest).
        grounds, societal_domain, nature: its classification, ``Ground`` / ``SocietalDomain`` /
            ``Nature`` codes (the vocabulary of the complaint's classification).

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_incidents``.
        ValidationError: no title, or an unknown code.
    """
    _require_manage(actor)
    title = title.strip()
    if not title or len(title) > 200:
        raise ValidationError(_("Give the mass report a title (at most 200 characters)."),
                              code="title")
    codes = sorted(set(grounds))
    _check_classification(codes, societal_domain, nature)
    incident = Incident.objects.create(office=office, title=title, description=description,
                                       societal_domain=societal_domain, nature=nature,
                                       created_by=actor)
    IncidentGround.objects.bulk_create(
        [IncidentGround(incident=incident, code=code) for code in codes])
    return incident


@transaction.atomic
def classify_incident(*, incident: Incident, actor: User, grounds: Iterable[str],
                      societal_domain: str, nature: str, title: str | None = None,
                      description: str | None = None,
                      expected_version: int | None = None) -> CaseJob | None:
    """Change a mass report's classification (and title/description) and queue a job that
    gives it to every report in it that was not overridden and that ``actor`` may see
    (``CaseJob.Kind.CLASSIFY``; a desk coordinator's change reaches their desks' reports, an
    office coordinator's every report).

    Returns:
        The queued job, or ``None`` when the classification did not change.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_incidents``.
        StaleCaseError: someone else changed the incident since ``expected_version``.
        ValidationError: an unknown code or an empty title.
    """
    _require_manage(actor)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and locked.version != expected_version:
        raise case_services.StaleCaseError
    codes = sorted(set(grounds))
    _check_classification(codes, societal_domain, nature)
    fields = ["version", "updated_at"]
    if title is not None:
        if not title.strip() or len(title.strip()) > 200:
            raise ValidationError(_("Give the mass report a title (at most 200 characters)."),
                                  code="title")
        locked.title = title.strip()
        fields.append("title")
    if description is not None:
        locked.description = description
        fields.append("description")
    before = (sorted(locked.grounds.values_list("code", flat=True)), locked.societal_domain,
              locked.nature)
    changed = before != (codes, societal_domain, nature)
    locked.societal_domain, locked.nature = societal_domain, nature
    locked.version += 1
    locked.save(update_fields=[*fields, "societal_domain", "nature"])
    if not changed:
        return None
    IncidentGround.objects.filter(incident=locked).delete()
    IncidentGround.objects.bulk_create(
        [IncidentGround(incident=locked, code=code) for code in codes])
    ids = _reports_of(incident=locked, actor=actor).filter(
        classification_overridden=False).values_list("pk", flat=True)
    return start_case_job(kind=CaseJob.Kind.CLASSIFY, actor=actor, case_ids=ids,
                          incident=locked, params={"grounds": codes,
                                                   "societal_domain": societal_domain,
                                                   "nature": nature})


def _reports_of(*, incident: Incident, actor: User) -> QuerySet[Complaint]:
    """The reports of ``incident`` a job started by ``actor`` covers: those ``actor`` may see
    (``visible_complaints``; a desk coordinator's own desks). Reports of other desks are not in
    the job at all, so its counts and skipped list never mention them."""
    return visible_complaints(user=actor).filter(incident=incident)


def start_case_job(*, kind: str, actor: User, case_ids: Iterable[int],
                   incident: Incident | None = None, params: dict | None = None,
                   body: str = "") -> CaseJob:
    """Record a job over ``case_ids`` (complaint primary keys; duplicates dropped, handled in
    ascending order) and queue ``reports.tasks.run_case_job`` once the caller's transaction
    commits. With ``CELERY_TASK_ALWAYS_EAGER`` (the demo) it runs right after the commit.

    Args:
        kind: a ``CaseJob.Kind``.
        params: JSON-serialisable arguments for the kind (see ``_HANDLERS``); no free text.
        body: the text of a reply (kind ``reply``), stored encrypted.
    """
    ids = sorted(set(case_ids))
    job = CaseJob.objects.create(kind=kind, actor=actor, incident=incident, case_ids=ids,
                                 total=len(ids), params=params or {}, body=body)
    transaction.on_commit(lambda: _publish(job.pk))
    return job


def _publish(job_id: int) -> None:
    """Queue the job; with the broker down it stays ``queued`` (its page offers to start it
    again) rather than failing the request."""
    from reports.tasks import run_case_job as task

    try:
        task.delay(job_id)
    except Exception:
        if task.app.conf.task_always_eager:
            raise
        logger.warning("case job %s could not be queued (broker unavailable)", job_id)


def requeue_case_job(*, job: CaseJob, actor: User) -> None:
    """Queue an unfinished job again (after a broker outage); harmless when it is running.

    Raises:
        PermissionDenied: ``actor`` may not follow the job (``can_follow_job``).
    """
    if not can_follow_job(user=actor, job=job):
        raise PermissionDenied
    if not job.finished:
        transaction.on_commit(lambda: _publish(job.pk))


# --- Handlers: one case each, through the case services (which lock, check and write history).

Handler = Callable[[CaseJob, Complaint, User], bool]


def _group(job: CaseJob, complaint: Complaint, actor: User) -> bool:
    assert job.incident is not None
    if not case_services.add_to_incident(complaint=complaint, actor=actor, incident=job.incident):
        raise _Skip(_("already in this mass report"))
    return True


def _classify(job: CaseJob, complaint: Complaint, actor: User) -> bool:
    incident = job.incident
    assert incident is not None
    if complaint.incident_id != incident.pk:
        raise _Skip(_("no longer in this mass report"))
    if complaint.classification_overridden:
        raise _Skip(_("has its own classification"))
    return case_services.apply_incident_classification(
        complaint=complaint, actor=actor, grounds=job.params.get("grounds", []),
        societal_domain=job.params.get("societal_domain", ""),
        nature=job.params.get("nature", ""))


def _reply(job: CaseJob, complaint: Complaint, actor: User) -> bool:
    if job.incident is not None and complaint.incident_id != job.incident_id:
        raise _Skip(_("no longer in this mass report"))
    # Issue 11 §2: the portal always; e-mail only where the reporter consented to contact.
    case_services.record_message(complaint=complaint, author=actor,
                                 direction=Message.Direction.TO_REPORTER, body=job.body,
                                 notify_by_email=complaint.consent_to_contact)
    return True


def _close(job: CaseJob, complaint: Complaint, actor: User) -> bool:
    if complaint.status in FINAL_STATUSES:
        raise _Skip(_("already closed or not taken on"))
    if job.incident is not None and complaint.incident_id != job.incident_id:
        raise _Skip(_("no longer in this mass report"))
    handling = job.params.get("handling") or []
    if handling:
        case_services.record_handling(complaint=complaint, actor=actor, handling=handling)
    case_services.change_status(complaint=complaint, actor=actor, to_status=Status.CLOSED,
                                outcome=job.params.get("outcome", ""),
                                reason=job.params.get("reason", ""))
    return True


def _assign(job: CaseJob, complaint: Complaint, actor: User) -> bool:
    assignee_id = job.params.get("assignee")
    assignee = (get_user_model().objects.filter(pk=assignee_id).first()
                if assignee_id is not None else None)
    if assignee_id is not None and assignee is None:
        raise _Skip(_("the caseworker no longer exists"))
    if complaint.assigned_to_id == assignee_id:
        raise _Skip(_("already assigned so"))
    case_services.assign_complaint(complaint=complaint, actor=actor, assignee=assignee)
    return True


def _share(job: CaseJob, complaint: Complaint, actor: User) -> bool:
    team_id = job.params.get("team")
    team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
    if team_id is not None and team is None:
        raise _Skip(_("the team no longer exists"))
    if complaint.team_id == team_id:
        raise _Skip(_("already shared so"))
    case_services.share_with_team(complaint=complaint, actor=actor, team=team)
    return True


def _status(job: CaseJob, complaint: Complaint, actor: User) -> bool:
    case_services.change_status(
        complaint=complaint, actor=actor, to_status=job.params["to_status"],
        reason=job.params.get("reason", ""), outcome=job.params.get("outcome", ""),
        rejection_reason=job.params.get("rejection_reason", ""))
    return True


_HANDLERS: dict[str, Handler] = {
    CaseJob.Kind.GROUP: _group, CaseJob.Kind.CLASSIFY: _classify, CaseJob.Kind.REPLY: _reply,
    CaseJob.Kind.CLOSE: _close, CaseJob.Kind.ASSIGN: _assign, CaseJob.Kind.SHARE: _share,
    CaseJob.Kind.STATUS: _status,
}


class _Skip(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The case needs no change (or no longer belongs to the job); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_case_job(*, job_id: int, batch_size: int | None = None) -> CaseJob:
    """Execute a ``CaseJob`` from where it stands, one batch per transaction.

    Idempotent and retry-safe: a finished job is returned as is; each batch locks the job row,
    handles the next ``batch_size`` cases (default ``settings.CASE_JOB_BATCH_SIZE``) and moves
    ``position`` on in the same transaction, so concurrent or repeated runs never handle a case
    twice. A case the service refuses (``PermissionDenied``, ``ValidationError``) or that needs
    no change is listed in ``skipped`` with the reason (the case number and the untranslated
    reason, the msgid, which the job page translates; no report content). A reason with
    values filled in (a status transition) is stored in English. An unexpected error marks
    the job failed and re-raises.

    Returns:
        The job, reloaded.
    """
    size = batch_size or settings.CASE_JOB_BATCH_SIZE
    job = CaseJob.objects.get(pk=job_id)
    if job.finished:
        return job
    CaseJob.objects.filter(pk=job_id, state=CaseJob.State.QUEUED).update(
        state=CaseJob.State.RUNNING)
    try:
        # Reasons of skipped cases are stored untranslated (the msgid) and translated into the
        # viewer's language when shown (``_case_job.html``); rows stored translated by older
        # versions show as stored (tester finding 9).
        with translation.override(None):
            while _run_batch(job_id=job_id, size=size):
                pass
    except Exception as exc:
        CaseJob.objects.filter(pk=job_id).update(state=CaseJob.State.FAILED,
                                                 finished_at=timezone.now(),
                                                 error=type(exc).__name__)
        logger.exception("case job %s failed", job_id)
        raise
    return CaseJob.objects.get(pk=job_id)


@transaction.atomic
def _run_batch(*, job_id: int, size: int) -> bool:
    """Handle the next batch of the job; False once it is finished."""
    job = (CaseJob.objects.select_for_update(of=("self",)).select_related("actor", "incident")
           .get(pk=job_id))
    if job.finished:
        return False
    ids = job.case_ids[job.position:job.position + size]
    if not ids:
        job.state, job.finished_at = CaseJob.State.SUCCEEDED, timezone.now()
        if (job.kind == CaseJob.Kind.CLOSE and job.incident is not None
                and not Complaint.objects.filter(incident=job.incident).exclude(
                    status__in=FINAL_STATUSES).exists()):
            # Closed only once no report of any desk is open (a desk coordinator closes
            # their desks' reports; the mass report stays open for the others).
            Incident.objects.filter(pk=job.incident.pk).update(closed_at=job.finished_at)
        # The reply now lives in each case's messages (which retention and erasure handle):
        # keep no extra copy.
        job.body = ""
        job.save(update_fields=["state", "finished_at", "body"])
        return False
    handler = _HANDLERS[job.kind]
    actor = job.actor
    found = {case.pk: case for case in Complaint.objects.filter(pk__in=ids)}
    skipped = list(job.skipped)
    for case_id in ids:
        complaint = found.get(case_id)
        if complaint is None:
            continue  # deleted meanwhile (retention never deletes cases; a GDPR erasure keeps it)
        if not can_view(user=actor, complaint=complaint):
            # Moved out of the actor's sight since the job started (another desk): skipped
            # and counted, never named.
            skipped.append({"case": "", "reason": _("a case you can no longer see")})
            continue
        try:
            with transaction.atomic():
                changed = handler(job, complaint, actor)
        except _Skip as skip:
            skipped.append({"case": complaint.case_number, "reason": skip.reason})
        except PermissionDenied:
            skipped.append({"case": complaint.case_number,
                            "reason": _("you may not change this case")})
        except ValidationError as error:
            skipped.append({"case": complaint.case_number, "reason": " ".join(error.messages)})
        else:
            job.changed += int(changed)
    job.position += len(ids)
    job.skipped = skipped
    job.state = CaseJob.State.RUNNING
    job.save(update_fields=["position", "changed", "skipped", "state"])
    return True


# --- Starting jobs from the incident page and the case list.


def group_into_incident(*, incident: Incident, actor: User,
                        complaints: Iterable[Complaint]) -> CaseJob:
    """Queue adding ``complaints`` to ``incident`` (``CaseJob.Kind.GROUP``).

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_incidents``.
    """
    _require_manage(actor)
    return start_case_job(kind=CaseJob.Kind.GROUP, actor=actor, incident=incident,
                          case_ids=[c.pk for c in complaints])


@transaction.atomic
def reply_to_all(*, incident: Incident, actor: User, body: str) -> CaseJob:
    """Queue one message to the reporter of every report in ``incident`` that ``actor`` may
    see (``REPLY``; a desk coordinator reaches their desks' reporters only): per case a
    ``Message`` to the reporter, always shown in the follow-up portal, and the e-mail notice
    of ``record_message`` only where the reporter left an address and consented to be
    contacted (``Complaint.consent_to_contact``; issue 11 §2; outbox, link only, no text).

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_incidents``.
        ValidationError: the message is empty or longer than 20,000 characters.
    """
    _require_manage(actor)
    body = body.strip()
    if not body or len(body) > 20000:
        raise ValidationError(_("A message cannot be empty."), code="empty")
    ids = _reports_of(incident=incident, actor=actor).values_list("pk", flat=True)
    return start_case_job(kind=CaseJob.Kind.REPLY, actor=actor, incident=incident,
                          case_ids=ids, body=body)


@transaction.atomic
def close_incident(*, incident: Incident, actor: User, outcome: str,
                   handling: Iterable[str], reason: str = "") -> CaseJob:
    """Queue closing every report of ``incident`` that ``actor`` may see with one outcome and
    handling (``CLOSE``; a desk coordinator closes their desks' reports only): per open case
    the handling is recorded and the status moves to closed through ``change_status`` (its
    own history rows); closed or rejected cases are skipped and listed.
    The incident's ``closed_at`` is set when the job finishes and no report of it (of any
    desk) is open.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_incidents``.
        ValidationError: no outcome or no handling, or an unknown code.
    """
    from reports.vocabulary import Handling, Outcome

    _require_manage(actor)
    codes = sorted(set(handling))
    if outcome not in Outcome.values:
        raise ValidationError(_("Choose an outcome before closing."), code="outcome_required")
    if not codes or any(code not in Handling.values for code in codes):
        raise ValidationError(_("Record at least one manner of handling before closing."),
                              code="handling_required")
    ids = _reports_of(incident=incident, actor=actor).values_list("pk", flat=True)
    return start_case_job(kind=CaseJob.Kind.CLOSE, actor=actor, incident=incident,
                          case_ids=ids,
                          params={"outcome": outcome, "handling": codes, "reason": reason})


def bulk_change(*, actor: User, complaints: list[Complaint], kind: str,
                params: dict) -> CaseJob:
    """Queue a change of the selected cases from the case list (issue 12 §3): assign
    (``params={"assignee": user id or None}``), share (``{"team": team id or None}``) or change
    status (``{"to_status", "reason", "outcome", "rejection_reason"}``).

    At most ``MAX_BULK_CASES`` cases. A status change is refused as a whole when the workflow
    (``reports.workflow.TRANSITIONS``) does not allow it for every selected case; the message
    names those cases. Each case is then changed through the ordinary service, with its own
    history row; cases the actor may not change are skipped and listed.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.bulk_change_complaints`` or the action's
            own permission (``assign_complaint``, ``share_complaint``).
        ValidationError: no case, too many cases, a status the workflow does not allow, or
            its conditions missing (``_check_bulk_conditions``: codes ``outcome_required``,
            ``handling_required``, ``rejection_reason_required``, ``reason_required``).
    """
    from reports.selectors.incidents import status_blockers

    if not actor.has_perm("reports.bulk_change_complaints"):
        raise PermissionDenied
    check_selection_size(len(complaints))
    if kind == CaseJob.Kind.ASSIGN and not actor.has_perm("reports.assign_complaint"):
        raise PermissionDenied
    if kind == CaseJob.Kind.SHARE and not actor.has_perm("reports.share_complaint"):
        raise PermissionDenied
    if kind == CaseJob.Kind.STATUS:
        blockers = status_blockers(complaints=complaints, to_status=params["to_status"])
        if blockers:
            raise ValidationError(
                _("Not every selected case can move to “%(status)s”; these cannot: "
                  "%(cases)s. Nothing was changed.")
                % {"status": Status(params["to_status"]).label, "cases": ", ".join(blockers)},
                code="transition")
        _check_bulk_conditions(complaints=complaints, params=params)
    if kind not in (CaseJob.Kind.ASSIGN, CaseJob.Kind.SHARE, CaseJob.Kind.STATUS):
        raise ValidationError(_("Choose an action."), code="action")
    with transaction.atomic():
        return start_case_job(kind=kind, actor=actor, case_ids=[c.pk for c in complaints],
                              params=params)


def _check_bulk_conditions(*, complaints: list[Complaint], params: dict) -> None:
    """The workflow's conditions of a bulk status change (``change_status``), refused before
    the job starts: an outcome (and handling on every case) to close, a rejection reason to
    reject, a reason to reopen."""
    from reports.selectors.incidents import cases_without_handling

    to_status = params["to_status"]
    if to_status == Status.CLOSED:
        if not params.get("outcome"):
            raise ValidationError(_("Choose an outcome before closing."),
                                  code="outcome_required")
        unhandled = cases_without_handling(complaints=complaints)
        if unhandled:
            raise ValidationError(
                _("Record at least one manner of handling before closing; these cases have "
                  "none yet: %(cases)s. Nothing was changed.") % {"cases": ", ".join(unhandled)},
                code="handling_required")
    if to_status == Status.REJECTED and not params.get("rejection_reason"):
        raise ValidationError(_("Choose why this report is not taken on."),
                              code="rejection_reason_required")
    if to_status == Status.REOPENED and not (params.get("reason") or "").strip():
        raise ValidationError(_("Give a reason for reopening."), code="reason_required")


def check_selection_size(count: int) -> None:
    """Refuse an empty selection or one of more than ``MAX_BULK_CASES`` cases.

    Raises:
        ValidationError: code ``empty`` or ``too_many``.
    """
    if count == 0:
        raise ValidationError(_("Select at least one case."), code="empty")
    if count > MAX_BULK_CASES:
        raise ValidationError(
            _("Select at most %(max)d cases at once (you selected %(count)d).")
            % {"max": MAX_BULK_CASES, "count": count}, code="too_many")
