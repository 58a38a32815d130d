"""Receipt codes: how a reporter follows up a report without an account (``/melden/opvolgen/``).

A code is 20 characters of Crockford's base32 (100 random bits from ``secrets``), shown in five
groups of four: ``7KQ2-M9XD-…``. The first group (20 bits) is stored in clear to find the case;
the whole code is stored only as a keyed hash (:func:`hash_code`: HMAC-SHA256 of the code,
encrypted with the field-encryption key), so the 80 bits after the first group are never stored
and the stored value is worthless without the server's key. The code is shown once, on the
confirmation page. Hashes of the earlier scheme (Argon2id, ``$argon2id$…``) still verify and are
replaced by a keyed hash at their first successful lookup. Why a fast keyed hash and not
Argon2id: docs/security.md, "The follow-up portal".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import argon2
from cryptography.fernet import InvalidToken
from django.db import transaction

from reports import crypto
from reports.models import Complaint

#: Crockford's base32: digits and capitals without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 5
GROUP_LENGTH = 4
CODE_LENGTH = GROUPS * GROUP_LENGTH
#: Characters people confuse, read as Crockford's decoding says.
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


#: Marks a keyed hash; anything else non-blank in ``receipt_code_hash`` is a legacy Argon2id hash.
KEYED_PREFIX = "k1$"
#: Domain separation of the HMAC, so the digest is never the same as any other use of SHA-256.
_HMAC_LABEL = b"meldpunt receipt code v1"


def _digest(raw: str) -> bytes:
    """HMAC-SHA256 of the normalised code ``raw`` (32 bytes)."""
    return hmac.new(_HMAC_LABEL, raw.encode("ascii"), hashlib.sha256).digest()


def hash_code(raw: str) -> str:
    """The stored form of the normalised code ``raw``: ``k1$`` and a Fernet token (current
    encryption key, ``reports.crypto``) of its HMAC-SHA256 digest; 143 ASCII characters.

    The secret is the encryption key: without it the value reveals nothing, and
    ``manage.py rotate_encryption_keys`` re-encrypts it like every other encrypted column, so
    codes keep working after the old key is dropped.

    Raises:
        django.core.exceptions.ImproperlyConfigured: no valid ``FIELD_ENCRYPTION_KEYS``.
    """
    return KEYED_PREFIX + crypto.encrypt_bytes(_digest(raw)).decode("ascii")


def verify_code(stored: str, raw: str) -> bool:
    """Whether ``stored`` (a ``receipt_code_hash``: keyed or legacy Argon2id) is the hash of the
    normalised code ``raw``. Digests are compared with ``hmac.compare_digest`` (constant time).
    A value no configured key opens, or a malformed one, is simply no match."""
    if stored.startswith(KEYED_PREFIX):
        try:
            digest = crypto.decrypt_bytes(stored[len(KEYED_PREFIX):].encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return hmac.compare_digest(digest, _digest(raw))
    if stored.startswith("$argon2"):
        try:
            return argon2.PasswordHasher().verify(stored, raw)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
    return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` should be replaced by :func:`hash_code` at a successful lookup: a legacy
    Argon2id hash, or a keyed hash encrypted with a key other than the current one."""
    if not stored.startswith(KEYED_PREFIX):
        return True
    return not crypto.is_current_token(stored[len(KEYED_PREFIX):].encode("ascii"))


def generate_code() -> str:
    """A new random code, grouped for reading: ``XXXX-XXXX-XXXX-XXXX-XXXX`` (100 bits)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    """``raw`` (20 normalised characters) in groups of four joined by ``-``."""
    return "-".join(raw[i:i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def normalise_code(text: str) -> str | None:
    """The 20 code characters in ``text``, upper-cased, with spaces and dashes dropped and I, L,
    O read as 1, 1, 0; ``None`` if that is not a well-formed code."""
    raw = "".join(ch for ch in text.upper() if ch not in " -\t\n").translate(_READ_AS)
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def code_prefix(raw: str) -> str:
    """The first group of a normalised code: the part stored in clear."""
    return raw[:GROUP_LENGTH]


@dataclass(frozen=True)
class NewReceiptCode:
    """A new code and what is stored of it. Attributes: ``code`` (formatted, shown once),
    ``prefix`` (its first group) and ``hash`` (:func:`hash_code`)."""

    code: str
    prefix: str
    hash: str


def new_receipt_code() -> NewReceiptCode:
    """A new random code with its stored prefix and hash, for a complaint about to be created
    (``reports.services.complaints.register_complaint(receipt=...)``)."""
    code = generate_code()
    raw = normalise_code(code)
    assert raw is not None
    return NewReceiptCode(code=code, prefix=code_prefix(raw), hash=hash_code(raw))


@transaction.atomic
def issue_receipt_code(*, complaint: Complaint) -> str:
    """Give ``complaint`` a new receipt code and return it (formatted), replacing any earlier
    code. The caller shows it once; only the prefix and a keyed hash (:func:`hash_code`) are
    stored."""
    new = new_receipt_code()
    Complaint.objects.filter(pk=complaint.pk).update(
        receipt_code_prefix=new.prefix, receipt_code_hash=new.hash)
    complaint.receipt_code_prefix = new.prefix
    return new.code


def find_by_receipt_code(*, code: str) -> Complaint | None:
    """The complaint whose receipt code is ``code`` (any case, spaces or dashes), or ``None`` for
    a malformed, wrong or withdrawn code. Does not rate-limit: the caller does
    (``reports.throttling``).

    A legacy Argon2id hash, or a keyed hash under an older encryption key, that matches is
    replaced by a keyed hash under the current key (only if the stored value did not change
    meanwhile). Every candidate sharing the prefix is checked, so the time does not depend on
    which one matches.
    """
    raw = normalise_code(code)
    if raw is None:
        return None
    found: Complaint | None = None
    candidates = Complaint.objects.filter(receipt_code_prefix=code_prefix(raw)).exclude(
        receipt_code_hash="")
    for complaint in candidates:
        if verify_code(complaint.receipt_code_hash, raw) and found is None:
            found = complaint
    if found is not None and needs_rehash(found.receipt_code_hash):
        new_hash = hash_code(raw)
        Complaint.objects.filter(pk=found.pk, receipt_code_hash=found.receipt_code_hash).update(
            receipt_code_hash=new_hash)
        found.receipt_code_hash = new_hash
    return found


def withdraw_receipt_code(*, complaint: Complaint) -> None:
    """Make ``complaint``'s receipt code stop working (retention, erasure)."""
    Complaint.objects.filter(pk=complaint.pk).update(receipt_code_prefix="", receipt_code_hash="")
    complaint.receipt_code_prefix = complaint.receipt_code_hash = ""
