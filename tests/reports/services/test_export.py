"""The case-list export: neutralising formulas, rows, CSV and XLSX writing, logging."""

from __future__ import annotations

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.utils import translation

from reports.models import AccessLog, Complaint
from reports.selectors import cases
from reports.services import export
from reports.services.complaints import assign_complaint
from reports.services.teams import create_team
from reports.vocabulary import Outcome
from tests.factories import ComplaintFactory, UserFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# --- neutralise ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"),
    ("+31 6 12345678", "'+31 6 12345678"),
    ("-5", "'-5"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("a=1", "a=1"),
    ("MDD-2020-0001", "MDD-2020-0001"),
    ("", ""),
    (" =1", " =1"),
    (None, ""),
])
def test_neutralise_text(value, expected):
    assert export.neutralise(value) == expected


@pytest.mark.parametrize("number", [0, 42, -5, 10**12])
def test_neutralise_keeps_integers(number):
    result = export.neutralise(number)

    assert result == number
    assert type(result) is int


def test_neutralise_turns_booleans_into_text():
    assert export.neutralise(True) == "True"


# --- writers -------------------------------------------------------------------------------------


ROWS = [
    ["text", "number", "formula"],
    ["=HYPERLINK(\"http://x\")", 42, "+1"],
    ["-1", -7, "@a"],
    ["\tx", 0, "\ry"],
    ["Zoë, \"quoted\"", 3, ""],
]


def test_write_csv_exact_bytes():
    content = export.write_csv(rows=ROWS)

    assert content.decode("utf-8") == (
        "\ufefftext;number;formula\r\n"
        "\"'=HYPERLINK(\"\"http://x\"\")\";42;'+1\r\n"
        "'-1;-7;'@a\r\n"
        "'\tx;0;\"'\ry\"\r\n"
        "\"Zoë, \"\"quoted\"\"\";3;\r\n"
    )


def test_write_csv_parses_back():
    text = export.write_csv(rows=ROWS).decode("utf-8-sig")

    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=";")) == [
        ["text", "number", "formula"],
        ["'=HYPERLINK(\"http://x\")", "42", "'+1"],
        ["'-1", "-7", "'@a"],
        ["'\tx", "0", "'\ry"],
        ["Zoë, \"quoted\"", "3", ""],
    ]


def test_write_xlsx_cells_and_types():
    workbook = openpyxl.load_workbook(io.BytesIO(export.write_xlsx(rows=ROWS, title="Cases")))

    assert workbook.sheetnames == ["Cases"]
    sheet = workbook["Cases"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["text", "number", "formula"],
        ["'=HYPERLINK(\"http://x\")", 42, "'+1"],
        ["'-1", -7, "'@a"],
        ["'\tx", 0, "'\ny"],  # XML reads a stored CR back as LF; the apostrophe stays first
        ["Zoë, \"quoted\"", 3, None],
    ]
    assert [[cell.data_type for cell in row] for row in sheet.iter_rows(min_row=2, max_row=4)] == [
        ["s", "n", "s"], ["s", "n", "s"], ["s", "n", "s"]]


def test_write_xlsx_drops_control_characters():
    workbook = openpyxl.load_workbook(io.BytesIO(export.write_xlsx(rows=[["a\x00b\x07c"]])))

    assert [list(row) for row in workbook.active.iter_rows(values_only=True)] == [["abc"]]


# --- rows ----------------------------------------------------------------------------------------


HEADER = [
    "Case number", "Received at", "Status", "Channel", "Contact type",
    "Incident municipality code", "Incident municipality", "Residence municipality code",
    "Residence municipality", "Grounds", "Societal domain", "Nature", "Handling", "Caseworker",
    "Team", "Overdue", "External reference", "Anonymity", "Outcome", "Closed on",
]
CONTACT_HEADER = ["Reporter name", "Reporter e-mail address", "Reporter phone number"]


def test_header_in_english():
    with translation.override("en"):
        assert export.header(include_contact=False) == HEADER
        assert export.header(include_contact=True) == HEADER + CONTACT_HEADER


@pytest.fixture
def full_case(office, coordinator, caseworker):
    complaint = ComplaintFactory(
        received_at=datetime.datetime(2020, 6, 30, 23, 30, tzinfo=AMSTERDAM),
        channel="phone", contact_type="complaint", status="in_progress",
        incident_municipality="GM0106", reporter_residence="GM0114",
        grounds=["religion", "race"], societal_domain="housing", nature="threat",
        handling=["referral", "registration"], external_reference="=2+2",
        reporter_name="@Anna", reporter_email="anna@example.nl", reporter_phone="+31 6 1234",
    )
    assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)
    team = create_team(name="Noord")
    Complaint.objects.filter(pk=complaint.pk).update(team=team)
    return complaint


def _prepared(complaint: Complaint) -> Complaint:
    return cases.for_export(queryset=cases.case_list(
        queryset=Complaint.objects.filter(pk=complaint.pk))).get()


@pytest.mark.django_db
def test_case_row_with_and_without_contact(full_case):
    complaint = _prepared(full_case)
    expected = [
        full_case.case_number, datetime.datetime(2020, 6, 30, 23, 30), "In progress", "Phone",
        "Complaint", "GM0106", "Assen", "GM0114", "Emmen", "Race (origin/skin colour); Religion",
        "Housing", "Threat", "Registration; Referral", "caseworker1", "Noord", "yes", "=2+2",
        "Named", "", None,
    ]

    with translation.override("en"):
        assert export.case_row(complaint=complaint, include_contact=False) == expected
        assert export.case_row(complaint=complaint, include_contact=True) == expected + [
            "@Anna", "anna@example.nl", "+31 6 1234"]
    with translation.override("nl"):
        labels = export.ExportLabels.build()
        assert export.case_row(complaint=complaint, include_contact=False,
                               labels=labels)[2:17] == [
            "In behandeling", "Telefoon", "Klacht", "GM0106", "Assen", "GM0114", "Emmen",
            "Ras (herkomst/huidskleur); Godsdienst", "Huisvesting", "Bedreiging",
            "Registratie; Doorverwijzing", "caseworker1", "Noord", "ja", "=2+2"]


@pytest.mark.django_db
def test_case_row_of_a_bare_case(office):
    complaint = ComplaintFactory(
        received_at=datetime.datetime(2020, 1, 1, 0, 15, tzinfo=AMSTERDAM), status="closed")

    with translation.override("en"):
        row = export.case_row(complaint=_prepared(complaint), include_contact=True)
    assert row == [
        complaint.case_number, datetime.datetime(2020, 1, 1, 0, 15), "Closed", "Online form",
        "Report", "", "", "", "", "", "", "", "", "", "", "no", "", "Named", "",
        datetime.date(2020, 1, 1), "", "", "",
    ]


# --- export_cases --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_cases_csv_logs_the_export(full_case, coordinator):
    queryset = cases.for_export(queryset=cases.case_list(queryset=Complaint.objects.all()))

    with translation.override("en"):
        exported = export.export_cases(user=coordinator, queryset=queryset, fmt="csv",
                                       filter_names=["status", "q"])

    assert (exported.content_type, exported.filename, exported.rows) == (
        "text/csv; charset=utf-8", "cases.csv", 1)
    data = b"".join(exported.chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [
        HEADER + CONTACT_HEADER,
        [full_case.case_number, "2020-06-30 23:30:00", "In progress", "Phone",
         "Complaint", "GM0106", "Assen", "GM0114", "Emmen",
         "Race (origin/skin colour); Religion", "Housing", "Threat", "Registration; Referral",
         "caseworker1", "Noord", "yes", "'=2+2", "Named", "", "",
         "'@Anna", "anna@example.nl", "'+31 6 1234"],
    ]
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.complaint, entry.case_number, entry.detail) == (
        coordinator, "export", None, "", {"format": "csv", "rows": 1,
                                          "filters": ["status", "q"]})


@pytest.mark.django_db
def test_export_cases_xlsx_without_contact_permission(full_case, reference_data):
    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(
        content_type__app_label="reports", codename="export_complaints"))
    queryset = cases.for_export(queryset=cases.case_list(queryset=Complaint.objects.all()))

    with translation.override("en"):
        exported = export.export_cases(user=reader, queryset=queryset, fmt="xlsx",
                                       filter_names=[])

    assert (exported.content_type, exported.filename, exported.rows) == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "cases.xlsx", 1)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(exported.chunks)))["Cases"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        HEADER,
        [full_case.case_number, datetime.datetime(2020, 6, 30, 23, 30), "In progress", "Phone",
         "Complaint", "GM0106", "Assen", "GM0114", "Emmen",
         "Race (origin/skin colour); Religion", "Housing", "Threat", "Registration; Referral",
         "caseworker1", "Noord", "yes", "'=2+2", "Named", None, None],
    ]
    assert AccessLog.objects.get().detail == {"format": "xlsx", "rows": 1, "filters": []}


@pytest.mark.django_db
def test_export_cases_refuses_an_unknown_format(coordinator):
    with pytest.raises(ValueError, match="Unsupported export format: 'pdf'"):
        export.export_cases(user=coordinator, queryset=Complaint.objects.none(), fmt="pdf",
                            filter_names=[])
    assert AccessLog.objects.count() == 0


@pytest.mark.django_db
def test_outcome_and_closing_date_in_amsterdam(office):
    complaint = ComplaintFactory(
        received_at=datetime.datetime(2020, 12, 31, 23, 30, tzinfo=AMSTERDAM), status="closed")
    Complaint.objects.filter(pk=complaint.pk).update(outcome=Outcome.REFERRED)
    with translation.override("en"):
        row = export.case_row(complaint=_prepared(complaint), include_contact=False)
    # Closed at 23:30 on 31 December in Amsterdam (22:30 UTC): the Amsterdam date.
    assert row[18:20] == ["Referred elsewhere", datetime.date(2020, 12, 31)]


def test_csv_chunks_stream_large_exports_in_pieces():
    rows = [["header"], *([f"row {n}", n] for n in range(20_000))]
    chunks = list(export.csv_chunks(rows=iter(rows)))
    assert len(chunks) > 2
    assert all(len(chunk) <= export.CSV_CHUNK_CHARS * 2 for chunk in chunks)
    assert b"".join(chunks) == export.write_csv(rows=rows)


def test_write_xlsx_dates_and_times_read_back_exactly():
    """Date-times to the second and dates come back as they went in (Excel's serial numbers
    with the date styles), and the sheet's title is escaped."""
    moment = datetime.datetime(2020, 6, 30, 23, 59, 59)
    early = datetime.datetime(1999, 12, 31, 0, 0, 1)
    rows = [["when", "day"], [moment, datetime.date(2020, 2, 29)], [early, None]]
    workbook = openpyxl.load_workbook(io.BytesIO(export.write_xlsx(rows=rows, title="A & <B>")))

    sheet = workbook["A & <B>"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["when", "day"], [moment, datetime.datetime(2020, 2, 29)],
        [early, None]]
    assert [sheet["A2"].number_format, sheet["B2"].number_format] == [
        export.XLSX_DATETIME_FORMAT, export.XLSX_DATE_FORMAT]


# --- case_rows: one query on PostgreSQL, the portable path, the same rows -----------------------


@pytest.fixture
def many_cases(office, coordinator, caseworker):
    """Five cases over a change of daylight-saving time, with and without grounds, handling,
    assignee and closing time."""
    made = []
    for n, (grounds, handling) in enumerate([
            (["religion", "race"], ["referral", "registration"]), ([], []), (["age"], []),
            (["race", "religion"], ["registration"]), (["disability"], ["mediation"])]):
        made.append(ComplaintFactory(
            received_at=datetime.datetime(2020, 10, 24, 23, 30, 15, 999_999,
                                          tzinfo=datetime.UTC)
            + datetime.timedelta(hours=n * 13),
            grounds=grounds, handling=handling, status="closed" if n % 2 else "new",
            external_reference=f"-{n}", reporter_name=f"=Naam {n}"))
    assign_complaint(complaint=made[0], actor=coordinator, assignee=caseworker)
    Complaint.objects.filter(pk=made[1].pk).update(
        closed_at=datetime.datetime(2020, 10, 25, 23, 30, tzinfo=datetime.UTC))
    return made


def _export_rows(monkeypatch, *, include_contact: bool) -> list[list[object]]:
    monkeypatch.setattr(export, "CHUNK_SIZE", 2)
    queryset = cases.for_export(queryset=cases.sort_cases(
        queryset=cases.case_list(queryset=Complaint.objects.all()), sort="received_at"))
    with translation.override("nl"):
        return list(export.case_rows(queryset=queryset, include_contact=include_contact,
                                     labels=export.ExportLabels.build()))


@pytest.mark.django_db
@pytest.mark.parametrize("include_contact", [False, True])
def test_case_rows_are_the_rows_of_case_row(monkeypatch, many_cases, include_contact):
    """The streamed rows (PostgreSQL: times and codes from the database) and the portable
    path (Python conversions, codes per chunk) both equal ``case_row`` of each case, in order."""
    with translation.override("nl"):
        expected = [export.case_row(complaint=cases.for_export(queryset=cases.case_list(
            queryset=Complaint.objects.filter(pk=complaint.pk))).get(),
            include_contact=include_contact) for complaint in many_cases]
    assert expected[0][1] == datetime.datetime(2020, 10, 25, 1, 30, 15)  # CEST, truncated
    assert expected[1][1:3] == [datetime.datetime(2020, 10, 25, 13, 30, 15), "Afgesloten"]
    assert expected[1][19] == datetime.date(2020, 10, 26)  # 23:30 UTC is 00:30 in Amsterdam

    assert _export_rows(monkeypatch, include_contact=include_contact) == expected
    monkeypatch.setattr(cases, "_in_database", lambda alias: False)
    assert _export_rows(monkeypatch, include_contact=include_contact) == expected


@pytest.mark.django_db
def test_case_rows_queries_per_chunk(monkeypatch, many_cases, django_assert_num_queries):
    """PostgreSQL: one query (a server-side cursor, no transaction of its own), fetched two cases
    at a time, whatever the number of chunks. The portable path: one query for the cases plus
    two per chunk (grounds, handling): 5 cases in 3 chunks."""
    with django_assert_num_queries(1):  # DECLARE
        assert len(_export_rows(monkeypatch, include_contact=True)) == 5
    Complaint.objects.filter(pk__in=[c.pk for c in many_cases[2:]]).delete()
    with django_assert_num_queries(1):
        assert len(_export_rows(monkeypatch, include_contact=True)) == 2

    monkeypatch.setattr(cases, "_in_database", lambda alias: False)
    with django_assert_num_queries(1 + 2 * 1):
        assert len(_export_rows(monkeypatch, include_contact=True)) == 2
    for n in range(3):
        ComplaintFactory(grounds=["age"], handling=["registration"], external_reference=f"{n}")
    with django_assert_num_queries(1 + 2 * 3):
        assert len(_export_rows(monkeypatch, include_contact=True)) == 5


@pytest.mark.django_db(transaction=True)
def test_no_transaction_stays_open_while_the_client_reads_the_export(monkeypatch, many_cases):
    """The client reads a streamed export at its own pace (TCP back-pressure: a slow or
    stalled download suspends the generator between chunks). Between chunks the connection
    must be idle, not idle in a transaction: an open transaction keeps its ACCESS SHARE locks on
    the complaint tables, so a migration's ACCESS EXCLUSIVE lock, and every query queued behind
    it (the public intake included), waits for the download, and it holds back VACUUM. Before
    c2d93ab the rows came from ``QuerySet.iterator()`` outside a transaction (a ``WITH HOLD``
    cursor); c2d93ab read inside ``transaction.atomic`` for ``SET LOCAL jit`` (JIT is now off per
    connection instead)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the single-query path is PostgreSQL's")
    monkeypatch.setattr(export, "CHUNK_SIZE", 2)
    queryset = cases.for_export(queryset=cases.sort_cases(
        queryset=cases.case_list(queryset=Complaint.objects.all()), sort="received_at"))
    rows = export.case_rows(queryset=queryset, include_contact=False,
                            labels=export.ExportLabels.build())
    try:
        assert next(rows)[0] == many_cases[0].case_number
        assert not connection.in_atomic_block
        assert connection.connection.info.transaction_status.name == "IDLE"
    finally:
        rows.close()
