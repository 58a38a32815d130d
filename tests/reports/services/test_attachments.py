"""Files from the reporter: stored encrypted under generated names, without image metadata,
shown and downloaded under a safe name; staff uploads follow the same content rules."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from PIL import Image

from reports import crypto
from reports.models import Attachment, Complaint
from reports.services.attachments import store_reporter_attachments
from reports.services.complaints import add_attachment, submit_online_complaint
from reports.uploads import DOCX, JPEG, PDF, PNG, CleanUpload, validate_upload
from tests.factories import ComplaintFactory
from tests.reports import upload_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    """Attachments go to a fresh directory (``PRIVATE_MEDIA_ROOT``, read on every use)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def files_on_disk(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def clean(name: str, content: bytes) -> CleanUpload:
    return validate_upload(SimpleUploadedFile(name, content))


def test_reporter_files_are_stored_encrypted_under_generated_names(office, media):
    complaint = ComplaintFactory()
    files = [clean("Brief Jansen.pdf", samples.PDF), clean("verslag.docx", samples.docx())]

    stored = store_reporter_attachments(complaint=complaint, files=files)

    assert [a.pk for a in stored] == list(Attachment.objects.order_by("id")
                                          .values_list("pk", flat=True))
    rows = [(a.complaint_id, a.original_name, a.content_type, a.size, a.uploaded_by_id)
            for a in Attachment.objects.order_by("id")]
    assert rows == [(complaint.pk, "Brief Jansen.pdf", PDF, len(samples.PDF), None),
                    (complaint.pk, "verslag.docx", DOCX, len(samples.docx()), None)]
    assert files_on_disk(media) == sorted(a.file.name for a in stored)
    for attachment, original in zip(stored, [samples.PDF, samples.docx()], strict=True):
        assert re.fullmatch(rf"attachments/{complaint.public_id}/[0-9a-f]{{32}}",
                            attachment.file.name)
        on_disk = (media / attachment.file.name).read_bytes()
        assert original not in on_disk  # encrypted at rest
        assert b"%PDF" not in on_disk and b"PK\x03\x04" not in on_disk
        assert crypto.decrypt_bytes(on_disk) == original
        with attachment.file.open("rb") as handle:
            assert handle.read() == original


def test_no_files_store_nothing(office, media):
    assert store_reporter_attachments(complaint=ComplaintFactory(), files=[]) == []
    assert Attachment.objects.count() == 0
    assert files_on_disk(media) == []


def test_exif_and_gps_are_gone_from_the_stored_jpeg(office, media):
    original = samples.jpeg()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)[2] == (52.0, 47.0, 0.0)

    [attachment] = store_reporter_attachments(complaint=ComplaintFactory(),
                                              files=[clean("foto.jpg", original)])

    with attachment.file.open("rb") as handle:
        plain = handle.read()
    with Image.open(io.BytesIO(plain)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(0x8825) == {}
        assert sorted(k for k in image.info if k in {"exif", "xmp", "comment", "icc_profile"}) \
            == []
    assert b"Jan Jansen" not in plain
    assert (attachment.content_type, attachment.size) == (JPEG, len(plain))


def test_exif_and_gps_are_gone_from_the_stored_png(office, media):
    [attachment] = store_reporter_attachments(complaint=ComplaintFactory(),
                                              files=[clean("scherm.png", samples.png())])

    with attachment.file.open("rb") as handle:
        plain = handle.read()
    with Image.open(io.BytesIO(plain)) as image:
        assert image.format == "PNG"
        assert dict(image.getexif()) == {}
        assert image.info == {}
    assert b"Jan Jansen" not in plain
    assert attachment.content_type == PNG


# --- with the online submission --------------------------------------------------------------


def test_the_submission_stores_its_files_with_the_complaint(office, media):
    token = uuid.uuid4()

    submission = submit_online_complaint(
        office=office, submission_token=token, description="Met bijlagen.",
        attachments=[clean("a.pdf", samples.PDF), clean("b.png", samples.png())])

    assert list(submission.complaint.attachments.values_list("original_name", "uploaded_by_id")) \
        == [("a.pdf", None), ("b.png", None)]
    assert len(files_on_disk(media)) == 2


def test_a_repeated_token_stores_no_more_files(office, media):
    token = uuid.uuid4()
    first = submit_online_complaint(office=office, submission_token=token,
                                    description="Eén keer.",
                                    attachments=[clean("a.pdf", samples.PDF)])

    again = submit_online_complaint(office=office, submission_token=token,
                                    description="Eén keer.",
                                    attachments=[clean("a.pdf", samples.PDF)])

    assert again.complaint.pk == first.complaint.pk
    assert again.receipt_code is None
    assert Complaint.objects.count() == 1
    assert Attachment.objects.count() == 1


def test_a_failing_file_rolls_back_the_whole_submission(office, media, monkeypatch):
    def broken(*, complaint, files):
        raise OSError("disk full")

    monkeypatch.setattr("reports.services.complaints.store_reporter_attachments", broken)

    with pytest.raises(OSError, match="disk full"):
        submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                description="Gaat mis.",
                                attachments=[clean("a.pdf", samples.PDF)])

    assert Complaint.objects.count() == 0
    assert Attachment.objects.count() == 0


# --- staff uploads: the same content rules ---------------------------------------------------


@pytest.mark.parametrize(("name", "content", "code"), [
    pytest.param("programma.pdf", samples.EXE, "file_type", id="exe-renamed-pdf"),
    pytest.param("archief.docx", samples.plain_zip(), "file_type", id="zip-renamed-docx"),
    pytest.param("leeg.pdf", b"", "empty", id="empty"),
])
def test_staff_uploads_are_checked_by_content(office, coordinator, media, name, content, code):
    with pytest.raises(ValidationError) as excinfo:
        add_attachment(complaint=ComplaintFactory(), uploaded_by=coordinator,
                       upload=SimpleUploadedFile(name, content, content_type="application/pdf"))

    assert excinfo.value.code == code
    assert Attachment.objects.count() == 0
    assert files_on_disk(media) == []


def test_staff_images_lose_their_metadata_too(office, coordinator, media):
    attachment = add_attachment(complaint=ComplaintFactory(), uploaded_by=coordinator,
                                upload=SimpleUploadedFile("foto\n.jpg", samples.jpeg(),
                                                          content_type="image/png"))

    assert (attachment.original_name, attachment.content_type, attachment.uploaded_by_id) == (
        "foto .jpg", JPEG, coordinator.pk)
    with attachment.file.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
        assert dict(image.getexif()) == {}


# --- odd names: shown escaped, downloaded under a safe header --------------------------------


ODD_NAMES = [
    ("Verklaring café.pdf", "Verklaring café.pdf",
     "attachment; filename*=utf-8''Verklaring%20caf%C3%A9.pdf"),
    ("報告書 2020.pdf", "報告書 2020.pdf",
     "attachment; filename*=utf-8''%E5%A0%B1%E5%91%8A%E6%9B%B8%202020.pdf"),
    # Stored names keep only letters, digits, space and . - _ ( ) ' , + (tester finding 10).
    ('foto "strand" \'s.pdf', "foto strand 's.pdf", 'attachment; filename="foto strand s.pdf"'),
    ("brief\r\nSet-Cookie: x=1.pdf", "brief  Set-Cookie x1.pdf",
     'attachment; filename="brief  Set-Cookie x1.pdf"'),
    ("<img src=x onerror=alert(1)>.pdf", "img srcx onerroralert(1).pdf",
     'attachment; filename="img srcx onerroralert(1).pdf"'),
    ("../../bewijs<script>.pdf", "bewijsscript.pdf", 'attachment; filename="bewijsscript.pdf"'),
]


@pytest.mark.parametrize(("raw", "shown", "disposition"), ODD_NAMES)
def test_odd_names_are_shown_escaped_and_downloaded_safely(office, coordinator, login_as, media,
                                                          raw, shown, disposition):
    complaint = ComplaintFactory()
    [attachment] = store_reporter_attachments(complaint=complaint,
                                              files=[clean(raw, samples.PDF)])
    assert attachment.original_name == shown
    client = login_as(coordinator)

    page = client.get(f"/backoffice/zaken/{complaint.public_id}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(f">{escape(shown)}</a>") == 1
    if escape(shown) != shown:
        assert shown not in html
    download = client.get(f"/backoffice/zaken/{complaint.public_id}/bijlagen/"
                          f"{attachment.public_id}/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == disposition
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == samples.PDF
