"""An approval is bound to a digest of the gate's data and current evidence (SPEC §2, §3)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from healthpm.approvals.services import final_decision_blockers
from healthpm.audit.models import AuditEvent
from healthpm.gates.models import Gate, GateStatus
from healthpm.gates.services import gate_save_data
from healthpm.initiatives.models import Initiative, Status
from tests.factories import context, InitiativeFactory, add_link, approved_gate, fresh, gate_of, ready_initiative, valid_data

pytestmark = pytest.mark.django_db


def test_replacing_evidence_after_approval_voids_it(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = approved_gate(initiative, pm, compliance)
    approval = gate.current_approval()

    add_link(gate, pm, "data-dictionary", replaces=gate.evidence.get())

    gate = fresh(gate)
    approval.refresh_from_db()
    assert gate.status == GateStatus.IN_PROGRESS
    assert approval.voided_at is not None and "data-dictionary" in approval.void_reason
    assert gate.current_approval() is None and not gate.approval_matches()
    assert AuditEvent.objects.filter(action="gate_approval_voided", object_id=str(gate.pk)).count() == 1


def test_adding_more_evidence_after_approval_voids_it(pm, compliance):
    gate = approved_gate(InitiativeFactory(owner=pm), pm, compliance)

    add_link(gate, pm, "data-dictionary")  # a second piece, nothing superseded

    assert fresh(gate).status == GateStatus.IN_PROGRESS
    assert gate.decisions.get().voided_at is not None


def test_changing_structured_data_after_approval_voids_it(pm, compliance):
    gate = approved_gate(InitiativeFactory(owner=pm), pm, compliance)
    data = valid_data("auditable-inputs")
    data["inputs"][0]["notes"] = "Now taken from the 2h window."

    gate_save_data(gate=gate, by=pm, data=data)

    assert fresh(gate).status == GateStatus.IN_PROGRESS
    assert gate.decisions.get().voided_at is not None


def test_saving_identical_data_keeps_the_approval(pm, compliance):
    gate = approved_gate(InitiativeFactory(owner=pm), pm, compliance)

    gate_save_data(gate=gate, by=pm, data=valid_data("auditable-inputs"))

    gate = fresh(gate)
    assert gate.status == GateStatus.APPROVED and gate.approval_matches()


def test_voiding_recomputes_the_initiative_status(pm, compliance):
    initiative = ready_initiative(pm, compliance)
    gate = fresh(gate_of(initiative, "cognitive-load"))

    add_link(gate, pm, "time-on-task-study", replaces=gate.evidence.get())

    assert Initiative.objects.get(pk=initiative.pk).status == Status.IN_REVIEW


def test_evidence_expiring_after_approval_breaks_the_match(pm, compliance):
    expiry = timezone.localdate() + timedelta(days=20)
    gate = approved_gate(InitiativeFactory(owner=pm), pm, compliance, expiry=expiry)
    assert gate.approval_matches()

    with time_machine.travel(expiry + timedelta(days=1)):
        gate = fresh(gate)
        assert not gate.approval_matches()
        assert gate.missing_items(context()) and gate.missing_items(context())[0].key == "data-dictionary"

    with time_machine.travel(expiry):  # the last day it counts
        assert fresh(gate).approval_matches()


def test_expired_evidence_blocks_the_final_decision(pm, compliance):
    expiry = timezone.localdate() + timedelta(days=20)
    initiative = InitiativeFactory(owner=pm)
    for gate in initiative.gates.order_by("order"):
        approved_gate(initiative, pm, compliance, gate.key, expiry=expiry if gate.key == "baa-phi" else None)

    with time_machine.travel(expiry + timedelta(days=1)):
        problems = final_decision_blockers(initiative, Gate.objects.of_initiative(initiative), meaning="approved")

    assert problems == [
        "“BAA and PHI”: its data or evidence changed (or evidence expired) since it was approved; "
        "it must be reviewed again."
    ]
