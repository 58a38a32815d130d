"""``manage.py load_reference_data``: municipalities, mergers, the office and the roles."""

from django.core.management.base import BaseCommand

from reports.models import Municipality, Office
from reports.services.reference import load_reference_data


class Command(BaseCommand):
    help = "Load municipalities, mergers, the configured office and the back-office roles."

    def handle(self, *args: object, **options: object) -> None:
        load_reference_data()
        office = Office.objects.get()
        self.stdout.write(
            f"{Municipality.objects.count()} municipalities; office {office.code} "
            f"({office.name}) serves {office.municipalities.count()}."
        )
