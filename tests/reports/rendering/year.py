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
    "ground": ["race", "antisemitism", "nationality", "religion", "unknown", "total"],
    "societal_domain": ["labour_market", "housing", "unknown"],
    "nature": ["disputed_treatment", "threat", "unknown"],
    "handling": ["registration", "advice_information", "policy_influence", "referral", "total"],
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
    """Assen's protected 2020 form: the hidden rows ``None`` throughout, table 1 and the total
    rows of tables 3 and 4 exact, every other cell 0."""
    from reports.selectors.statistics import empty_form

    tables = empty_form()
    tables["total"]["total"] = cells(here=1, elsewhere=1, non_resident=1)
    tables["societal_domain"]["total"] = cells(here=1, elsewhere=1, non_resident=1)
    tables["nature"]["total"] = cells(here=1, elsewhere=1, non_resident=1)
    for table, rows in ASSEN_HIDDEN_ROWS.items():
        for row in rows:
            tables[table][row] = dict.fromkeys(COLUMNS)
    return {"tables": tables, "threshold": 5,
            "suppressed": {"total": {}, **{table: {row: ALL for row in rows}
                                           for table, rows in ASSEN_HIDDEN_ROWS.items()}}}


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
