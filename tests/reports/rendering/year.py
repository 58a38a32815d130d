"""A small hand-made registration year shared by the report tests (all data synthetic).

Assen (GM0106) in 2020: one resident complaint about Assen, one resident complaint about Emmen
(GM0114) and one complaint of an Amsterdam resident about Assen; a rejected one does not count.
"""

from __future__ import annotations

from reports.selectors.statistics import COLUMNS
from tests.factories import ComplaintFactory

ALL = list(COLUMNS)
#: Rows of Assen's protected 2020 form that are hidden entirely (threshold 5).
ASSEN_HIDDEN_ROWS = {
    "ground": ["race", "religion", "total"],
    "societal_domain": ["labour_market", "housing"],
    "nature": ["disputed_treatment", "threat"],
    "handling": ["total"],
}


def cells(here: int = 0, elsewhere: int = 0, non_resident: int = 0) -> dict[str, int]:
    return {"resident_here": here, "resident_elsewhere": elsewhere,
            "resident_total": here + elsewhere, "non_resident_here": non_resident,
            "total": here + elsewhere + non_resident}


def hand_made_year() -> None:
    """Register the year's complaints (needs the reference data)."""
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0106",
                     grounds=["race"], societal_domain="labour_market",
                     nature="disputed_treatment", handling=["registration"])
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0114",
                     grounds=["race", "religion"], societal_domain="housing", nature="threat",
                     handling=["advice_information", "referral"])
    ComplaintFactory(reporter_residence="GM0363", incident_municipality="GM0106")
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0106",
                     status="rejected")


def expected_assen_protected() -> dict:
    """Assen's protected 2020 form: ``reports.disclosure.protect`` of the exact form (its
    properties are tested in ``tests/reports/test_disclosure.py``; the rendering tests check
    the cells they print by hand). Three complaints: every line is small, so every cell is
    hidden except table 1's grand total (and its copies in tables 3 and 4) and zeros that
    their row or column shows to be 0 anyway."""
    from reports import disclosure

    return disclosure.protect(expected_assen_exact()["tables"], threshold=5)


def expected_assen_exact() -> dict:
    from reports.selectors.statistics import empty_form

    tables = empty_form()
    tables["total"]["total"] = cells(here=1, elsewhere=1, non_resident=1)
    tables["ground"]["race"] = cells(here=1, elsewhere=1)
    tables["ground"]["religion"] = cells(elsewhere=1)
    tables["ground"]["unknown"] = cells(non_resident=1)
    tables["ground"]["total"] = cells(here=1, elsewhere=2, non_resident=1)
    tables["societal_domain"]["labour_market"] = cells(here=1)
    tables["societal_domain"]["housing"] = cells(elsewhere=1)
    tables["societal_domain"]["unknown"] = cells(non_resident=1)
    tables["societal_domain"]["total"] = cells(here=1, elsewhere=1, non_resident=1)
    tables["nature"]["disputed_treatment"] = cells(here=1)
    tables["nature"]["threat"] = cells(elsewhere=1)
    tables["nature"]["unknown"] = cells(non_resident=1)
    tables["nature"]["total"] = cells(here=1, elsewhere=1, non_resident=1)
    tables["handling"]["registration"] = cells(here=1)
    tables["handling"]["advice_information"] = cells(elsewhere=1)
    tables["handling"]["referral"] = cells(elsewhere=1)
    tables["handling"]["total"] = cells(here=1, elsewhere=2)
    return {"tables": tables}
