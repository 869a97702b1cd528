"""Evidence files checked by structure, not by their first bytes (healthpm.lib.filetypes, issue 17
part 5): every hostile file here is built for real and must be refused saying what was found;
every real document of an accepted type must pass."""


import pytest
import weasyprint  # noqa: F401 — as in the web process: it sets Pillow's LOAD_TRUNCATED_IMAGES on import

from healthpm.lib import filetypes
from healthpm.lib.spreadsheet import Refused as SpreadsheetRefused
from healthpm.lib.spreadsheet import kind_of
from tests import crafted_files as crafted
from tests.factories import office_bytes, pdf_bytes, png_bytes

REFUSED = [
    pytest.param("lineage.pdf", crafted.polyglot_pdf_exe, "hides a Windows executable inside (at byte 9)",
                 id="polyglot-pdf-mz"),
    pytest.param("lineage.pdf", crafted.polyglot_pdf_html, "is damaged or not a real PDF", id="polyglot-pdf-html"),
    pytest.param("lineage.pdf", crafted.pdf_then_html, "bytes of other data after the end of the PDF",
                 id="pdf-then-html"),
    pytest.param("lineage.pdf", lambda: pdf_bytes() + b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
                 "hides a Linux executable inside", id="pdf-then-elf"),
    pytest.param("lineage.pdf", crafted.pdf_open_action_js, "contains JavaScript (run when the document opens), "
                 "which is not allowed in evidence", id="open-action-js"),
    pytest.param("lineage.pdf", crafted.pdf_page_aa_js, "contains JavaScript (an additional action)",
                 id="additional-action-js"),
    pytest.param("lineage.pdf", crafted.pdf_js_name_tree, "contains JavaScript", id="javascript-name-tree"),
    pytest.param("lineage.pdf", crafted.pdf_js_hex_escaped_name, "contains JavaScript", id="hex-escaped-js-name"),
    pytest.param("lineage.pdf", crafted.pdf_launch, "contains a launch action", id="launch"),
    pytest.param("lineage.pdf", crafted.pdf_with_exe_attachment,
                 "has an attached file “invoice.pdf” that is a Windows executable", id="exe-attachment"),
    pytest.param("lineage.pdf", crafted.pdf_with_exe_named_attachment, "has an attached file “setup.exe”",
                 id="exe-named-attachment"),
    pytest.param("lineage.pdf", crafted.pdf_encrypted, "is encrypted", id="encrypted"),
    pytest.param("lineage.pdf", lambda: pdf_bytes()[:-40], "no end-of-file marker", id="truncated-pdf"),
    pytest.param("memo.docx", crafted.docx_with_vba_project, "contains macros or ActiveX controls "
                 "(word/vbaProject.bin)", id="docx-vba-project"),
    pytest.param("memo.docx", crafted.docm_renamed_docx, "is a macro-enabled document", id="docm-renamed"),
    pytest.param("memo.docx", crafted.docx_without_main_part, "its main part /word/document.xml is missing",
                 id="docx-no-main-part"),
    pytest.param("memo.docx", crafted.docx_with_embedded_exe, "embeds a Windows executable "
                 "(word/embeddings/oleObject1.bin)", id="docx-embedded-exe"),
    pytest.param("memo.docx", crafted.docx_with_remote_template, "attaches a template from outside the file",
                 id="docx-remote-template"),
    pytest.param("memo.docx", lambda: office_bytes("xl"), "is named .docx but its content is XLSX",
                 id="xlsx-renamed-docx"),
    pytest.param("notes.txt", crafted.text_with_late_script, "text with web markup inside (“<ScRiPt” on line 41",
                 id="late-script-in-txt"),
    pytest.param("inputs.csv", lambda: b"name,notes\n" * 500 + b'x,"<iframe src=//evil.example>"\n',
                 "text with web markup inside (“<iframe", id="iframe-in-csv"),
    pytest.param("notes.txt", lambda: b"a" * 5000 + b"\x1b[2J", "binary data", id="late-control-character"),
    pytest.param("flow.png", crafted.truncated_png, "is a damaged PNG image", id="truncated-png"),
    pytest.param("photo.jpg", crafted.truncated_jpeg, "is a damaged JPEG image", id="truncated-jpeg"),
    pytest.param("flow.png", crafted.png_bomb, "decompression bomb", id="png-bomb"),
    pytest.param("flow.png", crafted.png_then_exe, "hides a Windows executable inside", id="png-then-exe"),
]

ACCEPTED = [
    pytest.param("lineage.pdf", pdf_bytes, "application/pdf", id="pdf"),
    pytest.param("letter.pdf", crafted.pdf_with_owner_password_only, "application/pdf", id="pdf-owner-password-only"),
    pytest.param("lineage.pdf", crafted.pdf, "application/pdf", id="pikepdf-pdf"),
    pytest.param("lineage.pdf", crafted.pdf_with_csv_attachment, "application/pdf", id="pdf-with-csv-attachment"),
    pytest.param("lineage.pdf", lambda: pdf_bytes() + b"\r\n\x00\x00 ", "application/pdf", id="pdf-blank-tail"),
    pytest.param("memo.docx", crafted.real_docx, CT_DOCX := filetypes.CONTENT_TYPES["docx"], id="docx"),
    pytest.param("inputs.xlsx", crafted.real_xlsx, filetypes.CONTENT_TYPES["xlsx"], id="openpyxl-xlsx"),
    pytest.param("flow.png", png_bytes, "image/png", id="png"),
    pytest.param("photo.jpeg", crafted.real_jpeg, "image/jpeg", id="jpeg"),
    pytest.param("notes.txt", lambda: ("Drill on 5 West: lactate < 2 mmol/L, a <b> c, x<y.\n" * 200).encode(),
                 "text/plain", id="txt-with-angle-brackets"),
    pytest.param("inputs.csv", lambda: "name,source\nlactate_last_6h,LIS\nCafé,EHR\n".encode("cp1252"), "text/csv",
                 id="csv-cp1252"),
]


@pytest.mark.parametrize("name, make, message", REFUSED)
def test_it_refuses_a_hostile_file_saying_what_was_found(name, make, message):
    content_type, problem = filetypes.check(name, make())

    assert content_type is None
    assert problem.startswith(f"“{name}” ")
    assert message in problem


@pytest.mark.parametrize("name, make, content_type", ACCEPTED)
def test_it_accepts_a_real_document(name, make, content_type):
    assert filetypes.check(name, make()) == (content_type, "")


def test_a_cut_image_is_refused_even_though_weasyprint_told_pillow_to_load_cut_images():
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # WeasyPrint's import did this
    assert "is a damaged JPEG image" in filetypes.check("photo.jpg", crafted.truncated_jpeg())[1]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # and the check gave it back


def test_the_old_check_would_have_accepted_the_polyglots():
    """Guards the tests above: each polyglot starts exactly like the type it claims."""
    assert crafted.polyglot_pdf_exe().startswith(b"%PDF-1.4\n")
    assert crafted.polyglot_pdf_html().startswith(b"%PDF-1.4\n")
    assert len(crafted.text_with_late_script().split(b"<ScRiPt")[0]) > 3072


def test_zip_bounds_refuse_a_bomb_and_too_many_entries():
    limits = filetypes.Limits(unzipped_bytes=4 * 1_048_576, zip_entries=50)
    bomb = crafted.docx_bomb(8)
    assert len(bomb) < 100_000  # 8 MB of spaces, zipped

    assert "would expand to 8 MB once uncompressed" in filetypes.check("memo.docx", bomb, limits=limits)[1]
    assert "holds 62 files inside" in filetypes.check("memo.docx", crafted.docx_with_many_entries(60),
                                                      limits=limits)[1]
    assert filetypes.check("memo.docx", crafted.docx_with_many_entries(40), limits=limits)[0] is not None


def test_a_pdf_with_more_objects_than_the_bound_is_refused():
    many = crafted.pdf(lambda d: [d.add_blank_page() for _ in range(30)])

    problem = filetypes.check("lineage.pdf", many, limits=filetypes.Limits(pdf_objects=20))[1]

    assert "has more than 20 objects" in problem
    assert filetypes.check("lineage.pdf", many)[1] == ""


def test_hidden_executable_needs_a_real_pe_header_not_just_mz():
    assert filetypes.hidden_executable(b"xxMZ" + b"\x00" * 200) is None
    assert filetypes.hidden_executable(b"xx" + crafted.PE) == (2, "a Windows executable")
    assert filetypes.hidden_executable(b"xx" + crafted.ELF) == (2, "a Linux executable")


def test_the_inventory_import_refuses_a_macro_workbook_like_the_evidence_upload():
    """The gates' and monitoring's spreadsheet reader (lib/spreadsheet.kind_of) runs the same
    OOXML checks: a VBA project inside a workbook that declares itself plain .xlsx is refused."""
    import io
    import zipfile

    plain = crafted.real_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 64)

    assert kind_of(plain, "inputs.xlsx") == "xlsx"
    with pytest.raises(SpreadsheetRefused, match="contains macros or ActiveX controls"):
        kind_of(out.getvalue(), "inputs.xlsx")


def test_an_upload_sized_pdf_of_images_is_walked_and_accepted():
    """20 MB in 40 image streams: the walk reads every object but no stream whole
    (measured: about 0.1 s; a 5,000-page PDF about 1 s)."""
    import os

    import pikepdf

    def pages(document):
        for i in range(40):
            document.add_blank_page()
            image = pikepdf.Stream(document, os.urandom(20 * 1_048_576 // 40))
            image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            image.Width, image.Height, image.BitsPerComponent = 1024, 20 * 1024 // 40, 8
            image.ColorSpace = pikepdf.Name.DeviceGray
            document.pages[i + 1].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))

    assert filetypes.check("lineage.pdf", crafted.pdf(pages)) == ("application/pdf", "")


def test_the_inventory_import_reads_a_csv_whole_like_the_evidence_upload():
    honest = b"name,source_system\n" + b"lactate_last_6h,LIS\n" * 200
    assert kind_of(honest, "inputs.csv") == "csv"
    with pytest.raises(SpreadsheetRefused, match="text with web markup inside"):
        kind_of(honest + b'creatinine,"<script>alert(1)</script>"\n', "inputs.csv")
