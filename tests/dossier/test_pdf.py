"""What the PDF says and how it is signed, checked with poppler like an outside reviewer would (SPEC §6)."""

import pytest

from healthpm.dossier.models import Dossier
from healthpm.gates import registry
from healthpm.gates.models import Evidence
from tests.factories import ready_initiative

from .helpers import approved_with_history, export, one_line, pdfsig, pdftotext, squeezed

pytestmark = pytest.mark.django_db


def test_a_final_dossier_carries_a_valid_pades_signature(pm, compliance, signing_cert):
    initiative = approved_with_history(pm, compliance)

    dossier, data = export(initiative)

    report = pdfsig(data)
    assert dossier.kind == Dossier.Kind.FINAL
    assert "Signature Field Name: healthpm" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signing Hash Algorithm: SHA-256" in report
    assert "Total document signed" in report
    assert "healthpm dossier signing (demo)" in report


def test_a_final_dossier_prints_every_gate_every_evidence_hash_and_the_signatures(pm, compliance, signing_cert):
    initiative = approved_with_history(pm, compliance)
    evidence = list(Evidence.objects.filter(gate__initiative=initiative))
    assert any(e.superseded_at for e in evidence)  # the register must show superseded versions too

    dossier, data = export(initiative)

    text = pdftotext(data)
    flat, compact = one_line(text), squeezed(text)
    for definition in registry.checklist(initiative.checklist_version).gates:
        assert definition.title in flat
    for piece in evidence:
        assert piece.sha256 in compact, f"SHA-256 of {piece} missing"
    current = initiative.signatures.get(voided_at__isnull=True)
    voided = initiative.signatures.get(voided_at__isnull=False)
    assert "Grace Okafor" in flat and "Approved for launch" in flat
    assert squeezed(current.manifestation) in compact and squeezed(voided.manifestation) in compact
    assert "voided" in flat.lower() and "Pilot wards changed." in flat
    assert "DRAFT" not in text
    assert f"dossier v{dossier.version}" in flat
    assert dossier.pages >= 10


def test_a_draft_has_a_watermark_on_every_page_and_no_signature(pm, compliance, signing_cert):
    initiative = ready_initiative(pm, compliance)  # every gate approved, but no final signature yet

    dossier, data = export(initiative)

    assert dossier.kind == Dossier.Kind.DRAFT
    assert "does not contain any signatures" in pdfsig(data)
    pages = pdftotext(data).split("\f")
    printed = [page for page in pages if page.strip()]
    assert len(printed) == dossier.pages
    assert all("DRAFT" in page for page in printed)


def test_a_draft_needs_no_signing_certificate(pm, settings, tmp_path):
    settings.HEALTHPM_SIGNING_P12 = tmp_path / "missing.p12"
    from tests.factories import InitiativeFactory

    dossier, data = export(InitiativeFactory(owner=pm))

    assert data.startswith(b"%PDF-") and dossier.kind == Dossier.Kind.DRAFT


def test_an_approved_initiative_without_a_certificate_fails_and_says_what_to_do(pm, compliance, settings, tmp_path):
    from healthpm.dossier.services import dossier_export
    from tests.factories import signed_initiative

    settings.HEALTHPM_SIGNING_P12 = tmp_path / "missing.p12"
    dossier = dossier_export(initiative=signed_initiative(pm, compliance), actor_label="test")

    assert dossier.state == Dossier.State.FAILED
    assert "make_signing_cert" in dossier.error
    assert not dossier.file


def test_the_dossier_prints_the_teams_response_to_a_rejection_with_the_decision_that_considered_it(pm, compliance,
                                                                                                 signing_cert):
    from healthpm.gates.services import gate_decide, gate_submit
    from tests.factories import InitiativeFactory, rejected_gate

    initiative = InitiativeFactory(owner=pm, checklist_version=1)
    gate = rejected_gate(initiative, pm, compliance)
    gate_submit(gate=gate, by=pm, response="The signed lineage replaces the draft.")
    gate_decide(gate=gate, by=compliance, decision="approved")

    _, data = export(initiative)

    flat = one_line(pdftotext(data))
    assert "The lineage document is a draft." in flat
    assert "The team's response to the previous rejection: The signed lineage replaces the draft." in flat
