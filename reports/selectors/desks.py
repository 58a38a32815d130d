"""Reads about desks: which desk serves a municipality on a day, a desk's municipalities in a
year, a desk's people. Dates are calendar days in Europe/Amsterdam."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from reports.models import Desk, DeskMunicipality, Municipality, Office

ACROSS_DESKS = "work_across_desks"


def desk_serving(*, office: Office, municipality: Municipality,
                 on: datetime.date) -> Desk | None:
    """The desk of ``office`` that serves ``municipality`` on day ``on``, or ``None``.

    A merged-away municipality is looked up as itself: desks serve the codes they were given.
    """
    period = (DeskMunicipality.objects.filter(
        desk__office=office, municipality=municipality, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("desk").first())
    return period.desk if period is not None else None


def codes_served_on(*, desk_ids: list[int], on: datetime.date) -> QuerySet:
    """CBS codes (a ``values_list`` subquery) of the municipalities these desks serve on ``on``."""
    return (DeskMunicipality.objects.filter(desk_id__in=desk_ids, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
            .values_list("municipality_id", flat=True))


def served_in_year(*, year: int) -> QuerySet[DeskMunicipality]:
    """The periods that cover at least one day of calendar ``year``."""
    return DeskMunicipality.objects.filter(
        valid_from__lte=datetime.date(year, 12, 31)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=datetime.date(year, 1, 1)))


def desk_municipality_codes(*, desk_id: int, year: int) -> list[str]:
    """CBS codes of the municipalities ``desk`` served on at least one day of ``year``, sorted.

    A municipality that moved to another desk during the year counts at both (periods are
    meant to change on 1 January, so normally it is one desk per year).
    """
    return sorted(set(served_in_year(year=year).filter(desk_id=desk_id)
                      .values_list("municipality_id", flat=True)))


def desk_of_municipality_in_year(*, year: int) -> dict[str, int]:
    """CBS code -> the desk id that served it on the last day of ``year`` it was served."""
    result: dict[str, int] = {}
    for code, desk_id in (served_in_year(year=year).order_by("valid_from")
                          .values_list("municipality_id", "desk_id")):
        result[code] = desk_id
    return result


def desks(*, office: Office | None = None) -> QuerySet[Desk]:
    """The desks (of ``office`` when given), default first, then by name."""
    queryset = Desk.objects.all()
    if office is not None:
        queryset = queryset.filter(office=office)
    return queryset.order_by("-is_default", "name")


def across_desk_users() -> QuerySet:
    """Users who hold ``reports.work_across_desks`` (by group or directly), and superusers."""
    from django.contrib.auth.models import Permission

    user_model = get_user_model()
    permission = Permission.objects.filter(content_type__app_label="reports",
                                           codename=ACROSS_DESKS)
    by_group = user_model.groups.through.objects.filter(
        group__permissions__in=permission).values("user_id")
    direct = user_model.user_permissions.through.objects.filter(
        permission__in=permission).values("user_id")
    return user_model.objects.filter(Q(is_superuser=True) | Q(pk__in=by_group)
                                     | Q(pk__in=direct))


def desk_people(*, desk_ids: list[int]) -> QuerySet:
    """Ids (a ``values("pk")`` subquery) of the members of these desks and of their teams."""
    from reports.models import Team

    user_model = get_user_model()
    members = Desk.members.through.objects.filter(desk_id__in=desk_ids).values("user_id")
    in_teams = user_model.groups.through.objects.filter(
        group__in=Team.objects.filter(desk_id__in=desk_ids).values("group_id")).values("user_id")
    return user_model.objects.filter(Q(pk__in=members) | Q(pk__in=in_teams)).values("pk")


def desk_user_ids(*, desk_id: int) -> list[int]:
    """Ids of the users who may work on ``desk``'s cases: its members, its teams' members and
    users who work across desks (active or not: rights are revoked from everybody else)."""
    members = desk_people(desk_ids=[desk_id]).values_list("pk", flat=True)
    return sorted(set(members) | set(across_desk_users().values_list("pk", flat=True)))
