"""Evidence file types recognised from their content, never from their name.

Allowed: PDF, DOCX, XLSX, CSV, TXT, PNG, JPEG. A file is accepted only when its bytes
are one of these *and* its name's extension agrees, so an executable renamed `.pdf` or
an HTML page renamed `.txt` is refused.
"""

import io
import zipfile
from dataclasses import dataclass

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

_EXECUTABLE_MAGIC = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xfe\xed\xfa\xcf", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java executable"),
    (b"#!", "a script"),
)

# Markup a browser would render or run; never accepted even inside a ".txt".
_MARKUP_MARKERS = (b"<html", b"<!doctype", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe")


@dataclass(frozen=True)
class Sniffed:
    kind: str | None  # one of CONTENT_TYPES, or None when not an allowed type
    reason: str  # why it was refused (empty when kind is set)


def _zip_kind(head: bytes, data: bytes) -> Sniffed:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return Sniffed(None, "a damaged ZIP archive")
    if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
        return Sniffed("docx", "")
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return Sniffed("xlsx", "")
    return Sniffed(None, "a ZIP archive that is not a Word or Excel document")


def _text_kind(data: bytes) -> Sniffed:
    if b"\x00" in data:
        return Sniffed(None, "binary data of an unknown type")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return Sniffed(None, "binary data of an unknown type")
    lowered = text.lstrip()[:2048].lower().encode()
    if any(marker in lowered for marker in _MARKUP_MARKERS):
        return Sniffed(None, "an HTML, SVG or XML document")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls:
        return Sniffed(None, "binary data of an unknown type")
    return Sniffed("txt", "")  # CSV and TXT are both plain text; the extension picks


def sniff(data: bytes) -> Sniffed:
    """Recognise the file type from its bytes (the whole content, for ZIP containers)."""
    if not data:
        return Sniffed(None, "empty")
    head = data[:16]
    for magic, label in _EXECUTABLE_MAGIC:
        if head.startswith(magic):
            return Sniffed(None, label)
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", "")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png", "")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg", "")
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head, data)
    return _text_kind(data)


def check(name: str, data: bytes) -> tuple[str | None, str]:
    """Return (content_type, "") for an acceptable file, else (None, message for the user)."""
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
    return CONTENT_TYPES[expected], ""
