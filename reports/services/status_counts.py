"""The per-status counter (``ComplaintStatusCount``) behind the dashboard's numbers (issue 13).

The services that set a complaint's status call ``count_status_change`` in their own
transaction, so the counter commits or rolls back with the change. No signals.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, Count, F, Value, When

from reports.models import Complaint, ComplaintStatusCount
from reports.vocabulary import Status


def count_status_change(*, leaving: str | None, entering: str) -> None:
    """Move one complaint from status ``leaving`` (``None``: a new complaint) to ``entering``.

    Both rows change in one ``UPDATE`` (locked in the table's order, so two opposite changes
    cannot deadlock). A missing row (a status added after the migration) is created with the
    exact count of its status. Call it inside the transaction that saves the status, after
    the save.

    Args:
        leaving: the ``Status`` value before, or ``None`` for a complaint just registered.
        entering: the ``Status`` value after.
    """
    if leaving == entering:
        return
    statuses = [entering] if leaving is None else [leaving, entering]
    existing = ComplaintStatusCount.objects.filter(status__in=statuses).update(
        count=F("count") + Case(When(status=entering, then=Value(1)), default=Value(-1)))
    if existing < len(statuses):  # rare: a row is missing; count that status exactly
        present = set(ComplaintStatusCount.objects.filter(status__in=statuses)
                      .values_list("status", flat=True))
        for status in set(statuses) - present:
            ComplaintStatusCount.objects.get_or_create(status=status, defaults={
                "count": Complaint.objects.filter(status=status).count()})


@transaction.atomic
def recount_statuses() -> dict[str, int]:
    """Rebuild the counter from the complaints (one ``GROUP BY``), every status included.

    For data loaded around the services (``COPY`` in ``bench/national_data.py``) and after a
    restore. Returns ``{status: count}``.
    """
    counts = dict.fromkeys(Status.values, 0)
    counts.update(Complaint.objects.order_by().values_list("status").annotate(n=Count("id")))
    ComplaintStatusCount.objects.all().delete()
    ComplaintStatusCount.objects.bulk_create(
        [ComplaintStatusCount(status=status, count=n) for status, n in counts.items()])
    return counts
