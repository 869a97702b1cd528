"""The dossier as a PDF: the facts gathered from the database, a Django template, WeasyPrint.

The PDF is PDF/A-3a (PDF_VARIANT): archival (fonts embedded, an sRGB output intent, XMP
metadata naming the PDF/A part and level) and tagged, so a screen reader follows the
headings, tables and reading order, in the language the template declares.

For a checklist with the transparency gate the PDF also carries the model facts card page
and, as an attached file associated with the document (/AF, AFRelationship /Data), the
CHAI Applied Model Card XML (model_card.py). A gate table too long to print in full is
attached the same way, as a CSV (tables.py). Files are attached before signing, so the
PAdES signature covers them, and the evidence register lists each with its SHA-256.

The renderer never touches the network. Its URL fetcher serves only our own static files
(found through the staticfiles finders) and raises for any other address, which stops
the rendering: a dossier that silently lost its stylesheet is worse than no dossier.
"""

import gc
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from io import BytesIO
from typing import Any
from urllib.parse import unquote, urlsplit

import pikepdf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from lxml import etree

# WeasyPrint reports each rendering step at INFO; the worker log needs only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
import pydyf  # noqa: E402
from weasyprint import HTML, Attachment  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from healthpm.accounts import roles
from healthpm.audit import anchors
from healthpm.audit.models import AuditEvent
from healthpm.audit.services import ChainHead, chain_head
from healthpm.collaboration.models import threads_by_gate
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Gate
from healthpm.gates.report import gate_report
from healthpm.initiatives.models import Initiative, Status

from . import model_card, signing, tables

# Relative URLs in the template resolve against this origin; the fetcher maps it to disk.
BASE_URL = "https://healthpm.invalid/"
_MIME = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}
# Long audit values are cut in the PDF; the full event stays in the trail (named by its hash).
_VALUE_LIMIT = 240
CARD_DESCRIPTION = "CHAI Applied Model Card v0.2 (XML) of this initiative"
# Archival and tagged (accessible): PDF/A-3, level A. WeasyPrint's variant sets PDF 1.7, a
# file identifier, an sRGB output intent, the XMP metadata with pdfaid:part 3 and
# pdfaid:conformance A, and tags the content (a structure tree from the HTML elements).
PDF_VARIANT = "pdf/a-3a"
# PDF/A-2 and -3 (ISO 19005-2, 6.1.13) allow no string object of 32,767 bytes or more.
PDFA_STRING_LIMIT = 32767


class ForbiddenURL(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serve `<BASE_URL><STATIC_URL>…` from the staticfiles finders; refuse everything else."""

    def __init__(self):
        super().__init__(fail_on_errors=True, allowed_protocols=())

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        origin = urlsplit(BASE_URL)
        static_prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc) or not parts.path.startswith(static_prefix):
            raise ForbiddenURL(f"The dossier renderer loads only our static files, not {url}")
        relative = unquote(parts.path[len(static_prefix):])
        if ".." in relative.split("/"):
            raise ForbiddenURL(f"Refusing a path outside the static files: {url}")
        found = finders.find(relative)
        if not found:
            raise ForbiddenURL(f"No static file {relative}")
        suffix = "." + relative.rsplit(".", 1)[-1].lower() if "." in relative else ""
        with open(found, "rb") as fh:
            body = fh.read()
        return URLFetcherResponse(url, body, {"Content-Type": _MIME.get(suffix, "application/octet-stream")})


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


def _name(user) -> str:
    return roles.printed_name(user) if user is not None else "—"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _VALUE_LIMIT else text[:_VALUE_LIMIT] + " …"


def audit_changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) for what an event changed, in plain text, values cut to length."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return [] if before is None and after is None else [("", _short(before or ""), _short(after or ""))]
    before, after = before or {}, after or {}
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = before.get(key), after.get(key)
        if old == new and key in before:
            continue
        rows.append((key, "" if old is None else _short(old), "" if new is None else _short(new)))
    return rows


def _object_label(event: AuditEvent, initiative: Initiative) -> str:
    """The event's object without the initiative's own name, which adds nothing in its own dossier."""
    label = event.object_repr
    if label == initiative.title:
        return ""
    return label.removeprefix(f"{initiative.title} — ").removesuffix(f" of {initiative.title}")


def dossier_context(initiative: Initiative, *, version: int, final: bool, generated_at: datetime,
                    certificate=None, signature_level: str = "") -> dict:
    """Everything the PDF shows, read in a fixed number of queries: each gate as the same
    report the gate page shows (healthpm.gates.report)."""
    ctx = evaluation_context()
    sections = [gate_report(gate, ctx) for gate in Gate.objects.of_initiative(initiative)]
    threads = threads_by_gate(initiative)
    for section in sections:  # printed under the gate's decisions (templates/pdf/_gate.html)
        section.gate.comment_threads = threads.get(section.gate.pk, [])
        section.gate.printed_tables = tables.gate_tables(section, ctx, slug=initiative.slug)
    register = [{"e": row.evidence, "gate": section.gate, "item": row.item_label, "state": row.state}
                for section in sections for row in section.evidence]
    signatures = list(initiative.signatures.select_related("signer", "voided_by").order_by("signed_at", "pk"))
    events = list(AuditEvent.objects.for_initiative(initiative).order_by("id"))
    trail = [{"e": e, "changes": audit_changes(e.before, e.after), "object": _object_label(e, initiative)}
             for e in events]
    current = next((s for s in reversed(signatures) if s.voided_at is None), None)
    card = None
    if model_card.applies(initiative):
        card = model_card.build_model_card(initiative, {s.gate.key: s.gate.data for s in sections}, ctx,
                                           signature=current)
    attachments = [tables.AttachedFile(card.filename, card.xml, CARD_DESCRIPTION)] if card else []
    attachments += [t.attached for s in sections for t in s.gate.printed_tables if t.attached]
    return {
        "initiative": initiative,
        "owner_name": _name(initiative.owner),
        "collaborators": [_name(u) for u in initiative.collaborators.order_by("last_name", "first_name")],
        "version": version,
        "final": final,
        "draft": not final,
        "generated_at": generated_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_at_dt": generated_at,
        "sections": sections,
        "register": register,
        "superseded_count": sum(1 for r in register if r["state"] == "superseded"),
        "signatures": signatures,
        "current_signature": current,
        "model_card": card,
        "attachments": attachments,
        "full_table_max_rows": tables.FULL_TABLE_MAX_ROWS,
        "trail": trail,
        "approved": initiative.status == Status.APPROVED,
        "certificate": certificate,
        "long_term": signature_level == signing.LEVEL_LTA,
        "site_url": settings.SITE_URL.rstrip("/"),
        # The whole chain's head as of rendering: the dossier anchors it (healthpm/audit/anchors.py).
        "audit_head": chain_head(),
    }


def _attach(files: list[tables.AttachedFile], card: "model_card.ModelCard | None", generated_at: datetime | None):
    """WeasyPrint attachments, and the finisher that completes the document information.

    As PDF/A-3 (PDF_VARIANT) WeasyPrint writes what PDF/A-3 asks of an attached file: the
    embedded file stream's MIME /Subtype and /Params (CheckSum, ModDate), and each file
    specification's AFRelationship (here /Data, from `Attachment.relationship`), listed in the
    catalog's /AF. The finisher (`_finish`) checks that every file made it there.
    """
    when = generated_at or datetime.now(dt_timezone.utc)
    attachments = [Attachment(string=f.data, name=f.filename, created=when, modified=when, relationship="Data",
                              description=f.description) for f in files]

    def finisher(document, pdf) -> None:
        _finish(pdf, attachments, files, card)

    return attachments, finisher


class InaccessiblePdf(ValueError):
    """The dossier would miss what PDF/A-3a asks for a reader who cannot see the page."""


def _finish(pdf: pydyf.PDF, attachments: list, files: list[tables.AttachedFile],
            card: "model_card.ModelCard | None") -> None:
    """The last touches before WeasyPrint writes the file (it runs after WeasyPrint's PDF/A step).

    1. Accessibility: the catalog names the language (`<html lang>`), and every image (an
       /Figure structure element) has alternative text (`alt`, or an SVG's `<title>`).
       WeasyPrint only logs a missing one; the dossier is refused instead, so a template
       change that drops one fails the dossier tests, not a screen-reader user years later.
    2. /AF: WeasyPrint 70 lists each file twice (once from the EmbeddedFiles name tree, once
       from its file specification); keep each once, in order, and refuse a PDF that lost one.
    3. Document information. Signing (pyHanko, an incremental update) sets XMP pdf:Producer to
       "pyHanko <version>" but appends to an Info /Producer already there ("WeasyPrint 70.0;
       pyHanko …"), and PDF/A wants the two to agree. Without an Info /Producer pyHanko writes
       the same value to both; until signing the XMP alone names WeasyPrint. Likewise the
       template sets no dcterms.modified, so there is no Info /ModDate: pyHanko updates XMP
       xmp:ModifyDate, and an Info /ModDate only if one is there, with a clock read of its own.
       Custom keys (they have no XMP equivalent) are allowed in PDF/A-2 and -3: CHAI's two
       below, the audit anchor's after them (`_anchor_finisher`). CHAI asks for the whole card
       XML as chaiMcXml, which PDF/A allows only below PDFA_STRING_LIMIT bytes (`_chai_xml`); a
       longer card (a large input inventory) is left out of the document information and stays
       what PDF/A-3 makes of it anyway, an attached file associated with the document.
    """
    if not getattr(pdf.catalog.get("Lang"), "string", ""):
        raise InaccessiblePdf("The dossier has no language: set lang on the <html> element of "
                              "templates/pdf/dossier.html")
    checksums = {f"<{a.md5}>" for a in attachments}
    associated = pydyf.Array(dict.fromkeys(pdf.catalog.get("AF") or []))
    related = set()
    for obj in pdf.objects:
        if not isinstance(obj, dict):
            continue
        if obj.get("S") == "/Figure" and not getattr(obj.get("Alt"), "string", ""):
            raise InaccessiblePdf("An image in the dossier has no alternative text: give each <img> an alt "
                                  "attribute and each <svg> a <title>")
        if obj.get("Type") == "/Filespec" and obj.get("AFRelationship") == "/Data" and obj.reference in associated:
            related.add(pdf.objects[int(obj["EF"]["F"].split()[0])].extra["Params"]["CheckSum"])
    if not checksums <= related:
        names = ", ".join(f.filename for f in files)
        raise RuntimeError(f"Not every attached file ({names}) was embedded in the PDF and associated with it")
    if associated:
        pdf.catalog["AF"] = associated
    pdf.info.pop("Producer", None)
    if card is not None:
        # By reference, not inline: signing rewrites the document information (ModDate,
        # Producer), and pyHanko parses every value inline in it, byte by byte — 8 s for the
        # card of a 5,000-input inventory (bench_dossier --inputs). A reference it copies.
        xml = _chai_xml(card.xml)
        if xml is not None:
            pdf.add_object(xml)
            pdf.info["chaiMcXml"] = xml.reference
        pdf.info["chaiMcSoftwareId"] = pydyf.String(model_card.SOFTWARE_ID)


def _pdf_string_size(text: str) -> int:
    """The bytes pydyf writes for text: ASCII as is, anything else as UTF-16BE with its BOM."""
    return len(text) if text.isascii() else 2 + len(text.encode("utf-16-be"))


def _chai_xml(xml: bytes) -> "pydyf.String | None":
    """The card's XML as chaiMcXml, a PDF string PDF/A allows (under PDFA_STRING_LIMIT bytes), or None.

    1. The attached file's own text when it fits: pydyf writes it as ASCII, or as UTF-16 (two
       bytes a character) when it has any other character, such as an arrow or a dash.
    2. Otherwise the same XML document serialised in ASCII, every other character a character
       reference (&#8594;), a byte a character: the demo's card of 18,000 characters, which
       has arrows, fits this way and not as UTF-16.
    3. Longer still (a card listing thousands of inputs): None.
    """
    text = xml.decode()
    if len(text) >= PDFA_STRING_LIMIT:
        return None
    if _pdf_string_size(text) >= PDFA_STRING_LIMIT:
        text = etree.tostring(etree.fromstring(xml), encoding="us-ascii", xml_declaration=True).decode()
    return pydyf.String(text) if _pdf_string_size(text) < PDFA_STRING_LIMIT else None


def _anchor_finisher(finisher, context: dict):
    """The finisher, followed by writing the audit head into the document information.

    Written while WeasyPrint writes the file, so before signing: the signature covers it.
    """
    head: ChainHead | None = context.get("audit_head")
    if head is None:
        return finisher

    def finish(document, pdf) -> None:
        if finisher is not None:
            finisher(document, pdf)
        anchors.stamp(pdf, head, kind=anchors.DOSSIER, **{anchors.INFO_INITIATIVE: context["initiative"].slug,
                                                          anchors.INFO_VERSION: str(context["version"])})

    return finish


def render_pdf(context: dict) -> RenderedPdf:
    html = render_to_string("pdf/dossier.html", context)
    attachments, finisher = _attach(context.get("attachments") or [], context.get("model_card"),
                                    context.get("generated_at_dt"))
    finisher = _anchor_finisher(finisher, context)
    # WeasyPrint allocates hundreds of thousands of objects that live for the whole layout;
    # with the default thresholds the cyclic collector keeps rescanning them. Collecting
    # less often while it runs saves about a tenth of the time (bench_dossier).
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render()
        data = document.write_pdf(attachments=attachments, finisher=finisher, pdf_variant=PDF_VARIANT)
    finally:
        gc.set_threshold(*thresholds)
    return RenderedPdf(data=_small_object_streams(data), pages=len(document.pages))


def _small_object_streams(data: bytes) -> bytes:
    """The same PDF with its objects in object streams of at most 100 (qpdf's), not one.

    pydyf puts every object of the document into a single object stream, and pyHanko's reader
    decodes and scans that whole stream for each object it reads. Checking a B-LTA signature
    reads every object (the difference analysis of the revisions after it), and the tagged
    dossier has thousands (its structure tree): one stream made verifying take 26 s for a
    small dossier and 105 s for the demo's; streams of 100 objects make it linear again.
    """
    out = BytesIO()
    with pikepdf.open(BytesIO(data)) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, fix_metadata_version=False)
    return out.getvalue()
