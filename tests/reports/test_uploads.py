"""reports.uploads: content checks, metadata removal, safe names and the multi-file field."""

from __future__ import annotations

import io
import re
import warnings
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from reports import crypto
from reports.services.attachments import store_reporter_attachments
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
from tests.factories import ComplaintFactory
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


def test_pdf_metadata_is_removed_and_the_document_kept():
    original = samples.pdf_with_metadata()
    before = PdfReader(io.BytesIO(original))
    assert dict(before.metadata) == {
        "/Author": "Fatima Anoniem", "/Creator": "Schrijfprogramma Fatima",
        "/Producer": "Maker PC 0042", "/Title": "Klacht over buurman"}
    assert before.xmp_metadata is not None
    assert [secret.encode() in original for secret in samples.PDF_SECRETS] == [True] * 5

    clean = validate_upload(upload("brief.pdf", original, "application/pdf"))

    assert (clean.name, clean.content_type) == ("brief.pdf", PDF)
    assert [secret.encode() in clean.content for secret in samples.PDF_SECRETS] == [False] * 5
    for marker in (b"/Info", b"/Metadata", b"/Author", b"/Creator", b"/Producer", b"/Title",
                   b"xmpmeta"):
        assert marker not in clean.content
    after = PdfReader(io.BytesIO(clean.content))
    assert len(after.metadata or {}) == 0
    assert after.xmp_metadata is None
    assert len(after.pages) == len(before.pages) == 1
    assert after.pages[0].extract_text() == before.pages[0].extract_text() == "Hallo wereld"
    assert [annot.get_object()["/Subtype"] for annot in after.pages[0]["/Annots"]] == [
        "/Text", "/Widget"]
    assert after.get_fields() == {"plaats": {"/T": "plaats", "/FT": "/Tx", "/V": "Emmen"}}


def test_a_clean_pdf_is_stable_when_cleaned_again():
    once = validate_upload(upload("brief.pdf", samples.pdf_with_metadata())).content

    assert validate_upload(upload("brief.pdf", once)).content == once


def test_metadata_in_an_earlier_revision_of_a_pdf_is_removed():
    original = samples.pdf_with_old_revision()
    assert dict(PdfReader(io.BytesIO(original)).metadata) == {  # the last revision: blanked
        "/Author": "", "/Creator": "", "/Producer": "", "/Title": ""}
    assert b"Fatima Anoniem" in original  # but the first revision is still in the file
    assert original.count(b"%%EOF") == 2

    clean = validate_upload(upload("brief.pdf", original))

    assert [secret.encode() in clean.content for secret in samples.PDF_SECRETS] == [False] * 5
    assert clean.content.count(b"%%EOF") == 1
    assert PdfReader(io.BytesIO(clean.content)).pages[0].extract_text() == "Hallo wereld"


UNREADABLE_PDF = "“{}” could not be read as a PDF. Save it again as PDF and try once more."


@pytest.mark.parametrize(("name", "content"), [
    pytest.param("geheim.pdf", samples.pdf_with_metadata(encrypt="geheim"), id="encrypted"),
    pytest.param("oud.pdf", samples.PDF_WITHOUT_XREF, id="without-xref"),
])
def test_a_pdf_that_cannot_be_rewritten_is_refused(name, content):
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload(name, content, "application/pdf"))

    assert excinfo.value.code == "file_type"
    assert excinfo.value.messages == [UNREADABLE_PDF.format(name)]


def test_a_pdf_with_too_many_objects_is_refused(monkeypatch):
    monkeypatch.setattr("reports.uploads._PDF_MAX_OBJECTS", 6)  # the sample has 7

    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("veel.pdf", samples.pdf_with_metadata()))

    assert excinfo.value.code == "file_type"
    assert excinfo.value.messages == [UNREADABLE_PDF.format("veel.pdf")]


def _entries(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {entry.filename: archive.read(entry) for entry in archive.infolist()}


def _layout(content: bytes) -> list[tuple[str, int, tuple[int, ...]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [(entry.filename, entry.compress_type, entry.date_time)
                for entry in archive.infolist()]


def _tags(xml: bytes, name: str) -> list[str]:
    return re.findall(rf"<{name}\b[^>]*>", xml.decode())


def test_docx_metadata_is_removed_and_the_document_kept():
    original = samples.docx_with_metadata()
    for secret in samples.DOCX_SECRETS:  # the sample really carries every one
        assert any(secret.encode() in data for data in _entries(original).values()), secret

    clean = validate_upload(upload("verslag.docx", original))

    assert (clean.name, clean.content_type) == ("verslag.docx", DOCX)
    entries = _entries(clean.content)
    for name, data in entries.items():
        assert [secret for secret in samples.DOCX_SECRETS if secret.encode() in data] == [], name
    # Same entries (without the custom properties), same order, compression and dates.
    assert _layout(clean.content) == [
        item for item in _layout(original) if item[0] != "docProps/custom.xml"]
    assert [item[:2] for item in _layout(clean.content)] == [
        ("[Content_Types].xml", zipfile.ZIP_DEFLATED), ("_rels/.rels", zipfile.ZIP_DEFLATED),
        ("docProps/app.xml", zipfile.ZIP_DEFLATED), ("docProps/core.xml", zipfile.ZIP_DEFLATED),
        ("word/document.xml", zipfile.ZIP_DEFLATED), ("word/comments.xml", zipfile.ZIP_DEFLATED),
        ("word/people.xml", zipfile.ZIP_DEFLATED), ("word/media/note.txt", zipfile.ZIP_STORED)]
    assert entries["word/media/note.txt"] == b"ongewijzigd"
    # The content types and relationships name no removed part.
    assert [re.search(r'PartName="([^"]+)"', tag).group(1)
            for tag in _tags(entries["[Content_Types].xml"], "Override")] == [
        "/word/document.xml", "/word/comments.xml", "/word/people.xml", "/docProps/core.xml",
        "/docProps/app.xml"]
    assert [re.search(r'Target="([^"]+)"', tag).group(1)
            for tag in _tags(entries["_rels/.rels"], "Relationship")] == [
        "docProps/app.xml", "docProps/core.xml", "word/document.xml"]
    assert b"custom" not in entries["[Content_Types].xml"] + entries["_rels/.rels"]
    # Empty but valid property parts.
    assert entries["docProps/core.xml"].endswith(
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>')
    assert entries["docProps/app.xml"].endswith(b'docPropsVTypes"></Properties>')
    for part in ("docProps/core.xml", "docProps/app.xml"):
        assert _tags(entries[part], r"[\w:]+") == _tags(entries[part], r"[\w:]+")[:1]
    # The body text is unchanged; people are neutral.
    document = entries["word/document.xml"].decode()
    assert re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", document) == [
        "Verslag van het voorval.", " Erbij.", 'Tekst met w:author="blijft" erin.']
    assert re.findall(r'w:author=(\S+)', document) == ['"—"', '"—"', '"blijft"']
    assert _tags(entries["word/comments.xml"], "w:comment") == [
        '<w:comment w:id="0" w:author="—" w:date="2024-03-02T09:02:00Z" w:initials="—">']
    assert _tags(entries["word/people.xml"], r"w15:\w+") == [
        '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">',
        '<w15:person w15:author="—">',
        '<w15:presenceInfo w15:providerId="AD" w15:userId="—"/>']
    # Still a DOCX to the content check, and stable when cleaned again.
    assert validate_upload(upload("verslag.docx", clean.content)).content == clean.content


def test_people_in_a_utf16_docx_part_are_made_neutral():
    comments = ('<?xml version="1.0" encoding="UTF-16"?><w:comments xmlns:w="x"><w:comment '
                'w:author="Fatima Anoniem" w:initials="FA"/></w:comments>')
    content = samples.docx(parts={"word/comments.xml": comments.encode("utf-16")})

    clean = validate_upload(upload("verslag.docx", content))

    assert _entries(clean.content)["word/comments.xml"].decode("utf-16") == (
        '<?xml version="1.0" encoding="UTF-16"?><w:comments xmlns:w="x"><w:comment '
        'w:author="—" w:initials="—"/></w:comments>')


def _duplicate_entry_docx() -> bytes:
    out = io.BytesIO(samples.docx())
    with warnings.catch_warnings(), zipfile.ZipFile(out, "a") as archive:
        warnings.simplefilter("ignore")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _damaged_entry_docx() -> bytes:
    content = samples.docx_with_metadata()
    return content.replace(b"ongewijzigd", b"ongewijzigD")  # a stored entry: its CRC fails


@pytest.mark.parametrize("content", [
    pytest.param(_duplicate_entry_docx(), id="duplicate-entry"),
    pytest.param(_damaged_entry_docx(), id="damaged-entry"),
])
def test_a_docx_that_cannot_be_rewritten_is_refused(content):
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("verslag.docx", content))

    assert excinfo.value.code == "file_type"
    assert excinfo.value.messages == [
        "“verslag.docx” is not a PDF, JPEG, PNG or Word (.docx) file."]


@pytest.mark.django_db
def test_stored_attachments_hold_no_metadata(office, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    files = [validate_upload(upload("brief.pdf", samples.pdf_with_metadata())),
             validate_upload(upload("verslag.docx", samples.docx_with_metadata()))]

    stored = store_reporter_attachments(complaint=ComplaintFactory(), files=files)

    assert [(a.original_name, a.content_type, a.size) for a in stored] == [
        ("brief.pdf", PDF, len(files[0].content)), ("verslag.docx", DOCX, len(files[1].content))]
    pdf, docx = (crypto.decrypt_bytes((tmp_path / a.file.name).read_bytes()) for a in stored)
    assert (pdf, docx) == (files[0].content, files[1].content)
    assert [secret.encode() in pdf for secret in samples.PDF_SECRETS] == [False] * 5
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text() == "Hallo wereld"
    assert [name for name, data in _entries(docx).items()
            if any(secret.encode() in data for secret in samples.DOCX_SECRETS)] == []
    assert b"Verslag van het voorval." in _entries(docx)["word/document.xml"]


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
    ('"quoted" \'name\'.pdf', "quoted 'name'.pdf"),
    ("<img src=x onerror=alert(1)>.png", "img srcx onerroralert(1).png"),
    # Tester finding 10: only letters, digits, space and . - _ ( ) ' , + are kept.
    ("../../bewijs<script>.png", "bewijsscript.png"),
    ('a<b>c:d"e|f?g*h.pdf', "abcdefgh.pdf"),
    ("تقرير ٢٠٢٠ (1).pdf", "تقرير ٢٠٢٠ (1).pdf"),
    ("foto 😀.jpg", "foto .jpg"),
    (".htaccess", "htaccess"),
    ("brief.pdf. . ", "brief.pdf"),
    ("CON.txt", "_CON.txt"),
    ("<>?*", "file"),
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

    assert clean.name == "報告 klacht.pdf"


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
