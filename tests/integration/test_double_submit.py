"""Double submits and the per-IP limit against a real server process on PostgreSQL.

gunicorn (2 processes x 8 threads) serves the project; requests are released together by a
barrier, so that they really are in flight at the same moment.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

import pytest

from reports.models import Attachment, Complaint, OutboundEmail, Throttle
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.integration

PARALLEL = 10
OFFICE_ADDRESS = "intake@office.example"


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     .encode() + value.encode() + b"\r\n")
    for name, filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_together(server, bodies: list[tuple[bytes, str]], cookies: dict) -> list[tuple[int, str]]:
    """POST every body to ``/melden/`` at the same moment; (status, Location) of each."""
    barrier = threading.Barrier(len(bodies))
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())

    def send(body_type: tuple[bytes, str]) -> tuple[int, str]:
        body, content_type = body_type
        conn = HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            conn.connect()
            barrier.wait(timeout=30)
            conn.request("POST", "/melden/", body=body, headers={
                "Content-Type": content_type, "Cookie": cookie})
            response = conn.getresponse()
            response.read()
            return response.status, response.getheader("Location") or ""
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies, timeout=120))


def test_ten_parallel_double_submits_create_one_complaint(committed_reference_data,
                                                         gunicorn_server, tmp_path) -> None:
    private = tmp_path / "private"
    server = gunicorn_server(workers=2, threads=8, settings={
        "OFFICE_NOTIFY_EMAILS": [OFFICE_ADDRESS], "PRIVATE_MEDIA_ROOT": str(private)})
    cookies, csrf_token = server.csrf()
    token = str(uuid.uuid4())
    body = multipart({"csrfmiddlewaretoken": csrf_token, "submission_token": token,
                      "description": "Tien keer tegelijk verstuurd."},
                     [("attachments", "brief.pdf", samples.PDF)])

    results = post_together(server, [body] * PARALLEL, cookies)

    assert Counter(results) == Counter({(302, "/melden/bedankt/"): PARALLEL}), server.log()
    complaint = Complaint.objects.get()
    assert str(complaint.submission_token) == token
    assert complaint.description == "Tien keer tegelijk verstuurd."
    assert list(Attachment.objects.values_list("complaint_id", "original_name")) == [
        (complaint.pk, "brief.pdf")]
    # The requests that lost the race stopped at the token's unique constraint, before storing
    # any file: one file on disk, the one the row refers to.
    assert [str(p.relative_to(private)) for p in private.rglob("*") if p.is_file()] == [
        Attachment.objects.get().file.name]
    # Recipients are encrypted (no SQL filter): compared in Python.
    assert [e.recipient for e in OutboundEmail.objects.all()].count(OFFICE_ADDRESS) == 1
    assert "Traceback" not in server.log()


def test_the_per_ip_limit_holds_under_parallel_posts(committed_reference_data,
                                                    gunicorn_server) -> None:
    server = gunicorn_server(workers=2, threads=8, settings={"INTAKE_POSTS_PER_HOUR": 3})
    cookies, csrf_token = server.csrf()
    bodies = []
    for n in range(PARALLEL):
        body = (f"csrfmiddlewaretoken={csrf_token}&submission_token={uuid.uuid4()}"
                f"&description=Melding+{n}").encode()
        bodies.append((body, "application/x-www-form-urlencoded"))

    results = post_together(server, bodies, cookies)

    assert Counter(results) == Counter({(302, "/melden/bedankt/"): 3, (429, ""): 7}), \
        server.log()
    assert Complaint.objects.count() == 3
    # Three allowed, the fourth counted and refused; the rest refused without counting.
    assert Throttle.objects.get().count == 4
    assert "Traceback" not in server.log()
