"""Reference data: municipalities, mergers, the configured office and the roles.

The product ships the CBS municipality list valid from 1 January 2024 (``fixtures/reference/``,
:data:`FIXTURE_LIST_VALID_FROM`); ``load_reference_data`` loads it. A newer CBS list and its
mergers are applied with :func:`apply_municipality_update` (``manage.py update_municipalities``,
dry run first: :func:`plan_municipality_update`). See ``reports/fixtures/reference/README.md``.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import transaction

from reports.roles import ROLE_PERMISSIONS

if TYPE_CHECKING:
    from reports.models import Office

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "reference"
#: The CBS list shipped with the product and the date it is valid from.
FIXTURE_LIST = "municipalities-2024.csv"
FIXTURE_LIST_VALID_FROM = datetime.date(2024, 1, 1)


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _newer_list_recorded(apps: Any) -> bool:
    """Whether a list newer than the fixture was applied (never in a migration's history
    before ``MunicipalityList`` existed)."""
    try:
        list_model = apps.get_model("reports", "MunicipalityList")
    except LookupError:
        return False
    return list_model.objects.filter(valid_from__gt=FIXTURE_LIST_VALID_FROM).exists()


@transaction.atomic
def load_municipalities(*, apps: Any = global_apps) -> int:
    """Upsert the 342 municipalities of 2024 and the mergers, with dissolved municipalities.

    Once a newer CBS list has been applied (``update_municipalities``), names and provinces are
    no longer overwritten with the 2024 ones; missing rows and mergers are still added.

    Args:
        apps: an app registry; a migration passes its historical one.

    Returns:
        The number of municipalities in the table afterwards.

    Source: CBS region codes 2024 (``municipalities-2024.csv``) and ``municipality-mergers.csv``.
    """
    municipality_model = apps.get_model("reports", "Municipality")
    merger_model = apps.get_model("reports", "MunicipalityMerger")
    keep_names = _newer_list_recorded(apps)
    current = _read_csv(FIXTURE_LIST)
    upsert: dict[str, Any] = ({"ignore_conflicts": True} if keep_names else {
        "update_conflicts": True, "unique_fields": ["code"],
        "update_fields": ["name", "province"]})
    municipality_model.objects.bulk_create(
        [municipality_model(code=r["code"], name=r["name"], province=r["province"])
         for r in current], **upsert)
    province = {r["code"]: r["province"] for r in current}
    mergers = _read_csv("municipality-mergers.csv")
    municipality_model.objects.bulk_create(
        [municipality_model(
            code=r["former_code"], name=r["former_name"],
            province=province.get(r["successor_code"], ""),
            dissolved_on=datetime.date.fromisoformat(r["effective_date"]),
        ) for r in mergers],
        **({"ignore_conflicts": True} if keep_names else {
            "update_conflicts": True, "unique_fields": ["code"],
            "update_fields": ["name", "province", "dissolved_on"]}),
    )
    for r in mergers:
        merger_model.objects.update_or_create(
            former_id=r["former_code"], successor_id=r["successor_code"],
            defaults={"effective_date": datetime.date.fromisoformat(r["effective_date"])},
        )
    try:
        list_model = apps.get_model("reports", "MunicipalityList")
    except LookupError:
        pass
    else:
        list_model.objects.get_or_create(valid_from=FIXTURE_LIST_VALID_FROM, defaults={
            "source": f"reports/fixtures/reference/{FIXTURE_LIST}",
            "summary": "342 municipalities (CBS, 2024) and the recorded mergers."})
    return municipality_model.objects.count()


def current_office() -> Office:
    """The office of this deployment, as configured in ``MELDPUNT_OFFICE``.

    Reads it (one ``SELECT``, no transaction of its own: issue 13, the intake POST spent a
    ``BEGIN``/``COMMIT`` here), and creates it from the settings on first use (``sync_office``,
    a transaction of its own), so that a database that has had ``migrate`` but not
    ``load_reference_data`` still works.

    Raises:
        django.core.exceptions.ImproperlyConfigured: the office is new and a configured
            municipality code is unknown.
    """
    from reports.models import Office

    office = Office.objects.filter(code=settings.MELDPUNT_OFFICE["code"]).first()
    if office is None:
        office = sync_office()
    return office


@transaction.atomic
def sync_office() -> Office:
    """Create or update the office from the ``MELDPUNT_OFFICE`` setting, with its default desk
(``reports.services.desks.ensure_default_desk``: serving the office's municipalities that no
desk serves yet).

    Returns:
        The ``Office`` row.

    Raises:
        django.core.exceptions.ImproperlyConfigured: a configured municipality code is unknown.
    """
    from django.core.exceptions import ImproperlyConfigured

    from reports.models import Municipality, Office

    config = settings.MELDPUNT_OFFICE
    office, _ = Office.objects.update_or_create(code=config["code"],
                                                defaults={"name": config["name"]})
    codes = list(dict.fromkeys(config["municipalities"]))
    found = set(Municipality.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = [code for code in codes if code not in found]
    if missing:
        raise ImproperlyConfigured(f"Unknown codes in OFFICE_MUNICIPALITIES: {missing}")
    office.municipalities.set(codes)
    from reports.services.desks import ensure_default_desk

    ensure_default_desk(office=office)
    return office


@transaction.atomic
def ensure_roles() -> None:
    """Create the role groups and give each exactly its permissions (see ``reports.roles``)."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    create_permissions(global_apps.get_app_config("reports"), verbosity=0)
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(content_type__app_label="reports",
                                                codename__in=codenames)
        group.permissions.set(permissions)


def load_reference_data() -> None:
    """Load everything a fresh database needs: municipalities, mergers, office and roles."""
    load_municipalities()
    sync_office()
    ensure_roles()
    from reports.selectors.reference import forget_filter_municipality_choices

    forget_filter_municipality_choices()
