"""``manage.py municipal_account``: create, link, unlink, deactivate and list municipal
accounts (the same as the coordinators' screen at /backoffice/gemeenteaccounts/)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.models import Municipality
from reports.selectors.accounts import municipal_accounts
from reports.services import accounts
from reports.types import User


class Command(BaseCommand):
    help = ("Municipal accounts: create USERNAME --email E --municipality GM0106 [...] (prints "
            "the first-login link), link USERNAME GM0106, unlink USERNAME GM0106, invite "
            "USERNAME (prints a new link), deactivate USERNAME, list.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--email", required=True)
        create.add_argument("--municipality", action="append", required=True,
                            help="CBS code; repeat for several")
        for name in ("link", "unlink"):
            action = sub.add_parser(name)
            action.add_argument("username")
            action.add_argument("code")
        for name in ("invite", "deactivate"):
            sub.add_parser(name).add_argument("username")
        sub.add_parser("list")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    @staticmethod
    def _municipality(code: str) -> Municipality:
        municipality = Municipality.objects.filter(code=code.strip().upper()).first()
        if municipality is None:
            raise CommandError(f"No municipality {code!r}.")
        return municipality

    @staticmethod
    def _account(username: str) -> Any:
        for account in municipal_accounts():
            if account.user.get_username().lower() == username.lower():
                return account.user
        raise CommandError(f"No municipal account {username!r}.")

    def _create(self, options: dict[str, Any]) -> None:
        municipalities = [self._municipality(code) for code in options["municipality"]]
        user = accounts.create_municipal_account(
            username=options["username"], email=options["email"],
            municipalities=municipalities, actor=None, invite_by_email=False)
        self.stdout.write(f"Created {user.get_username()} for "
                          f"{', '.join(m.name for m in municipalities)}.")
        self._print_link(user)

    def _print_link(self, user: User) -> None:
        self.stdout.write("Give this first-login link to the user (it works once):")
        self.stdout.write(accounts.invitation_link(user=user))

    def _link(self, options: dict[str, Any]) -> None:
        user, municipality = (self._account(options["username"]),
                              self._municipality(options["code"]))
        accounts.link_account(user=user, municipality=municipality, actor=None)
        self.stdout.write(f"{user.get_username()} now sees the reports of {municipality.name}.")

    def _unlink(self, options: dict[str, Any]) -> None:
        user, municipality = (self._account(options["username"]),
                              self._municipality(options["code"]))
        accounts.unlink_account(user=user, municipality=municipality, actor=None)
        self.stdout.write(f"{user.get_username()} no longer sees the reports of "
                          f"{municipality.name}.")

    def _invite(self, options: dict[str, Any]) -> None:
        user = self._account(options["username"])
        if not user.is_active:
            raise CommandError(f"{user.get_username()} is deactivated.")
        self._print_link(user)

    def _deactivate(self, options: dict[str, Any]) -> None:
        user = self._account(options["username"])
        accounts.deactivate_user(user=user, actor=None)
        self.stdout.write(f"Deactivated {user.get_username()}; its sessions have ended.")

    def _list(self, options: dict[str, Any]) -> None:
        for account in municipal_accounts():
            state = "active" if account.user.is_active else "deactivated"
            codes = ", ".join(m.code for m in account.municipalities) or "-"
            self.stdout.write(f"{account.user.get_username()}\t{state}\t{codes}")
