"""Rejection → resubmission and withdrawal (issue 13): a resubmission after a rejection needs
a written response to the reviewer, kept on the gate, in the audit trail and on the next
decision; the team may withdraw a submitted gate before it is decided, and nothing else."""

import pytest
from django.core.exceptions import PermissionDenied

from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import GateDecision, GateStatus
from healthpm.gates.services import gate_decide, gate_submit, gate_withdraw
from healthpm.initiatives.models import Status
from tests.factories import (
    InitiativeFactory, add_link, approved_gate, db_state, evidence_gate, fresh, gate_of, rejected_gate,
    submitted_gate,
)

pytestmark = pytest.mark.django_db

APPROVE, REJECT = GateDecision.Decision.APPROVED, GateDecision.Decision.REJECTED
RESPONSE = "The signed lineage (v2) replaces the draft; the lab timestamp is now the draw time."


def _refused(initiative, call, exception=WorkflowError, match: str | None = None):
    before = db_state(initiative)
    with pytest.raises(exception, match=match) as caught:
        call()
    assert db_state(initiative) == before, "a refused transition changed something"
    return caught.value


# --- resubmission ----------------------------------------------------------------------------
def test_it_refuses_a_resubmission_without_a_response_to_the_reviewer(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = rejected_gate(initiative, pm, compliance)

    for blank in ("", "   \n "):
        refused = _refused(initiative, lambda: gate_submit(gate=gate, by=pm, response=blank),
                           match="cannot be submitted yet")
        assert refused.details == ["Write your response to Grace Okafor's rejection (what you changed, or why "
                                   "nothing needed to), then resubmit."]


def test_a_gate_edited_after_its_rejection_still_needs_the_response(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = rejected_gate(initiative, pm, compliance)
    add_link(gate, pm, "data-dictionary", replaces=gate.evidence.get())
    assert fresh(gate).status == GateStatus.IN_PROGRESS

    _refused(initiative, lambda: gate_submit(gate=gate, by=pm), match="cannot be submitted yet")


def test_the_response_is_stored_audited_and_kept_on_the_next_decision(pm, compliance):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    rejection = gate.decisions.get()

    gate_submit(gate=gate, by=pm, response=f"  {RESPONSE}  ")

    gate = fresh(gate)
    assert gate.status == GateStatus.SUBMITTED and gate.rejection_response == RESPONSE
    event = AuditEvent.objects.filter(action="gate_submitted").latest("pk")
    assert event.after["response"] == RESPONSE and event.after["answers_decision"] == rejection.pk

    approval = gate_decide(gate=gate, by=compliance, decision=APPROVE)
    assert approval.response == RESPONSE


def test_a_first_submission_needs_no_response_and_keeps_none(pm):
    gate = evidence_gate(gate_of(InitiativeFactory(owner=pm)), pm)

    gate_submit(gate=gate, by=pm, response="Nothing was rejected.")

    assert fresh(gate).rejection_response == ""
    assert "response" not in AuditEvent.objects.filter(action="gate_submitted").latest("pk").after


# --- withdrawal ------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["pm", "pm2"])
def test_the_team_withdraws_a_submitted_gate(pm, pm2, who, request):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    gate = submitted_gate(initiative, pm)
    by = request.getfixturevalue(who)

    gate_withdraw(gate=gate, by=by)

    gate = fresh(gate)
    assert gate.status == GateStatus.IN_PROGRESS
    assert gate.withdrawn_by == by and gate.withdrawn_at is not None
    event = AuditEvent.objects.filter(action="gate_withdrawn").get()
    assert event.actor == by and event.before["status"] == "submitted" and event.after == {"status": "in_progress"}
    initiative.refresh_from_db()
    assert initiative.status == Status.IN_REVIEW  # once reviewed, never back to an invisible draft


def test_a_withdrawn_gate_can_be_submitted_again(pm):
    gate = submitted_gate(InitiativeFactory(owner=pm), pm)
    gate_withdraw(gate=gate, by=pm)

    gate_submit(gate=gate, by=pm)

    assert fresh(gate).status == GateStatus.SUBMITTED


@pytest.mark.parametrize("state, match", [
    ("in_progress", "not waiting for review"),
    ("approved", "already approved by Grace Okafor"),
    ("rejected", "already rejected by Grace Okafor"),
])
def test_it_refuses_withdrawing_a_gate_that_is_not_waiting_for_review(pm, compliance, state, match):
    initiative = InitiativeFactory(owner=pm)
    gate = {"in_progress": lambda: evidence_gate(gate_of(initiative), pm),
            "approved": lambda: approved_gate(initiative, pm, compliance),
            "rejected": lambda: rejected_gate(initiative, pm, compliance)}[state]()

    _refused(initiative, lambda: gate_withdraw(gate=gate, by=pm), match=match)


@pytest.mark.parametrize("persona", ["pm2", "compliance", "leader", "outsider"])
def test_only_the_team_withdraws(pm, persona, request):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    someone = request.getfixturevalue(persona)

    _refused(initiative, lambda: gate_withdraw(gate=gate, by=someone), PermissionDenied)


def test_deciding_a_withdrawn_gate_tells_the_officer_it_was_withdrawn(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    gate_withdraw(gate=gate, by=pm)

    _refused(initiative, lambda: gate_decide(gate=gate, by=compliance, decision=APPROVE),
             match="was withdrawn by Priya Patel at .* before a decision")
