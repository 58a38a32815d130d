"""Reminders (issue 12 §3): the office's reminder periods and the daily digest e-mail.

The digest tells each caseworker *which* of their cases are overdue (case number, status, working
days in that status, link), never what a case is about: no description, no reporter data. It is
queued through the transactional outbox with the event key ``<user id>:<date>``, so running the
digest twice on one day (a retried Celery task, a second beat process) queues one e-mail per user.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports.deadlines import is_working_day
from reports.models import Office
from reports.selectors.reminders import Digest, overdue_digests
from reports.services.outbox import queue_email
from reports.timezones import local_today
from reports.types import User
from reports.vocabulary import Status

logger = logging.getLogger(__name__)

REMINDER_DIGEST = "reminder_digest"
MANAGE_REMINDERS = "reports.manage_reminders"
#: The accepted range for a reminder period, in working days.
MIN_DAYS, MAX_DAYS = 1, 250


@transaction.atomic
def update_reminder_periods(*, office: Office, actor: User, in_progress_days: int,
                            awaiting_reporter_days: int) -> Office:
    """Set the office's reminder periods.

    Args:
        in_progress_days: remind when a case is "in progress" longer than this (working days).
        awaiting_reporter_days: remind when a case is "awaiting reporter" longer than this.

    Raises:
        PermissionDenied: ``actor`` lacks ``reports.manage_reminders``.
        ValidationError: a period is outside ``MIN_DAYS``..``MAX_DAYS``; nothing is changed.
    """
    if not actor.has_perm(MANAGE_REMINDERS):
        raise PermissionDenied
    errors = {}
    for field, value in (("reminder_in_progress_days", in_progress_days),
                         ("reminder_awaiting_reporter_days", awaiting_reporter_days)):
        if not MIN_DAYS <= value <= MAX_DAYS:
            errors[field] = _("Enter a number of working days from %(min)d to %(max)d.") % {
                "min": MIN_DAYS, "max": MAX_DAYS}
    if errors:
        raise ValidationError(errors)
    locked = Office.objects.select_for_update().get(pk=office.pk)
    locked.reminder_in_progress_days = in_progress_days
    locked.reminder_awaiting_reporter_days = awaiting_reporter_days
    locked.save(update_fields=["reminder_in_progress_days", "reminder_awaiting_reporter_days"])
    logger.info("reminders: periods set to %d/%d working days by user %s", in_progress_days,
                awaiting_reporter_days, actor.pk)
    return locked


def digest_message(*, digest: Digest) -> tuple[str, str]:
    """The subject and plain-text body of one digest, in ``LANGUAGE_CODE`` (Dutch).

    Only case numbers, statuses, working-day counts and back-office links: nothing about the
    incident or the reporter.
    """
    with translation.override(settings.LANGUAGE_CODE):
        count = len(digest.cases)
        subject = ngettext("%(count)d overdue case", "%(count)d overdue cases", count) % {
            "count": count}
        lines = [_("These cases of yours need attention (working days in the current status):"),
                 ""]
        for case in digest.cases:
            path = reverse("backoffice:complaint_detail", kwargs={"public_id": case.public_id})
            status = Status(case.status).label
            line = ngettext("%(case_number)s – %(status)s, %(days)d working day",
                            "%(case_number)s – %(status)s, %(days)d working days",
                            case.days_in_status) % {
                "case_number": case.case_number, "status": status, "days": case.days_in_status}
            if case.first_response_late:
                line += " – " + _("first response overdue")
            lines += [line, f"  {settings.SITE_URL}{path}"]
        lines += ["", _("Open the cases in the back office (login required).")]
    return subject, "\n".join(lines) + "\n"


@transaction.atomic
def send_reminder_digests(*, today: datetime.date | None = None) -> int:
    """Queue today's digest for every active user with at least one overdue case.

    Idempotent per user per day: the outbox deduplicates on (kind, ``<user id>:<date>``,
    recipient), so a second run on the same day queues nothing. Users without an e-mail address
    are skipped.

    Args:
        today: the reference date (Europe/Amsterdam); defaults to today.

    Returns:
        The number of e-mails queued now.
    """
    today = today or local_today()
    if not is_working_day(today):  # no reminders on weekends and public holidays
        return 0
    queued = 0
    for digest in overdue_digests(today=today):
        if not digest.user.email:
            continue
        subject, body = digest_message(digest=digest)
        queued += len(queue_email(kind=REMINDER_DIGEST,
                                  event_key=f"{digest.user.pk}:{today.isoformat()}",
                                  recipients=[digest.user.email], subject=subject, body=body))
    logger.info("reminders: %d digest(s) queued for %s", queued, today.isoformat())
    return queued
