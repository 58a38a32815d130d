"""``manage.py seed_demo``: a synthetic but plausible registration year (default 2020, 80 cases)."""

from django.core.management.base import BaseCommand

from reports.services.demo import seed_demo_year
from reports.services.reference import current_office


class Command(BaseCommand):
    help = "Create a synthetic year of complaints across the office's municipalities."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, default=2020)
        parser.add_argument("--count", type=int, default=80)

    def handle(self, *args: object, year: int, count: int, **options: object) -> None:
        created = seed_demo_year(office=current_office(), year=year, count=count)
        if created:
            self.stdout.write(f"Created {created} synthetic complaints for {year}.")
        else:
            self.stdout.write(f"Demo complaints for {year} already exist; nothing added.")
