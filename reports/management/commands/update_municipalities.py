"""``manage.py update_municipalities``: apply a newer CBS municipality list and its mergers."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.services.municipality_updates import (
    apply_municipality_update,
    plan_municipality_update,
    read_merger_file,
    read_municipality_list,
)


class Command(BaseCommand):
    help = ("Compare a newer CBS municipality list and a merger file with the database and "
            "report what changes (dry run); with --apply, apply it. See "
            "reports/fixtures/reference/README.md.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", required=True, type=Path, dest="list_file",
                            help="CBS municipality list (CSV: code,name,province or CBS's "
                                 "Gemeentecode,Gemeentenaam,Provincienaam).")
        parser.add_argument("--mergers", required=True, type=Path,
                            help="Merger file (CSV: former_code,former_name,successor_code,"
                                 "successor_name,effective_date).")
        parser.add_argument("--valid-from", required=True, type=datetime.date.fromisoformat,
                            help="The date the list is valid from (CBS: YYYY-01-01).")
        parser.add_argument("--apply", action="store_true",
                            help="Apply the changes (without it: a dry run, nothing is written).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            municipalities = read_municipality_list(options["list_file"])
            mergers = read_merger_file(options["mergers"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        source = f"{options['list_file'].name} + {options['mergers'].name}"
        arguments = {"municipalities": municipalities, "mergers": mergers,
                     "valid_from": options["valid_from"], "source": source}
        if not options["apply"]:
            plan = plan_municipality_update(**arguments)
            self.stdout.write("\n".join(plan.report()))
            if plan.errors:
                raise CommandError("The list cannot be applied; nothing was changed.")
            self.stdout.write("Dry run: nothing was changed. Run again with --apply to apply.")
            return
        try:
            plan = apply_municipality_update(**arguments)
        except ValidationError as exc:
            self.stdout.write("\n".join(f"ERROR: {message}" for message in exc.messages))
            raise CommandError("The list cannot be applied; nothing was changed.") from exc
        self.stdout.write("\n".join(plan.report()))
        self.stdout.write("Applied." if plan.has_changes else "Nothing to apply.")
