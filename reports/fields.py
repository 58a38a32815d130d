"""Model fields encrypted at rest, built on django-fernet-encrypted-fields.

The library derives its keys from ``SECRET_KEY``; ours come from ``FIELD_ENCRYPTION_KEYS`` alone
(``reports.crypto``), so rotating the Django secret never touches stored data. Differences from the
library, on purpose:

* an empty string is stored as an empty string (the columns stay ``NOT NULL``, and ``""`` still
  means "not given");
* a stored value that no configured key decrypts raises ``ImproperlyConfigured`` instead of
  showing the ciphertext: a missing key must be noticed, not displayed.

The columns are ``text``; they cannot be filtered or sorted on in the database (except ``= ""``).
"""

from __future__ import annotations

from typing import Any

import encrypted_fields.fields as library
from cryptography.fernet import MultiFernet
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.functional import cached_property

from reports import crypto


class _Encrypted(library.EncryptedFieldMixin):
    """Encrypts with ``reports.crypto.fernet()``; see the module docstring."""

    @cached_property
    def keys(self) -> list[bytes]:
        raise AttributeError("Meldpunt's encrypted fields use reports.crypto.fernet().")

    @property
    def f(self) -> MultiFernet:
        return crypto.fernet()

    def get_prep_value(self, value: Any) -> Any:
        if value == "":
            return ""
        return super().get_prep_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            plain = self.f.decrypt(value.encode("ascii")).decode("utf-8")
        except (crypto.InvalidToken, UnicodeEncodeError) as exc:
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{self.name}: a stored value cannot be decrypted with "
                "FIELD_ENCRYPTION_KEYS (key missing or data altered).") from exc
        return super(library.EncryptedFieldMixin, self).to_python(plain)


class EncryptedCharField(_Encrypted, models.CharField):
    """A ``CharField`` stored encrypted (``max_length`` validates the plaintext)."""


class EncryptedTextField(_Encrypted, models.TextField):
    """A ``TextField`` stored encrypted."""


class EncryptedEmailField(_Encrypted, models.EmailField):
    """An ``EmailField`` stored encrypted (validated as an address before encryption)."""
