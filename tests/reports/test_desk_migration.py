"""Migration 0017_desks on an existing installation: one default desk with everything in it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reports", "0016_case_list_open_index")]
AFTER = [("reports", "0017_desks")]


@pytest.mark.django_db(transaction=True)
def test_existing_cases_teams_and_staff_land_in_one_default_desk():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    municipality = apps.get_model("reports", "Municipality")
    office_model = apps.get_model("reports", "Office")
    group_model = apps.get_model("auth", "Group")
    user_model = apps.get_model("auth", "User")
    # An earlier transactional test may have flushed the reference data: make the two.
    for code, name in (("GM0106", "Assen"), ("GM0114", "Emmen")):
        municipality.objects.get_or_create(code=code, defaults={"name": name})
    office_model.objects.filter(code="MDD").delete()
    office = office_model.objects.create(code="MDD", name="Meldpunt Drenthe")
    office.municipalities.set(municipality.objects.filter(code__in=["GM0106", "GM0114"]))
    worker = user_model.objects.create(username="worker")
    worker.groups.add(group_model.objects.get_or_create(name="caseworker")[0])
    portal = user_model.objects.create(username="assen")
    portal.groups.add(group_model.objects.get_or_create(name="municipality")[0])
    team_group = group_model.objects.create(name="team:Noord")
    apps.get_model("reports", "Team").objects.create(name="Noord", group=team_group)
    apps.get_model("reports", "Complaint").objects.create(
        office=office, case_number="MDD-2020-0001", channel="online",
        received_at=datetime.datetime(2020, 6, 1, tzinfo=datetime.UTC))

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    desk = apps.get_model("reports", "Desk").objects.get()
    assert (desk.code, desk.name, desk.is_default) == ("default", "Meldpunt Drenthe", True)
    assert sorted(desk.municipality_periods.values_list("municipality_id", "valid_from",
                                                        "valid_to")) == [
        ("GM0106", datetime.date(2000, 1, 1), None), ("GM0114", datetime.date(2000, 1, 1), None)]
    assert list(desk.members.values_list("username", flat=True)) == ["worker"]
    assert list(apps.get_model("reports", "Complaint").objects.values_list(
        "desk_id", flat=True)) == [desk.pk]
    assert list(apps.get_model("reports", "Team").objects.values_list(
        "desk_id", flat=True)) == [desk.pk]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
