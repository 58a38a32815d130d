"""``manage.py annual_statistics --year Y --exact --output DIR``.

Runs the annual statistics job (through the broker when one is configured, otherwise in-process),
waits for it and writes ``DIR/<year>/<CBS code>.json`` and ``.csv`` for every served municipality.
"""

import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports.models import StatisticsRun
from reports.selectors.reference import current_office
from reports.services.statistics import request_annual_statistics, write_annual_files


class Command(BaseCommand):
    help = "Count the legal annual form per municipality for a registration year."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, required=True, help="registration year")
        parser.add_argument("--output", type=Path, required=True, help="output directory")
        parser.add_argument("--exact", action="store_true",
                            help="write exact counts, without disclosure protection")

    def handle(self, *args: object, year: int, output: Path, exact: bool,
               **options: object) -> None:
        if not exact:
            raise CommandError("Disclosure protection is not available yet; pass --exact to "
                               "write the exact, unprotected counts.")
        office = current_office()
        try:
            run = request_annual_statistics(office=office, year=year)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except Exception as error:  # in-process (eager) mode: the job itself ran and failed
            raise CommandError(f"The job failed ({type(error).__name__}).") from error
        deadline = time.monotonic() + settings.ANNUAL_STATISTICS_WAIT_SECONDS
        finished = (StatisticsRun.State.SUCCEEDED, StatisticsRun.State.FAILED)
        while True:
            run.refresh_from_db()
            if run.state in finished:
                break
            if time.monotonic() > deadline:
                raise CommandError(f"Run {run.pk} did not finish in time; is a worker running?")
            time.sleep(0.5)
        if run.state == StatisticsRun.State.FAILED:
            raise CommandError(f"Run {run.pk} failed ({run.error}).")
        paths = write_annual_files(office=office, year=year, output_dir=output)
        self.stdout.write(f"Wrote {len(paths)} files to {output / str(year)}.")
