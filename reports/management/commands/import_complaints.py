"""``manage.py import_complaints FILE.csv``: migrate registrations from an old system.

The file format and the rules are in ``reports.services.importing``. All or nothing: on any error
every bad line is listed on stderr, nothing is stored and the command exits with status 1.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.services.importing import ImportFailed, import_complaints
from reports.services.reference import current_office


class Command(BaseCommand):
    help = "Import complaints from a CSV export of an earlier system, all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="UTF-8 CSV file with a header line")

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            # surrogateescape: invalid UTF-8 is reported per line by the service.
            with open(file, encoding="utf-8-sig", errors="surrogateescape",
                      newline="") as stream:
                result = import_complaints(office=current_office(), stream=stream)
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(reason)s")
                               % {"file": file, "reason": error.strerror}) from error
        except ImportFailed as failure:
            for problem in failure.errors:
                self.stderr.write(str(problem))
            raise CommandError(_("Nothing was imported: %(count)d error(s).")
                               % {"count": len(failure.errors)}) from failure
        self.stdout.write(_("Imported %(created)d, skipped %(skipped)d (already present).")
                          % {"created": result.created, "skipped": result.skipped})
