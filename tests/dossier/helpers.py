"""Building dossiers and reading PDFs the way an outside validator would (poppler)."""

import re
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from healthpm.approvals.services import initiative_reopen, initiative_sign
from healthpm.dossier.models import Dossier
from healthpm.dossier.services import dossier_export
from healthpm.gates.models import Gate, GateDecision
from healthpm.gates.services import gate_decide, gate_submit
from tests.factories import (PASSWORD, InitiativeFactory, add_link, approved_gate, evidence_gate, fill_gate, fresh,
                             gate_of)


def signed_with_inventory(owner, officer, rows, *, checklist_version: int = 1):
    """An approved, signed initiative whose input inventory is `rows` (checklist v2 adds the
    model card, attached like a long inventory)."""
    initiative = InitiativeFactory(owner=owner, checklist_version=checklist_version)
    fill_gate(gate_of(initiative, "auditable-inputs"), owner, data={"inputs": rows})
    for gate in Gate.objects.filter(initiative=initiative).order_by("order"):
        approved_gate(initiative, owner, officer, gate.key)
    initiative.refresh_from_db()
    initiative_sign(initiative=initiative, by=officer, password=PASSWORD, meaning="approved", statement="")
    initiative.refresh_from_db()
    return initiative


def approved_with_history(owner, officer):
    """An approved initiative whose record has what a dossier must not lose: a superseded piece of
    evidence and a voided signature before the signature in force."""
    initiative = InitiativeFactory(owner=owner)
    gates = list(Gate.objects.filter(initiative=initiative).order_by("order"))
    first = evidence_gate(gates[0], owner)
    old = next(e for e in first.evidence.all() if not e.superseded_at)
    add_link(first, owner, old.item_key, replaces=old)
    gate_submit(gate=fresh(first), by=owner)
    gate_decide(gate=fresh(first), by=officer, decision=GateDecision.Decision.APPROVED)
    for gate in gates[1:]:
        approved_gate(initiative, owner, officer, gate.key)
    initiative.refresh_from_db()
    initiative_sign(initiative=initiative, by=officer, password=PASSWORD, meaning="approved", statement="First go.")
    initiative_reopen(initiative=initiative, by=officer, reason="Pilot wards changed.")
    initiative.refresh_from_db()
    initiative_sign(initiative=initiative, by=officer, password=PASSWORD, meaning="approved",
                    statement="Pilot on 5 West first.")
    initiative.refresh_from_db()
    return initiative


def export(initiative) -> tuple[Dossier, bytes]:
    dossier = dossier_export(initiative=initiative, actor_label="test")
    assert dossier.state == Dossier.State.DONE, dossier.error
    with dossier.file.open("rb") as fh:
        return dossier, fh.read()


def _poppler(tool: str, data: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dossier.pdf"
        path.write_bytes(data)
        result = subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                                capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def pdfsig(data: bytes) -> str:
    return _poppler("pdfsig", data)


def pdftotext(data: bytes, *args: str) -> str:
    """The PDF's text (`"-layout"`: a table's row on one line, as printed)."""
    return _poppler("pdftotext", data, *args)


def squeezed(text: str) -> str:
    """Text without any whitespace: long hashes survive pdftotext's line breaks."""
    return re.sub(r"\s+", "", text)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def flip_byte(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def pdfdetach(data: bytes, *args: str) -> tuple[str, dict[str, bytes]]:
    """`pdfdetach -list`'s output, and every attached file saved by `pdfdetach -saveall`."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dossier.pdf"
        path.write_bytes(data)
        listing = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, timeout=60)
        out = Path(folder) / "out"
        out.mkdir()
        subprocess.run(["pdfdetach", "-saveall", "-o", str(out), str(path)], capture_output=True, timeout=60,
                       check=True)
        files = {p.name: p.read_bytes() for p in out.iterdir()}
    return listing.stdout + listing.stderr, files


def reader(data: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(data), strict=False)


def associated_files(data: bytes) -> list[tuple[str, str]]:
    """(file name, AFRelationship) of each file the catalog's /AF array associates with the PDF."""
    specs = [ref.get_object() for ref in (reader(data).root.get("/AF") or [])]
    return [(str(spec["/UF"]), str(spec["/AFRelationship"])) for spec in specs]


def pdfsig_signatures(data: bytes) -> list[dict[str, str]]:
    """pdfsig's report, one dict per signature ("Signature Field Name" → "healthpm", …); a line without
    a colon (e.g. "Total document signed") is a key with an empty value."""
    blocks: list[dict[str, str]] = []
    for line in pdfsig(data).splitlines():
        if re.match(r"^Signature #\d+:", line):
            blocks.append({})
        elif blocks and line.strip().startswith("- "):
            key, _, value = line.strip()[2:].partition(": ")
            blocks[-1][key.strip()] = value.strip()
    return blocks


def pdfsig_dump(data: bytes) -> list[bytes]:
    """Every signature's CMS blob, as `pdfsig -dump` writes it (one file per signature, in order)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dossier.pdf"
        path.write_bytes(data)
        subprocess.run(["pdfsig", "-dump", str(path)], capture_output=True, timeout=60, cwd=folder)
        dumped = sorted(Path(folder).glob("dossier.pdf.sig*"), key=lambda p: int(p.suffix[4:]))
        return [p.read_bytes() for p in dumped]
