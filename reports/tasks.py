"""Celery tasks. Each takes ids, loads rows and calls a service; all are safe to retry."""

from celery import shared_task

from reports.services.statistics import execute_statistics_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_annual_statistics(run_id: int) -> str:
    """Build and store the annual forms of one ``StatisticsRun`` (by primary key)."""
    return execute_statistics_run(run_id=run_id).state


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_email(email_id: int) -> str:
    """Deliver one ``OutboundEmail`` (by primary key); a sent one is never sent again."""
    from reports.services.outbox import deliver

    return deliver(email_id=email_id)


@shared_task
def relay_outbox() -> int:
    """Queue every pending e-mail that is due (periodic, from Celery beat)."""
    from reports.services.outbox import relay_outbox as relay

    return relay()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_scheduled_annual_statistics() -> str:
    """Celery beat, 15 January 03:00 Europe/Amsterdam: the previous year's forms, once per slot.

    Implemented in ``reports.services.reports.run_scheduled_slot`` (issue 4).
    """
    from reports.services.reports import run_scheduled_slot

    return run_scheduled_slot()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def apply_retention() -> int:
    """Celery beat, daily 02:30 Europe/Amsterdam: remove the personal data of cases closed longer
    ago than ``RETENTION_YEARS`` (``reports.services.privacy.apply_retention``). Idempotent.

    Returns:
        The number of cases handled.
    """
    from reports.services.privacy import apply_retention as apply

    return apply().cases


@shared_task
def purge_rate_limits() -> int:
    """Celery beat, hourly: delete rate-limit counters (keyed hashes of IP addresses and code
    prefixes) whose window started more than 23 hours ago and that block nothing any more
    (``reports.throttling.purge_expired``); the privacy statement promises at most 24 hours.

    Returns:
        The number of counters deleted.
    """
    from reports.throttling import purge_expired

    return purge_expired()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_reminder_digests() -> int:
    """Celery beat, working days 07:00 Europe/Amsterdam: e-mail each caseworker a list of their
    overdue cases (``reports.services.reminders.send_reminder_digests``). Idempotent per user per
    day, so a retry or a second beat process queues nothing twice.

    Returns:
        The number of e-mails queued.
    """
    from reports.services.reminders import send_reminder_digests as send

    return send()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_case_job(job_id: int) -> str:
    """Run one ``CaseJob`` (mass report or bulk action) from where it stands, in batches
    (``reports.services.incidents.run_case_job``); safe to retry.

    Returns:
        The job's state.
    """
    from reports.services.incidents import run_case_job as run

    return run(job_id=job_id).state
