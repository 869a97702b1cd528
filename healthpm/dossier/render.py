"""The dossier as a PDF: the facts gathered from the database, a Django template, WeasyPrint.

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
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

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

from . import model_card, tables

# Relative URLs in the template resolve against this origin; the fetcher maps it to disk.
BASE_URL = "https://healthpm.invalid/"
_MIME = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}
# Long audit values are cut in the PDF; the full event stays in the trail (named by its hash).
_VALUE_LIMIT = 240
CARD_DESCRIPTION = "CHAI Applied Model Card v0.2 (XML) of this initiative"


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
                    certificate=None) -> dict:
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
        "site_url": settings.SITE_URL.rstrip("/"),
        # The whole chain's head as of rendering: the dossier anchors it (healthpm/audit/anchors.py).
        "audit_head": chain_head(),
    }


def _attach(files: list[tables.AttachedFile], card: "model_card.ModelCard | None", generated_at: datetime | None):
    """WeasyPrint attachments and a finisher that associates each file with the document.

    WeasyPrint writes /AF and AFRelationship only for PDF/A-3; the finisher adds them here:
    each file's specification gets AFRelationship /Data and the catalog an /AF array naming
    them all, and for the model card the document information carries CHAI's chaiMcXml /
    chaiMcSoftwareId.
    """
    if not files:
        return [], None
    when = generated_at or datetime.now(dt_timezone.utc)
    attachments = [Attachment(string=f.data, name=f.filename, created=when, modified=when, relationship="Data",
                              description=f.description) for f in files]

    def finisher(document, pdf) -> None:
        checksums = {f"<{a.md5}>" for a in attachments}
        associated = pydyf.Array()
        for obj in pdf.objects:
            if not (isinstance(obj, dict) and obj.get("Type") == "/Filespec"):
                continue
            stream = pdf.objects[int(obj["EF"]["F"].split()[0])]
            if stream.extra["Params"]["CheckSum"] in checksums:
                obj["AFRelationship"] = "/Data"
                associated.append(obj.reference)
        if len(associated) != len(attachments):
            names = ", ".join(f.filename for f in files)
            raise RuntimeError(f"Not every attached file ({names}) was embedded in the PDF")
        pdf.catalog["AF"] = associated
        if card is not None:
            # By reference, not inline: signing rewrites the document information (ModDate,
            # Producer), and pyHanko parses every value inline in it, byte by byte — 8 s for the
            # card of a 5,000-input inventory (bench_dossier --inputs). A reference it copies.
            xml = pydyf.String(card.xml.decode())
            pdf.add_object(xml)
            pdf.info["chaiMcXml"] = xml.reference
            pdf.info["chaiMcSoftwareId"] = pydyf.String(model_card.SOFTWARE_ID)

    return attachments, finisher


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
        data = document.write_pdf(attachments=attachments, finisher=finisher)
    finally:
        gc.set_threshold(*thresholds)
    return RenderedPdf(data=data, pages=len(document.pages))
