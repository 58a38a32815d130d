"""Reads of related cases (``CaseLink``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q

from reports.models import CaseLink, Complaint
from reports.selectors.permissions import visible_complaints
from reports.types import User


@dataclass(frozen=True)
class RelatedCase:
    """One case linked to another.

    Attributes:
        case_number: the other case's number.
        public_id: its id for a link, or ``None`` when the user may not see it.
        kind: a ``CaseLink.Kind`` code; kind_label: its label.
    """

    case_number: str
    public_id: uuid.UUID | None
    kind: str
    kind_label: str


def related_cases(*, complaint: Complaint, user: User) -> list[RelatedCase]:
    """The cases linked to ``complaint``, by case number; two queries."""
    links = list(CaseLink.objects.filter(Q(first=complaint) | Q(second=complaint))
                 .select_related("first", "second"))
    others = [(link.second if link.first_id == complaint.pk else link.first, link)
              for link in links]
    visible = set(visible_complaints(user=user).filter(
        pk__in=[other.pk for other, _link in others]).values_list("pk", flat=True)
    ) if others else set()
    return sorted((RelatedCase(case_number=other.case_number,
                               public_id=other.public_id if other.pk in visible else None,
                               kind=link.kind, kind_label=str(link.get_kind_display()))
                   for other, link in others), key=lambda related: related.case_number)
