"""Evidence file types recognised from their content and structure, never from their name.

Allowed: PDF, DOCX, XLSX, CSV, TXT, PNG, JPEG. A file is accepted only when its bytes are
one of these *and* its name's extension agrees *and* its structure holds up (issue 17):

1. Executables are refused wherever they sit: at the start of the file, or anywhere inside a
   PDF, image or Office container (a Windows PE header found through its DOS stub's pointer,
   an ELF header with a valid class/byte order/version), so `%PDF-1.4` + a Windows program is
   not a PDF.
2. A PDF must parse (pikepdf/qpdf), must not be encrypted, and may end only in blank bytes
   after its last `%%EOF`. Every object reachable from the trailer, then every other object of
   the file, is walked (at most `Limits.pdf_objects`): JavaScript (a `/JS` key, a `/JavaScript`
   action or name tree, an XFA form with a script), `/Launch` actions, and embedded files that
   are executables (by their bytes or their name) are refused. Names are compared after qpdf
   decoded them, so `/J#61vaScript` is `/JavaScript`.
3. DOCX and XLSX must be OOXML zips: `[Content_Types].xml` naming the document's main part,
   and that part present; no macros (`vbaProject.bin`, a macro-enabled or VBA content type,
   ActiveX controls, a template attached from outside the file); at most
   `Limits.zip_entries` entries and `Limits.unzipped_bytes` once uncompressed (a zip bomb).
4. TXT and CSV are scanned whole (the caller bounds the size by the upload limit) for markup a
   browser would render or run, case-insensitively, anywhere in the text.
5. PNG and JPEG must decode with Pillow, within Pillow's decompression-bomb pixel limit.

Each refusal names the file and says what was found and what to do instead.
"""

import io
import re
import struct
import threading
import warnings
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

# extension -> kind; two extensions may share a kind (jpg/jpeg).
EXTENSION_KINDS = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "csv": "csv",
    "txt": "txt",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
}

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "txt": "text/plain",
    "png": "image/png",
    "jpeg": "image/jpeg",
}

LABELS = "PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG"


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one check may do; the byte size itself is bounded by the caller."""

    pdf_objects: int = 200_000  # about 30 µs each: a few seconds at most (30,000 objects: 1 s)
    zip_entries: int = 10_000
    unzipped_bytes: int = 512 * 1024 * 1024
    # Bytes of an embedded file (PDF attachment, Office embedding) decompressed to look at it.
    embedded_peek: int = 64 * 1024


_EXECUTABLE_MAGIC = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xfe\xed\xfa\xcf", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java executable"),
    (b"#!", "a script"),
)

# Names an attachment or embedding may not have: programs and scripts a double-click runs.
_EXECUTABLE_NAMES = re.compile(
    r"\.(exe|dll|com|scr|pif|msi|msp|bat|cmd|ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|cpl|jar|sh|app|lnk|reg|"
    r"docm|dotm|xlsm|xltm|xlam|pptm)$", re.IGNORECASE)

# Markup a browser would render or run; never accepted in a ".txt" or ".csv", wherever it sits.
_MARKUP = re.compile(
    r"<\s*(?:script|html|body|iframe|frame|svg|object|embed|img|meta|link|style|form|base|math|applet)\b"
    r"|<!doctype|<\?xml", re.IGNORECASE)
# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_MARKUP_AT_START = re.compile(r"\s*(?:<!doctype|<\?xml|<\s*(?:html|svg|body|head|script)\b)", re.IGNORECASE)

OOXML_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
_OOXML_NAMES = {"docx": "a Word document", "xlsx": "an Excel workbook"}
_MACRO_TYPES = re.compile(r"macroEnabled|vbaProject|vbaData|ms-office\.activeX", re.IGNORECASE)
_MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX/)", re.IGNORECASE)
_EXTERNAL_TEMPLATE = re.compile(
    rb"<Relationship\b[^>]*?/attachedTemplate\"[^>]*?TargetMode=\"External\""
    rb"|<Relationship\b[^>]*?TargetMode=\"External\"[^>]*?/attachedTemplate\"", re.IGNORECASE)


class Refused(ValueError):
    """The file is not acceptable; str() completes the sentence “<name> …”."""


@dataclass(frozen=True)
class Sniffed:
    kind: str | None  # one of CONTENT_TYPES, or None when not an allowed type
    reason: str  # why it was refused (empty when kind is set)


# --- executables hidden inside -------------------------------------------------------------
def hidden_executable(data: bytes) -> tuple[int, str] | None:
    """(offset, what) of the first Windows or Linux executable header anywhere in `data`.

    A bare "MZ" is common in binary data, so a Windows program is recognised by its structure:
    the DOS header's pointer at 0x3C leads to a "PE\\0\\0" signature. An ELF header must have a
    valid class, byte order and version. Linear in the size; about 300 "MZ" candidates in 20 MB
    of compressed data.
    """
    pos = data.find(b"MZ")
    while pos != -1:
        if pos + 0x40 <= len(data):
            (pointer,) = struct.unpack_from("<I", data, pos + 0x3C)
            if 0x40 <= pointer <= 0x10000 and data[pos + pointer:pos + pointer + 4] == b"PE\x00\x00":
                return pos, "a Windows executable"
        pos = data.find(b"MZ", pos + 1)
    pos = data.find(b"\x7fELF")
    while pos != -1:
        header = data[pos + 4:pos + 7]
        if len(header) == 3 and header[0] in (1, 2) and header[1] in (1, 2) and header[2] == 1:
            return pos, "a Linux executable"
        pos = data.find(b"\x7fELF", pos + 1)
    return None


def _executable_start(head: bytes) -> str | None:
    return next((label for magic, label in _EXECUTABLE_MAGIC if head.startswith(magic)), None)


# --- PDF -----------------------------------------------------------------------------------
_BLANK_TAIL = re.compile(rb"[\s\x00]*\Z")


def check_pdf(data: bytes, limits: Limits = Limits()) -> None:
    """Raise Refused unless `data` is a parseable, unencrypted PDF without scripts, launch
    actions or executable attachments (module docstring, point 2)."""
    import pikepdf

    end = data.rfind(b"%%EOF")
    if end == -1:
        raise Refused("is damaged: it has no end-of-file marker (%%EOF), so it may be cut short. "
                      "Save or print it to PDF again and upload that file.")
    if not _BLANK_TAIL.match(data, end + 5):
        raise Refused(f"has {len(data) - end - 5:,} bytes of other data after the end of the PDF, the mark of a "
                      "file made to be read as two types at once. Save or print it to PDF again and upload that file.")
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise Refused("is encrypted with a password, so its content cannot be checked or read by reviewers. "
                      "Save a copy without the password and upload that.") from None
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise Refused(f"is damaged or not a real PDF ({_short(exc)}). Save or print it to PDF again and upload "
                      "that file.") from None
    # Opened without a password, it is readable by every reviewer, and walked decrypted: an
    # owner password that only restricts printing or editing (common in vendors' letters) is fine.
    with pdf:
        try:
            _walk_pdf(pdf, limits)
        except pikepdf.PdfError as exc:
            raise Refused(f"is damaged ({_short(exc)}). Save or print it to PDF again and upload that file.") from None


def _short(exc: Exception) -> str:
    text = str(exc).split(": ", 1)[-1] if str(exc).startswith("stream ") else str(exc)
    return text[:160]


def _walk_pdf(pdf, limits: Limits) -> None:
    """Visit every object once, from the trailer first (so a finding can say where it is),
    then the objects nothing references; depth-first with an explicit stack."""
    import pikepdf

    Dictionary, Array, Stream = pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream
    seen: set[tuple[int, int]] = set()
    visited = 0
    roots = [(pdf.trailer, "trailer")]
    roots += [(obj, "an unreferenced object") for obj in pdf.objects]
    for root, root_where in roots:
        stack = [(root, root_where)]
        while stack:
            obj, where = stack.pop()
            if obj.is_indirect:
                key = obj.objgen
                if key in seen:
                    continue
                seen.add(key)
            visited += 1
            if visited > limits.pdf_objects:
                raise Refused(f"has more than {limits.pdf_objects:,} objects, more than a document needs; it "
                              "cannot be checked. Save or print it to PDF again (or split it) and upload that.")
            if isinstance(obj, (Dictionary, Stream)):
                _check_pdf_dict(obj, where, limits)
                stack.extend((value, f"{where}/{str(key)[1:]}") for key, value in obj.items()
                             if isinstance(value, (Dictionary, Array, Stream)))
            elif isinstance(obj, Array):
                stack.extend((value, where) for value in obj if isinstance(value, (Dictionary, Array, Stream)))


_JS_ADVICE = ("which is not allowed in evidence: a script can run when the file is opened. Save or print it to PDF "
              "without scripts (e.g. “Print to PDF”) and upload that.")


def _check_pdf_dict(obj, where: str, limits: Limits) -> None:
    import pikepdf

    Name = pikepdf.Name
    action = obj.get("/S")
    if "/JS" in obj or action == Name.JavaScript:
        raise Refused(f"contains JavaScript ({_where(where)}), {_JS_ADVICE}")
    if where.endswith("/Names") and "/JavaScript" in obj:
        raise Refused(f"contains JavaScript (the document's JavaScript name tree), {_JS_ADVICE}")
    if action == Name.Launch:
        raise Refused(f"contains a launch action ({_where(where)}), which starts another program when the file is "
                      "opened or a link is clicked; not allowed in evidence. Save or print it to PDF without it and "
                      "upload that.")
    if "/XFA" in obj:
        xfa = obj.XFA
        parts = [xfa] if isinstance(xfa, pikepdf.Stream) else [p for p in xfa if isinstance(p, pikepdf.Stream)] \
            if isinstance(xfa, pikepdf.Array) else []
        for part in parts:
            if b"<script" in _peek(part, limits.embedded_peek * 16).lower():
                raise Refused(f"contains an XFA form with scripts, {_JS_ADVICE}")
    if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == Name.EmbeddedFile:
        _check_attachment(obj, "", limits)
    if "/EF" in obj or obj.get("/Type") == Name.Filespec:
        label = str(obj.get("/UF", obj.get("/F", ""))).strip()
        if _EXECUTABLE_NAMES.search(label):
            raise Refused(f"has an attached file “{label}”, a program or macro file; not allowed in evidence. "
                          "Remove the attachment and upload the document again.")
        embedded = obj.get("/EF")
        if isinstance(embedded, pikepdf.Dictionary):
            for value in embedded.values():
                if isinstance(value, pikepdf.Stream):  # an /EF stream need not say /Type /EmbeddedFile
                    _check_attachment(value, label, limits)


def _where(where: str) -> str:
    places = {"/OpenAction": "run when the document opens", "/AA": "an additional action", "/Annots": "a link or "
              "annotation", "/Names": "the name tree", "/AcroForm": "a form field", "/Outlines": "a bookmark"}
    found = [text for key, text in places.items() if key + "/" in where + "/"]
    return found[0] if found else ("in an unreferenced object" if where.startswith("an unreferenced") else
                                   f"at {where}")


def _peek(stream, limit: int) -> bytes:
    """The first `limit` decoded bytes of a stream, without decoding a whole (maybe bomb) stream."""
    import zlib

    import pikepdf

    filters = stream.get("/Filter")
    filters = [filters] if isinstance(filters, pikepdf.Name) else list(filters or [])
    raw = stream.read_raw_bytes()
    if not filters:
        return raw[:limit]
    if filters == [pikepdf.Name.FlateDecode]:
        try:
            return zlib.decompressobj().decompress(raw, limit)
        except zlib.error:
            raise Refused("has an attached file or form that is damaged (its compressed data cannot be read). "
                          "Save or print it to PDF again and upload that file.") from None
    if all(f in (pikepdf.Name.ASCIIHexDecode, pikepdf.Name.ASCII85Decode) for f in filters):
        return stream.read_bytes()[:limit]  # these encodings only shrink the data
    raise Refused(f"has an attached file encoded with {', '.join(str(f) for f in filters)}, which cannot be "
                  "checked for programs. Remove the attachment or save the PDF again, and upload that.")


def _check_attachment(stream, label: str, limits: Limits) -> None:
    head = _peek(stream, limits.embedded_peek)
    what = _executable_start(head[:16])
    found = hidden_executable(head)
    if what or found:
        named = f" “{label}”" if label else ""
        raise Refused(f"has an attached file{named} that is {what or found[1]}; not allowed in evidence. "
                      "Remove the attachment and upload the document again.")


# --- DOCX / XLSX ---------------------------------------------------------------------------
def check_ooxml(data: bytes, kind: str, limits: Limits = Limits()) -> None:
    """Raise Refused unless `data` is a macro-free OOXML document of `kind` ("docx" or "xlsx")
    within the zip bounds (module docstring, point 3)."""
    from defusedxml.ElementTree import fromstring
    from defusedxml.common import DefusedXmlException

    what = _OOXML_NAMES[kind]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Refused(f"is a damaged ZIP archive, not {what}. Save it again from the application and upload "
                      "that file.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.zip_entries:
            raise Refused(f"holds {len(infos):,} files inside; {what} needs far fewer (at most "
                          f"{limits.zip_entries:,} are checked). Save it again from the application.")
        unzipped = sum(info.file_size for info in infos)
        if unzipped > limits.unzipped_bytes:
            raise Refused(f"would expand to {unzipped / 1_048_576:,.0f} MB once uncompressed (the limit is "
                          f"{limits.unzipped_bytes / 1_048_576:,.0f} MB): a “zip bomb”, or far too large to review. "
                          "Upload a smaller document.")
        names = {info.filename for info in infos}
        macro = next((n for n in sorted(names) if _MACRO_PARTS.search(n)), None)
        if macro:
            raise Refused(f"contains macros or ActiveX controls ({macro}), which can run code when the file is "
                          f"opened; not allowed in evidence. Save it as a macro-free .{kind} and upload that.")
        if "[Content_Types].xml" not in names:
            raise Refused(f"is a ZIP archive but not {what} (it has no [Content_Types].xml). Save it again from "
                          "the application and upload that file.")
        try:
            types = fromstring(_read(archive, "[Content_Types].xml", limits))
        except (ParseError, DefusedXmlException):
            raise Refused(f"is damaged: its list of parts ([Content_Types].xml) is not valid XML. Save it again "
                          "from the application and upload that file.") from None
        declared = [(el.get("PartName", el.get("Extension", "")), el.get("ContentType", "")) for el in types]
        macro_type = next((t for _, t in declared if _MACRO_TYPES.search(t)), None)
        if macro_type:
            raise Refused(f"is a macro-enabled document ({macro_type}); macros can run code when the file is opened "
                          f"and are not allowed in evidence. Save it as a macro-free .{kind} and upload that.")
        main = [part for part, content_type in declared if content_type == OOXML_MAIN[kind]]
        if not main:
            other = next((k for k, t in OOXML_MAIN.items() if any(ct == t for _, ct in declared)), None)
            found = f"{_OOXML_NAMES[other]}" if other else "no document part"
            raise Refused(f"is not {what}: its parts declare {found}. Upload the right file, named for its type.")
        if main[0].lstrip("/") not in names:
            raise Refused(f"is damaged: its main part {main[0]} is missing. Save it again from the application and "
                          "upload that file.")
        for info in infos:
            name = info.filename
            if name.endswith(".rels") and _EXTERNAL_TEMPLATE.search(_read(archive, name, limits)):
                raise Refused("attaches a template from outside the file, a way to load macros when it is opened; "
                              f"not allowed in evidence. Save it as a plain .{kind} and upload that.")
            # Pictures and embedded objects (OLE packages can carry a program) are read and
            # searched; the XML parts are text, which no program header survives.
            if not name.endswith((".xml", ".rels", "/")):
                if _EXECUTABLE_NAMES.search(name):
                    raise Refused(f"embeds a program or macro file ({name}); not allowed in evidence. Remove it "
                                  "and upload the document again.")
                found = hidden_executable(_read(archive, name, limits))
                if found:
                    raise Refused(f"embeds {found[1]} ({name}); not allowed in evidence. Remove it and upload the "
                                  "document again.")


def _read(archive: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    """One entry, never more than its declared size (zipfile stops there and checks the CRC)."""
    try:
        with archive.open(name) as entry:
            return entry.read(limits.unzipped_bytes)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        raise Refused(f"is damaged ({name}: {exc}). Save it again from the application and upload that "
                      "file.") from None


def _zip_kind(data: bytes) -> Sniffed:
    """docx or xlsx by the main part the container declares (its structure is checked later)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return Sniffed(None, "a damaged ZIP archive")
    if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
        return Sniffed("docx", "")
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return Sniffed("xlsx", "")
    return Sniffed(None, "a ZIP archive that is not a Word or Excel document")


# --- text ----------------------------------------------------------------------------------
def _decoded(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return None


def _text_kind(data: bytes, *, controls: bool = True) -> Sniffed:
    """Plain text, scanned whole: markup anywhere, or a control character anywhere, refuses it."""
    text = _decoded(data)
    if text is None:
        return Sniffed(None, "binary data of an unknown type")
    if _MARKUP_AT_START.match(text):
        return Sniffed(None, "an HTML, SVG or XML document")
    markup = _MARKUP.search(text)
    if markup:
        line = text.count("\n", 0, markup.start()) + 1
        return Sniffed(None, f"text with web markup inside (“{markup.group(0)[:20]}” on line {line:,}), which a browser "
                             "would render or run")
    if controls and _CONTROL.search(text):
        return Sniffed(None, "binary data of an unknown type")
    return Sniffed("txt", "")  # CSV and TXT are both plain text; the extension picks


def check_text(data: bytes, *, controls: bool = True) -> None:
    """Raise Refused unless `data` is text without markup, read whole; with `controls` False, a
    control character is let through (a table import shows it as � and lets the person fix it)."""
    found = _text_kind(data, controls=controls)
    if found.kind is None:
        raise Refused(f"is {found.reason}")


# --- images --------------------------------------------------------------------------------
# WeasyPrint sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES = True when imported (as
# the web process does), and Pillow then pads a cut image instead of failing. The check turns it
# off while it decodes; the lock keeps two checks from restoring each other's value.
_PILLOW_FLAG = threading.Lock()


def check_image(data: bytes, kind: str) -> None:
    """Raise Refused unless Pillow decodes `data` as a `kind` ("png"/"jpeg") image within its
    decompression-bomb limit (Image.MAX_IMAGE_PIXELS; the warning above it counts as a refusal)."""
    from PIL import ImageFile

    with _PILLOW_FLAG:
        previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            _decode_image(data, kind)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _decode_image(data: bytes, kind: str) -> None:
    from PIL import Image, UnidentifiedImageError

    expected = {"png": "PNG", "jpeg": "JPEG"}[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    raise Refused(f"is a {image.format} image, not {expected}. Convert it to PNG or JPEG and upload "
                                  "that.")
                image.verify()  # checksums (PNG chunk CRCs); the image cannot be used after this
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes every pixel: a truncated or corrupt image fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(f"is an image of more than {Image.MAX_IMAGE_PIXELS:,} pixels, a “decompression bomb” or far "
                      "larger than a document needs. Upload a smaller image.") from None
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise Refused(f"is a damaged {expected} image ({str(exc)[:120] or type(exc).__name__}). Export it again "
                      "and upload that file.") from None


# --- the whole check -----------------------------------------------------------------------
def sniff(data: bytes) -> Sniffed:
    """Recognise the file type from its bytes (the whole content, for ZIP containers and text)."""
    if not data:
        return Sniffed(None, "empty")
    head = data[:16]
    label = _executable_start(head)
    if label:
        return Sniffed(None, label)
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", "")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png", "")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg", "")
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    return _text_kind(data)


def check_structure(data: bytes, kind: str, limits: Limits = Limits()) -> None:
    """Raise Refused when a file already recognised as `kind` fails its structure checks."""
    if kind in ("pdf", "png", "jpeg", "docx", "xlsx"):
        found = hidden_executable(data)
        if found:
            raise Refused(f"hides {found[1]} inside (at byte {found[0]:,}): a file made to be read as two types "
                          "at once is not allowed in evidence. Upload the document on its own.")
    if kind == "pdf":
        check_pdf(data, limits)
    elif kind in ("docx", "xlsx"):
        check_ooxml(data, kind, limits)
    elif kind in ("png", "jpeg"):
        check_image(data, kind)


def check(name: str, data: bytes, *, limits: Limits = Limits()) -> tuple[str | None, str]:
    """Return (content_type, "") for an acceptable file, else (None, message for the user).

    The caller bounds len(data) (HEALTHPM_MAX_UPLOAD_BYTES); everything here is linear in it
    or bounded by `limits`.
    """
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = EXTENSION_KINDS.get(extension)
    if expected is None:
        return None, f"“{name}” is not an accepted file type. Upload a {LABELS} file."
    found = sniff(data)
    if found.kind is None:
        return None, f"“{name}” is {found.reason}, not a {extension.upper()} file. Upload a {LABELS} file."
    text_ok = found.kind == "txt" and expected in {"txt", "csv"}
    if found.kind != expected and not text_ok:
        return None, (
            f"“{name}” is named .{extension} but its content is {found.kind.upper()}. "
            "Rename it to match its content or upload the right file."
        )
    try:
        check_structure(data, found.kind, limits)
    except Refused as refused:
        return None, f"“{name}” {refused}"
    return CONTENT_TYPES[expected], ""
