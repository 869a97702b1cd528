"""The gate state machine (SPEC §2): every legal move, and every illegal one refused with nothing changed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import GateDecision, GateStatus
from healthpm.gates.services import evidence_add, gate_decide, gate_submit
from tests.factories import (
    InitiativeFactory, add_link, approved_gate, db_state, evidence_gate, fresh, gate_of, rejected_gate,
    signed_initiative, submitted_gate,
)

pytestmark = pytest.mark.django_db

APPROVE, REJECT = GateDecision.Decision.APPROVED, GateDecision.Decision.REJECTED


# --- legal ---------------------------------------------------------------------------------
def test_adding_evidence_starts_a_gate(pm):
    gate = gate_of(InitiativeFactory(owner=pm))
    assert gate.status == GateStatus.NOT_STARTED

    add_link(gate, pm, "data-dictionary")

    assert fresh(gate).status == GateStatus.IN_PROGRESS
    assert AuditEvent.objects.filter(action="evidence_added", object_id__isnull=False).count() == 1


def test_evidenced_gate_can_be_submitted(pm):
    gate = evidence_gate(gate_of(InitiativeFactory(owner=pm)), pm)

    gate_submit(gate=gate, by=pm, note="Lineage reviewed with the data team.")

    gate = fresh(gate)
    assert gate.status == GateStatus.SUBMITTED
    assert gate.submitted_by == pm and gate.submission_note == "Lineage reviewed with the data team."
    assert AuditEvent.objects.filter(action="gate_submitted", object_id=str(gate.pk)).exists()


def test_compliance_approves_submitted_gate_recording_its_digest(pm, compliance):
    gate = submitted_gate(InitiativeFactory(owner=pm), pm)

    made = gate_decide(gate=gate, by=compliance, decision=APPROVE)

    gate = fresh(gate)
    assert gate.status == GateStatus.APPROVED
    assert made.digest == gate.compute_digest() and gate.approval_matches()
    assert AuditEvent.objects.filter(action="gate_approved", actor=compliance).exists()


def test_compliance_rejects_submitted_gate_with_reason(pm, compliance):
    gate = submitted_gate(InitiativeFactory(owner=pm), pm)

    made = gate_decide(gate=gate, by=compliance, decision=REJECT, reason="Lineage stops at the data warehouse.")

    assert fresh(gate).status == GateStatus.REJECTED
    assert made.reason == "Lineage stops at the data warehouse."
    assert AuditEvent.objects.filter(action="gate_rejected", actor=compliance).exists()


def test_editing_a_rejected_gate_returns_it_to_in_progress(pm, compliance):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    old = gate.evidence.get()

    add_link(gate, pm, "data-dictionary", replaces=old)

    assert fresh(gate).status == GateStatus.IN_PROGRESS


def test_a_rejected_gate_can_be_resubmitted(pm, compliance):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)

    gate_submit(gate=gate, by=pm, note="Final lineage attached.", response="The signed lineage replaces the draft.")

    assert fresh(gate).status == GateStatus.SUBMITTED
    assert fresh(gate).rejection_response == "The signed lineage replaces the draft."


def test_changing_evidence_of_an_approved_gate_returns_it_to_in_progress(pm, compliance):
    gate = approved_gate(InitiativeFactory(owner=pm), pm, compliance)

    add_link(gate, pm, "data-dictionary", replaces=gate.evidence.get())

    assert fresh(gate).status == GateStatus.IN_PROGRESS


def test_a_collaborator_can_fill_and_submit(pm, pm2):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])

    gate = submitted_gate(initiative, pm2)

    assert gate.status == GateStatus.SUBMITTED and gate.submitted_by == pm2


# --- illegal -------------------------------------------------------------------------------
def _refused(initiative, call, exception=WorkflowError, match: str | None = None):
    before = db_state(initiative)
    with pytest.raises(exception, match=match):
        call()
    assert db_state(initiative) == before, "a refused transition changed something"


def test_it_refuses_submitting_a_gate_not_started(pm):
    initiative = InitiativeFactory(owner=pm)
    _refused(initiative, lambda: gate_submit(gate=gate_of(initiative), by=pm), match="cannot be submitted yet")


def test_it_refuses_submitting_an_already_submitted_gate(pm):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    _refused(initiative, lambda: gate_submit(gate=gate, by=pm), match="already submitted")


def test_it_refuses_submitting_an_approved_gate(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = approved_gate(initiative, pm, compliance)
    _refused(initiative, lambda: gate_submit(gate=gate, by=pm), match="already approved")


@pytest.mark.parametrize("reached", ["not_started", "in_progress"])
def test_it_refuses_deciding_a_gate_that_was_not_submitted(pm, compliance, reached):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative)
    if reached == "in_progress":
        gate = evidence_gate(gate, pm)
    for decision in (APPROVE, REJECT):
        _refused(initiative, lambda: gate_decide(gate=gate, by=compliance, decision=decision, reason="x"),
                 match="is not submitted for review")


@pytest.mark.parametrize("first", [APPROVE, REJECT])
def test_it_refuses_deciding_a_gate_twice(pm, compliance, compliance2, first):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    gate_decide(gate=gate, by=compliance, decision=first, reason="Incomplete lineage.")
    for decision in (APPROVE, REJECT):
        _refused(initiative, lambda: gate_decide(gate=gate, by=compliance2, decision=decision, reason="x"),
                 match="was already decided")


def test_it_refuses_a_rejection_without_reason(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    _refused(initiative, lambda: gate_decide(gate=gate, by=compliance, decision=REJECT, reason="  "),
             match="reason for rejecting")


def test_it_refuses_an_unknown_decision(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    _refused(initiative, lambda: gate_decide(gate=gate, by=compliance, decision="maybe"), match="approve or reject")


def test_it_refuses_evidence_while_the_gate_is_under_review(pm):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    _refused(initiative, lambda: add_link(gate, pm, "data-dictionary"), match="under review")


def test_it_refuses_changes_to_a_locked_initiative(pm, compliance):
    initiative = signed_initiative(pm, compliance)
    gate = fresh(gate_of(initiative))
    _refused(initiative, lambda: add_link(gate, pm, "data-dictionary", replaces=gate.evidence.get()), match="locked")
    _refused(initiative, lambda: gate_submit(gate=gate, by=pm), match="locked")


def test_it_refuses_evidence_for_an_item_the_gate_does_not_have(pm):
    initiative = InitiativeFactory(owner=pm)
    _refused(initiative, lambda: add_link(gate_of(initiative), pm, "horoscope"), match="no checklist item")


def test_it_refuses_evidence_dated_in_the_future_or_expiring_before_it_starts(pm):
    initiative = InitiativeFactory(owner=pm)
    gate, today = gate_of(initiative), timezone.localdate()
    _refused(initiative, lambda: add_link(gate, pm, "data-dictionary", effective=today + timedelta(days=1)),
             match="in the future")
    _refused(initiative, lambda: add_link(gate, pm, "data-dictionary", effective=today, expiry=today - timedelta(days=1)),
             match="before the effective date")


def test_it_refuses_a_plain_http_link(pm):
    initiative = InitiativeFactory(owner=pm)
    _refused(initiative, lambda: evidence_add(gate=gate_of(initiative), by=pm, item_key="data-dictionary",
                                              url="http://intranet/lineage", effective_date=timezone.localdate()),
             match="not an https link")


def test_it_refuses_replacing_evidence_twice(pm):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative)
    first = add_link(gate, pm, "data-dictionary")
    add_link(gate, pm, "data-dictionary", replaces=first)
    _refused(initiative, lambda: add_link(gate, pm, "data-dictionary", replaces=first), match="already replaced")


@pytest.mark.parametrize("persona", ["pm2", "compliance", "leader", "outsider"])
def test_only_the_team_can_add_evidence_or_submit(pm, persona, request):
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative), pm)
    someone = request.getfixturevalue(persona)
    _refused(initiative, lambda: add_link(gate, someone, "data-dictionary"), PermissionDenied)
    _refused(initiative, lambda: gate_submit(gate=gate, by=someone), PermissionDenied)


@pytest.mark.parametrize("persona", ["pm2", "leader", "outsider"])
def test_only_compliance_decides_gates(pm, persona, request):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    someone = request.getfixturevalue(persona)
    _refused(initiative, lambda: gate_decide(gate=gate, by=someone, decision=APPROVE), PermissionDenied)
