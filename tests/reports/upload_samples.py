"""Files for upload tests, built in memory: a minimal PDF, a minimal DOCX (zipfile; python-docx
is not installed), JPEG and PNG images with EXIF (incl. GPS), XMP and comments (Pillow)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image, PngImagePlugin

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MB = 1024 * 1024

def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (object 1 the catalog) laid out exactly as pypdf writes one, so that
    ``validate_upload`` (which rewrites every PDF with pypdf) gives the same bytes back."""
    out = bytearray(b"%PDF-1.3\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<<\n/Size %d\n/Root 1 0 R\n>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, start)
    return bytes(out)


_CATALOG = b"<<\n/Type /Catalog\n/Pages 2 0 R\n>>"
_PAGES = b"<<\n/Type /Pages\n/Count 1\n/Kids [ 3 0 R ]\n>>"
_PAGE = b"<<\n/Type /Page\n/Resources <<\n>>\n/MediaBox [ 0.0 0.0 200 200 ]\n/Parent 2 0 R\n>>"

#: A minimal well-formed PDF without metadata (one empty page), as pypdf writes it.
PDF = _pdf([_CATALOG, _PAGES, _PAGE])
#: A PDF pypdf cannot read: header and end marker, but no cross-reference table or startxref.
PDF_WITHOUT_XREF = (b"%PDF-1.4\n"
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


def _pdf_with_stream(stream: bytes) -> bytes:
    page = _PAGE[:-2] + b"/Contents 4 0 R\n>>"
    return _pdf([_CATALOG, _PAGES, page,
                 b"<<\n/Length %d\n>>\nstream\n%s\nendstream" % (len(stream), stream)])


def pdf_containing(marker: bytes) -> bytes:
    """A one-page PDF whose content stream is the comment line ``%<marker>``: ``validate_upload``
    keeps it byte for byte, so tests can look for ``marker`` (no newline in it)."""
    return _pdf_with_stream(b"%" + marker + b"\n")


def pdf_of_size(size: int) -> bytes:
    """A PDF of exactly ``size`` bytes that ``validate_upload`` keeps byte for byte: its page
    has a content stream holding one comment line of padding."""
    padding = max(size - len(pdf_containing(b"")), 0)
    while len(pdf_containing(b"x" * padding)) > size and padding:
        padding -= 1  # the /Length grew a digit
    content = pdf_containing(b"x" * padding)
    assert len(content) == size, (len(content), size)
    return content


#: The people and details written into the metadata samples.
PDF_SECRETS = ("Fatima Anoniem", "Schrijfprogramma Fatima", "Maker PC 0042",
               "Klacht over buurman", "Fatima XMP")
PDF_TEXT = "Hallo wereld"


def pdf_with_metadata(*, encrypt: str | None = None) -> bytes:
    """A one-page PDF (built with pypdf) with the text ``PDF_TEXT``, a text annotation, a form
    field, ``/Info`` (Author, Creator, Producer, Title) and an XMP stream in the catalog."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter()
    page = writer.add_blank_page(300, 200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    text = DecodedStreamObject()
    text.set_data(f"BT /F1 12 Tf 20 100 Td ({PDF_TEXT}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(text)

    def rect(*numbers: float) -> ArrayObject:
        return ArrayObject([FloatObject(number) for number in numbers])

    note = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                             NameObject("/Subtype"): NameObject("/Text"),
                             NameObject("/Rect"): rect(10, 10, 30, 30),
                             NameObject("/Contents"): TextStringObject("Een notitie")})
    field = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                              NameObject("/Subtype"): NameObject("/Widget"),
                              NameObject("/FT"): NameObject("/Tx"),
                              NameObject("/T"): TextStringObject("plaats"),
                              NameObject("/V"): TextStringObject("Emmen"),
                              NameObject("/F"): NumberObject(4),
                              NameObject("/Rect"): rect(50, 10, 150, 30)})
    field_ref = writer._add_object(field)
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(note), field_ref])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([field_ref])})
    writer.add_metadata({"/Author": PDF_SECRETS[0], "/Creator": PDF_SECRETS[1],
                         "/Producer": PDF_SECRETS[2], "/Title": PDF_SECRETS[3]})
    xmp = DecodedStreamObject()
    xmp.set_data(XMP.replace(b"Jan Jansen", PDF_SECRETS[4].encode()))
    xmp[NameObject("/Type")] = NameObject("/Metadata")
    xmp[NameObject("/Subtype")] = NameObject("/XML")
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    if encrypt:
        writer.encrypt(encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_old_revision() -> bytes:
    """``pdf_with_metadata`` followed by an incremental update that blanks ``/Info`` and drops
    the XMP reference: the old objects are still in the file."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(PdfReader(io.BytesIO(pdf_with_metadata())), incremental=True)
    del writer._root_object[NameObject("/Metadata")]
    writer.add_metadata({"/Author": "", "/Creator": "", "/Producer": "", "/Title": ""})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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


#: The people and details written into ``docx_with_metadata``.
DOCX_SECRETS = ("Fatima Anoniem", "Laatst Bewerkt", "Stichting Geheim", "Manager Mens",
                "Eigen Veld", "Commentaar Schrijver", "Fa.A.", "Wijziging Maker", "Weg Haler",
                "S::fatima@example.nl::1234")
DOCX_TEXT = "Verslag van het voorval."
_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "w15": "http://schemas.microsoft.com/office/word/2012/wordml",
    "rels": "http://schemas.openxmlformats.org/package/2006/relationships",
    "office": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def docx_with_metadata() -> bytes:
    """A DOCX as Word writes one, with a person in every place metadata can name one: core
    properties (creator, lastModifiedBy, title, dates), app properties (Company, Manager),
    custom properties, a comment (author, initials), tracked changes (``w:ins``, ``w:del``) and
    ``word/people.xml``. ``word/media/note.txt`` is stored, the rest deflated."""
    fatima, edited, company, manager, custom, commenter, initials, inserter, deleter, user = (
        DOCX_SECRETS)
    types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="txt" ContentType="text/plain"/>'
        f'<Override PartName="/word/document.xml" ContentType="{MAIN_DOCUMENT}"/>'
        '<Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.comments+xml"/>'
        '<Override PartName="/word/people.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.people+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.extended-properties+xml"/>'
        '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.custom-properties+xml"/></Types>')
    rels = (
        f'{_XML}<Relationships xmlns="{_NS["rels"]}">'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/extended-properties" Target="docProps/app.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId1" Type="{_NS["office"]}/officeDocument" '
        'Target="word/document.xml"/>'
        f'<Relationship Id="rId4" Type="{_NS["office"]}/custom-properties" '
        'Target="docProps/custom.xml"/></Relationships>')
    core = (
        f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Mijn klacht</dc:title>'
        f'<dc:creator>{fatima}</dc:creator><cp:lastModifiedBy>{edited}</cp:lastModifiedBy>'
        '<cp:revision>3</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">'
        '2024-03-01T10:00:00Z</dcterms:created></cp:coreProperties>')
    app = (
        f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'docPropsVTypes"><Template>Normal.dotm</Template><Company>{company}</Company>'
        f'<Manager>{manager}</Manager><Application>Microsoft Office Word</Application>'
        '</Properties>')
    custom_xml = (
        f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
        f'name="Afdeling"><vt:lpwstr>{custom}</vt:lpwstr></property></Properties>')
    document = (
        f'{_XML}<w:document xmlns:w="{_NS["w"]}"><w:body><w:p><w:r><w:t>{DOCX_TEXT}</w:t></w:r>'
        f'<w:ins w:id="1" w:author="{inserter}" w:date="2024-03-02T09:00:00Z"><w:r><w:t> Erbij.'
        f'</w:t></w:r></w:ins><w:del w:id="2" w:author=\'{deleter}\' '
        'w:date="2024-03-02T09:01:00Z"><w:r><w:delText> Weg.</w:delText></w:r></w:del></w:p>'
        '<w:p><w:r><w:t xml:space="preserve">Tekst met w:author="blijft" erin.</w:t></w:r>'
        '</w:p></w:body></w:document>')
    comments = (
        f'{_XML}<w:comments xmlns:w="{_NS["w"]}"><w:comment w:id="0" w:author="{commenter}" '
        f'w:date="2024-03-02T09:02:00Z" w:initials="{initials}"><w:p><w:r><w:t>Klopt dit?'
        '</w:t></w:r></w:p></w:comment></w:comments>')
    people = (
        f'{_XML}<w15:people xmlns:w15="{_NS["w15"]}"><w15:person w15:author="{fatima}">'
        f'<w15:presenceInfo w15:providerId="AD" w15:userId="{user}"/></w15:person>'
        '</w15:people>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("[Content_Types].xml", types), ("_rels/.rels", rels),
                           ("docProps/app.xml", app), ("docProps/core.xml", core),
                           ("docProps/custom.xml", custom_xml), ("word/document.xml", document),
                           ("word/comments.xml", comments), ("word/people.xml", people)]:
            archive.writestr(name, data)
        archive.writestr("word/media/note.txt", "ongewijzigd", compress_type=zipfile.ZIP_STORED)
    return out.getvalue()
