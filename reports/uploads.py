"""Files from reporters (public intake form and follow-up portal) and staff: checked by content,
cleaned, and given a safe display name before anything is stored.

Rules (issue "safe intake"):

* at most ``settings.ATTACHMENT_MAX_FILES`` files per form (``AttachmentsField``), each at most
  ``settings.ATTACHMENT_MAX_BYTES`` bytes and not empty;
* only PDF, JPEG, PNG and DOCX, recognised by their CONTENT, never by the file name or the
  browser's content type: a PDF starts with ``%PDF-`` and ends with ``%%EOF``; an image must open
  and decode with Pillow; a DOCX is a ZIP archive holding ``[Content_Types].xml`` (declaring a
  WordprocessingML main document) and ``word/document.xml``, and no macros;
* images are re-encoded without metadata (EXIF incl. GPS, XMP, comments, ICC profiles), with
  the EXIF orientation applied first (``ImageOps.exif_transpose``);
* PDFs are rewritten with pypdf without the document information dictionary (``/Info``: author,
  creator, producer, title, dates ...) and without XMP (``/Metadata`` of the catalog and of the
  pages); only objects still referenced are written, so earlier revisions (incremental updates)
  are dropped too. Pages, annotations and form fields stay. A PDF pypdf cannot read, or an
  encrypted one, is refused: nothing is stored unstripped;
* DOCX files are rewritten entry by entry (same names, order, dates and compression, without
  ZIP comments and extra fields): ``docProps/core.xml`` and ``docProps/app.xml`` become empty
  (schema-valid) property documents, ``docProps/custom.xml`` is removed together with its
  relationship and content type, and the ``author``, ``initials`` and ``userId`` attributes in
  the ``word/`` parts (comments, tracked changes, people) become ``"—"``;
* the original file name is kept for display only (``safe_display_name``); storage names are
  generated (``reports.models.complaint.attachment_path``) and files are encrypted at rest
  (``reports.storage.EncryptedPrivateStorage``).

The body of the whole request is limited separately (``IntakeRequestLimitMiddleware``;
``INTAKE_MAX_REQUEST_BYTES``; the reverse proxy's limit, see docs/deployment.md).
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: The content types accepted, as stored in ``Attachment.content_type``.
ALLOWED_CONTENT_TYPES = (PDF, JPEG, PNG, DOCX)
#: For the file chooser only (a hint to the browser; the server checks the content).
ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx," + ",".join(ALLOWED_CONTENT_TYPES)
#: A display name is cut to this many characters (``Attachment.original_name``).
MAX_NAME_LENGTH = 255

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_ZIP_SIGNATURE = b"PK\x03\x04"
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
#: A DOCX whose parts unpack to more than this is refused (ZIP bombs).
_DOCX_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_DOCX_MAX_ENTRIES = 2000
#: A PDF with more objects than this is refused (the rewrite would take too long).
_PDF_MAX_OBJECTS = 150_000
#: Images larger than this many pixels are refused (decompression bombs); about 60 megapixels.
_MAX_IMAGE_PIXELS = 60_000_000
#: Bidirectional-text controls: they can disguise a name ("doc\u202efdp.exe").
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class CleanUpload:
    """An uploaded file that passed ``validate_upload``.

    Attributes:
        name: the original file name, safe for display (``safe_display_name``); still to be
            HTML-escaped when shown (templates do that).
        content: the bytes to store, always without metadata: the rewritten PDF or DOCX or the
            re-encoded image (JPEG, PNG). A rewritten PDF can be somewhat larger than the
            upload (cross-reference streams and object streams are written out plainly).
        content_type: one of ``ALLOWED_CONTENT_TYPES``, decided by the content.
    """

    name: str
    content: bytes
    content_type: str


def safe_display_name(name: str | None) -> str:
    """A file name from a browser, made safe to store, display and save on any system.

    NFC-normalised; only the part after the last ``/`` or ``\\`` (browsers on Windows sent full
    paths); control characters (incl. CR, LF, tab), line and paragraph separators and
    bidirectional-text controls replaced by spaces; then only letters (any script, with their
    accents), digits, spaces and ``. - _ ( ) ' , +`` are kept: everything else (``<>:"/\\|?*``,
    ``=``, ``;``, emoji, ...) is dropped, so ``../../bewijs<script>.png`` becomes
    ``bewijsscript.png`` (tester finding 10). Leading and trailing dots and spaces are removed
    (hidden files; Windows refuses trailing ones), a Windows device name (``CON``, ``NUL``,
    ``COM1`` ...) gets a ``_`` in front; at most ``MAX_NAME_LENGTH`` characters. ``"file"``
    when nothing is left.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(" " if unicodedata.category(char) in {"Cc", "Zl", "Zp"}
                   or char in _BIDI_CONTROLS else char for char in text)
    text = "".join(char for char in text if char in _NAME_PUNCTUATION
                   or unicodedata.category(char)[0] in "LM"
                   or unicodedata.category(char) == "Nd")
    text = text.strip(" .")[:MAX_NAME_LENGTH].strip(" .")
    if text.split(".", 1)[0].upper() in _WINDOWS_DEVICES:
        text = "_" + text[:MAX_NAME_LENGTH - 1]
    return text or "file"


#: Punctuation ``safe_display_name`` keeps (valid in file names on every system).
_NAME_PUNCTUATION = frozenset(" .-_()',+")
_WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                              *(f"LPT{n}" for n in range(1, 10))})


def _max_megabytes() -> int:
    return settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)


def _wrong_type(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a PDF, JPEG, PNG or Word (.docx) file.") % {"name": name},
        code="file_type")


def _unreadable_pdf(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” could not be read as a PDF. Save it again as PDF and try once more.")
        % {"name": name},
        code="file_type")


def validate_upload(upload: UploadedFile) -> CleanUpload:
    """Check one uploaded file by its content and return what may be stored.

    Args:
        upload: a Django ``UploadedFile`` (in memory or a temporary file); its ``name`` is the
            browser's file name, its ``content_type`` is ignored.

    Returns:
        ``CleanUpload`` with the safe display name, the bytes to store (without metadata: see
        the module docstring) and the content type found in the content.

    Raises:
        django.core.exceptions.ValidationError: with a translated message naming the file and
            ``code`` ``"empty"`` (0 bytes), ``"too_large"`` (more than
            ``settings.ATTACHMENT_MAX_BYTES``) or ``"file_type"`` (not a readable PDF, JPEG,
            PNG or DOCX, e.g. a renamed program or ZIP; or a PDF that looks like one but
            pypdf cannot read, or that is encrypted).
    """
    name = safe_display_name(upload.name)
    size = upload.size or 0
    if size <= 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than %(max)d MB.") % {"name": name, "max": _max_megabytes()},
            code="too_large")
    upload.seek(0)
    content = upload.read(settings.ATTACHMENT_MAX_BYTES + 1)
    upload.seek(0)
    if not content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if len(content) > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than %(max)d MB.") % {"name": name, "max": _max_megabytes()},
            code="too_large")
    if content.startswith(b"%PDF-") and _is_pdf(content):
        stripped = _strip_pdf(content)
        if stripped is None:
            raise _unreadable_pdf(name)
        return CleanUpload(name=name, content=stripped, content_type=PDF)
    if content.startswith((_PNG_SIGNATURE, _JPEG_SIGNATURE)):
        cleaned = _clean_image(content)
        if cleaned is not None:
            return CleanUpload(name=name, content=cleaned[0], content_type=cleaned[1])
    if content.startswith(_ZIP_SIGNATURE) and _is_docx(content):
        stripped = _strip_docx(content)
        if stripped is not None:
            return CleanUpload(name=name, content=stripped, content_type=DOCX)
    raise _wrong_type(name)


def _is_pdf(content: bytes) -> bool:
    """A PDF header and, within the last 1024 bytes, the end-of-file marker (ISO 32000-1
    7.5.5; readers accept trailing bytes after it)."""
    return b"%%EOF" in content[-1024:]


def _clean_image(content: bytes) -> tuple[bytes, str] | None:
    """Decode a PNG or JPEG fully and re-encode it without any metadata, orientation applied.
    ``None`` when Pillow cannot read it, it is not PNG or JPEG, or it is too large."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                if probe.format not in {"PNG", "JPEG"}:
                    return None
                if probe.width * probe.height > _MAX_IMAGE_PIXELS:
                    return None
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image_format = image.format
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                upright.load()
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError, ZeroDivisionError):
        return None
    transparency = upright.info.get("transparency")
    # Drop everything Pillow read besides pixels (EXIF, XMP, comments, ICC, text chunks).
    upright.info = {}
    out = io.BytesIO()
    if image_format == "JPEG":
        if upright.mode not in {"RGB", "L", "CMYK"}:
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=90)
        return out.getvalue(), JPEG
    options = {"transparency": transparency} if transparency is not None else {}
    upright.save(out, format="PNG", optimize=False, **options)
    return out.getvalue(), PNG


def _is_docx(content: bytes) -> bool:
    """A ZIP with a WordprocessingML main document, ``word/document.xml`` and no macros; its
    declared unpacked size is bounded, and the two required parts must unpack (CRC checked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > _DOCX_MAX_ENTRIES:
                return False
            if sum(entry.file_size for entry in entries) > _DOCX_MAX_UNPACKED_BYTES:
                return False
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return False
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return False
            types = archive.read("[Content_Types].xml")
            archive.read("word/document.xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError):
        return False
    return _DOCX_MAIN in types and b"macroEnabled" not in types


# pypdf's warnings about a damaged file can quote bytes of it (a reporter's document): off.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)


def _strip_pdf(content: bytes) -> bytes | None:
    """The PDF rewritten by pypdf without ``/Info`` and without the XMP ``/Metadata`` streams
    of the catalog and the pages; only objects reachable from the catalog are written.

    ``None`` when pypdf cannot read it, it is encrypted, or it has more than
    ``_PDF_MAX_OBJECTS`` objects. Streams are copied as they are (not decoded), so the work
    grows with the number of objects, not with the size of images.
    """
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            return None
        objects = sum(len(numbers) for numbers in reader.xref.values())
        if objects + len(reader.xref_objStm) > _PDF_MAX_OBJECTS:
            return None
        catalog = reader.root_object
        catalog.pop(NameObject("/Metadata"), None)
        for page in reader.pages:
            page.pop(NameObject("/Metadata"), None)
        reader.trailer.pop(NameObject("/Info"), None)
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except Exception:  # any failure on a hostile file means "not readable"
        return None
    return out.getvalue()


_CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
_APP_TYPE = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
#: Empty core properties (ECMA-376 part 2, 11; every element is optional).
_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>')
#: Empty extended properties (ECMA-376 part 1, 22.2; every element is optional).
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'docPropsVTypes"></Properties>')
#: The neutral value for people's names in comments, tracked changes and people.xml.
_NEUTRAL_AUTHOR = "\u2014"
#: One start tag or empty-element tag with its attributes (quoted values may hold ">").
_TAG = re.compile(r"""<[A-Za-z_][\w.:-]*(?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
_ATTRIBUTE = re.compile(r"""([\w.:-]+)\s*=\s*("[^"]*"|'[^']*')""")
#: An attribute that names a person: ``w:author`` (comments, ``w:ins``, ``w:del``,
#: ``w:rPrChange`` ...), ``w:initials`` (comments), ``w15:author`` and ``w15:userId``
#: (``word/people.xml``). Group 1 is everything before the value.
_PERSON_ATTRIBUTE = re.compile(
    r"""(\s(?:[\w.-]+:)?(?:author|initials|userId)\s*=\s*)(?:"[^"]*"|'[^']*')""")


def _xml_text(data: bytes) -> tuple[str, str]:
    """The text of an XML part and its encoding (UTF-8, or UTF-16 with a byte order mark)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"), "utf-8"


def _encode(text: str, encoding: str, original: bytes) -> bytes:
    if encoding == "utf-8" and original.startswith(b"\xef\xbb\xbf"):
        return b"\xef\xbb\xbf" + text.encode()
    return text.encode(encoding)


def _attribute(tag: str, name: str) -> str | None:
    for match in _ATTRIBUTE.finditer(tag):
        if match.group(1) == name:
            return match.group(2)[1:-1]
    return None


def _without_tags(data: bytes, element: str, attribute: str, values: set[str]) -> bytes:
    """``data`` without the ``<element .../>`` tags whose ``attribute`` (lower-cased, leading
    ``/`` removed) is in ``values``."""
    text, encoding = _xml_text(data)

    def drop(match: re.Match[str]) -> str:
        tag = match.group(0)
        if not re.match(rf"<{element}[\s/>]", tag):
            return tag
        value = _attribute(tag, attribute)
        return "" if value is not None and value.lstrip("/").lower() in values else tag

    return _encode(_TAG.sub(drop, text), encoding, data)


def _without_people(data: bytes) -> bytes:
    """``data`` with every attribute that names a person (``_PERSON_ATTRIBUTE``) set to
    ``_NEUTRAL_AUTHOR``; text (``<w:t>w:author="x"</w:t>``) and other attributes stay.

    An attribute is inside a tag when the tag that starts at the last ``<`` before it (``<``
    cannot occur unescaped in text or attribute values) reaches past it.
    """
    text, encoding = _xml_text(data)

    def neutral(match: re.Match[str]) -> str:
        start = text.rfind("<", 0, match.start())
        tag = _TAG.match(text, start) if start >= 0 else None
        if tag is None or tag.end() < match.end():
            return match.group(0)
        return f'{match.group(1)}"{_NEUTRAL_AUTHOR}"'

    return _encode(_PERSON_ATTRIBUTE.sub(neutral, text), encoding, data)


def _property_parts(types: bytes, names: list[str]) -> tuple[set[str], set[str], set[str]]:
    """Zip names (lower-cased) of the core, extended (app) and custom properties parts: as
    declared in ``[Content_Types].xml`` and at their usual names."""
    core, app, custom = {"docprops/core.xml"}, {"docprops/app.xml"}, {"docprops/custom.xml"}
    text, _encoding = _xml_text(types)
    for match in _TAG.finditer(text):
        tag = match.group(0)
        if not tag.startswith("<Override"):
            continue
        part = (_attribute(tag, "PartName") or "").lstrip("/").lower()
        kind = (_attribute(tag, "ContentType") or "").strip()
        {_CORE_TYPE: core, _APP_TYPE: app, _CUSTOM_TYPE: custom}.get(kind, set()).add(part)
    present = {name.lower() for name in names}
    return core & present, app & present, custom & present


def _strip_docx(content: bytes) -> bytes | None:
    """The DOCX rewritten without personal metadata (see the module docstring).

    Every entry is read (CRC checked) and written again in the same order with the same date
    and compression method. ``None`` when an entry cannot be read (damaged, encrypted, an
    unknown compression method), a name appears twice, or an XML part to edit is neither
    UTF-8 nor UTF-16. ``_is_docx`` has bounded the entries and their unpacked size before.
    """
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            names = [entry.filename for entry in entries]
            if len({name.lower() for name in names}) != len(names):
                return None
            core, app, custom = _property_parts(archive.read("[Content_Types].xml"), names)
            # The custom part goes, and so do its own relationships.
            removed = custom | {f"docprops/_rels/{name.rsplit('/', 1)[-1]}.rels"
                                for name in custom}
            with zipfile.ZipFile(out, "w") as target:
                for entry in entries:
                    lower = entry.filename.lower()
                    if lower in removed:
                        continue
                    data = archive.read(entry)
                    if lower in core:
                        data = _EMPTY_CORE
                    elif lower in app:
                        data = _EMPTY_APP
                    elif lower == "[content_types].xml" and custom:
                        data = _without_tags(data, "Override", "PartName", custom)
                    elif lower == "_rels/.rels" and custom:
                        data = _without_tags(data, "Relationship", "Target", custom)
                    elif lower.startswith("word/") and lower.endswith(".xml"):
                        data = _without_people(data)
                    info = zipfile.ZipInfo(entry.filename, date_time=entry.date_time)
                    info.compress_type = entry.compress_type
                    info.external_attr = entry.external_attr
                    target.writestr(info, data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, UnicodeError):
        return None
    return out.getvalue()


class MultipleFileInput(forms.ClearableFileInput):
    """A file chooser that accepts several files at once (Django 5.2)."""

    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Optional files for a public form: at most ``settings.ATTACHMENT_MAX_FILES``, each checked
    by ``validate_upload``.

    ``clean`` returns ``list[CleanUpload]`` (empty when no file was chosen). Errors are a list:
    the problem with each file (codes ``"too_many"``, ``"empty"``, ``"too_large"``,
    ``"file_type"``), then one ``"choose_again"`` message, because a browser cannot keep chosen
    files when the form is shown again.
    """

    widget = MultipleFileInput

    def __init__(self, *, label: StrOrPromise | None = None, help_text: StrOrPromise = "",
                 required: bool = False,
                 error_messages: Mapping[str, StrOrPromise] | None = None) -> None:
        super().__init__(label=label, help_text=help_text, required=required,
                         error_messages=error_messages)
        self.widget.attrs.setdefault("accept", ACCEPT)

    def clean(self, data: object, initial: object = None) -> list[CleanUpload]:
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        maximum = settings.ATTACHMENT_MAX_FILES
        if len(files) > maximum:
            errors = [ValidationError(
                ngettext("You can add at most %(max)d file.",
                         "You can add at most %(max)d files.", maximum) % {"max": maximum},
                code="too_many")]
        else:
            errors, cleaned = [], []
            for upload in files:
                if not isinstance(upload, UploadedFile):
                    errors.append(ValidationError(_("No file was sent."), code="invalid"))
                    continue
                try:
                    cleaned.append(validate_upload(upload))
                except ValidationError as error:
                    errors.append(error)
            if not errors:
                return cleaned
        errors.append(ValidationError(
            _("Please choose your files again: after an error your browser cannot keep them."),
            code="choose_again"))
        raise ValidationError(errors)

    def has_changed(self, initial: object, data: object) -> bool:
        return bool(data)


#: The parse errors of a request body that a public form answers with the form itself.
_BODY_ERRORS = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError)


class IntakeRequestLimitMiddleware:
    """Answers POSTs to the public report form that are too large or cannot be read with the
    form and a clear message, instead of Django's bare 400 page.

    Place it right after ``CsrfViewMiddleware``: its ``__call__`` then runs after CSRF has
    read the cookie and before CSRF's ``process_view`` reads the body. A declared
    ``Content-Length`` above ``settings.INTAKE_MAX_REQUEST_BYTES`` is refused with 413 without
    reading the body; a body Django refuses to parse (``DATA_UPLOAD_MAX_MEMORY_SIZE`` for the
    non-file fields, ``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``DATA_UPLOAD_MAX_NUMBER_FILES``) gives
    413, a malformed one 400. The reporter's text cannot be kept in these cases (it was never
    read), which the message says.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == reverse("intake:report"):
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.INTAKE_MAX_REQUEST_BYTES:
            return self._answer(request, status=413)
        try:
            request.POST  # noqa: B018 - parses the body, as CsrfViewMiddleware would
            request.FILES  # noqa: B018
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
            return self._answer(request, status=413)
        except MultiPartParserError:
            return self._answer(request, status=400)
        return None

    def _answer(self, request: HttpRequest, *, status: int) -> HttpResponse:
        from reports.intake_page import render_intake  # imports forms, which import this module

        if status == 413:
            message = _("What you sent was too large (at most %(count)d files of %(max)d MB "
                        "each). Nothing was saved. Please write your report again and choose "
                        "fewer or smaller files.") % {
                "count": settings.ATTACHMENT_MAX_FILES, "max": _max_megabytes()}
        else:
            message = _("Your report could not be read. Nothing was saved. Please try again.")
        return render_intake(request, form=None, message=message, status=status)

