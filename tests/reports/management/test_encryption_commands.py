"""``generate_encryption_key``, ``rotate_encryption_keys`` and ``apply_retention``."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from reports import crypto
from reports.models import Attachment, Complaint, Message, Note, OutboundEmail
from reports.selectors.cases import search_cases
from reports.services import receipts
from reports.services.encryption import ENCRYPTED_COLUMNS
from reports.storage import encrypted_storage
from reports.vocabulary import Status
from tests.reports.services.test_privacy import PDF, at, full_case

pytestmark = pytest.mark.django_db


def command(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def raw_values() -> dict[tuple[str, str, int], str]:
    """Every non-empty encrypted column value, read with SQL."""
    values = {}
    with connection.cursor() as cursor:
        for model, fields in ENCRYPTED_COLUMNS:
            table = model._meta.db_table
            for field in fields:
                cursor.execute(f"SELECT id, {field} FROM {table} WHERE {field} <> ''")  # noqa: S608
                for pk, value in cursor.fetchall():
                    values[(table, field, pk)] = value
    return values


def test_generate_encryption_key_prints_a_new_fernet_key():
    first, second = command("generate_encryption_key"), command("generate_encryption_key")
    assert first != second
    key = first.strip()
    assert len(key) == 44
    assert Fernet(key.encode("ascii")).decrypt(Fernet(key.encode("ascii")).encrypt(b"x")) == b"x"


@pytest.fixture
def key_a(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    key = Fernet.generate_key().decode("ascii")
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


def test_rotation_re_encrypts_everything_with_the_new_key(key_a, office, coordinator, settings):
    complaint, code = full_case(actor=coordinator, name="Jansen", received_at=at(2024, 3, 2),
                                 closed_at=None, status=Status.NEW)
    attachment = Attachment.objects.get(complaint=complaint)
    before = raw_values()
    with open(encrypted_storage.path(attachment.file.name), "rb") as handle:
        file_before = handle.read()
    assert len(before) == 10  # 4 on the complaint, note, 2 messages, file name, 2 e-mails
    key_b = Fernet.generate_key().decode("ascii")
    settings.FIELD_ENCRYPTION_KEYS = [key_b]
    with pytest.raises(ImproperlyConfigured):
        Complaint.objects.get(pk=complaint.pk)

    settings.FIELD_ENCRYPTION_KEYS = [key_b, key_a]
    output = command("rotate_encryption_keys", "--batch-size", "3")
    # 10 values and the receipt code's keyed hash
    assert output == ("Re-encrypted 11 value(s) (0 already current) and 1 file(s) "
                      "(0 already current, 0 missing); rebuilt 1 search index(es).\n")

    settings.FIELD_ENCRYPTION_KEYS = [key_b]
    after = raw_values()
    assert sorted(after) == sorted(before)
    assert [key for key in after if after[key] == before[key]] == []
    only_b = Fernet(key_b.encode("ascii"))
    for value in after.values():
        only_b.decrypt(value.encode("ascii"))
        with pytest.raises(InvalidToken):
            Fernet(key_a.encode("ascii")).decrypt(value.encode("ascii"))
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert (fresh.reporter_name, fresh.reporter_email, fresh.reporter_phone, fresh.description) \
        == ("Jansen", "jansen@example.org", "0612345678",
            "Jansen was refused at the door of the Bakkerij.")
    assert Note.objects.get(complaint=complaint).text == "Called Jansen back."
    assert list(Message.objects.filter(complaint=complaint).values_list("body", flat=True)) == [
        "Dear Jansen, we received your report.", "Thanks, regards Jansen"]
    assert sorted(OutboundEmail.objects.values_list("recipient", flat=True)) == [
        "jansen@example.org", "jansen@example.org"]
    fresh_attachment = Attachment.objects.get(pk=attachment.pk)
    assert fresh_attachment.original_name == "Letter Jansen.pdf"
    with fresh_attachment.file.open("rb") as handle:
        assert handle.read() == PDF
    with open(encrypted_storage.path(attachment.file.name), "rb") as handle:
        assert handle.read() != file_before
    assert receipts.find_by_receipt_code(code=code) == fresh
    assert list(search_cases(queryset=Complaint.objects.all(), text="bakkerij")) == [fresh]
    assert crypto.index_terms(fresh.description) == fresh.description_index

    again = command("rotate_encryption_keys")
    assert again == ("Re-encrypted 0 value(s) (11 already current) and 0 file(s) "
                     "(1 already current, 0 missing); rebuilt 0 search index(es).\n")


def test_rotation_without_the_old_key_fails_and_changes_nothing(key_a, office, coordinator,
                                                                 settings):
    full_case(actor=coordinator, name="Jansen", received_at=at(2024, 3, 2), closed_at=None,
              status=Status.NEW)
    before = raw_values()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode("ascii")]
    with pytest.raises(InvalidToken):
        command("rotate_encryption_keys")
    assert raw_values() == before


def test_apply_retention_command(office, coordinator, settings, tmp_path,
                                 django_capture_on_commit_callbacks):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    old, _code = full_case(actor=coordinator, name="Jansen", received_at=at(2019, 3, 2),
                           closed_at=at(2019, 3, 20))
    full_case(actor=coordinator, name="Smit", received_at=at(2024, 3, 2), closed_at=None,
              status=Status.NEW)

    assert command("apply_retention", "--dry-run") == (
        "1 case(s) due for removal of personal data (dry run).\n")
    old.refresh_from_db()
    assert old.reporter_name == "Jansen"

    with django_capture_on_commit_callbacks(execute=True):
        assert command("apply_retention") == (
            "Removed personal data of 1 case(s): 2 message(s), 1 attachment(s), 1 note(s), "
            "2 e-mail(s).\n")
    old.refresh_from_db()
    assert old.reporter_name == ""
    assert command("apply_retention", "--dry-run") == (
        "0 case(s) due for removal of personal data (dry run).\n")


def test_every_encrypted_field_is_rotated():
    """Each encrypted field of every model (mass reports' descriptions and case jobs' reply
    texts too) is listed for key rotation."""
    from django.apps import apps

    from reports.fields import EncryptedCharField, EncryptedEmailField, EncryptedTextField

    kinds = (EncryptedCharField, EncryptedEmailField, EncryptedTextField)
    encrypted = {(model, field.name) for model in apps.get_app_config("reports").get_models()
                 for field in model._meta.concrete_fields if isinstance(field, kinds)}
    listed = {(model, name) for model, names in ENCRYPTED_COLUMNS for name in names}
    assert encrypted == listed
