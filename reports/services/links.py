"""Links between related cases: several reports about one incident, a follow-up complaint by
the same person, a duplicate. A link is symmetric (one ``CaseLink`` row per pair) and shown on
both cases; linking and unlinking append a history row to both, in one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from reports.models import CaseLink, Complaint, ComplaintHistory
from reports.selectors import permissions
from reports.types import User

History = ComplaintHistory.Action


def _pair(a: Complaint, b: Complaint) -> tuple[Complaint, Complaint]:
    return (a, b) if a.pk < b.pk else (b, a)


def _check(actor: User, complaint: Complaint, other: Complaint) -> None:
    if not permissions.can_change(user=actor, complaint=complaint):
        raise PermissionDenied
    if other.pk == complaint.pk or not permissions.can_view(user=actor, complaint=other):
        raise ValidationError(_("Choose another case that you can see."), code="other")


@transaction.atomic
def link_cases(*, complaint: Complaint, other: Complaint, kind: str,
               actor: User) -> CaseLink:
    """Link ``complaint`` and ``other`` as ``kind`` (a ``CaseLink.Kind`` code); a pair already
    linked gets the new kind. Both cases get a ``LINK`` history row naming the other case and
    the kind.

    Raises:
        PermissionDenied: ``actor`` may not change ``complaint``.
        ValidationError: ``other`` is the same case or one ``actor`` may not see, or ``kind`` is
            unknown.
    """
    _check(actor, complaint, other)
    if kind not in CaseLink.Kind.values:
        raise ValidationError(_("Choose how the cases are related."), code="kind")
    first, second = _pair(complaint, other)
    link, created = CaseLink.objects.select_for_update().get_or_create(
        first=first, second=second, defaults={"kind": kind, "created_by": actor})
    if not created:
        if link.kind == kind:
            return link
        link.kind = kind
        link.save(update_fields=["kind"])
    ComplaintHistory.objects.bulk_create([
        ComplaintHistory(complaint=this, actor=actor, action=History.LINK,
                         to_value=f"{that.case_number}:{kind}")
        for this, that in ((complaint, other), (other, complaint))])
    return link


@transaction.atomic
def unlink_cases(*, complaint: Complaint, other: Complaint, actor: User) -> bool:
    """Remove the link between ``complaint`` and ``other``; both get an ``UNLINK`` history row.

    Returns:
        Whether there was a link.

    Raises:
        PermissionDenied: ``actor`` may not change ``complaint``.
        ValidationError: as for ``link_cases``.
    """
    _check(actor, complaint, other)
    first, second = _pair(complaint, other)
    link = CaseLink.objects.select_for_update().filter(first=first, second=second).first()
    if link is None:
        return False
    link.delete()
    ComplaintHistory.objects.bulk_create([
        ComplaintHistory(complaint=this, actor=actor, action=History.UNLINK,
                         from_value=f"{that.case_number}:{link.kind}")
        for this, that in ((complaint, other), (other, complaint))])
    return True
