"""``manage.py apply_retention [--dry-run]``: remove personal data past the retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from reports.services import privacy


class Command(BaseCommand):
    help = ("Remove the personal data of cases closed longer ago than RETENTION_YEARS "
            "(what Celery beat runs daily); --dry-run only counts them.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="print how many cases are due, change nothing")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        if dry_run:
            count = privacy.count_due_for_retention()
            self.stdout.write(f"{count} case(s) due for removal of personal data (dry run).")
            return
        removed = privacy.apply_retention()
        self.stdout.write(
            f"Removed personal data of {removed.cases} case(s): {removed.messages} message(s), "
            f"{removed.attachments} attachment(s), {removed.notes} note(s), "
            f"{removed.emails} e-mail(s).")
