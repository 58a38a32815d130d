"""``current_office``: the configured office, created from the settings on first use."""

from __future__ import annotations

from django.conf import settings

from reports.models import Office
from reports.services.reference import current_office


def test_current_office_creates_the_configured_office_once(reference_data):
    Office.objects.all().delete()
    office = current_office()
    assert (office.code, office.name) == (settings.MELDPUNT_OFFICE["code"],
                                          settings.MELDPUNT_OFFICE["name"])
    assert sorted(office.municipalities.values_list("code", flat=True)) == sorted(
        set(settings.MELDPUNT_OFFICE["municipalities"]))
    assert current_office() == office
    assert Office.objects.count() == 1
