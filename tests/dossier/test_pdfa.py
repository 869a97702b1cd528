"""The dossier as an archival, accessible PDF: PDF/A-3a, tagged, and still validly signed (issue 17).

veraPDF is not available here, so the file is read the way it would check the rules this
dossier can break: poppler (pdfinfo, pdffonts) as an outside reader, pikepdf for the
structure. The checks run on a signed final dossier that carries both kinds of attached file
(the CHAI model card XML of checklist v2 and an input inventory too long to print, as CSV),
because signing is an incremental update that rewrites the metadata after WeasyPrint.
"""

import re
from io import BytesIO

import pikepdf
import pytest
from lxml import etree

from healthpm.dossier import model_card, render
from healthpm.dossier.services import dossier_verify
from healthpm.dossier.tables import FULL_TABLE_MAX_ROWS
from tests.factories import ready_initiative

from .helpers import _poppler, export, pdfdetach, pdfsig, signed_with_inventory

pytestmark = pytest.mark.django_db

HEADINGS = {f"/H{n}": n for n in range(1, 7)}


def signed_v2_with_long_inventory(owner, officer):
    """A signed checklist-v2 initiative (model card attached) whose input inventory is one row past
    what the dossier prints (attached as CSV)."""
    rows = [{"name": f"feature_{i:04d}", "source_system": "EHR" if i % 3 else "LIS",
             "source_field": f"FLOWSHEET.VALUE_{i:04d}", "timestamped": True, "available_at_prediction": True,
             "contains_phi": i % 2 == 0, "justification": "", "notes": ""} for i in range(FULL_TABLE_MAX_ROWS + 1)]
    return signed_with_inventory(owner, officer, rows, checklist_version=2)


def first_revision(data: bytes) -> bytes:
    """The file as WeasyPrint wrote it, before pyHanko appended the signature."""
    end = data.index(b"%%EOF") + len(b"%%EOF")
    return data[:end] + b"\n"


def xmp(pdf: pikepdf.Pdf) -> dict[str, str]:
    # Read only: by default pikepdf would name itself the producer, in the XMP and the Info.
    meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
    keys = ("pdfaid:part", "pdfaid:conformance", "dc:title", "pdf:Producer", "xmp:CreateDate", "xmp:ModifyDate",
            "pdf:Keywords")
    return {key: str(meta.get(key)) for key in keys if meta.get(key) is not None}


def elements(node):
    """The structure elements under node, in document (reading) order."""
    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from elements(kid)


def strings(obj, seen: set):
    """Every string object in obj and what it contains (each indirect object once)."""
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        if obj.objgen in seen:
            return
        seen.add(obj.objgen)
    if isinstance(obj, pikepdf.String):
        yield obj
    elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        for value in obj.values():
            yield from strings(value, seen)
    elif isinstance(obj, pikepdf.Array):
        for value in obj:
            yield from strings(value, seen)


def assert_archival(data: bytes) -> None:
    """PDF/A-3a as pdfinfo and pikepdf see it; document information agreeing with the XMP."""
    info = _poppler("pdfinfo", data)
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    meta = _poppler("pdfinfo", data, "-meta")
    assert re.search(r'pdfaid:part(="|>)3', meta) and re.search(r'pdfaid:conformance(="|>)A', meta), meta
    fonts = _poppler("pdffonts", data).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column

    pdf = pikepdf.open(BytesIO(data))
    found = xmp(pdf)
    assert (found["pdfaid:part"], found["pdfaid:conformance"]) == ("3", "A")
    # PDF/A: an Info entry that has an XMP equivalent says the same as the XMP.
    doc_info = pdf.trailer.Info
    assert str(doc_info.Title) == found["dc:title"] and found["dc:title"].startswith("Launch-readiness dossier")
    if "/Producer" in doc_info:
        assert str(doc_info.Producer) == found["pdf:Producer"]
    if "/Keywords" in doc_info:
        assert str(doc_info.Keywords) == found["pdf:Keywords"]
    assert "/ModDate" not in doc_info or "xmp:ModifyDate" in found
    assert "/CreationDate" in doc_info and "xmp:CreateDate" in found
    intent = pdf.Root.OutputIntents[0]
    assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    seen: set = set()
    longest = max(len(bytes(s)) for obj in pdf.objects for s in strings(obj, seen))
    assert longest < render.PDFA_STRING_LIMIT


def assert_accessible(data: bytes) -> None:
    """Tagged for a screen reader: a structure tree, a language, a title shown as the window title,
    headings that never skip a level, tables whose every data cell names its header, images
    with alternative text."""
    pdf = pikepdf.open(BytesIO(data))
    root = pdf.Root
    assert root.MarkInfo.Marked is True
    assert str(root.Lang) == "en"
    assert root.ViewerPreferences.DisplayDocTitle is True
    tree = list(elements(root.StructTreeRoot))
    kinds = [str(e.S) for e in tree]
    assert kinds.count("/Document") == 1 and "/Table" in kinds and "/Link" in kinds

    levels = [HEADINGS[k] for k in kinds if k in HEADINGS]
    assert levels[0] == 1 and levels.count(1) == 1
    skips = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not skips, f"headings skip a level: {skips}"

    for table in (e for e in tree if e.S == "/Table"):
        cells = [e for e in elements(table) if e.S in ("/TH", "/TD")]
        assert any(c.S == "/TH" for c in cells), "a table without header cells"
        orphans = [c for c in cells if c.S == "/TD" and not list(c.get("/A", {}).get("/Headers", []))]
        assert not orphans, f"{len(orphans)} data cell(s) with no header (a row header needs scope=row)"
    for figure in (e for e in tree if e.S == "/Figure"):
        assert str(figure.get("/Alt", "")).strip(), "an image without alternative text"


def assert_files_allowed(data: bytes, expected: set[str]) -> None:
    """PDF/A-3's attached files: each in the EmbeddedFiles name tree is associated with the
    document (/AF, once), with an AFRelationship, a MIME type and a modification date."""
    pdf = pikepdf.open(BytesIO(data))
    names = pdf.Root.Names.EmbeddedFiles.Names
    specs = {str(name): spec for name, spec in zip(names[::2], names[1::2])}
    assert set(specs) == expected
    associated = [spec.objgen for spec in pdf.Root.AF]
    assert sorted(associated) == sorted(spec.objgen for spec in specs.values())
    mime = {".xml": "/text/xml", ".csv": "/text/csv"}
    for name, spec in specs.items():
        assert spec.AFRelationship == "/Data" and str(spec.UF) == name and "/F" in spec
        stream = spec.EF.F
        assert stream.Type == "/EmbeddedFile" and stream.Subtype == mime[name[-4:]], name
        assert str(stream.Params.ModDate).startswith("D:") and int(stream.Params.Size) == len(stream.read_bytes())


def test_a_signed_dossier_is_pdfa_3a_tagged_and_its_signature_still_verifies(pm, compliance, signing_cert):
    initiative = signed_v2_with_long_inventory(pm, compliance)

    dossier, data = export(initiative)

    assert dossier.kind == "final"
    assert_archival(data)
    assert_accessible(data)
    assert_files_allowed(data, {model_card.filename_for(initiative),
                                f"{initiative.slug}-auditable-inputs-inputs.csv"})
    report = pdfsig(data)
    assert "Signature Validation: Signature is Valid." in report and "Total document signed" in report
    assert dossier_verify(data).verdict == "genuine"
    # Signing kept the PDF/A identification and brought the Info and XMP producer into line.
    before = xmp(pikepdf.open(BytesIO(first_revision(data))))
    after = xmp(pikepdf.open(BytesIO(data)))
    assert (before["pdfaid:part"], before["pdfaid:conformance"]) == (after["pdfaid:part"], after["pdfaid:conformance"])
    assert before["pdf:Producer"].startswith("WeasyPrint") and after["pdf:Producer"].startswith("pyHanko")
    signed, unsigned = pikepdf.open(BytesIO(data)), pikepdf.open(BytesIO(first_revision(data)))
    assert str(signed.trailer.Info.Producer) == after["pdf:Producer"] and "/Producer" not in unsigned.trailer.Info
    # A card listing 501 inputs is too long for a PDF/A string: attached (above), not in the Info.
    card = pdfdetach(data)[1][model_card.filename_for(initiative)]
    assert len(card.decode()) >= render.PDFA_STRING_LIMIT and "/chaiMcXml" not in signed.trailer.Info
    assert str(signed.trailer.Info.chaiMcSoftwareId) == "healthpm"


def test_a_draft_is_pdfa_3a_and_tagged_too(pm, compliance, signing_cert):
    _, data = export(ready_initiative(pm, compliance))

    assert "does not contain any signatures" in pdfsig(data)
    assert_archival(data)
    assert_accessible(data)
    # Its thousands of objects sit in object streams of at most 100 (render._small_object_streams):
    # pyHanko reads an object by scanning its whole stream, so one stream made checking a B-LTA
    # signature, which reads every object, quadratic (105 s for the demo's dossier).
    with pikepdf.open(BytesIO(data)) as pdf:
        streams = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/ObjStm"]
        assert len(pdf.objects) > 1000 and len(streams) > 10
        assert max(int(obj.N) for obj in streams) <= 100


# --- the renderer refuses what a screen reader could not read ---------------------------------------
def render_html(monkeypatch, html: str) -> bytes:
    monkeypatch.setattr(render, "render_to_string", lambda name, context: html)
    return render.render_pdf({}).data


CHART = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">{}<rect width="40" height="20"/></svg>'


def test_an_image_without_alternative_text_is_refused(monkeypatch):
    page = '<html lang="en"><title>t</title><body><p>Trend</p>' + CHART.format("") + "</body></html>"

    with pytest.raises(render.InaccessiblePdf, match="no alternative text"):
        render_html(monkeypatch, page)


def test_an_image_with_alternative_text_becomes_a_figure_with_alt(monkeypatch):
    page = ('<html lang="en"><title>t</title><body><p>Trend</p>'
            + CHART.format("<title>Alerts per week, flat</title>") + "</body></html>")

    data = render_html(monkeypatch, page)

    pdf = pikepdf.open(BytesIO(data))
    figures = [e for e in elements(pdf.Root.StructTreeRoot) if e.S == "/Figure"]
    assert [str(f.Alt) for f in figures] == ["Alerts per week, flat"]


def test_a_document_without_a_language_is_refused(monkeypatch):
    with pytest.raises(render.InaccessiblePdf, match="no language"):
        render_html(monkeypatch, "<html><title>t</title><body><p>Text</p></body></html>")


def test_the_card_xml_goes_into_the_document_information_only_as_a_string_pdfa_allows():
    def card(body: str) -> bytes:
        return f"<?xml version='1.0' encoding='UTF-8'?>\n<Card>{body}</Card>".encode()

    def same_document(a: bytes, b: bytes) -> bool:
        return etree.tostring(etree.fromstring(a), method="c14n") == etree.tostring(etree.fromstring(b), method="c14n")

    short = card("<Use>Prompts a reassessment — score ≥ 6 → page the team</Use>")
    demo_sized = card("<Use>Alert when score ≥ 6 → page the rapid-response nurse</Use>\n  " * 340)  # ~18,000 characters
    too_long = card("<Input>feature_0001 from the EHR flowsheet</Input>" * 700)

    assert render._chai_xml(short).string == short.decode()  # as attached, written as UTF-16
    ascii_copy = render._chai_xml(demo_sized).string
    assert ascii_copy.isascii() and "&#8594;" in ascii_copy and len(ascii_copy) < render.PDFA_STRING_LIMIT
    assert same_document(ascii_copy.encode(), demo_sized)
    assert render._chai_xml(too_long) is None
