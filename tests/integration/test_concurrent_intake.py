"""Many reports at once against a real server process: each accepted one stored exactly once.

gunicorn (3 processes x 4 threads) serves the project on a free loopback port with the test
database; a bounded thread pool sends 200 POSTs to ``/melden/``, some with a repeated
submission token (double clicks and retries, sent at the same moment).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from reports.models import Complaint, OutboundEmail
from reports.services.reference import current_office

pytestmark = pytest.mark.integration

UNIQUE, REPEATED, COPIES = 125, 25, 3  # 125 + 25 * 3 = 200 requests, 150 distinct tokens
PARALLEL = 24
TIME_LIMIT = 120.0
OFFICE_ADDRESS = "intake@office.example"


def test_two_hundred_parallel_reports_are_each_stored_once(committed_reference_data,
                                                          gunicorn_server) -> None:
    server = gunicorn_server(workers=3, threads=4,
                             settings={"OFFICE_NOTIFY_EMAILS": [OFFICE_ADDRESS]})
    cookies, csrf_token = server.csrf()
    tokens = [str(uuid.uuid4()) for _ in range(UNIQUE + REPEATED)]
    sends = tokens[:UNIQUE] + [t for t in tokens[UNIQUE:] for _ in range(COPIES)]
    # Interleave so that the copies of one token are in flight together.
    sends = sends[::2] + sends[1::2]
    assert len(sends) == 200

    def submit(index_token: tuple[int, str]) -> tuple[str, int, str]:
        index, token = index_token
        status, location, _ = server.request("POST", "/melden/", cookies=cookies, timeout=60, data={
            "description": f"Gelijktijdige melding {token}", "submission_token": token,
            "csrfmiddlewaretoken": csrf_token})
        return token, status, location

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(submit, enumerate(sends), timeout=TIME_LIMIT))
    elapsed = time.monotonic() - started
    assert elapsed < TIME_LIMIT

    statuses = Counter((status, location) for _, status, location in results)
    assert statuses == Counter({(302, "/melden/bedankt/"): 200}), server.log()
    accepted = {token for token, status, _ in results if status == 302}
    assert len(accepted) == UNIQUE + REPEATED

    complaints = Complaint.objects.filter(office=current_office())
    assert complaints.count() == len(accepted)
    assert set(complaints.values_list("submission_token", flat=True)) == {
        uuid.UUID(t) for t in accepted}
    for complaint in complaints:
        assert complaint.description == f"Gelijktijdige melding {complaint.submission_token}"
    # Case numbers: unique and without gaps, 0001..0150 for this year.
    year = complaints.first().case_number.split("-")[1]
    assert sorted(complaints.values_list("case_number", flat=True)) == [
        f"MDD-{year}-{n:04d}" for n in range(1, UNIQUE + REPEATED + 1)]
    # One office notice per complaint, none for a repeated token.
    # Recipients are encrypted (no SQL filter): compared in Python.
    notices = [e for e in OutboundEmail.objects.all() if e.recipient == OFFICE_ADDRESS]
    assert len(notices) == UNIQUE + REPEATED
    assert "Traceback" not in server.log()
