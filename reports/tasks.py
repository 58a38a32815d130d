"""Celery tasks. Each takes ids, loads rows and calls a service; all are safe to retry."""

from celery import shared_task

from reports.services.statistics import execute_statistics_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_annual_statistics(run_id: int) -> str:
    """Build and store the annual forms of one ``StatisticsRun`` (by primary key)."""
    return execute_statistics_run(run_id=run_id).state
