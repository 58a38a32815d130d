"""The follow-up portal's writes: the code check under guessing protection, the reporter's
messages and files."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reports import throttling
from reports.models import Attachment, Complaint, ComplaintHistory, Message, Throttle
from reports.services import receipts
from reports.services.complaints import submit_online_complaint
from reports.services.followup import (
    MESSAGE_MAX_LENGTH,
    CodeCheck,
    add_reporter_files,
    add_reporter_message,
    check_receipt_code,
    ip_limit,
    prefix_limit,
)
from reports.uploads import PDF, CleanUpload
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.django_db

IP = "192.0.2.10"
PDF_BYTES = samples.PDF


@pytest.fixture
def submitted(office):
    """A complaint from the public form and its receipt code."""
    submission = submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                         description="Geheime beschrijving 4411.",
                                         language="nl")
    return submission.complaint, submission.receipt_code


def wrong_code_like(code: str) -> str:
    """A well-formed code with the same prefix as ``code`` but another last character."""
    raw = receipts.normalise_code(code)
    last = "0" if raw[-1] != "0" else "1"
    return receipts.format_code(raw[:-1] + last)


def test_limits_come_from_the_settings(settings):
    settings.FOLLOWUP_IP_FREE_FAILURES = 7
    settings.FOLLOWUP_IP_WINDOW_SECONDS = 120
    settings.FOLLOWUP_PREFIX_FREE_FAILURES = 9
    settings.FOLLOWUP_PREFIX_WINDOW_SECONDS = 600
    settings.FOLLOWUP_BASE_DELAY_SECONDS = 3
    settings.FOLLOWUP_MAX_DELAY_SECONDS = 30

    assert ip_limit() == throttling.Limit(
        scope="followup_ip", free=7, window=datetime.timedelta(seconds=120),
        base_delay=datetime.timedelta(seconds=3), max_delay=datetime.timedelta(seconds=30))
    assert prefix_limit() == throttling.Limit(
        scope="followup_prefix", free=9, window=datetime.timedelta(seconds=600),
        base_delay=datetime.timedelta(seconds=3), max_delay=datetime.timedelta(seconds=30))


def test_default_limits():
    assert ip_limit() == throttling.Limit(
        scope="followup_ip", free=5, window=datetime.timedelta(hours=1),
        base_delay=datetime.timedelta(seconds=2), max_delay=datetime.timedelta(hours=1))
    assert prefix_limit() == throttling.Limit(
        scope="followup_prefix", free=5, window=datetime.timedelta(days=1),
        base_delay=datetime.timedelta(seconds=2), max_delay=datetime.timedelta(hours=1))


@pytest.mark.parametrize("typed", ["exact", "lower", "spaces", "no_dashes"])
def test_a_correct_code_in_any_form_opens_the_case(submitted, typed):
    complaint, code = submitted
    variants = {"exact": code, "lower": code.lower(), "spaces": code.replace("-", " "),
                "no_dashes": code.replace("-", "")}

    check = check_receipt_code(code=variants[typed], ip=IP)

    assert check == CodeCheck(complaint=complaint, wait_seconds=0, checked=True)
    assert Throttle.objects.count() == 0


@pytest.mark.parametrize("code", ["", "abc", "7KQ2-M9XD", "!!!!-????-!!!!-????-!!!!",
                                  "0000-0000-0000-0000-0000"])
def test_malformed_and_unknown_codes_fail_alike(submitted, code):
    check = check_receipt_code(code=code, ip=IP)

    assert check == CodeCheck(complaint=None, wait_seconds=0, checked=True)


def test_a_malformed_code_counts_for_the_ip_only(submitted):
    check_receipt_code(code="abc", ip=IP)

    assert list(Throttle.objects.values_list("scope", "count")) == [("followup_ip", 1)]


def test_a_wrong_well_formed_code_counts_for_ip_and_prefix(submitted):
    complaint, code = submitted
    check_receipt_code(code=wrong_code_like(code), ip=IP)

    assert sorted(Throttle.objects.values_list("scope", "count")) == [
        ("followup_ip", 1), ("followup_prefix", 1)]


def test_the_sixth_failure_blocks_the_ip_with_growing_delays(submitted):
    complaint, code = submitted
    waits = [check_receipt_code(code=f"wrong{n}", ip=IP).wait_seconds for n in range(6)]

    assert waits == [0, 0, 0, 0, 0, 2]
    assert throttling.seconds_blocked(limit=ip_limit(), key=IP) == 2


def test_while_blocked_a_correct_code_is_not_even_checked(submitted, settings, monkeypatch):
    settings.FOLLOWUP_BASE_DELAY_SECONDS = 60
    complaint, code = submitted
    for n in range(6):
        check_receipt_code(code=f"wrong{n}", ip=IP)
    looked_up = []
    monkeypatch.setattr(receipts, "find_by_receipt_code",
                        lambda **kwargs: looked_up.append(kwargs) or complaint)

    check = check_receipt_code(code=code, ip=IP)

    assert check == CodeCheck(complaint=None, wait_seconds=60, checked=False)
    assert looked_up == []
    # Nothing more was counted while blocked.
    assert Throttle.objects.get(scope="followup_ip").count == 6


def test_delays_double_up_to_the_maximum(submitted, settings, monkeypatch):
    settings.FOLLOWUP_IP_FREE_FAILURES = 1
    settings.FOLLOWUP_MAX_DELAY_SECONDS = 10
    # Let every attempt through the block, to see the delay each failure sets.
    monkeypatch.setattr(throttling, "seconds_blocked", lambda **kwargs: 0)

    waits = [check_receipt_code(code="wrong", ip=IP).wait_seconds for _n in range(6)]

    assert waits == [0, 2, 4, 8, 10, 10]


def test_a_success_clears_no_counter(submitted):
    complaint, code = submitted
    for _n in range(3):
        check_receipt_code(code=wrong_code_like(code), ip=IP)

    assert check_receipt_code(code=code, ip=IP).complaint == complaint

    assert sorted(Throttle.objects.values_list("scope", "count")) == [
        ("followup_ip", 3), ("followup_prefix", 3)]


def test_the_prefix_limit_counts_failures_from_every_ip(submitted, settings):
    settings.FOLLOWUP_BASE_DELAY_SECONDS = 60
    complaint, code = submitted
    wrong = wrong_code_like(code)
    waits = [check_receipt_code(code=wrong, ip=f"198.51.100.{n}").wait_seconds
             for n in range(6)]

    assert waits == [0, 0, 0, 0, 0, 60]
    # A fresh IP with the right code of that prefix is refused unchecked while it is blocked.
    assert check_receipt_code(code=code, ip="203.0.113.99") == CodeCheck(
        complaint=None, wait_seconds=60, checked=False)
    # Codes with another prefix are not affected.
    assert check_receipt_code(code="ZZZZ-0000-0000-0000-0000", ip="203.0.113.98") == CodeCheck(
        complaint=None, wait_seconds=0, checked=True)


def test_a_withdrawn_code_no_longer_works(submitted):
    complaint, code = submitted
    receipts.withdraw_receipt_code(complaint=complaint)

    assert check_receipt_code(code=code, ip=IP) == CodeCheck(complaint=None)


def test_a_code_of_a_case_without_personal_data_no_longer_works(submitted):
    complaint, code = submitted
    Complaint.objects.filter(pk=complaint.pk).update(personal_data_removed_at=timezone.now(),
                                                     personal_data_removal="request")

    assert check_receipt_code(code=code, ip=IP) == CodeCheck(complaint=None)
    assert Throttle.objects.get(scope="followup_ip").count == 1


def test_reporter_message_is_stored_with_a_history_row(submitted):
    complaint, _code = submitted

    message = add_reporter_message(complaint=complaint, body="  Ik heb nog een vraag.  ")

    assert list(Message.objects.values_list("pk", "complaint_id", "direction", "author_id",
                                            "body")) == [
        (message.pk, complaint.pk, "in", None, "Ik heb nog een vraag.")]
    assert list(ComplaintHistory.objects.filter(complaint=complaint).values_list(
        "action", "actor_id", "from_value", "to_value")) == [
        ("created", None, "", "new"),
        ("reporter_message", None, "", f"message:{message.pk}")]
    complaint.refresh_from_db()
    assert complaint.version == 1


@pytest.mark.parametrize(("body", "code"), [("   ", "empty"),
                                            ("x" * (MESSAGE_MAX_LENGTH + 1), "too_long")])
def test_reporter_message_must_have_text_within_the_limit(submitted, body, code):
    complaint, _code = submitted

    with pytest.raises(ValidationError) as raised:
        add_reporter_message(complaint=complaint, body=body)

    assert raised.value.code == code
    assert Message.objects.count() == 0
    assert ComplaintHistory.objects.filter(action="reporter_message").count() == 0


def test_reporter_message_of_exactly_the_limit_is_accepted(submitted):
    complaint, _code = submitted

    message = add_reporter_message(complaint=complaint, body="x" * MESSAGE_MAX_LENGTH)

    assert len(message.body) == MESSAGE_MAX_LENGTH


@pytest.mark.parametrize("closed", ["withdrawn", "erased"])
def test_no_messages_or_files_once_the_portal_closed_for_the_case(submitted, closed, settings,
                                                                  tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    complaint, _code = submitted
    if closed == "withdrawn":
        receipts.withdraw_receipt_code(complaint=complaint)
    else:
        Complaint.objects.filter(pk=complaint.pk).update(personal_data_removed_at=timezone.now())

    with pytest.raises(PermissionDenied):
        add_reporter_message(complaint=complaint, body="Hallo")
    with pytest.raises(PermissionDenied):
        add_reporter_files(complaint=complaint, files=[
            CleanUpload(name="a.pdf", content=PDF_BYTES, content_type=PDF)])

    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_reporter_files_are_stored_as_from_the_reporter(submitted, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    complaint, _code = submitted

    stored = add_reporter_files(complaint=complaint, files=[
        CleanUpload(name="verklaring.pdf", content=PDF_BYTES, content_type=PDF),
        CleanUpload(name="brief é.pdf", content=PDF_BYTES + b"\n", content_type=PDF)])

    assert [(a.complaint_id, a.original_name, a.content_type, a.size, a.uploaded_by_id)
            for a in stored] == [
        (complaint.pk, "verklaring.pdf", PDF, len(PDF_BYTES), None),
        (complaint.pk, "brief é.pdf", PDF, len(PDF_BYTES) + 1, None)]
    assert Attachment.objects.count() == 2


def test_reporter_files_respect_the_count_limit(submitted, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_FILES = 2
    complaint, _code = submitted
    upload = CleanUpload(name="a.pdf", content=PDF_BYTES, content_type=PDF)

    with pytest.raises(ValidationError) as too_many:
        add_reporter_files(complaint=complaint, files=[upload] * 3)
    with pytest.raises(ValidationError) as none:
        add_reporter_files(complaint=complaint, files=[])

    assert (too_many.value.code, none.value.code) == ("too_many", "empty")
    assert Attachment.objects.count() == 0
