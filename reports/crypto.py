"""Encryption at rest: one ``MultiFernet`` built from ``settings.FIELD_ENCRYPTION_KEYS``.

Keys are Fernet keys (32 random bytes, URL-safe base64; ``manage.py generate_encryption_key``
prints one) read from the environment variable ``FIELD_ENCRYPTION_KEYS``, comma-separated. The
first key encrypts; every key decrypts, so rotation is: put a new key first, run
``manage.py rotate_encryption_keys``, then drop the old key (docs/security.md).

The same keys also derive the key of the search index (``blind_index``), so that search works on
encrypted descriptions without storing any word in plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "blind_index", "decrypt_bytes", "encrypt_bytes", "fernet",
           "index_terms", "is_current_token", "keyed_hash", "search_terms"]


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS (see docs/security.md).")
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 bytes, URL-safe base64); "
            "generate one with `manage.py generate_encryption_key`.") from exc


def fernet() -> MultiFernet:
    """The ``MultiFernet`` of the configured keys (first encrypts, all decrypt).

    Raises:
        ImproperlyConfigured: no key is configured or a key is not a valid Fernet key.
    """
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_bytes(data: bytes) -> bytes:
    """``data`` encrypted and authenticated with the current key (a Fernet token, ASCII)."""
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    """The plaintext of a Fernet ``token`` made with any configured key.

    Raises:
        cryptography.fernet.InvalidToken: no configured key fits, or the token was altered.
    """
    return fernet().decrypt(token)


def is_current_token(token: bytes) -> bool:
    """Whether the Fernet ``token`` was made with the current (first) key; ``False`` for a token
    of an older key or one no key opens.

    Raises:
        ImproperlyConfigured: no key is configured or a key is not a valid Fernet key.
    """
    fernet()
    try:
        _first_fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(token)
    except InvalidToken:
        return False
    return True


@lru_cache(maxsize=8)
def _first_fernet(key: str) -> Fernet:
    return Fernet(key.encode("ascii"))


def keyed_hash(*, purpose: str, value: str) -> str:
    """A keyed hash (HMAC-SHA256 with ``SECRET_KEY``, 64 hex characters) of ``value`` for
    ``purpose``, for identifiers that must be matched but not stored in clear: rate-limit keys
    (IP addresses, code prefixes) and e-mail recipients in deduplication keys. Not tied to the
    encryption keys, so rotating them resets no rate limit and doubles no e-mail."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{purpose}\0{value}".encode(),
                    hashlib.sha256).hexdigest()


def _index_key() -> bytes:
    """The key of the search index, derived from the current encryption key (HMAC-SHA256)."""
    current = settings.FIELD_ENCRYPTION_KEYS[0].encode("ascii")
    return hmac.new(current, b"meldpunt search index v1", hashlib.sha256).digest()


_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> Any:  # snowballstemmer publishes no types
    """The Dutch Snowball stemmer: PyStemmer's compiled one, which ``snowballstemmer`` returns
    when PyStemmer is installed (a dependency; the same stems as its pure-Python one, which it
    falls back to: ``tests/reports/test_encryption.py``)."""
    import snowballstemmer

    return snowballstemmer.stemmer("dutch")


def search_terms(text: str) -> list[str]:
    """The normalised words of ``text``: case-folded, accents removed, Dutch Snowball stems, two
    characters or longer, in order of first appearance without repeats."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    stemmer = _stemmer()
    stems: dict[str, None] = {}
    # Each distinct word is stemmed once (stemming is most of the cost of indexing).
    for word in dict.fromkeys(_WORD.findall(folded)):
        if len(word) >= 2:
            stems[stemmer.stemWord(word)] = None
    return list(stems)


def blind_index(term: str, *, key: bytes | None = None) -> str:
    """A keyed hash (16 hex characters of HMAC-SHA256) of one normalised search term; ``key``:
    the index key when the caller already derived it (``_index_key``), for many terms."""
    return hmac.new(key or _index_key(), term.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def index_terms(text: str) -> str:
    """The search index of ``text``: its terms' blind-index hashes, space-separated and framed by
    spaces (`` h1 h2 ``) so that one term matches with ``contains(" h ")``. Empty for no terms."""
    key = _index_key()
    hashes = [blind_index(term, key=key) for term in search_terms(text)]
    return f" {' '.join(hashes)} " if hashes else ""
