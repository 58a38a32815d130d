"""Receipt codes: how a reporter follows up a report without an account (``/melden/opvolgen/``).

A code is 20 characters of Crockford's base32 (100 random bits from ``secrets``), shown in five
groups of four: ``7KQ2-M9XD-…``. The first group (20 bits) is stored in clear to find the case;
the whole code is stored only as an Argon2id hash (argon2-cffi), so the 80 bits after the first
group are never stored. The code is shown once, on the confirmation page.
"""

from __future__ import annotations

import secrets

import argon2
from django.conf import settings
from django.db import transaction

from reports.models import Complaint

#: Crockford's base32: digits and capitals without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 5
GROUP_LENGTH = 4
CODE_LENGTH = GROUPS * GROUP_LENGTH
#: Characters people confuse, read as Crockford's decoding says.
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _hasher() -> argon2.PasswordHasher:
    return argon2.PasswordHasher(**settings.RECEIPT_CODE_ARGON2)


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


@transaction.atomic
def issue_receipt_code(*, complaint: Complaint) -> str:
    """Give ``complaint`` a new receipt code and return it (formatted), replacing any earlier
    code. The caller shows it once; only the prefix and an Argon2id hash are stored."""
    code = generate_code()
    raw = normalise_code(code)
    assert raw is not None
    Complaint.objects.filter(pk=complaint.pk).update(
        receipt_code_prefix=code_prefix(raw), receipt_code_hash=_hasher().hash(raw))
    complaint.receipt_code_prefix = code_prefix(raw)
    return code


def find_by_receipt_code(*, code: str) -> Complaint | None:
    """The complaint whose receipt code is ``code`` (any case, spaces or dashes), or ``None`` for
    a malformed, wrong or withdrawn code. Does not rate-limit: the caller does
    (``reports.throttling``)."""
    raw = normalise_code(code)
    if raw is None:
        return None
    hasher = _hasher()
    candidates = Complaint.objects.filter(receipt_code_prefix=code_prefix(raw)).exclude(
        receipt_code_hash="")
    for complaint in candidates:
        try:
            hasher.verify(complaint.receipt_code_hash, raw)
        except argon2.exceptions.VerificationError:
            continue
        return complaint
    # Spend the time of one verification anyway, so a prefix that exists does not answer faster.
    if not candidates:
        try:
            hasher.verify(_dummy_hash(), raw)
        except argon2.exceptions.VerificationError:
            pass
    return None


_DUMMY: dict[tuple, str] = {}


def _dummy_hash() -> str:
    key = tuple(sorted(settings.RECEIPT_CODE_ARGON2.items()))
    if key not in _DUMMY:
        _DUMMY[key] = _hasher().hash(secrets.token_hex(16))
    return _DUMMY[key]


def withdraw_receipt_code(*, complaint: Complaint) -> None:
    """Make ``complaint``'s receipt code stop working (retention, erasure)."""
    Complaint.objects.filter(pk=complaint.pk).update(receipt_code_prefix="", receipt_code_hash="")
    complaint.receipt_code_prefix = complaint.receipt_code_hash = ""
