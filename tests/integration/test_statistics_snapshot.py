"""Issue 10 §1: one database state per statistics run (PostgreSQL).

A second thread flips one case between two classifications in a loop of committed transactions
while the counting job runs again and again. Every stored form must keep the cross-table
relations and equal, exactly, the form of one of the two states: never table 2 from one state
and table 3 from the other.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from reports.models import (
    AnnualSnapshot,
    Complaint,
    ComplaintGround,
    ComplaintHandling,
    StatisticsRun,
)
from reports.services.reference import current_office
from reports.services.statistics import execute_statistics_run
from tests.factories import ComplaintFactory
from tests.integration.expected_forms import COLUMNS, cells, expected_tables

pytestmark = pytest.mark.integration
RUNS = 20

#: The two classifications the flipping case alternates between (Assen resident, Assen).
STATE_A = {"grounds": ["race"], "societal_domain": "housing", "nature": "threat",
           "handling": ["registration"]}
STATE_B = {"grounds": ["religion", "age"], "societal_domain": "education", "nature": "violence",
           "handling": ["mediation", "referral"]}


def one(here: int = 0, elsewhere: int = 0, non_resident: int = 0) -> dict[str, int]:
    return cells(here, elsewhere, non_resident, resident_total=here + elsewhere,
                 total=here + elsewhere + non_resident)


def assen_form(state: dict) -> dict:
    """Assen's exact 2020 form when the flipping case is in ``state``, written out by hand.

    Besides the flipping case (resident of Assen, incident in Assen) the year has one fixed
    complaint: a resident of Assen about Emmen, ground ``nationality``, domain
    ``labour_market``, nature ``disputed_treatment``, handling ``advice_information``.
    """
    grounds = {code: one(here=1) for code in state["grounds"]}
    grounds["nationality"] = one(elsewhere=1)
    handling = {code: one(here=1) for code in state["handling"]}
    handling["advice_information"] = one(elsewhere=1)
    return expected_tables({
        "total": {"total": one(here=1, elsewhere=1)},
        "ground": {**grounds, "total": one(here=len(state["grounds"]), elsewhere=1)},
        "societal_domain": {state["societal_domain"]: one(here=1),
                            "labour_market": one(elsewhere=1),
                            "total": one(here=1, elsewhere=1)},
        "nature": {state["nature"]: one(here=1), "disputed_treatment": one(elsewhere=1),
                   "total": one(here=1, elsewhere=1)},
        "handling": {**handling, "total": one(here=len(state["handling"]), elsewhere=1)},
    })


def emmen_form(state: dict) -> dict:
    """Emmen's exact form: only the fixed complaint, as non-resident; ``state`` is irrelevant."""
    return expected_tables({
        "total": {"total": one(non_resident=1)},
        "ground": {"nationality": one(non_resident=1), "total": one(non_resident=1)},
        "societal_domain": {"labour_market": one(non_resident=1),
                            "total": one(non_resident=1)},
        "nature": {"disputed_treatment": one(non_resident=1), "total": one(non_resident=1)},
        "handling": {"advice_information": one(non_resident=1), "total": one(non_resident=1)},
    })


def assert_relations(tables: dict) -> None:
    """The cross-table relations every form keeps, whatever the data."""
    first = tables["total"]["total"]
    for table, rows in tables.items():
        for counts in rows.values():
            assert counts["resident_total"] == counts["resident_here"] + counts[
                "resident_elsewhere"]
            assert counts["total"] == counts["resident_total"] + counts["non_resident_here"]
        if table != "total":
            assert rows["total"] == {column: sum(c[column] for row, c in rows.items()
                                                 if row != "total") for column in COLUMNS}
    assert tables["societal_domain"]["total"] == first
    assert tables["nature"]["total"] == first
    for column in COLUMNS:
        assert tables["ground"]["total"][column] >= first[column]


def apply_state(complaint_id: int, state: dict) -> None:
    """One committed transaction that sets the whole classification."""
    with transaction.atomic():
        Complaint.objects.filter(pk=complaint_id).update(
            societal_domain=state["societal_domain"], nature=state["nature"])
        ComplaintGround.objects.filter(complaint_id=complaint_id).delete()
        ComplaintGround.objects.bulk_create(
            [ComplaintGround(complaint_id=complaint_id, code=code) for code in state["grounds"]])
        ComplaintHandling.objects.filter(complaint_id=complaint_id).delete()
        ComplaintHandling.objects.bulk_create(
            [ComplaintHandling(complaint_id=complaint_id, code=code)
             for code in state["handling"]])


def test_every_run_counts_one_committed_state_while_a_case_is_reclassified(
        committed_reference_data):
    assert connection.vendor == "postgresql"
    flipping = ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0106",
                                **STATE_A)
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0114",
                     grounds=["nationality"], societal_domain="labour_market",
                     nature="disputed_treatment", handling=["advice_information"])
    office = current_office()
    stop = threading.Event()
    flips: list[int] = []
    errors: list[BaseException] = []

    def flipper() -> None:
        try:
            while not stop.is_set():
                apply_state(flipping.pk, STATE_B if len(flips) % 2 == 0 else STATE_A)
                flips.append(1)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=flipper)
    thread.start()
    seen: list[str] = []
    try:
        for _ in range(RUNS):
            run = StatisticsRun.objects.create(office=office, year=2020)
            assert execute_statistics_run(run_id=run.pk).state == "succeeded"
            stored = {s.municipality_id: s.data["tables"]
                      for s in AnnualSnapshot.objects.filter(office=office, year=2020, run=run)}
            assert len(stored) == 12
            for tables in stored.values():
                assert_relations(tables)
            assert stored["GM0114"] == emmen_form(STATE_A)
            if stored["GM0106"] == assen_form(STATE_A):
                seen.append("A")
            else:
                assert stored["GM0106"] == assen_form(STATE_B), {
                    table: [name for name, state in (("A", STATE_A), ("B", STATE_B))
                            if assen_form(state)[table] == rows]
                    for table, rows in stored["GM0106"].items()}
                seen.append("B")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    assert len(flips) > RUNS  # the case really changed while the runs counted
