"""Encryption at rest: the database and the attachment files hold no plaintext, and a missing or
wrong key is noticed (``ImproperlyConfigured``) instead of showing ciphertext."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from reports import crypto
from reports.models import Attachment, Complaint, Message, Note, OutboundEmail
from reports.services.complaints import add_attachment, add_note, record_message
from reports.services.outbox import queue_email
from reports.storage import encrypted_storage
from tests.factories import ComplaintFactory
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.django_db

NAME = "Quirijn Zwartebroek"
EMAIL = "quirijn.zwartebroek@example.org"
PHONE = "+31 6 98765432"
DESCRIPTION = "Koekoeksbloemstraat: de portier weigerde Quirijn vanwege zijn hoofddoek."
NOTE = "Zwartebroek teruggebeld over de Koekoeksbloemstraat."
MESSAGE = "Beste heer Zwartebroek, dank voor uw melding."
FILE_NAME = "Verklaring Zwartebroek.pdf"
FILE_BYTES = samples.pdf_containing(b"Zwartebroek Koekoeksbloemstraat")


@pytest.fixture
def stored(office, coordinator, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    complaint = ComplaintFactory(reporter_name=NAME, reporter_email=EMAIL, reporter_phone=PHONE,
                                 description=DESCRIPTION)
    note = add_note(complaint=complaint, author=coordinator, text=NOTE)
    message = record_message(complaint=complaint, author=coordinator, direction="out",
                             body=MESSAGE)
    attachment = add_attachment(complaint=complaint, uploaded_by=coordinator,
                                upload=SimpleUploadedFile(FILE_NAME, FILE_BYTES))
    [email] = queue_email(kind="test", event_key=f"complaint:{complaint.public_id}",
                          recipients=[EMAIL], subject="Bevestiging", body="Link")
    return complaint, note, message, attachment, email


def raw(table: str, columns: list[str], pk: int) -> dict[str, str]:
    """The stored values of ``columns``, read with SQL (not through the ORM's fields)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s",  # noqa: S608
                       [pk])
        return dict(zip(columns, cursor.fetchone(), strict=True))


def test_database_columns_hold_no_plaintext(stored):
    complaint, note, message, attachment, email = stored
    expected = {
        ("reports_complaint", complaint.pk): {"reporter_name": NAME, "reporter_email": EMAIL,
                                              "reporter_phone": PHONE,
                                              "description": DESCRIPTION},
        ("reports_note", note.pk): {"text": NOTE},
        ("reports_message", message.pk): {"body": MESSAGE},
        ("reports_attachment", attachment.pk): {"original_name": FILE_NAME},
        ("reports_outboundemail", email.pk): {"recipient": EMAIL},
    }
    plaintexts = ["Zwartebroek", "Quirijn", "Koekoeksbloem", "example.org", "98765432",
                  "hoofddoek", "Verklaring"]
    for (table, pk), values in expected.items():
        stored_values = raw(table, list(values), pk)
        for column, plain in values.items():
            value = stored_values[column]
            assert value.startswith("gAAAAA"), (table, column)
            for word in plaintexts:
                assert word.casefold() not in value.casefold(), (table, column, word)
            assert crypto.decrypt_bytes(value.encode("ascii")).decode("utf-8") == plain
    index = raw("reports_complaint", ["description_index"], complaint.pk)["description_index"]
    assert "koekoek" not in index.casefold()
    assert len(index.split()) == len(crypto.search_terms(DESCRIPTION))


def test_search_index_and_models_read_back(stored):
    complaint, note, message, attachment, email = stored
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert (fresh.reporter_name, fresh.reporter_email, fresh.reporter_phone,
            fresh.description) == (NAME, EMAIL, PHONE, DESCRIPTION)
    assert Note.objects.get(pk=note.pk).text == NOTE
    assert Message.objects.get(pk=message.pk).body == MESSAGE
    assert Attachment.objects.get(pk=attachment.pk).original_name == FILE_NAME
    assert OutboundEmail.objects.get(pk=email.pk).recipient == EMAIL


def test_attachment_file_on_disk_holds_no_plaintext(stored):
    attachment = stored[3]
    with open(encrypted_storage.path(attachment.file.name), "rb") as handle:
        on_disk = handle.read()
    assert b"Zwartebroek" not in on_disk
    assert b"Koekoeksbloem" not in on_disk
    assert b"%PDF" not in on_disk
    assert crypto.decrypt_bytes(on_disk) == FILE_BYTES
    with Attachment.objects.get(pk=attachment.pk).file.open("rb") as handle:
        assert handle.read() == FILE_BYTES


def test_wrong_key_gives_improperly_configured_on_read(stored, settings):
    complaint = stored[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode("ascii")]
    with pytest.raises(ImproperlyConfigured) as error:
        Complaint.objects.get(pk=complaint.pk)
    assert str(error.value) == (
        "Complaint.reporter_name: a stored value cannot be decrypted with "
        "FIELD_ENCRYPTION_KEYS (key missing or data altered).")


def test_missing_key_gives_improperly_configured_on_read(stored, settings):
    note = stored[1]
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured) as error:
        Note.objects.get(pk=note.pk)
    assert str(error.value) == "Set FIELD_ENCRYPTION_KEYS (see docs/security.md)."


def test_invalid_key_gives_improperly_configured(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured) as error:
        crypto.encrypt_bytes(b"x")
    assert str(error.value) == (
        "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 bytes, URL-safe base64); generate one "
        "with `manage.py generate_encryption_key`.")


# --- Stemming for the search index ---------------------------------------------------------

#: Endings that exercise the Dutch stemmer's rules, appended to every word of our Dutch
#: translations.
DUTCH_ENDINGS = ("", "en", "heid", "heden", "ing", "ingen", "lijk", "lijke", "baar", "bare",
                 "tje", "tjes", "s", "e", "er", "ste", "ig", "ige", "isch", "ische", "iteit",
                 "ie", "ies", "end", "ende", "te", "ten", "de", "den", "nis", "erij", "eën")


def dutch_words() -> set[str]:
    """Every word of our Dutch translations, folded as ``crypto.search_terms`` folds text, with
    each of ``DUTCH_ENDINGS`` (about 40,000 words)."""
    import re
    import unicodedata
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES" / "django.po").read_text()
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = set(re.findall(r"[^\W\d_]{2,}", folded))
    return {word + ending for word in words for ending in DUTCH_ENDINGS}


def test_search_terms_are_stemmed_by_the_compiled_snowball_stemmer_with_pure_python_stems():
    """Issue 13: stemming is done by PyStemmer (C; 2-3 ms of pure Python per report before).
    Stored complaints were indexed with snowballstemmer's pure-Python Dutch stemmer, so both
    must give the same stem for every word, or a search would miss older complaints."""
    import Stemmer
    from snowballstemmer.dutch_stemmer import DutchStemmer

    compiled = crypto._stemmer()
    assert isinstance(compiled, Stemmer.Stemmer)
    pure = DutchStemmer()
    words = dutch_words()
    assert len(words) > 20_000
    stems = {word: (pure.stemWord(word), compiled.stemWord(word)) for word in words}
    differing = {word: pair for word, pair in stems.items() if pair[0] != pair[1]}
    assert differing == {}
    # Both forms of "discrimineren" share one stem, kept once.
    assert crypto.search_terms("Gediscrimineerd bij de woningcorporaties; discriminatie!") == [
        "discrimineer", "bij", "de", "woningcorporeer"]
