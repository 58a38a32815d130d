"""Teams of caseworkers."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from reports.models import Desk, Team


@transaction.atomic
def create_team(*, name: str, desk: Desk | None = None) -> Team:
    """Create a team of ``desk`` (``None``: the office's default desk) with its own auth group
    (named ``team:<name>``). Cases are shared only with teams of their own desk."""
    if desk is None:
        from reports.services.desks import default_desk
        from reports.services.reference import current_office

        desk = default_desk(office=current_office())
    group = Group.objects.create(name=f"team:{name}")
    return Team.objects.create(name=name, group=group, desk=desk)
