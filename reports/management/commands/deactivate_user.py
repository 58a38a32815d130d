"""``manage.py deactivate_user``: deactivate an account and end its sessions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.services.accounts import deactivate_user


class Command(BaseCommand):
    help = ("Deactivate a staff or municipal account: it can no longer log in, its sessions end "
            "at once and its first-login link stops working. Its history stays.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError(f"No account {options['username']!r}.")
        if not user.is_active:
            self.stdout.write(f"{user.get_username()} was already deactivated.")
            return
        deactivate_user(user=user, actor=None)
        self.stdout.write(f"Deactivated {user.get_username()}; its sessions have ended.")
