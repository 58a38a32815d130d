"""Files for upload tests, built in memory: a minimal PDF, a minimal DOCX (zipfile; python-docx
is not installed), JPEG and PNG images with EXIF (incl. GPS), XMP and comments (Pillow)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image, PngImagePlugin

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MB = 1024 * 1024

#: A minimal but well-formed PDF: header, one empty page, cross-reference table, trailer, %%EOF.
PDF = (b"%PDF-1.4\n"
       b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
       b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
       b"trailer << /Root 1 0 R >>\n"
       b"%%EOF\n")

#: The GPS position written into the test images (Emmen, Drenthe).
GPS = {1: "N", 2: (52.0, 47.0, 0.0), 3: "E", 4: (6.0, 54.0, 0.0)}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
       b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jan Jansen"/></rdf:RDF>'
       b"</x:xmpmeta>")


def pdf_of_size(size: int) -> bytes:
    """A PDF of exactly ``size`` bytes (a comment line pads it before the end marker)."""
    head, tail = PDF[:-len(b"%%EOF\n")], b"%%EOF\n"
    padding = size - len(head) - len(tail)
    assert padding >= 2
    return head + b"%" + b"x" * (padding - 2) + b"\n" + tail


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0110] = "Secret phone"  # Model
    exif[0x0112] = orientation  # Orientation
    exif[0x013B] = "Jan Jansen"  # Artist
    gps = exif.get_ifd(0x8825)
    gps.update(GPS)
    return exif


def jpeg(*, width: int = 40, height: int = 20, orientation: int = 1,
         metadata: bool = True) -> bytes:
    """A JPEG (red left half, blue right half); with EXIF incl. GPS, XMP and a comment."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    out = io.BytesIO()
    options = {"exif": _exif(orientation).tobytes(), "comment": b"Taken at home of Jan Jansen",
               "xmp": XMP} if metadata else {}
    image.save(out, format="JPEG", quality=95, **options)
    return out.getvalue()


def png(*, metadata: bool = True, mode: str = "RGBA") -> bytes:
    """A 30x10 PNG; with a text chunk, an eXIf chunk with GPS and XMP."""
    image = Image.new(mode, (30, 10), (0, 128, 0, 255) if mode == "RGBA" else (0, 128, 0))
    info = PngImagePlugin.PngInfo()
    if metadata:
        info.add_text("Author", "Jan Jansen")
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info,
               **({"exif": _exif().tobytes()} if metadata else {}))
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    return out.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/></Types>')
MAIN_DOCUMENT = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document."
                 "main+xml")
MACRO_DOCUMENT = "application/vnd.ms-word.document.macroEnabled.main+xml"


def docx(*, main: str = MAIN_DOCUMENT, parts: dict[str, bytes] | None = None,
         document: bool = True) -> bytes:
    """A minimal DOCX: ``[Content_Types].xml``, ``_rels/.rels`` and ``word/document.xml``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML.replace("{main}", main))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>'))
        if document:
            archive.writestr("word/document.xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body><w:p><w:r><w:t>Verslag</w:t></w:r></w:p></w:body></w:document>'))
        for name, data in (parts or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "not a document")
    return out.getvalue()


#: The start of a Windows program (MZ header and DOS stub text).
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + (
    b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64)
