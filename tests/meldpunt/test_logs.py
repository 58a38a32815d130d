"""Logs carry identifiers only: a whole intake and case handling, logged as production logs it
(JSON, with SQL at DEBUG on top), holds no description, name, e-mail address, phone number,
message or receipt code; and the records carry the request id, user id and case id."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.db import connection
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from meldpunt.logs import ContextFilter, logging_config
from reports.models import Complaint, Message
from tests.factories import PASSWORD, CaseworkerFactory
from tests.reports.views.helpers import by_testid

pytestmark = pytest.mark.django_db

DESCRIPTION = "Omschrijving-geheim-q7w2 bij de bakker werd ik uitgescholden."
NAME = "Zoë Geheimnaam-k3v9"
EMAIL = "geheim.melder-x4z8@example.org"
PHONE = "06 1357 9246"
ANSWER = "Antwoord-geheim-p5r1: we nemen contact op."
REPLY = "Reactie-geheim-m2n6 van de melder."


@pytest.fixture
def json_log():
    """Every record of every logger at DEBUG (SQL included), formatted as in production."""
    stream = io.StringIO()
    config = logging_config(log_format="json", level="DEBUG")
    formatter_config = dict(config["formatters"]["json"])
    formatter_class = formatter_config.pop("()")
    from django.utils.module_loading import import_string

    handler = logging.StreamHandler(stream)
    handler.setFormatter(import_string(formatter_class)(**formatter_config))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet = {name: logging.getLogger(name).level
             for name in ("weasyprint", "fontTools", "axes", "django.db.backends")}
    for name in quiet:
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        yield stream
    finally:
        connection.force_debug_cursor = False
        root.removeHandler(handler)
        root.setLevel(saved_level)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _version(complaint: Complaint) -> int:
    return Complaint.objects.get(pk=complaint.pk).version


def test_intake_and_case_handling_log_no_report_contents(office, json_log):
    reporter = Client()
    # 1. The report, through the public form, and its receipt code.
    response = reporter.post("/melden/", {
        "description": DESCRIPTION, "reporter_name": NAME, "reporter_email": EMAIL,
        "reporter_phone": PHONE, "consent_to_contact": "on", "incident_municipality": "GM0106",
        "reporter_residence": "GM0106", "anonymity": "named"})
    assert response.status_code == 302, response.content.decode()[:2000]
    code = by_testid(reporter.get("/melden/bedankt/").content, "receipt-code")[0]
    complaint = Complaint.objects.get()
    assert reporter.post("/melden/opvolgen/", {"code": "AAAA-" + code[5:]}).status_code == 400
    assert reporter.post("/melden/opvolgen/", {"code": code}).status_code == 302

    # 2. A caseworker logs in with password and authenticator code.
    caseworker = CaseworkerFactory(username="caseworker1")
    device = TOTPDevice.objects.create(user=caseworker, name="authenticator", confirmed=True)
    staff = Client()
    assert staff.post("/backoffice/login/", {"username": "caseworker1",
                                             "password": PASSWORD}).status_code == 302
    assert staff.post("/backoffice/tweestaps/",
                      {"token": f"{totp(device.bin_key):06d}"}).status_code == 302

    # 3. Takes, classifies, answers and closes the case.
    case_url = f"/backoffice/zaken/{complaint.public_id}/"
    assert staff.get(case_url).status_code == 200
    assert staff.post(case_url + "oppakken/", {"version": _version(complaint)}).status_code == 302
    assert staff.post(case_url + "classificeren/", {
        "version": _version(complaint), "contact_type": "report", "grounds": ["religion"],
        "societal_domain": "labour_market", "nature": "hostile_treatment",
        "handling": ["advice_information"]}).status_code == 302
    assert staff.post(case_url + "bericht/", {"direction": "out", "body": ANSWER}
                      ).status_code == 302
    assert staff.post(case_url + "status/", {"version": _version(complaint),
                                             "to_status": "closed", "outcome": "resolved",
                                             "reason": ""}).status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).status == "closed"

    # 4. The reporter reads the answer and replies.
    page = reporter.get("/melden/opvolgen/melding/")
    assert ANSWER in page.content.decode()
    reporter.post("/melden/opvolgen/bericht/", {"body": REPLY})
    assert Message.objects.filter(complaint=complaint).count() == 2

    log = json_log.getvalue()
    records = _records(json_log)
    assert len(records) > 50  # SQL at DEBUG, requests, security events, e-mails
    assert {"django.db.backends", "meldpunt.security", "meldpunt.request"} <= {
        r["logger"] for r in records}
    groups = code.split("-")
    secrets = [DESCRIPTION, "Omschrijving-geheim-q7w2", NAME, "Geheimnaam-k3v9", EMAIL,
               "geheim.melder-x4z8", PHONE, "1357 9246", ANSWER, "p5r1", REPLY, "m2n6",
               code, "".join(groups), *groups[1:]]
    for secret in secrets:
        assert secret not in log, secret
        assert json.dumps(secret)[1:-1] not in log, secret

    # The records carry the context: request id, the user, and the case on case pages.
    requests = [r for r in records if r["logger"] == "meldpunt.request"]
    assert {r["route"] for r in requests} >= {
        "intake:report", "intake:thanks", "intake:followup", "backoffice:login",
        "backoffice:second_factor", "backoffice:complaint_detail", "backoffice:classify",
        "backoffice:change_status"}
    assert all(r["request_id"] and len(r["request_id"]) == 32 for r in requests)
    assert len({r["request_id"] for r in requests}) == len(requests)
    detail = [r for r in requests if r["route"] == "backoffice:complaint_detail"]
    assert {(r["user_id"], r["case_id"], r["status"]) for r in detail} == {
        (caseworker.pk, str(complaint.public_id), 200)}
    public = [r for r in requests if r["route"] == "intake:report"]
    assert {(r["user_id"], r["case_id"]) for r in public} == {(None, None)}
    # Everything logged during a case request shares its request id, user and case.
    classify = next(r for r in requests if r["route"] == "backoffice:classify")
    during = [r for r in records if r["request_id"] == classify["request_id"]]
    assert len(during) > 3
    assert {(r["user_id"], r["case_id"]) for r in during if r["logger"] != "django.db.backends"
            } <= {(caseworker.pk, str(complaint.public_id)), (None, None)}


def test_the_request_id_is_echoed_and_a_safe_incoming_one_kept(office):
    response = Client().get("/melden/", HTTP_X_REQUEST_ID="proxy-1234-abcd")
    assert response["X-Request-ID"] == "proxy-1234-abcd"
    response = Client().get("/melden/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert len(response["X-Request-ID"]) == 32


def test_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be json or plain."):
        logging_config(log_format="xml", level="INFO")


def test_a_task_run_in_process_gets_its_own_id_and_gives_the_request_its_context_back():
    from meldpunt.logs import case_id, request_id, task_finished, task_started, user_id

    tokens = [request_id.set("request-1"), user_id.set(7), case_id.set("case-1")]
    try:
        task_started(task_id="task-1")
        assert (request_id.get(), user_id.get(), case_id.get()) == ("task-1", None, None)
        task_started(task_id="task-2")
        assert request_id.get() == "task-2"
        task_finished()
        assert request_id.get() == "task-1"
        task_finished()
        assert (request_id.get(), user_id.get(), case_id.get()) == ("request-1", 7, "case-1")
    finally:
        for var, token in zip((request_id, user_id, case_id), tokens, strict=True):
            var.reset(token)
