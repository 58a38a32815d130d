"""reports.uploads: content checks, metadata removal, safe names and the multi-file field."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import translation
from PIL import Image

from reports.uploads import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    AttachmentsField,
    CleanUpload,
    MultipleFileInput,
    safe_display_name,
    validate_upload,
)
from tests.reports import upload_samples as samples

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared with their English message ids."""
    with translation.override("en"):
        yield


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def error_codes(excinfo) -> list[str]:
    return [error.code for error in excinfo.value.error_list]


# --- allowed types ---------------------------------------------------------------------------


def test_a_pdf_is_accepted_unchanged():
    clean = validate_upload(upload("brief.pdf", samples.PDF, "application/pdf"))

    assert clean == CleanUpload(name="brief.pdf", content=samples.PDF, content_type=PDF)


def test_a_docx_is_accepted_unchanged():
    content = samples.docx()

    clean = validate_upload(upload("verslag.docx", content))

    assert clean == CleanUpload(name="verslag.docx", content=content, content_type=DOCX)


def test_a_jpeg_is_accepted_and_re_encoded():
    clean = validate_upload(upload("foto.jpg", samples.jpeg(), "image/jpeg"))

    assert (clean.name, clean.content_type) == ("foto.jpg", JPEG)
    with Image.open(io.BytesIO(clean.content)) as image:
        assert (image.format, image.size, image.mode) == ("JPEG", (40, 20), "RGB")


def test_a_png_is_accepted_and_re_encoded():
    clean = validate_upload(upload("scherm.png", samples.png(), "image/png"))

    assert (clean.name, clean.content_type) == ("scherm.png", PNG)
    with Image.open(io.BytesIO(clean.content)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (30, 10), "RGBA")
        assert image.getpixel((0, 0)) == (0, 128, 0, 255)


def test_a_png_declared_as_jpeg_is_accepted_as_png():
    clean = validate_upload(upload("foto.jpg", samples.png(), "image/jpeg"))

    assert (clean.name, clean.content_type) == ("foto.jpg", PNG)


def test_a_file_on_disk_is_read_as_well():
    temporary = TemporaryUploadedFile("groot.pdf", "application/pdf", len(samples.PDF), None)
    temporary.write(samples.PDF)
    temporary.seek(0)
    try:
        clean = validate_upload(temporary)
    finally:
        temporary.close()

    assert clean == CleanUpload(name="groot.pdf", content=samples.PDF, content_type=PDF)


# --- metadata --------------------------------------------------------------------------------


def test_jpeg_metadata_is_removed():
    original = samples.jpeg()
    with Image.open(io.BytesIO(original)) as image:  # the sample really carries it
        assert image.getexif().get_ifd(0x8825)[1] == "N"
        assert b"Jan Jansen" in original

    clean = validate_upload(upload("foto.jpg", original, "image/jpeg"))

    with Image.open(io.BytesIO(clean.content)) as image:
        assert dict(image.getexif()) == {}
        assert "xmp" not in image.info
        assert "comment" not in image.info
        assert "exif" not in image.info
    assert b"Jan Jansen" not in clean.content
    assert b"Secret phone" not in clean.content
    assert b"Camera maker" not in clean.content


def test_png_metadata_is_removed():
    original = samples.png()
    with Image.open(io.BytesIO(original)) as image:
        assert image.info["Author"] == "Jan Jansen"

    clean = validate_upload(upload("scherm.png", original, "image/png"))

    with Image.open(io.BytesIO(clean.content)) as image:
        assert dict(image.getexif()) == {}
        assert sorted(image.info) == []
    assert b"Jan Jansen" not in clean.content


def test_the_exif_orientation_is_applied_before_it_is_removed():
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    clean = validate_upload(upload("foto.jpg", samples.jpeg(orientation=6), "image/jpeg"))

    with Image.open(io.BytesIO(clean.content)) as image:
        assert image.size == (20, 40)
        assert dict(image.getexif()) == {}
        red_top = image.getpixel((10, 5))
        blue_bottom = image.getpixel((10, 35))
    assert red_top[0] > 200 and red_top[2] < 60
    assert blue_bottom[2] > 200 and blue_bottom[0] < 60


# --- refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), [
    pytest.param("programma.pdf", samples.EXE, id="exe-renamed-pdf"),
    pytest.param("archief.docx", samples.plain_zip(), id="zip-renamed-docx"),
    pytest.param("macro.docx", samples.docx(main=samples.MACRO_DOCUMENT), id="docm-as-docx"),
    pytest.param("macro2.docx", samples.docx(parts={"word/vbaProject.bin": b"\x00" * 10}),
                 id="docx-with-vba"),
    pytest.param("leeg.docx", samples.docx(document=False), id="docx-without-document"),
    pytest.param("half.docx", samples.docx()[:200], id="truncated-docx"),
    pytest.param("kapot.pdf", samples.PDF[:-7], id="pdf-without-eof"),
    pytest.param("kapot.png", samples.png()[:40], id="truncated-png"),
    pytest.param("kapot.jpg", samples.jpeg()[:30], id="truncated-jpeg"),
    pytest.param("pagina.png", b"<html><script>alert(1)</script></html>", id="html-as-png"),
    pytest.param("bewegend.png", samples.gif(), id="gif"),
    pytest.param("tekst.txt", b"Gewoon tekst.", id="text"),
    pytest.param("foto.jpg", b"\xff\xd8\xff" + b"\x00" * 100, id="jpeg-magic-only"),
])
def test_other_content_is_refused_whatever_its_name(name, content):
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload(name, content, "application/pdf"))

    assert excinfo.value.code == "file_type"
    assert excinfo.value.messages == [
        f"“{name}” is not a PDF, JPEG, PNG or Word (.docx) file."]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("leeg.pdf", b""))

    assert excinfo.value.code == "empty"
    assert excinfo.value.messages == ["“leeg.pdf” is empty."]


def test_a_file_of_exactly_ten_megabytes_is_accepted(settings):
    assert settings.ATTACHMENT_MAX_BYTES == 10 * MB
    content = samples.pdf_of_size(10 * MB)
    assert len(content) == 10 * MB

    clean = validate_upload(upload("groot.pdf", content))

    assert (clean.content_type, len(clean.content)) == (PDF, 10 * MB)


def test_a_file_one_byte_over_ten_megabytes_is_refused(settings):
    assert settings.ATTACHMENT_MAX_BYTES == 10 * MB

    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("te groot.pdf", samples.pdf_of_size(10 * MB + 1)))

    assert excinfo.value.code == "too_large"
    assert excinfo.value.messages == ["“te groot.pdf” is larger than 10 MB."]


def test_a_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr("reports.uploads._MAX_IMAGE_PIXELS", 100)

    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("groot.png", samples.png()))  # 300 pixels

    assert excinfo.value.code == "file_type"


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("brief.pdf", "brief.pdf"),
    ("cafe\u0301 déjà vu.pdf", "café déjà vu.pdf"),  # NFD from macOS becomes NFC
    ("报告 2020.docx", "报告 2020.docx"),
    ('"quoted" \'name\'.pdf', '"quoted" \'name\'.pdf'),
    ("<img src=x onerror=alert(1)>.png", "<img src=x onerror=alert(1)>.png"),
    ("line\nbreak\r\nname.pdf", "line break  name.pdf"),
    ("tab\tnul\x00del\x7f.pdf", "tab nul del .pdf"),
    ("C:\\Users\\jan\\Desktop\\brief.pdf", "brief.pdf"),
    ("../../etc/passwd", "passwd"),
    ("rapport\u202efdp.exe", "rapport fdp.exe"),
    ("  spaties  .pdf  ", "spaties  .pdf"),
    ("", "file"),
    ("\n\r", "file"),
    (None, "file"),
    ("a" * 300 + ".pdf", "a" * 255),
])
def test_safe_display_name(raw, shown):
    assert safe_display_name(raw) == shown


def test_the_clean_upload_carries_the_safe_name():
    clean = validate_upload(upload("map/報告\n“klacht”.pdf", samples.PDF))

    assert clean.name == "報告 “klacht”.pdf"


# --- the form field --------------------------------------------------------------------------


def test_the_widget_allows_several_files():
    field = AttachmentsField()

    assert isinstance(field.widget, MultipleFileInput)
    html = field.widget.render("attachments", None)
    assert 'multiple' in html
    assert 'accept=".pdf,.jpg,.jpeg,.png,.docx,application/pdf,image/jpeg,image/png,' in html
    assert field.required is False


def test_the_field_returns_clean_uploads_in_order():
    files = [upload("a.pdf", samples.PDF), upload("b.png", samples.png()),
             upload("c.docx", samples.docx())]

    cleaned = AttachmentsField().clean(files)

    assert [(c.name, c.content_type) for c in cleaned] == [
        ("a.pdf", PDF), ("b.png", PNG), ("c.docx", DOCX)]


def test_no_file_is_an_empty_list():
    assert AttachmentsField().clean([]) == []
    assert AttachmentsField().clean(None) == []


def test_five_files_are_accepted(settings):
    assert settings.ATTACHMENT_MAX_FILES == 5

    cleaned = AttachmentsField().clean([upload(f"{n}.pdf", samples.PDF) for n in range(5)])

    assert [c.name for c in cleaned] == ["0.pdf", "1.pdf", "2.pdf", "3.pdf", "4.pdf"]


def test_six_files_are_refused(settings):
    assert settings.ATTACHMENT_MAX_FILES == 5

    with pytest.raises(ValidationError) as excinfo:
        AttachmentsField().clean([upload(f"{n}.pdf", samples.PDF) for n in range(6)])

    assert error_codes(excinfo) == ["too_many", "choose_again"]
    assert excinfo.value.messages == [
        "You can add at most 5 files.",
        "Please choose your files again: after an error your browser cannot keep them."]


def test_each_bad_file_is_named(settings):
    with pytest.raises(ValidationError) as excinfo:
        AttachmentsField().clean([upload("goed.pdf", samples.PDF), upload("leeg.pdf", b""),
                                  upload("virus.pdf", samples.EXE)])

    assert error_codes(excinfo) == ["empty", "file_type", "choose_again"]
    assert excinfo.value.messages == [
        "“leeg.pdf” is empty.",
        "“virus.pdf” is not a PDF, JPEG, PNG or Word (.docx) file.",
        "Please choose your files again: after an error your browser cannot keep them."]
