"""Property-based tests (Hypothesis): the public form never fails with a server error, and the
annual form keeps its invariants for any small set of complaints."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import Complaint, Municipality
from reports.selectors.statistics import COLUMNS, count_annual_forms, counted_complaints
from reports.services.complaints import register_complaint
from reports.vocabulary import Channel, ContactType, Ground, Handling, Status

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])

# No lone surrogates: they cannot be encoded as UTF-8, so no browser can send them.
unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
long_text = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=5,
                                                  alphabet=st.characters(codec="utf-8")),
                      st.integers(min_value=1, max_value=5000))
field_value = st.one_of(unicode_text, long_text, st.sampled_from(
    ["", "GM0106", "GM9999", "2020-02-30", "9999-12-31", "on", "0592 123456", "a@b", "\x00"]))
FIELDS = ["description", "incident_date", "incident_municipality", "reporter_name",
          "reporter_email", "reporter_phone", "reporter_residence", "consent_to_contact",
          "submission_token", "csrfmiddlewaretoken"]
form_data = st.dictionaries(st.one_of(st.sampled_from(FIELDS), unicode_text),
                            st.one_of(field_value, st.lists(field_value, max_size=3)),
                            max_size=12)


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(data=form_data)
def test_intake_form_never_fails_on_arbitrary_input(reference_data, data) -> None:
    response = Client().post("/melden/", data)
    assert response.status_code in (302, 400)


CONTENT_TYPES = ["multipart/form-data; boundary=XyZ", "multipart/form-data",
                 "multipart/form-data; boundary=", "application/x-www-form-urlencoded",
                 "application/x-www-form-urlencoded; charset=latin-1", "text/plain",
                 "multipart/form-data; boundary=XyZ; charset=utf-16"]
multipart_body = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda name, value, tail: (
        b"--XyZ\r\nContent-Disposition: form-data; name=\"" + name + b"\"\r\n\r\n" + value
        + b"\r\n--XyZ" + tail), st.binary(max_size=40), st.binary(max_size=500),
        st.sampled_from([b"--\r\n", b"", b"\r\n", b"--"])),
)


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(body=multipart_body, content_type=st.sampled_from(CONTENT_TYPES))
def test_intake_form_never_fails_on_odd_request_bodies(reference_data, body,
                                                       content_type) -> None:
    response = Client().generic("POST", "/melden/", body, content_type=content_type)
    assert response.status_code in (302, 400)


SERVED_SAMPLE = ["GM0106", "GM0114", "GM1680", "GM1731"]
municipality = st.one_of(st.none(), st.sampled_from([*SERVED_SAMPLE, "GM0014", "GM0363"]))
received = st.one_of(
    st.datetimes(min_value=datetime.datetime(2020, 1, 1), max_value=datetime.datetime(2020, 12, 31,
                                                                                      23, 59)),
    st.sampled_from([datetime.datetime(2019, 12, 31, 23, 59), datetime.datetime(2021, 1, 1)]),
).map(lambda moment: moment.replace(tzinfo=AMSTERDAM))
complaint_spec = st.fixed_dictionaries({
    "received_at": received,
    "reporter_residence": municipality,
    "incident_municipality": municipality,
    "contact_type": st.sampled_from(ContactType.values),
    "status": st.sampled_from([Status.NEW, Status.IN_PROGRESS, Status.REJECTED]),
    "grounds": st.lists(st.sampled_from(Ground.values), max_size=3, unique=True),
    "handling": st.lists(st.sampled_from(Handling.values), max_size=2, unique=True),
})


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(specs=st.lists(complaint_spec, max_size=8))
def test_annual_form_invariants(office, specs) -> None:
    municipalities = {m.code: m for m in Municipality.objects.filter(
        code__in=[*SERVED_SAMPLE, "GM0014", "GM0363"])}
    served = set(office.municipalities.values_list("code", flat=True))
    with transaction.atomic():
        for spec in specs:
            register_complaint(
                office=office, description="Synthetisch", channel=Channel.PHONE,
                **{**spec,
                   "reporter_residence": municipalities.get(spec["reporter_residence"]),
                   "incident_municipality": municipalities.get(spec["incident_municipality"])})
        forms = count_annual_forms(office=office, year=2020)
        counted = list(counted_complaints(office=office, year=2020).values_list(
            "reporter_residence", "incident_municipality"))
        transaction.set_rollback(True)
    assert Complaint.objects.count() == 0

    assert set(forms) == served
    for code, form in forms.items():
        # Table 1: every counted complaint that involves the municipality, once.
        involving = sum(1 for residence, incident in counted if code in (residence, incident))
        assert form["total"]["total"]["total"] == involving
        for rows in form.values():
            for counts in rows.values():
                assert counts["resident_total"] == (counts["resident_here"]
                                                    + counts["resident_elsewhere"])
                assert counts["total"] == counts["resident_total"] + counts["non_resident_here"]
                assert min(counts.values()) >= 0
            if len(rows) > 1:
                assert rows["total"] == {column: sum(c[column] for row, c in rows.items()
                                                     if row != "total") for column in COLUMNS}
    # A complaint is on at most two forms: where the reporter lives and where it happened.
    on_forms = sum(form["total"]["total"]["total"] for form in forms.values())
    assert on_forms == sum(len({residence, incident} & served) for residence, incident in counted)
    assert on_forms <= 2 * len(counted)
