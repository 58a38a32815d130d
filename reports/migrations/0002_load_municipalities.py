"""Load the municipalities of 2024 and the recorded mergers (reference data)."""

from django.db import migrations


def load(apps, schema_editor):
    from reports.services.reference import load_municipalities

    load_municipalities(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
