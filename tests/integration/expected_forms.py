"""Expected annual forms, written out independently of the counting code under test."""

from __future__ import annotations

COLUMNS = ("resident_here", "resident_elsewhere", "resident_total", "non_resident_here", "total")

#: The rows of each table of the legal form, in the form's order (Regeling
#: registratieformulier antidiscriminatievoorzieningen, tables 1 to 5).
FORM_ROWS: dict[str, tuple[str, ...]] = {
    "total": ("total",),
    "ground": (
        "race", "antisemitism", "nationality", "disability", "age", "sexual_orientation",
        "gender", "working_hours", "employment_contract", "marital_status", "religion", "belief",
        "political_opinion", "other", "unknown", "total",
    ),
    "societal_domain": (
        "labour_market", "neighbourhood", "public_services", "commercial_services", "hospitality",
        "housing", "media_advertising", "education", "police_justice", "private_sphere",
        "public_opinion", "sport_recreation", "public_space", "other", "unknown", "total",
    ),
    "nature": ("disputed_treatment", "hostile_treatment", "violence", "threat", "other",
               "unknown", "total"),
    "handling": ("registration", "advice_information", "policy_influence", "mediation",
                 "assistance_procedures", "referral", "own_investigation", "other", "total"),
}

#: The twelve Drenthe municipalities the test office (settings ``MELDPUNT_OFFICE``) serves.
SERVED = ("GM1680", "GM0106", "GM1681", "GM0109", "GM1690", "GM0114",
          "GM0118", "GM0119", "GM1731", "GM1699", "GM1730", "GM1701")


def cells(resident_here: int = 0, resident_elsewhere: int = 0, non_resident_here: int = 0,
          *, resident_total: int, total: int) -> dict[str, int]:
    """One row of a table; the derived columns are given explicitly, not computed."""
    return {"resident_here": resident_here, "resident_elsewhere": resident_elsewhere,
            "resident_total": resident_total, "non_resident_here": non_resident_here,
            "total": total}


def expected_tables(nonzero: dict[str, dict[str, dict[str, int]]]) -> dict:
    """Every table and row of the form, all zero except the rows given in ``nonzero``."""
    tables = {table: {row: dict.fromkeys(COLUMNS, 0) for row in rows}
              for table, rows in FORM_ROWS.items()}
    for table, rows in nonzero.items():
        for row, counts in rows.items():
            assert row in tables[table], (table, row)
            tables[table][row] = counts
    return tables
