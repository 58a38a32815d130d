"""``manage.py create_staff_user``: a back-office account with a role and a first-login link."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.models import Desk
from reports.services.accounts import STAFF_ROLES, create_staff_user, invitation_link
from reports.services.reference import current_office


class Command(BaseCommand):
    help = ("Create a caseworker or coordinator account without a password and print its "
            "first-login link (valid STAFF_INVITATION_DAYS days, once): the user chooses a "
            "password there and sets up the authenticator at the first login. --reinvite "
            "prints a new link for an existing account.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=STAFF_ROLES,
                            help="caseworker, coordinator (of their desk) or office_coordinator "
                                 "(every desk) (required for a new account)")
        parser.add_argument("--desk", default="",
                            help="the code of the user's desk (default: the office's default "
                                 "desk)")
        parser.add_argument("--email", default="", help="for password-reset e-mails")
        parser.add_argument("--reinvite", action="store_true",
                            help="print a new first-login link for an existing active account")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if options["reinvite"]:
            user = get_user_model().objects.filter(username__iexact=username,
                                                   is_active=True).first()
            if user is None:
                raise CommandError(f"No active account {username!r}.")
        else:
            if not options["role"]:
                raise CommandError("Give the role: --role caseworker, --role coordinator or "
                                   "--role office_coordinator.")
            desk = None
            if options["desk"]:
                desk = Desk.objects.filter(office=current_office(),
                                           code=options["desk"]).first()
                if desk is None:
                    codes = ", ".join(Desk.objects.filter(office=current_office())
                                      .values_list("code", flat=True))
                    raise CommandError(f"No desk {options['desk']!r}; desks: {codes}.")
            try:
                user = create_staff_user(username=username, role=options["role"],
                                         email=options["email"], desk=desk)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(f"Created {user.get_username()} ({options['role']}).")
        self.stdout.write("Give this first-login link to the user (it works once; do not "
                          "send it to anyone else):")
        self.stdout.write(invitation_link(user=user))
