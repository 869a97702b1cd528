"""factory_boy factories and workflow helpers.

Initiatives are created through `initiative_create`, so every one has the gates of the
current checklist exactly as a user's would. Helpers walk a gate through the real
services (evidence → submit → decide) instead of writing statuses directly.
"""

import copy
import io
import struct
import zipfile
import zlib
from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from healthpm.approvals.services import initiative_sign
from healthpm.gates import registry
from healthpm.gates.context import evaluation_context, thresholds
from healthpm.gates.definitions.base import EvaluationContext
from healthpm.gates.models import Evidence, Gate, GateDecision
from healthpm.gates.services import Upload, evidence_add, gate_decide, gate_save_data, gate_submit
from healthpm.initiatives.models import CareSetting, ClinicalArea, Initiative
from healthpm.initiatives.services import initiative_create

PASSWORD = "Correct-Horse-Battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@hospital.example")
    password = factory.django.Password(PASSWORD)


class InitiativeFactory(factory.django.DjangoModelFactory):
    """InitiativeFactory(owner=pm, collaborators=[pm2]) — created by the owner through the service."""

    class Meta:
        model = Initiative

    title = factory.Sequence(lambda n: f"Sepsis early warning {n}")
    summary = "Scores inpatients every hour and alerts the rapid-response nurse when sepsis risk rises."
    clinical_area = ClinicalArea.CRITICAL_CARE
    intended_use = "Prompts a bedside assessment; never a diagnosis or an order."
    intended_users = "Rapid-response nurses"
    care_setting = CareSetting.INPATIENT

    @classmethod
    def _create(cls, model_class, *args, owner, collaborators=(), by=None, checklist_version=None, **fields):
        return initiative_create(by=by or owner, owner=owner, collaborators=list(collaborators), fields=fields,
                                 checklist_version=checklist_version)


# --- gates -------------------------------------------------------------------------------
def gate_of(initiative: Initiative, key: str = "auditable-inputs") -> Gate:
    gate = Gate.objects.select_related("initiative").get(initiative=initiative, key=key)
    return gate


def fresh(gate: Gate) -> Gate:
    """The gate as it now is in the database, with its evidence and decisions."""
    return Gate.objects.select_related("initiative").prefetch_related("evidence", "decisions").get(pk=gate.pk)


def add_link(gate: Gate, by, item_key: str, *, effective: date | None = None, expiry: date | None = None,
             replaces: Evidence | None = None) -> Evidence:
    return evidence_add(
        gate=gate, by=by, item_key=item_key, url=f"https://policies.hospital.example/{gate.key}/{item_key}",
        effective_date=effective or timezone.localdate() - timedelta(days=10), expiry_date=expiry,
        replaces=replaces,
    )


CDS_KEYS = ["no_image_or_signal", "medical_information", "supports_hcp", "independent_review"]


def context(**kw):
    """The evaluation context of a request made now (reference data from the test database)."""
    return evaluation_context(**kw)


def example_data(key: str, kind: str = "passing") -> dict:
    """A gate's own example answers (its `examples` hook), as its form's to_data() saves them."""
    definition = next(d for d in registry.all_gates() if d.key == key)
    # Examples read only the date and the thresholds: no database needed at import time.
    today = EvaluationContext(today=timezone.localdate(), thresholds=thresholds())
    return copy.deepcopy(getattr(definition.examples(today), kind))


def valid_data(key: str) -> dict:
    """Answers that pass the gate's blocking rules today."""
    return example_data(key, "passing")


def has_structured_items(gate: Gate) -> bool:
    return any(item.structured for item in gate.definition.items)


def fill_gate(gate: Gate, by, data: dict | None = None) -> Gate:
    """Save the gate's structured answers (valid ones unless `data` is given)."""
    gate_save_data(gate=gate, by=by, data=data if data is not None else valid_data(gate.key))
    return fresh(gate)


def evidence_gate(gate: Gate, by, *, expiry: date | None = None, skip: tuple[str, ...] = ()) -> Gate:
    """Make the gate submittable: valid structured answers and evidence for every file/link item
    (except the items named in `skip`)."""
    if has_structured_items(gate) and not gate.data:
        gate = fill_gate(gate, by)
    for item in gate.definition.required_items(gate.data):
        if not item.structured and item.key not in skip:
            add_link(gate, by, item.key, expiry=expiry)
    return fresh(gate)


def submitted_gate(initiative: Initiative, by, key: str = "auditable-inputs", **kw) -> Gate:
    gate = gate_of(initiative, key)
    evidence_gate(gate, by, **kw)
    gate_submit(gate=gate, by=by)
    return fresh(gate)


def approved_gate(initiative: Initiative, by, officer, key: str = "auditable-inputs", **kw) -> Gate:
    gate = submitted_gate(initiative, by, key, **kw)
    gate_decide(gate=gate, by=officer, decision=GateDecision.Decision.APPROVED)
    return fresh(gate)


def rejected_gate(initiative: Initiative, by, officer, key: str = "auditable-inputs") -> Gate:
    gate = submitted_gate(initiative, by, key)
    gate_decide(gate=gate, by=officer, decision=GateDecision.Decision.REJECTED, reason="The lineage document is a draft.")
    return fresh(gate)


def ready_initiative(owner, officer, **kw) -> Initiative:
    """An initiative with every gate approved, waiting for the final signature.

    On checklist v1 unless told otherwise: the signing, reopening and separation-of-duties
    tests that use it are about the final decision, not the gate set, and approving eleven
    gates costs twice six. The contract and model-card tests approve v2's."""
    kw.setdefault("checklist_version", 1)
    initiative = InitiativeFactory(owner=owner, **kw)
    for gate in Gate.objects.filter(initiative=initiative).order_by("order"):
        approved_gate(initiative, owner, officer, gate.key)
    initiative.refresh_from_db()
    return initiative


def signed_initiative(owner, officer, *, meaning: str = "approved", **kw) -> Initiative:
    initiative = ready_initiative(owner, officer, **kw)
    initiative_sign(initiative=initiative, by=officer, password=PASSWORD, meaning=meaning,
                    statement="" if meaning == "approved" else "Cost exceeds the threshold.")
    initiative.refresh_from_db()
    return initiative


# --- files (the smallest real instance of each accepted type) -----------------------------
def pdf_bytes(comment: str = "") -> bytes:
    """A one-page PDF with a correct cross-reference table (offsets computed), which a PDF
    parser opens without repairing it (the upload check parses PDFs since issue 17). A comment,
    written after the header, makes its bytes (and SHA-256) distinct."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<<>>>>"]
    out = b"%PDF-1.4\n" + (b"%% %s\n" % comment.encode() if comment else b"")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def png_bytes() -> bytes:
    """A valid 1×1 PNG, chunks and CRCs computed rather than pasted."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def office_bytes(folder: str) -> bytes:
    """A DOCX (folder="word") or XLSX (folder="xl") container."""
    buffer = io.BytesIO()
    main = "document.xml" if folder == "word" else "workbook.xml"
    content_type = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
                    if folder == "word" else
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                         f'content-types"><Override PartName="/{folder}/{main}" ContentType="{content_type}"/></Types>')
        archive.writestr(f"{folder}/{main}", "<root/>")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> Upload:
    return Upload(name=name, data=data)


# --- "nothing changed" ----------------------------------------------------------------------
def db_state(initiative: Initiative) -> dict:
    """Everything a refused transition must leave untouched, including the audit trail."""
    from healthpm.approvals.models import Signature
    from healthpm.audit.models import AuditEvent
    from healthpm.notifications.models import Notification

    initiative = Initiative.objects.get(pk=initiative.pk)
    return {
        "status": initiative.status,
        "gates": list(Gate.objects.filter(initiative=initiative).order_by("order").values_list("key", "status", "data")),
        "evidence": list(Evidence.objects.filter(gate__initiative=initiative).order_by("pk").values_list("pk", "superseded_at")),
        "decisions": list(GateDecision.objects.filter(gate__initiative=initiative).order_by("pk").values_list("pk", "voided_at")),
        "signatures": list(Signature.objects.filter(initiative=initiative).order_by("pk").values_list("pk", "voided_at")),
        "audit_events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }
