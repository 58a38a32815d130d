"""``manage.py annual_statistics --year Y --output DIR [--exact --user USERNAME]``.

Runs the annual statistics job (through the broker when one is configured, otherwise in-process),
waits for it and writes ``DIR/<year>/<CBS code>.json`` and ``.csv`` for every served municipality:
protected (small counts hidden, ``null`` in JSON) by default; the exact counts with ``--exact``,
which needs ``--user`` naming an active account holding ``reports.view_exact_statistics``.
"""

import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports.models import StatisticsRun
from reports.services.reference import current_office
from reports.services.reports import write_protected_files
from reports.services.statistics import request_annual_statistics, write_annual_files


class Command(BaseCommand):
    help = "Count the legal annual form per municipality for a registration year."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, required=True, help="registration year")
        parser.add_argument("--output", type=Path, required=True, help="output directory")
        parser.add_argument("--exact", action="store_true",
                            help="write exact counts, without disclosure protection "
                                 "(needs --user)")
        parser.add_argument("--user", default="",
                            help="with --exact: an account with reports.view_exact_statistics")

    def _check_exact_allowed(self, username: str) -> None:
        if not username:
            raise CommandError("--exact writes unprotected counts; name an account that may "
                               "see them with --user USERNAME.")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not user.has_perm("reports.view_exact_statistics"):
            raise CommandError(f"{username!r} may not see exact counts "
                               "(reports.view_exact_statistics).")

    def handle(self, *args: object, year: int, output: Path, exact: bool, user: str,
               **options: object) -> None:
        if exact:
            self._check_exact_allowed(user)
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
        if exact:
            paths = write_annual_files(office=office, year=year, output_dir=output)
        else:
            try:
                paths = write_protected_files(office=office, year=year, output_dir=output)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        kind = "" if exact else " protected"
        self.stdout.write(f"Wrote {len(paths)}{kind} files to {output / str(year)}.")
