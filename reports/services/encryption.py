"""Key rotation of the data encrypted at rest (``reports.crypto``, docs/security.md).

``rotate_encryption_keys`` re-encrypts every encrypted column and every attachment file with the
first key of ``FIELD_ENCRYPTION_KEYS`` and rebuilds the search index (whose key is derived from
that first key). Values already encrypted with the first key are left as they are, so running it
twice changes nothing the second time. Counts only are logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from reports import crypto
from reports.models import (
    Attachment,
    CaseJob,
    Complaint,
    Incident,
    Message,
    Note,
    OutboundEmail,
)
from reports.storage import encrypted_storage

logger = logging.getLogger(__name__)

#: Every encrypted column: (model, field names). Keep in step with ``reports.fields`` users.
ENCRYPTED_COLUMNS: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (Complaint, ("reporter_name", "reporter_email", "reporter_phone", "description")),
    (Note, ("text",)),
    (Message, ("body",)),
    (Attachment, ("original_name",)),
    (OutboundEmail, ("recipient",)),
    (Incident, ("description",)),
    (CaseJob, ("body",)),
)
#: Columns holding a Fernet token after a fixed marker, next to values of another kind that
#: rotation leaves alone: (model, field name, marker). Receipt-code hashes: ``k1$`` + token;
#: legacy Argon2id hashes are not encrypted (reports.services.receipts).
MARKED_ENCRYPTED_COLUMNS: tuple[tuple[type[models.Model], str, str], ...] = (
    (Complaint, "receipt_code_hash", "k1$"),
)


def _column(model: type[models.Model], name: str) -> str:
    """The database column of the concrete field ``name`` of ``model``."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ImproperlyConfigured(f"{model.__name__}.{name} is not a database column")
    return field.column


#: Rows read and written per transaction.
BATCH_SIZE = 500


@dataclass
class RotationResult:
    """What a rotation did: values and files re-encrypted, values and files already current,
    search indexes rebuilt. ``columns`` maps ``"table.column"`` to re-encrypted values."""

    values: int = 0
    values_current: int = 0
    files: int = 0
    files_current: int = 0
    files_missing: int = 0
    indexes: int = 0
    columns: dict[str, int] = field(default_factory=dict)


def _current_key() -> Fernet:
    """The Fernet of the first configured key (the one that encrypts)."""
    crypto.fernet()  # raises ImproperlyConfigured for a missing or invalid key
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode("ascii"))


def _is_current(current: Fernet, token: bytes) -> bool:
    try:
        current.decrypt(token)
    except InvalidToken:
        return False
    return True


@transaction.atomic
def _rotate_column_batch(*, table: str, column: str, after: int, batch_size: int,
                         result: RotationResult, marker: str = "") -> int | None:
    """Re-encrypt one batch of ``table.column`` (rows with id > ``after``); the last id seen, or
    ``None`` when there were no rows. Each row is written only if it still holds the value read
    (a concurrent change wins). With a ``marker``, only values starting with it are tokens (after
    the marker); the others are left alone."""
    quote = connection.ops.quote_name
    current = _current_key()
    multi = crypto.fernet()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {quote(column)} FROM {quote(table)} "  # noqa: S608 (names are ours)
            f"WHERE id > %s AND {quote(column)} <> '' ORDER BY id LIMIT %s",
            [after, batch_size])
        rows = cursor.fetchall()
        for pk, value in rows:
            if not value.startswith(marker):
                continue
            token = value[len(marker):].encode("ascii")
            if _is_current(current, token):
                result.values_current += 1
                continue
            rotated = marker + multi.rotate(token).decode("ascii")
            cursor.execute(
                f"UPDATE {quote(table)} SET {quote(column)} = %s "  # noqa: S608
                f"WHERE id = %s AND {quote(column)} = %s", [rotated, pk, value])
            result.values += cursor.rowcount
            key = f"{table}.{column}"
            result.columns[key] = result.columns.get(key, 0) + cursor.rowcount
    return rows[-1][0] if rows else None


def _rotate_files(*, batch_size: int, result: RotationResult) -> None:
    """Re-encrypt every attachment file not yet encrypted with the first key."""
    current = _current_key()
    after = 0
    while True:
        batch = list(Attachment.objects.filter(pk__gt=after).order_by("pk")
                     .values_list("pk", "file")[:batch_size])
        if not batch:
            return
        for _pk, name in batch:
            try:
                with open(encrypted_storage.path(name), "rb") as stored:
                    token = stored.read()
            except FileNotFoundError:
                result.files_missing += 1
                continue
            if _is_current(current, token):
                result.files_current += 1
                continue
            encrypted_storage.rewrite(name)
            result.files += 1
        after = batch[-1][0]


@transaction.atomic
def _rebuild_index_batch(*, after: int, batch_size: int, result: RotationResult) -> int | None:
    complaints = list(Complaint.objects.filter(pk__gt=after).order_by("pk")
                      .only("pk", "description", "description_index")[:batch_size])
    for complaint in complaints:
        index = crypto.index_terms(complaint.description)
        if index != complaint.description_index:
            result.indexes += Complaint.objects.filter(pk=complaint.pk).update(
                description_index=index)
    return complaints[-1].pk if complaints else None


def rotate_encryption_keys(*, batch_size: int = BATCH_SIZE) -> RotationResult:
    """Re-encrypt all data at rest with the first key of ``FIELD_ENCRYPTION_KEYS``.

    Every key in the list must still be configured for the data it encrypted (add the new key
    first, keep the old ones until this has run; docs/security.md). Steps, each in batches of
    ``batch_size`` rows with one transaction per batch:

    1. every column in ``ENCRYPTED_COLUMNS``: ``MultiFernet.rotate`` on the raw stored token,
       written back with SQL (so the value is not encrypted a second time); likewise the tokens
       in ``MARKED_ENCRYPTED_COLUMNS`` (receipt-code hashes);
    2. every attachment file: ``EncryptedPrivateStorage.rewrite``;
    3. ``Complaint.description_index``: recomputed with ``reports.crypto.index_terms`` (its key
       is derived from the first key).

    Values and files already encrypted with the first key are skipped (idempotent).

    Raises:
        django.core.exceptions.ImproperlyConfigured: no key, or an invalid key.
        cryptography.fernet.InvalidToken: a stored value or file no configured key decrypts.
    """
    result = RotationResult()
    for model, columns in ENCRYPTED_COLUMNS:
        table = model._meta.db_table
        for name in columns:
            column = _column(model, name)
            after: int | None = 0
            while after is not None:
                after = _rotate_column_batch(table=table, column=column, after=after,
                                             batch_size=batch_size, result=result)
    for model, name, marker in MARKED_ENCRYPTED_COLUMNS:
        table, column = model._meta.db_table, _column(model, name)
        after = 0
        while after is not None:
            after = _rotate_column_batch(table=table, column=column, after=after,
                                         batch_size=batch_size, result=result, marker=marker)
    _rotate_files(batch_size=batch_size, result=result)
    after = 0
    while after is not None:
        after = _rebuild_index_batch(after=after, batch_size=batch_size, result=result)
    logger.info("key rotation: %d values re-encrypted (%d already current), %d files "
                "re-encrypted (%d already current, %d missing), %d search indexes rebuilt",
                result.values, result.values_current, result.files, result.files_current,
                result.files_missing, result.indexes)
    return result
