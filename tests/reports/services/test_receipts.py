"""Receipt codes: the keyed hash, legacy Argon2id hashes and their upgrade, key rotation."""

from __future__ import annotations

import hmac
import uuid

import argon2
import pytest
from cryptography.fernet import Fernet

from reports.models import Complaint
from reports.services import receipts
from reports.services.complaints import submit_online_complaint
from reports.services.encryption import rotate_encryption_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(office):
    submission = submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                         description="Beschrijving 8812.", language="nl")
    return submission.complaint, submission.receipt_code


def stored_hash(complaint: Complaint) -> str:
    return Complaint.objects.values_list("receipt_code_hash", flat=True).get(pk=complaint.pk)


def other_code_with_prefix(code: str) -> str:
    raw = receipts.normalise_code(code)
    return receipts.format_code(raw[:-1] + ("0" if raw[-1] != "0" else "1"))


def test_a_new_code_is_stored_as_a_keyed_hash_without_the_code(submitted):
    complaint, code = submitted
    raw = receipts.normalise_code(code)
    stored = stored_hash(complaint)
    assert stored.startswith("k1$")
    assert len(stored) == 143
    assert raw not in stored and raw[4:] not in stored
    assert complaint.receipt_code_prefix == raw[:4]


def test_lookup_finds_the_case_in_any_typed_form(submitted):
    complaint, code = submitted
    assert receipts.find_by_receipt_code(code=code) == complaint
    assert receipts.find_by_receipt_code(code=code.lower().replace("-", " ")) == complaint


@pytest.mark.parametrize("typed", ["", "abc", "0000-0000-0000-0000-0000"])
def test_a_malformed_or_unknown_code_finds_nothing(submitted, typed):
    assert receipts.find_by_receipt_code(code=typed) is None


def test_a_wrong_code_with_the_right_prefix_is_refused(submitted):
    complaint, code = submitted
    before = stored_hash(complaint)
    assert receipts.find_by_receipt_code(code=other_code_with_prefix(code)) is None
    assert stored_hash(complaint) == before


def test_the_digests_are_compared_in_constant_time(submitted, monkeypatch):
    complaint, code = submitted
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(receipts.hmac, "compare_digest", spy)
    assert receipts.find_by_receipt_code(code=code) == complaint
    assert receipts.find_by_receipt_code(code=other_code_with_prefix(code)) is None
    assert len(calls) == 2
    assert all(isinstance(a, bytes) and len(a) == len(b) == 32 for a, b in calls)


def test_a_legacy_argon2id_hash_still_works_and_is_upgraded(submitted):
    complaint, code = submitted
    raw = receipts.normalise_code(code)
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(raw)
    Complaint.objects.filter(pk=complaint.pk).update(receipt_code_hash=legacy)

    assert receipts.find_by_receipt_code(code=other_code_with_prefix(code)) is None
    assert stored_hash(complaint) == legacy  # a wrong code upgrades nothing

    assert receipts.find_by_receipt_code(code=code) == complaint
    upgraded = stored_hash(complaint)
    assert upgraded.startswith("k1$")
    assert receipts.verify_code(upgraded, raw)
    assert receipts.find_by_receipt_code(code=code) == complaint
    assert stored_hash(complaint) == upgraded  # a current hash is not rewritten


@pytest.mark.parametrize("stored", ["", "garbage", "k1$not-a-token", "$argon2id$broken"])
def test_a_malformed_stored_value_matches_nothing(stored):
    assert receipts.verify_code(stored, "ABCD" * 5) is False


def test_codes_survive_key_rotation_and_removal_of_the_old_key(submitted, settings):
    complaint, code = submitted
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert receipts.needs_rehash(stored_hash(complaint))

    result = rotate_encryption_keys()
    assert result.columns["reports_complaint.receipt_code_hash"] == 1
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert receipts.find_by_receipt_code(code=code) == complaint
    assert not receipts.needs_rehash(stored_hash(complaint))


def test_rotation_leaves_legacy_hashes_alone(submitted, settings):
    complaint, code = submitted
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        receipts.normalise_code(code))
    Complaint.objects.filter(pk=complaint.pk).update(receipt_code_hash=legacy)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(),
                                      *settings.FIELD_ENCRYPTION_KEYS]
    rotate_encryption_keys()
    assert stored_hash(complaint) == legacy
    assert receipts.find_by_receipt_code(code=code) == complaint


def test_a_hash_under_an_older_key_is_upgraded_at_lookup(submitted, settings):
    complaint, code = submitted
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert receipts.find_by_receipt_code(code=code) == complaint
    assert not receipts.needs_rehash(stored_hash(complaint))
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert receipts.verify_code(stored_hash(complaint), receipts.normalise_code(code))


def test_a_withdrawn_code_finds_nothing(submitted):
    complaint, code = submitted
    receipts.withdraw_receipt_code(complaint=complaint)
    assert receipts.find_by_receipt_code(code=code) is None
