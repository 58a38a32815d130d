"""Teams of caseworkers."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from reports.models import Team


@transaction.atomic
def create_team(*, name: str) -> Team:
    """Create a team with its own auth group (named ``team:<name>``)."""
    group = Group.objects.create(name=f"team:{name}")
    return Team.objects.create(name=name, group=group)
