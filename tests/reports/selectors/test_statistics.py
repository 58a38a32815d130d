"""Exact-cell tests of ``count_annual_forms``: the counting rules of the legal annual form."""

from __future__ import annotations

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest

from reports.selectors.statistics import count_annual_forms
from reports.vocabulary import ContactType, Ground, Handling, Nature, SocietalDomain, Status
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC

ASSEN, COEVORDEN, EMMEN, HOOGEVEEN = "GM0106", "GM0109", "GM0114", "GM0118"
GRONINGEN = "GM0014"  # not served by the office
BELLINGWEDDE, VLAGTWEDDE, WESTERWOLDE = "GM0007", "GM0048", "GM1950"  # merged 2018-01-01
APPINGEDAM, EEMSDELTA = "GM0003", "GM1979"  # merged 2021-01-01
WEESP, AMSTERDAM_CODE = "GM0457", "GM0363"  # merged 2022-03-24

#: The twelve Drenthe municipalities the office serves (settings ``MELDPUNT_OFFICE``).
DRENTHE = {
    "GM0106", "GM0109", "GM0114", "GM0118", "GM0119", "GM1680",
    "GM1681", "GM1690", "GM1699", "GM1701", "GM1730", "GM1731",
}

#: The rows of each table of the legal form, ``total`` last.
TABLE_ROWS: dict[str, list[str]] = {
    "total": ["total"],
    "ground": [*Ground.values, "total"],
    "societal_domain": [*SocietalDomain.values, "total"],
    "nature": [*Nature.values, "total"],
    "handling": [*Handling.values, "total"],
}
COLUMNS = ("resident_here", "resident_elsewhere", "resident_total", "non_resident_here", "total")


def cells(here: int = 0, elsewhere: int = 0, non_resident: int = 0) -> dict[str, int]:
    """One row of the form; ``resident_total`` and ``total`` as the Regeling defines them."""
    return {"resident_here": here, "resident_elsewhere": elsewhere,
            "resident_total": here + elsewhere, "non_resident_here": non_resident,
            "total": here + elsewhere + non_resident}


ZERO = cells()


def form(changes: dict[tuple[str, str], dict[str, int]] | None = None) -> dict:
    """An all-zero form with the ``(table, row)`` cells in ``changes`` set."""
    result = {table: {row: dict(ZERO) for row in rows} for table, rows in TABLE_ROWS.items()}
    for (table, row), value in (changes or {}).items():
        assert row in result[table], f"unknown row {table}.{row}"
        result[table][row] = value
    return result


def single(value: dict[str, int]) -> dict:
    """The form holding one complaint classified as ``report()`` classifies it, placed as
    ``value`` says."""
    return form({
        ("total", "total"): value,
        ("ground", "race"): value, ("ground", "total"): value,
        ("societal_domain", "labour_market"): value, ("societal_domain", "total"): value,
        ("nature", "hostile_treatment"): value, ("nature", "total"): value,
        ("handling", "registration"): value, ("handling", "total"): value,
    })


def report(**kwargs):
    """A classified report, received mid-2020, through ``register_complaint``."""
    kwargs.setdefault("grounds", [Ground.RACE])
    kwargs.setdefault("societal_domain", SocietalDomain.LABOUR_MARKET)
    kwargs.setdefault("nature", Nature.HOSTILE_TREATMENT)
    kwargs.setdefault("handling", [Handling.REGISTRATION])
    return ComplaintFactory(**kwargs)


def assert_only(forms: dict, expected: dict[str, dict], served: set[str] = DRENTHE) -> None:
    """Exactly the served municipalities have a form; those in ``expected`` equal it, the
    others are all zero."""
    assert set(forms) == served
    for code in served:
        assert forms[code] == expected.get(code, form()), code


# --- Registration year in Europe/Amsterdam -------------------------------------------------


def test_report_just_after_midnight_new_year_local_counts_for_the_new_year(office):
    complaint = report(received_at=datetime.datetime(2021, 1, 1, 0, 30, tzinfo=AMSTERDAM),
                       reporter_residence=ASSEN, incident_municipality=ASSEN)
    complaint.refresh_from_db()
    assert complaint.received_at == datetime.datetime(2020, 12, 31, 23, 30, tzinfo=UTC)

    assert_only(count_annual_forms(office=office, year=2020), {})
    assert_only(count_annual_forms(office=office, year=2021), {ASSEN: single(cells(here=1))})


def test_report_late_on_new_years_eve_local_counts_for_the_old_year(office):
    complaint = report(received_at=datetime.datetime(2020, 12, 31, 23, 30, tzinfo=AMSTERDAM),
                       reporter_residence=ASSEN, incident_municipality=ASSEN)
    complaint.refresh_from_db()
    assert complaint.received_at == datetime.datetime(2020, 12, 31, 22, 30, tzinfo=UTC)

    assert_only(count_annual_forms(office=office, year=2020), {ASSEN: single(cells(here=1))})
    assert_only(count_annual_forms(office=office, year=2021), {})


def test_report_at_local_new_year_2020_counts_for_2020_although_utc_is_still_2019(office):
    report(received_at=datetime.datetime(2020, 1, 1, 0, 30, tzinfo=AMSTERDAM),
           reporter_residence=ASSEN, incident_municipality=ASSEN)

    assert_only(count_annual_forms(office=office, year=2019), {})
    assert_only(count_annual_forms(office=office, year=2020), {ASSEN: single(cells(here=1))})


# --- Classification tables ------------------------------------------------------------------


def test_several_grounds_count_once_each_so_the_ground_total_exceeds_the_complaints(office):
    report(reporter_residence=ASSEN, incident_municipality=ASSEN,
           grounds=[Ground.RACE, Ground.RELIGION, Ground.AGE])

    forms = count_annual_forms(office=office, year=2020)

    one = cells(here=1)
    assert forms[ASSEN] == form({
        ("total", "total"): one,
        ("ground", "race"): one, ("ground", "religion"): one, ("ground", "age"): one,
        ("ground", "total"): cells(here=3),
        ("societal_domain", "labour_market"): one, ("societal_domain", "total"): one,
        ("nature", "hostile_treatment"): one, ("nature", "total"): one,
        ("handling", "registration"): one, ("handling", "total"): one,
    })
    assert forms[ASSEN]["ground"]["total"]["total"] == 3
    assert forms[ASSEN]["total"]["total"]["total"] == 1
    assert_only(forms, {ASSEN: forms[ASSEN]})


def test_several_manners_of_handling_count_once_each(office):
    report(reporter_residence=ASSEN, incident_municipality=ASSEN,
           grounds=[Ground.RACE, Ground.GENDER],
           handling=[Handling.REGISTRATION, Handling.MEDIATION, Handling.REFERRAL])

    forms = count_annual_forms(office=office, year=2020)

    one = cells(here=1)
    assert forms[ASSEN] == form({
        ("total", "total"): one,
        ("ground", "race"): one, ("ground", "gender"): one, ("ground", "total"): cells(here=2),
        ("societal_domain", "labour_market"): one, ("societal_domain", "total"): one,
        ("nature", "hostile_treatment"): one, ("nature", "total"): one,
        ("handling", "registration"): one, ("handling", "mediation"): one,
        ("handling", "referral"): one, ("handling", "total"): cells(here=3),
    })
    assert_only(forms, {ASSEN: forms[ASSEN]})


def test_unclassified_complaint_counts_as_unknown_and_in_no_handling_row(office):
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN)

    forms = count_annual_forms(office=office, year=2020)

    one = cells(here=1)
    assert forms[ASSEN] == form({
        ("total", "total"): one,
        ("ground", "unknown"): one, ("ground", "total"): one,
        ("societal_domain", "unknown"): one, ("societal_domain", "total"): one,
        ("nature", "unknown"): one, ("nature", "total"): one,
    })
    assert forms[ASSEN]["handling"] == form()["handling"]
    assert_only(forms, {ASSEN: forms[ASSEN]})


# --- Residence and incident place -------------------------------------------------------------


def test_resident_reporting_incident_in_other_served_municipality_appears_on_two_forms(office):
    report(reporter_residence=ASSEN, incident_municipality=EMMEN)

    forms = count_annual_forms(office=office, year=2020)

    assert forms[ASSEN]["total"] == {"total": {
        "resident_here": 0, "resident_elsewhere": 1, "resident_total": 1,
        "non_resident_here": 0, "total": 1,
    }}
    assert forms[EMMEN]["total"] == {"total": {
        "resident_here": 0, "resident_elsewhere": 0, "resident_total": 0,
        "non_resident_here": 1, "total": 1,
    }}
    assert_only(forms, {ASSEN: single(cells(elsewhere=1)),
                        EMMEN: single(cells(non_resident=1))})


def test_resident_reporting_incident_outside_the_region_counts_as_resident_elsewhere(office):
    report(reporter_residence=ASSEN, incident_municipality=GRONINGEN)

    forms = count_annual_forms(office=office, year=2020)

    assert GRONINGEN not in forms
    assert_only(forms, {ASSEN: single(cells(elsewhere=1))})


def test_resident_reporting_online_or_unknown_incident_place_counts_as_resident_elsewhere(office):
    report(reporter_residence=COEVORDEN, incident_municipality=None)

    forms = count_annual_forms(office=office, year=2020)

    assert_only(forms, {COEVORDEN: single(cells(elsewhere=1))})


def test_unknown_residence_counts_as_non_resident_in_the_incident_municipality(office):
    report(reporter_residence=None, incident_municipality=HOOGEVEEN)

    forms = count_annual_forms(office=office, year=2020)

    assert_only(forms, {HOOGEVEEN: single(cells(non_resident=1))})


def test_residence_outside_the_region_counts_as_non_resident_in_the_incident_municipality(office):
    report(reporter_residence=GRONINGEN, incident_municipality=HOOGEVEEN)

    forms = count_annual_forms(office=office, year=2020)

    assert_only(forms, {HOOGEVEEN: single(cells(non_resident=1))})


def test_neither_residence_nor_incident_known_counts_on_no_form(office):
    report(reporter_residence=None, incident_municipality=None)
    report(reporter_residence=GRONINGEN, incident_municipality=None)

    assert_only(count_annual_forms(office=office, year=2020), {})


# --- Which complaints count -----------------------------------------------------------------


def test_information_request_is_not_counted(office):
    report(reporter_residence=ASSEN, incident_municipality=ASSEN,
           contact_type=ContactType.INFORMATION_REQUEST)

    assert_only(count_annual_forms(office=office, year=2020), {})


def test_complaint_and_report_both_count_next_to_an_information_request(office):
    for contact_type in ContactType.values:  # complaint, report, information_request
        report(reporter_residence=ASSEN, incident_municipality=ASSEN, contact_type=contact_type)

    assert_only(count_annual_forms(office=office, year=2020), {ASSEN: single(cells(here=2))})


def test_rejected_complaint_is_not_counted(office):
    report(reporter_residence=ASSEN, incident_municipality=ASSEN, status=Status.REJECTED)

    assert_only(count_annual_forms(office=office, year=2020), {})


def test_every_status_but_rejected_counts(office):
    for status in Status.values:  # seven statuses, one of them rejected
        report(reporter_residence=ASSEN, incident_municipality=ASSEN, status=status)

    assert len(Status.values) == 7
    assert_only(count_annual_forms(office=office, year=2020), {ASSEN: single(cells(here=6))})


# --- Merged municipalities --------------------------------------------------------------------


def test_old_code_of_a_merged_municipality_counts_for_its_successor(office):
    office.municipalities.add(WESTERWOLDE)
    report(reporter_residence=BELLINGWEDDE, incident_municipality=BELLINGWEDDE)
    report(reporter_residence=VLAGTWEDDE, incident_municipality=ASSEN)
    report(reporter_residence=ASSEN, incident_municipality=BELLINGWEDDE)

    forms = count_annual_forms(office=office, year=2020)

    assert BELLINGWEDDE not in forms
    assert VLAGTWEDDE not in forms
    assert_only(forms, {
        WESTERWOLDE: single(cells(here=1, elsewhere=1, non_resident=1)),
        ASSEN: single(cells(elsewhere=1, non_resident=1)),
    }, served=DRENTHE | {WESTERWOLDE})


def test_old_and_new_code_of_the_same_municipality_count_as_resident_here(office):
    office.municipalities.add(WESTERWOLDE)
    report(reporter_residence=BELLINGWEDDE, incident_municipality=WESTERWOLDE)
    report(reporter_residence=WESTERWOLDE, incident_municipality=VLAGTWEDDE)

    forms = count_annual_forms(office=office, year=2020)

    assert_only(forms, {WESTERWOLDE: single(cells(here=2))}, served=DRENTHE | {WESTERWOLDE})


@pytest.mark.parametrize(("year", "counts_for"), [(2019, APPINGEDAM), (2020, EEMSDELTA)])
def test_merger_effective_on_first_january_of_the_next_year_already_counts(office, year,
                                                                            counts_for):
    """Eemsdelta was formed on 2021-01-01: for 2020 Appingedam counts for it, for 2019 not."""
    office.municipalities.add(APPINGEDAM, EEMSDELTA)
    report(received_at=datetime.datetime(year, 6, 1, 12, 0, tzinfo=AMSTERDAM),
           reporter_residence=APPINGEDAM, incident_municipality=APPINGEDAM)

    forms = count_annual_forms(office=office, year=year)

    # From 2020 on Appingedam has no form of its own: Eemsdelta makes it (issue 14).
    assert_only(forms, {counts_for: single(cells(here=1))},
                served=DRENTHE | {EEMSDELTA} | ({APPINGEDAM} if year == 2019 else set()))


def test_weesp_stays_weesp_in_2021_and_counts_for_amsterdam_in_2022(office):
    """Weesp merged into Amsterdam on 2022-03-24, after 1 January 2022 but before 1 January 2023:
    it counts for Amsterdam from registration year 2022 on, even for reports before 24 March."""
    office.municipalities.add(WEESP, AMSTERDAM_CODE)
    served = DRENTHE | {WEESP, AMSTERDAM_CODE}
    for year in (2021, 2022):
        received_at = datetime.datetime(year, 2, 1, 12, 0, tzinfo=AMSTERDAM)
        report(received_at=received_at, reporter_residence=WEESP, incident_municipality=WEESP)
        report(received_at=received_at, reporter_residence=WEESP,
               incident_municipality=AMSTERDAM_CODE)

    forms_2021 = count_annual_forms(office=office, year=2021)
    forms_2022 = count_annual_forms(office=office, year=2022)

    assert_only(forms_2021, {
        WEESP: single(cells(here=1, elsewhere=1)),
        AMSTERDAM_CODE: single(cells(non_resident=1)),
    }, served=served)
    assert_only(forms_2022, {AMSTERDAM_CODE: single(cells(here=2))},
                served=served - {WEESP})


# --- Shape of the result --------------------------------------------------------------------


def test_every_served_municipality_gets_an_all_zero_form_when_nothing_happened(office):
    report(received_at=datetime.datetime(2019, 6, 1, tzinfo=AMSTERDAM),
           reporter_residence=ASSEN, incident_municipality=ASSEN)

    forms = count_annual_forms(office=office, year=2020)

    assert sorted(forms) == sorted(DRENTHE)
    for code in DRENTHE:
        assert forms[code] == form()
        for table, rows in TABLE_ROWS.items():
            assert list(forms[code][table]) == rows
            for row in rows:
                assert list(forms[code][table][row]) == list(COLUMNS)


def test_uncounted_cells_are_one_read_only_zero_also_in_copies_and_store_as_json(office):
    """Issue 13: the uncounted cells of the 342 forms share one read-only zero group instead
    of a copy each. It cannot be changed in place, not in a copy or an unpickled copy either
    (a writable copy would be one dict behind every uncounted cell: the reviewer's finding),
    and it stores and compares as a plain dict of zeros."""
    import copy
    import json
    import pickle

    report(reporter_residence=ASSEN, incident_municipality=ASSEN, grounds=[Ground.RACE])

    forms = count_annual_forms(office=office, year=2020)

    zero = forms[EMMEN]["ground"]["religion"]
    assert zero == cells()
    assert forms[HOOGEVEEN]["nature"][Nature.THREAT] is zero
    pickled = pickle.loads(pickle.dumps(forms))  # noqa: S301  # our own bytes, just written
    for copied in (forms, copy.deepcopy(forms), pickled, copy.copy(forms)):
        cell = copied[EMMEN]["ground"]["religion"]
        with pytest.raises(TypeError):
            cell["total"] = 1
        with pytest.raises(TypeError):
            cell.update(total=1)
        with pytest.raises(TypeError):
            cell.pop("total")
        with pytest.raises(TypeError):
            cell.clear()
        assert cell == cells()
    forms[EMMEN]["ground"]["religion"] = {**zero, "total": 5}  # a new dict in its place
    assert forms[HOOGEVEEN]["ground"]["religion"] == cells()
    assert forms[ASSEN]["ground"]["race"] == cells(here=1)
    assert json.loads(json.dumps(forms[HOOGEVEEN])) == form()
    forms[HOOGEVEEN]["ground"]["total"]["total"] += 1  # a total row is its own dict
    assert forms[COEVORDEN]["ground"]["total"] == cells()


def test_every_tables_total_row_is_the_sum_of_its_rows(office):
    report(reporter_residence=ASSEN, incident_municipality=ASSEN,
           grounds=[Ground.RACE, Ground.RELIGION], handling=[Handling.MEDIATION])
    report(reporter_residence=ASSEN, incident_municipality=EMMEN,
           societal_domain=SocietalDomain.HOUSING, nature=Nature.THREAT)
    report(reporter_residence=None, incident_municipality=ASSEN, grounds=[], handling=[])
    ComplaintFactory(reporter_residence=GRONINGEN, incident_municipality=ASSEN)
    report(reporter_residence=ASSEN, incident_municipality=None,
           handling=[Handling.REGISTRATION, Handling.REFERRAL])

    forms = count_annual_forms(office=office, year=2020)

    for code, municipality_form in forms.items():
        for table, rows in municipality_form.items():
            if table == "total":
                continue
            for column in COLUMNS:
                assert rows["total"][column] == sum(
                    counts[column] for row, counts in rows.items() if row != "total"
                ), (code, table, column)
    assert forms[ASSEN]["total"]["total"] == cells(here=1, elsewhere=2, non_resident=2)
    assert forms[ASSEN]["ground"]["total"] == cells(here=2, elsewhere=2, non_resident=2)
    assert forms[ASSEN]["ground"]["unknown"] == cells(non_resident=2)
    assert forms[ASSEN]["societal_domain"]["total"] == cells(here=1, elsewhere=2,
                                                             non_resident=2)
    assert forms[ASSEN]["societal_domain"]["housing"] == cells(elsewhere=1)
    assert forms[ASSEN]["nature"]["threat"] == cells(elsewhere=1)
    assert forms[ASSEN]["handling"]["total"] == cells(here=1, elsewhere=3)
    assert forms[EMMEN]["total"]["total"] == cells(non_resident=1)


# --- Query count ----------------------------------------------------------------------------

MUNICIPALITY_PAIRS = [(ASSEN, ASSEN), (ASSEN, EMMEN), (None, HOOGEVEEN), (COEVORDEN, None),
                      (BELLINGWEDDE, ASSEN)]


@pytest.mark.parametrize(("number", "expected_totals"), [
    (3, {ASSEN: cells(here=1, elsewhere=1), EMMEN: cells(non_resident=1),
         HOOGEVEEN: cells(non_resident=1)}),
    (30, {ASSEN: cells(here=6, elsewhere=6, non_resident=6), EMMEN: cells(non_resident=6),
          HOOGEVEEN: cells(non_resident=6), COEVORDEN: cells(elsewhere=6)}),
])
def test_counting_takes_a_constant_number_of_queries(office, django_assert_num_queries, number,
                                                     expected_totals):
    """Served codes (1), mergers (1) and one statement for all the counting (on PostgreSQL
    ``_PLACED_SQL``, which also places every group on its form; elsewhere the ``UNION ALL`` of
    three ``GROUP BY`` queries and the aggregate of the mass reports, issue 11 §2), however many
    complaints (issue 13)."""
    grounds, handling = list(Ground.values), list(Handling.values)
    for i in range(number):
        residence, incident = MUNICIPALITY_PAIRS[i % len(MUNICIPALITY_PAIRS)]
        report(reporter_residence=residence, incident_municipality=incident,
               grounds=grounds[i % 4: i % 4 + 2], handling=handling[i % 3: i % 3 + 2],
               nature=Nature.values[i % len(Nature.values)])

    with django_assert_num_queries(3):
        forms = count_annual_forms(office=office, year=2020)

    assert {code: f["total"]["total"] for code, f in forms.items() if f != form()} == (
        expected_totals)


@pytest.mark.django_db(transaction=True)
def test_counting_reads_one_database_state(reference_data, office):
    """Issue 10 §1: every counting query runs inside one transaction, which on PostgreSQL
    starts with ``SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY``."""
    from django.db import connection

    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN, grounds=["race"])
    seen: list[tuple[bool, str]] = []

    def record(execute, sql, params, many, context):
        seen.append((connection.in_atomic_block, sql))
        return execute(sql, params, many, context)

    assert not connection.in_atomic_block
    with connection.execute_wrapper(record):
        forms = count_annual_forms(office=office, year=2020)

    assert forms[ASSEN]["total"]["total"]["total"] == 1
    assert len(seen) >= 4
    if connection.vendor == "postgresql":
        assert seen[0][1] == "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    else:  # SQLite: Django's BEGIN opens the transaction, every read follows inside it
        assert seen[0][1].startswith("BEGIN")
        seen = seen[1:]
    assert all(inside for inside, _sql in seen), seen
    assert not connection.in_atomic_block


# --- Both paths, every pair of places (reviewer's tests, issue 13) -------------------------


class _Portable:
    """``django.db.connection`` with another vendor: ``_count_annual_forms`` then takes the
    portable path (``_grouped`` + ``_Scope.place``) on the same PostgreSQL data."""

    vendor = "portable"

    def __getattr__(self, name):
        from django.db import connection

        return getattr(connection, name)


def test_the_placed_statement_equals_the_portable_path_for_every_pair_of_places(office,
                                                                                 monkeypatch):
    """Every residence × incident place: served, merged into a served code, not served, NULL,
    and a served code that is itself merged away (Appingedam in 2020, counted for Eemsdelta);
    mixed grounds, handling and blank domain or nature."""
    from django.db import connection

    from reports.selectors import statistics
    from reports.selectors.statistics import count_annual_year

    if connection.vendor != "postgresql":
        pytest.skip("compares the PostgreSQL statement with the portable path")
    office.municipalities.add(WESTERWOLDE, APPINGEDAM, EEMSDELTA)
    places = [ASSEN, EMMEN, WESTERWOLDE, BELLINGWEDDE, VLAGTWEDDE, APPINGEDAM, EEMSDELTA,
              GRONINGEN, None]
    grounds, handling = list(Ground.values), list(Handling.values)
    for i, (residence, incident) in enumerate(itertools.product(places, places)):
        ComplaintFactory(received_at=datetime.datetime(2020, 6, 1, 12, tzinfo=AMSTERDAM),
                         reporter_residence=residence, incident_municipality=incident,
                         grounds=grounds[i % 5: i % 5 + (i % 3)],
                         handling=handling[i % 4: i % 4 + (i % 2)],
                         nature=Nature.values[i % len(Nature.values)] if i % 7 else "",
                         societal_domain=SocietalDomain.values[i % 3] if i % 5 else "")

    placed = count_annual_year(office=office, year=2020)
    with monkeypatch.context() as patched:
        patched.setattr(statistics, "connection", _Portable())
        portable = statistics._count_annual_forms(office=office, year=2020)

    assert placed.cases == portable.cases == 77  # 81 pairs less 4: Groningen or unknown twice
    assert (placed.mass_reports, placed.mass_incidents) == (portable.mass_reports,
                                                           portable.mass_incidents)
    assert placed.forms == portable.forms
    assert placed.forms[EEMSDELTA] != form()  # Appingedam's complaints count for it


def test_an_office_serving_no_municipality_counts_nothing(office):
    from reports.selectors.statistics import count_annual_year

    office.municipalities.clear()
    ComplaintFactory(reporter_residence=ASSEN, incident_municipality=ASSEN)

    counted = count_annual_year(office=office, year=2020)

    assert (counted.forms, counted.cases) == ({}, 0)


def test_stored_snapshots_equal_the_counted_forms(office):
    """The JSON field stores the shared zero like any dict."""
    from reports.models import AnnualSnapshot, StatisticsRun
    from reports.services.statistics import execute_statistics_run

    report(reporter_residence=ASSEN, incident_municipality=EMMEN)
    run = StatisticsRun.objects.create(office=office, year=2020)

    execute_statistics_run(run_id=run.pk)

    stored = {snapshot.municipality_id: snapshot.data["tables"]
              for snapshot in AnnualSnapshot.objects.filter(office=office, year=2020)}
    assert stored == count_annual_forms(office=office, year=2020)
    assert len(stored) == len(DRENTHE)
