"""``manage.py import_complaints`` and ``reports.services.importing``. All data is synthetic."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from reports.models import CaseNumberSequence, Complaint, ComplaintHistory
from reports.services.importing import (
    ImportFailed,
    ImportResult,
    RowError,
    import_complaints,
)

UTC = datetime.UTC
HEADER = ("reference,received_at,channel,contact_type,status,reporter_residence,"
          "incident_municipality,grounds,societal_domain,nature,handling,description")
GOOD_ROWS = [
    "OLD-1,2020-01-01T00:30:00,phone,complaint,closed,GM0106,GM0114,race;religion,"
    "labour_market,hostile_treatment,advice_information;mediation,Synthetic case one",
    "OLD-2,2020-03-05T10:00:00+00:00,email,report,new,,,,,,,Synthetic case two",
    "OLD-3,2021-07-01T12:00:00,letter,information_request,in_progress,GM0007,GM0007,"
    " unknown ; ;unknown,,,registration;,Synthetic case three",
    "OLD-4,2020-12-31T23:30:00+00:00,in_person,report,rejected,,,,other,other,,Synthetic four",
]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the msgids), whatever translations exist."""
    with translation.override("en"):
        yield


def csv_file(tmp_path: Path, *lines: str, name: str = "import.csv", eol: str = "\n") -> Path:
    """Write ``lines`` (a header first) as UTF-8 bytes, exactly as given."""
    path = tmp_path / name
    path.write_bytes((eol.join(lines) + eol).encode("utf-8"))
    return path


def run(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_complaints", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path: Path) -> tuple[str, list[str]]:
    """Run an import that must fail; return the CommandError text and the stderr lines."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_complaints", str(path), stdout=out, stderr=err)
    assert out.getvalue() == ""
    return str(failure.value), err.getvalue().splitlines()


def number(reference: str) -> str:
    return Complaint.objects.get(external_reference=reference).case_number


def assert_nothing_stored() -> None:
    assert Complaint.objects.count() == 0
    assert ComplaintHistory.objects.count() == 0
    assert not CaseNumberSequence.objects.filter(last_number__gt=0).exists()


# --- happy path ------------------------------------------------------------------------------


def test_imports_every_row_with_all_fields(office, tmp_path):
    out, err = run(csv_file(tmp_path, HEADER, *GOOD_ROWS))

    assert out == "Imported 4, skipped 0 (already present).\n"
    assert err == ""
    assert Complaint.objects.count() == 4
    one, two, three, four = (Complaint.objects.get(external_reference=f"OLD-{n}")
                             for n in range(1, 5))
    code = office.code

    assert one.office == office
    assert one.case_number == f"{code}-2020-0001"
    assert one.received_at == datetime.datetime(2019, 12, 31, 23, 30, tzinfo=UTC)
    assert (one.channel, one.contact_type, one.status) == ("phone", "complaint", "closed")
    assert one.reporter_residence_id == "GM0106"
    assert one.incident_municipality_id == "GM0114"
    assert set(one.grounds.values_list("code", flat=True)) == {"race", "religion"}
    assert one.societal_domain == "labour_market"
    assert one.nature == "hostile_treatment"
    assert set(one.handling.values_list("code", flat=True)) == {"advice_information",
                                                                "mediation"}
    assert one.description == "Synthetic case one"
    assert (one.reporter_name, one.reporter_email, one.reporter_phone) == ("", "", "")
    assert one.assigned_to is None

    assert two.case_number == f"{code}-2020-0002"
    assert two.received_at == datetime.datetime(2020, 3, 5, 10, 0, tzinfo=UTC)
    assert (two.channel, two.contact_type, two.status) == ("email", "report", "new")
    assert two.reporter_residence is None and two.incident_municipality is None
    assert not two.grounds.exists() and not two.handling.exists()
    assert (two.societal_domain, two.nature) == ("", "")

    # Summer time: 12:00 local is 10:00 UTC. Blanks, empty items and duplicates in lists go.
    assert three.case_number == f"{code}-2021-0001"
    assert three.received_at == datetime.datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
    assert three.contact_type == "information_request"
    assert list(three.grounds.values_list("code", flat=True)) == ["unknown"]
    assert list(three.handling.values_list("code", flat=True)) == ["registration"]

    # 23:30 UTC on New Year's Eve is already 2021 in Amsterdam.
    assert four.case_number == f"{code}-2021-0002"
    assert four.received_at == datetime.datetime(2020, 12, 31, 23, 30, tzinfo=UTC)
    assert (four.channel, four.status, four.societal_domain, four.nature) == (
        "in_person", "rejected", "other", "other")

    history = ComplaintHistory.objects.order_by("complaint__external_reference")
    assert [(h.complaint.external_reference, h.action, h.actor, h.to_value) for h in history] == [
        ("OLD-1", "created", None, "closed"), ("OLD-2", "created", None, "new"),
        ("OLD-3", "created", None, "in_progress"), ("OLD-4", "created", None, "rejected"),
    ]


def test_dissolved_municipality_code_is_stored_as_given(office, tmp_path):
    run(csv_file(tmp_path, HEADER, GOOD_ROWS[2]))

    complaint = Complaint.objects.get()
    assert complaint.reporter_residence_id == "GM0007"
    assert complaint.incident_municipality_id == "GM0007"
    assert complaint.incident_municipality.name == "Bellingwedde"
    assert complaint.incident_municipality.dissolved_on == datetime.date(2018, 1, 1)


def test_service_returns_counts_and_keeps_file_order(office):
    stream = io.StringIO("\n".join([HEADER, GOOD_ROWS[1], GOOD_ROWS[0]]) + "\n", newline="")

    assert import_complaints(office=office, stream=stream) == ImportResult(created=2, skipped=0)
    # OLD-2 comes first in this file, so it gets the first 2020 number.
    assert number("OLD-2") == f"{office.code}-2020-0001"
    assert number("OLD-1") == f"{office.code}-2020-0002"


def test_columns_in_another_order_a_bom_crlf_and_blank_lines(office, tmp_path):
    columns = HEADER.split(",")
    values = dict(zip(columns, GOOD_ROWS[1].split(","), strict=True))
    reordered = list(reversed(columns))
    path = tmp_path / "bom.csv"
    text = "\r\n".join([",".join(reordered), "", ",".join(values[c] for c in reordered), ""])
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    out, _ = run(path)

    assert out == "Imported 1, skipped 0 (already present).\n"
    complaint = Complaint.objects.get()
    assert (complaint.external_reference, complaint.channel, complaint.description) == (
        "OLD-2", "email", "Synthetic case two")


def test_offsets_and_daylight_saving_changes(office, tmp_path):
    rows = [
        "T-1,2020-06-01T09:15:00+00:00,phone,report,new,,,,,,,Synthetic",
        "T-2,2020-06-01T09:15:00Z,phone,report,new,,,,,,,Synthetic",
        "T-3,2020-06-01T11:15:00+02:00,phone,report,new,,,,,,,Synthetic",
        "T-4,2020-06-01 11:15,phone,report,new,,,,,,,Synthetic",
        # 25 October 2020, 02:30 happened twice; the first (summer time) one is taken.
        "T-5,2020-10-25T02:30:00,phone,report,new,,,,,,,Synthetic",
        "T-6,2020-02-01T12:00:00,phone,report,new,,,,,,,Synthetic",
    ]
    run(csv_file(tmp_path, HEADER, *rows))

    stored = dict(Complaint.objects.values_list("external_reference", "received_at"))
    assert stored == {
        "T-1": datetime.datetime(2020, 6, 1, 9, 15, tzinfo=UTC),
        "T-2": datetime.datetime(2020, 6, 1, 9, 15, tzinfo=UTC),
        "T-3": datetime.datetime(2020, 6, 1, 9, 15, tzinfo=UTC),
        "T-4": datetime.datetime(2020, 6, 1, 9, 15, tzinfo=UTC),
        "T-5": datetime.datetime(2020, 10, 25, 0, 30, tzinfo=UTC),
        "T-6": datetime.datetime(2020, 2, 1, 11, 0, tzinfo=UTC),
    }


# --- re-running --------------------------------------------------------------------------------


def test_running_the_same_file_twice_skips_every_row(office, tmp_path):
    path = csv_file(tmp_path, HEADER, *GOOD_ROWS)
    run(path)
    numbers = dict(Complaint.objects.values_list("external_reference", "case_number"))

    out, err = run(path)

    assert out == "Imported 0, skipped 4 (already present).\n"
    assert err == ""
    assert Complaint.objects.count() == 4
    assert ComplaintHistory.objects.count() == 4
    assert dict(Complaint.objects.values_list("external_reference", "case_number")) == numbers


def test_a_file_with_old_and_new_rows_adds_only_the_new_ones(office, tmp_path):
    run(csv_file(tmp_path, HEADER, GOOD_ROWS[0], name="first.csv"))
    stream = io.StringIO("\n".join([HEADER, *GOOD_ROWS[:2]]) + "\n", newline="")

    assert import_complaints(office=office, stream=stream) == ImportResult(created=1, skipped=1)
    assert Complaint.objects.count() == 2
    assert number("OLD-2") == f"{office.code}-2020-0002"


def test_an_existing_complaint_without_reference_does_not_cause_a_skip(office, tmp_path):
    from tests.factories import ComplaintFactory

    ComplaintFactory()  # registered on the public form: no external reference

    out, _ = run(csv_file(tmp_path, HEADER, GOOD_ROWS[1]))

    assert out == "Imported 1, skipped 0 (already present).\n"
    assert Complaint.objects.count() == 2


# --- all or nothing ----------------------------------------------------------------------------


def test_bad_rows_store_nothing_and_are_reported_by_physical_line(office, tmp_path):
    path = csv_file(
        tmp_path,
        HEADER,                                                                  # line 1
        'G-1,2020-01-02T10:00:00,phone,report,new,,,race,,,,"Synthetic, with',  # line 2
        'a second line"',                                                        # line 3
        "B-1,2020-01-03T10:00:00,phone,report,new,,,xyz,,,,Synthetic",           # line 4
        "G-2,2020-01-04T10:00:00,email,report,new,,,age,,,,Synthetic",           # line 5
        "B-2,2020-13-01T10:00:00,phone,report,new,,GM9999,,,,,Synthetic",        # line 6
    )

    message, errors = run_failing(path)

    assert errors == [
        "line 4: unknown ground code “xyz”",
        "line 6: received_at “2020-13-01T10:00:00” is not an ISO 8601 date and time",
        "line 6: unknown municipality code “GM9999” in incident_municipality",
    ]
    assert message == "Nothing was imported: 3 error(s)."
    assert_nothing_stored()


def test_the_service_raises_import_failed_with_row_errors(office):
    stream = io.StringIO("\n".join([
        HEADER,
        '"G-1","2020-01-02T10:00:00",phone,report,new,,,,,,,"Multi\r\nline\nrecord"',
        "B-1,2020-01-03T10:00:00,fax,report,new,,,,,,,Synthetic",
    ]) + "\n", newline="")

    with pytest.raises(ImportFailed) as failure:
        import_complaints(office=office, stream=stream)

    # The quoted description spans lines 2 to 4 (one \r\n and one \n inside the quotes).
    assert failure.value.errors == [RowError(5, "unknown channel code “fax”")]
    assert str(failure.value.errors[0]) == "line 5: unknown channel code “fax”"
    assert_nothing_stored()


def test_every_kind_of_row_error(office, tmp_path):
    rows = [
        ",2020-01-01T10:00:00,phone,report,new,,,,,,,Synthetic",                        # 2
        "E-3,2020-01-01T10:00:00,,,,,,,,,,Synthetic",                                   # 3
        "E-4,,phone,report,new,,,,,,,  ",                                               # 4
        "E-5,2020-01-01,phone,report,new,,,,,,,Synthetic",                              # 5
        "E-6,2020-03-29T02:30:00,phone,report,new,,,,,,,Synthetic",                     # 6
        "E-7,2999-01-01T10:00:00+01:00,phone,report,new,,,,,,,Synthetic",               # 7
        "E-8,2020-01-01T10:00:00,online,visit,open,gm0106,,Race,sport,rude,talk,Synth",  # 8
        "E-9,2020-01-01T10:00:00,phone,report,new,,,,,,Synthetic",                      # 9
        "E-3,2020-01-01T10:00:00,phone,report,new,,,,,,,Synthetic",                     # 10
        f"{'R' * 101},2020-01-01T10:00:00,phone,report,new,,,,,,,Synthetic",            # 11
        "E-12,2020-01-01T10:00:00,Jan Jansen,report,new,,,,,,,Synthetic",               # 12
        "E-13,2020-01-01T10:00:00,phone,report,new,,,,,,,Synthetic\x00",                # 13
    ]

    _, errors = run_failing(csv_file(tmp_path, HEADER, *rows))

    assert errors == [
        "line 2: reference is required",
        "line 3: channel is required",
        "line 3: contact_type is required",
        "line 3: status is required",
        "line 4: received_at is required",
        "line 5: received_at “2020-01-01” has no time of day",
        "line 6: received_at “2020-03-29T02:30:00” does not exist in Europe/Amsterdam "
        "(daylight saving time gap)",
        "line 7: received_at “2999-01-01T10:00:00+01:00” lies in the future",
        "line 8: unknown contact type code “visit”",
        "line 8: unknown status code “open”",
        "line 8: unknown societal domain code “sport”",
        "line 8: unknown nature code “rude”",
        "line 8: unknown ground code “Race”",
        "line 8: unknown handling code “talk”",
        "line 8: unknown municipality code “gm0106” in reporter_residence",
        "line 9: expected 12 fields, found 11",
        "line 10: reference “E-3” also appears on line 3",
        "line 11: reference is longer than 100 characters",
        "line 12: unknown channel code (value not shown)",
        "line 13: description contains a NUL character",
    ]
    assert_nothing_stored()


def test_a_reference_repeated_in_the_file_is_an_error_even_when_already_stored(office, tmp_path):
    run(csv_file(tmp_path, HEADER, GOOD_ROWS[1], name="first.csv"))

    _, errors = run_failing(csv_file(tmp_path, HEADER, GOOD_ROWS[1], GOOD_ROWS[1]))

    assert errors == ["line 3: reference “OLD-2” also appears on line 2"]
    assert Complaint.objects.count() == 1


def test_messages_never_contain_the_description(office, tmp_path):
    secret = "Synthetic Person Name lives at Example Street 1"
    path = csv_file(tmp_path, HEADER,
                    f'P-1,yesterday,{secret},{secret},{secret},{secret},,{secret},,,,"{secret}"')

    message, errors = run_failing(path)

    assert errors == [
        "line 2: received_at “yesterday” is not an ISO 8601 date and time",
        "line 2: unknown channel code (value not shown)",
        "line 2: unknown contact type code (value not shown)",
        "line 2: unknown status code (value not shown)",
        "line 2: unknown ground code (value not shown)",
        "line 2: unknown municipality code (value not shown) in reporter_residence",
    ]
    assert "Example" not in message


def test_malformed_csv_is_reported_at_the_record_that_starts_it(office, tmp_path):
    path = csv_file(tmp_path, HEADER, GOOD_ROWS[1],
                    'U-1,2020-01-01T10:00:00,phone,report,new,,,,,,,"never closed',
                    "U-2,2020-01-01T10:00:00,phone,report,new,,,,,,,Synthetic")

    _, errors = run_failing(path)

    assert errors == ["line 3: the CSV is malformed here (unexpected end of data); the rest of "
                      "the file was not checked"]
    assert_nothing_stored()


# --- round trip --------------------------------------------------------------------------------


DESCRIPTION = ('Synthetic: he said, "go away", twice.\r\nSecond line\nThird line 😀 '
               "مرحبا بالعالم and שלום עולם, mixed ‏RTL‎ marks.")


def test_description_round_trips_exactly(office, tmp_path):
    quoted = '"' + DESCRIPTION.replace('"', '""') + '"'
    path = csv_file(tmp_path, HEADER,
                    f"RT-1,2020-05-05T10:00:00,online,report,new,,,,,,,{quoted}",
                    "RT-2,2020-05-05T11:00:00,online,report,new,,,,,,,Synthetic after",
                    eol="\r\n")

    run(path)

    assert Complaint.objects.get(external_reference="RT-1").description == DESCRIPTION
    assert Complaint.objects.get(external_reference="RT-2").description == "Synthetic after"


def test_description_round_trips_through_the_service(office):
    quoted = '"' + DESCRIPTION.replace('"', '""') + '"'
    text = f"{HEADER}\nRT-1,2020-05-05T10:00:00,online,report,new,,,,,,,{quoted}\n"

    import_complaints(office=office, stream=io.StringIO(text, newline=""))

    stored = Complaint.objects.get()
    stored.refresh_from_db()
    assert stored.description == DESCRIPTION
    assert stored.description.encode("utf-8") == DESCRIPTION.encode("utf-8")


# --- header and encoding -----------------------------------------------------------------------


def test_wrong_header_is_an_error(office, tmp_path):
    header = HEADER.replace("grounds", "ground").replace(",description", ",channel")

    message, errors = run_failing(csv_file(tmp_path, header, GOOD_ROWS[1]))

    assert errors == [
        "line 1: unexpected column “ground”",
        "line 1: duplicate column “channel”",
        "line 1: missing column “grounds”",
        "line 1: missing column “description”",
    ]
    assert message == "Nothing was imported: 4 error(s)."
    assert_nothing_stored()


def test_missing_header_is_an_error(office, tmp_path):
    _, errors = run_failing(csv_file(tmp_path, GOOD_ROWS[1]))

    assert errors == [f"line 1: the first line is not the header; expected {HEADER}"]
    assert_nothing_stored()


def test_empty_file_is_an_error(office, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    _, errors = run_failing(path)

    assert errors == ["line 1: the file is empty; expected a header line"]


def test_header_only_imports_nothing(office, tmp_path):
    out, _ = run(csv_file(tmp_path, HEADER))

    assert out == "Imported 0, skipped 0 (already present).\n"


def test_non_utf8_bytes_are_an_error_and_nothing_is_stored(office, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("\n".join([
        HEADER,
        GOOD_ROWS[1],
        "L-1,2020-01-01T10:00:00,phone,report,new,,,,,,,Synthetic caf\xe9",
        GOOD_ROWS[0],
    ]).encode("latin-1") + b"\n")

    message, errors = run_failing(path)

    assert errors == ["line 3: description is not valid UTF-8 text"]
    assert message == "Nothing was imported: 1 error(s)."
    assert_nothing_stored()


def test_non_utf8_from_a_strictly_decoded_stream_is_an_error(office, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nL-1,2020-01-01T10:00:00,phone,report,new,,,,,,,"
                     "Synthetic caf\xe9\n".encode("latin-1"))

    with open(path, encoding="utf-8", newline="") as stream, pytest.raises(ImportFailed) as failure:
        import_complaints(office=office, stream=stream)

    assert failure.value.errors == [
        RowError(1, "the file is not valid UTF-8 text at or after this line")]
    assert_nothing_stored()


def test_missing_file_is_a_command_error(office, tmp_path):
    with pytest.raises(CommandError, match=r"^Cannot read .*absent\.csv: No such file"):
        call_command("import_complaints", str(tmp_path / "absent.csv"))


def test_a_failure_while_writing_rolls_back_the_rows_already_written(office, tmp_path,
                                                                   monkeypatch):
    from django.core.exceptions import ValidationError

    from reports.services import importing

    real = importing.register_complaint

    def refuse_second(**fields):
        if fields["external_reference"] == "OLD-2":
            raise ValidationError({"description": "synthetic refusal"})
        return real(**fields)

    monkeypatch.setattr(importing, "register_complaint", refuse_second)

    _, errors = run_failing(csv_file(tmp_path, HEADER, *GOOD_ROWS))

    assert errors == ["line 3: the record was rejected on validation (fields: description)"]
    assert_nothing_stored()  # OLD-1 had been written and got a case number; both rolled back


# --- issue 10 §6: empty descriptions, impossible dates, the repeated hour ------------------------


def test_an_empty_description_is_imported_and_counted_like_any_other(office, tmp_path):
    from reports.selectors.statistics import count_annual_forms

    out, _ = run(csv_file(tmp_path, HEADER,
                          "N-1,2020-05-01T10:00:00,phone,complaint,closed,GM0106,GM0106,race,"
                          "housing,threat,registration,",
                          'N-2,2020-05-02T10:00:00,phone,report,new,GM0106,GM0114,,,,,"  "'))

    assert out == "Imported 2, skipped 0 (already present).\n"
    assert dict(Complaint.objects.values_list("external_reference", "description")) == {
        "N-1": "", "N-2": "  "}
    assen = count_annual_forms(office=office, year=2020)["GM0106"]
    assert assen["total"]["total"] == {"resident_here": 1, "resident_elsewhere": 1,
                                       "resident_total": 2, "non_resident_here": 0, "total": 2}
    assert assen["ground"]["race"]["resident_here"] == 1
    assert assen["ground"]["unknown"]["resident_elsewhere"] == 1
    assert assen["societal_domain"]["housing"]["resident_here"] == 1


def test_times_no_statistics_year_counts_are_line_numbered_errors(office, tmp_path):
    _, errors = run_failing(csv_file(
        tmp_path, HEADER,
        "Y-1,0001-01-01T00:00:00,phone,report,new,,,,,,,Synthetic",         # line 2: year 1
        "Y-2,1999-12-31T23:59:59,phone,report,new,,,,,,,Synthetic",         # line 3
        "Y-3,2000-01-01T00:30:00+05:00,phone,report,new,,,,,,,Synthetic",   # line 4: 1999 here
        "Y-4,0001-01-01T00:00:00+00:00,phone,report,new,,,,,,,Synthetic",   # line 5
        "Y-5,2000-01-01T00:00:00,phone,report,new,,,,,,,Synthetic",         # line 6: fine
    ))

    assert errors == [
        "line 2: received_at “0001-01-01T00:00:00” is before 1 January 2000; no statistics "
        "year counts it",
        "line 3: received_at “1999-12-31T23:59:59” is before 1 January 2000; no statistics "
        "year counts it",
        "line 4: received_at “2000-01-01T00:30:00+05:00” is before 1 January 2000; no "
        "statistics year counts it",
        "line 5: received_at “0001-01-01T00:00:00+00:00” is before 1 January 2000; no "
        "statistics year counts it",
    ]
    assert_nothing_stored()


def test_the_repeated_autumn_hour_is_its_first_occurrence_as_in_the_staff_form(office,
                                                                              tmp_path):
    run(csv_file(tmp_path, HEADER,
                 "F-1,2025-10-26T02:30:00,phone,report,new,,,,,,,Synthetic",
                 "F-2,2025-10-26T02:30:00+01:00,phone,report,new,,,,,,,Synthetic"))

    assert dict(Complaint.objects.values_list("external_reference", "received_at")) == {
        "F-1": datetime.datetime(2025, 10, 26, 0, 30, tzinfo=UTC),   # first: CEST, UTC+2
        "F-2": datetime.datetime(2025, 10, 26, 1, 30, tzinfo=UTC),   # the offset decides
    }
