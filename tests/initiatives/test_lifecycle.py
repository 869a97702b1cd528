"""The initiative lifecycle (SPEC §2): status follows the gates, then the signed final decision."""

import pytest
from django.core.exceptions import PermissionDenied

from healthpm.approvals.services import initiative_reopen, initiative_sign
from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import GateDecision, GateStatus
from healthpm.gates.services import gate_decide, gate_submit
from healthpm.initiatives.models import Initiative, Status
from healthpm.initiatives.services import derived_status, initiative_create, initiative_update
from tests.factories import (
    PASSWORD, InitiativeFactory, add_link, approved_gate, db_state, fresh, gate_of, ready_initiative,
    rejected_gate, signed_initiative, submitted_gate,
)

pytestmark = pytest.mark.django_db


def status_of(initiative) -> str:
    return Initiative.objects.get(pk=initiative.pk).status


def _refused(initiative, call, exception=WorkflowError, match: str | None = None):
    before = db_state(initiative)
    with pytest.raises(exception, match=match) as info:
        call()
    assert db_state(initiative) == before, "a refused transition changed something"
    return info.value


# --- legal ---------------------------------------------------------------------------------
def test_a_new_initiative_is_a_draft_with_every_checklist_gate(pm):
    initiative = InitiativeFactory(owner=pm)

    assert initiative.status == Status.DRAFT
    assert initiative.checklist_version == 2
    assert list(initiative.gates.order_by("order").values_list("key", "status")) == [
        ("auditable-inputs", "not_started"), ("false-positive-cost", "not_started"),
        ("clinical-validation", "not_started"), ("failure-modes", "not_started"), ("paper-fallback", "not_started"),
        ("cognitive-load", "not_started"), ("adoption-incentives", "not_started"),
        ("regulatory-classification", "not_started"), ("baa-phi", "not_started"), ("monitoring-plan", "not_started"),
        ("transparency", "not_started"),
    ]
    assert AuditEvent.objects.filter(action="initiative_created", initiative=initiative).exists()


def test_submitting_a_gate_puts_the_draft_in_review(pm):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)
    assert status_of(initiative) == Status.IN_REVIEW


def test_a_rejected_gate_requests_changes_until_resubmitted(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = rejected_gate(initiative, pm, compliance)
    assert status_of(initiative) == Status.CHANGES_REQUESTED

    gate_submit(gate=gate, by=pm, response="The signed lineage replaces the draft.")

    assert status_of(initiative) == Status.IN_REVIEW


def test_every_gate_approved_makes_it_ready(pm, compliance):
    initiative = ready_initiative(pm, compliance)
    assert initiative.status == Status.READY


def test_voiding_an_approval_takes_a_ready_initiative_back_to_review(pm, compliance):
    initiative = ready_initiative(pm, compliance)
    gate = fresh(gate_of(initiative))

    add_link(gate, pm, "data-dictionary", replaces=gate.evidence.get())

    assert status_of(initiative) == Status.IN_REVIEW


@pytest.mark.parametrize("meaning, final", [("approved", Status.APPROVED), ("rejected", Status.REJECTED)])
def test_signing_a_ready_initiative_records_the_final_decision(pm, compliance, meaning, final):
    initiative = signed_initiative(pm, compliance, meaning=meaning)
    assert initiative.status == final and initiative.is_locked


@pytest.mark.parametrize("meaning", ["approved", "rejected"])
def test_reopening_a_final_decision_returns_to_review(pm, compliance, meaning):
    initiative = signed_initiative(pm, compliance, meaning=meaning)

    initiative_reopen(initiative=initiative, by=compliance, reason="New adverse-event report from the pilot ward.")

    assert status_of(initiative) == Status.IN_REVIEW
    assert initiative.signatures.get().voided_at is not None


def test_derived_status_follows_the_gates():
    assert derived_status(["not_started", "in_progress"]) == Status.DRAFT
    assert derived_status(["submitted", "in_progress"]) == Status.IN_REVIEW
    assert derived_status(["approved", "rejected"]) == Status.CHANGES_REQUESTED
    assert derived_status(["approved", "approved"]) == Status.READY


def test_a_reviewed_initiative_never_falls_back_to_draft(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = approved_gate(initiative, pm, compliance)

    add_link(gate, pm, "data-dictionary", replaces=gate.evidence.get())  # the only approved gate is voided

    assert fresh(gate).status == GateStatus.IN_PROGRESS
    assert status_of(initiative) == Status.IN_REVIEW


# --- illegal -------------------------------------------------------------------------------
@pytest.mark.parametrize("reached", ["draft", "in_review", "changes_requested"])
def test_it_refuses_signing_before_every_gate_is_approved(pm, compliance, compliance2, reached):
    initiative = InitiativeFactory(owner=pm)
    if reached == "in_review":
        submitted_gate(initiative, pm)
    elif reached == "changes_requested":
        rejected_gate(initiative, pm, compliance2)
    assert status_of(initiative) == reached

    error = _refused(initiative, lambda: initiative_sign(initiative=initiative, by=compliance, password=PASSWORD,
                                                         meaning="approved"), match="not available yet")
    assert "“BAA and PHI” is not started, not approved." in error.details


def test_it_refuses_signing_twice(pm, compliance, compliance2):
    initiative = signed_initiative(pm, compliance)
    _refused(initiative, lambda: initiative_sign(initiative=initiative, by=compliance2, password=PASSWORD,
                                                 meaning="rejected", statement="Second thoughts."),
             match="already has a final decision")


def test_it_refuses_a_launch_rejection_without_grounds(pm, compliance):
    initiative = ready_initiative(pm, compliance)
    _refused(initiative, lambda: initiative_sign(initiative=initiative, by=compliance, password=PASSWORD,
                                                 meaning="rejected"), match="grounds")


def test_it_refuses_reopening_without_a_final_decision(pm, compliance):
    initiative = ready_initiative(pm, compliance)
    _refused(initiative, lambda: initiative_reopen(initiative=initiative, by=compliance, reason="Just checking."),
             match="no final decision")


def test_it_refuses_editing_a_locked_initiative(pm, compliance):
    initiative = signed_initiative(pm, compliance)
    fields = {"title": "Renamed", "summary": "s", "clinical_area": "oncology", "intended_use": "u",
              "intended_users": "u", "care_setting": "icu"}
    _refused(initiative, lambda: initiative_update(initiative=initiative, by=pm, fields=fields), match="locked")


def test_it_refuses_deciding_gates_of_a_locked_initiative(pm, compliance, compliance2):
    initiative = signed_initiative(pm, compliance)
    gate = gate_of(initiative)
    _refused(initiative, lambda: gate_decide(gate=gate, by=compliance2, decision=GateDecision.Decision.REJECTED,
                                             reason="Late objection."), match="already decided")


@pytest.mark.parametrize("persona", ["compliance", "leader", "outsider"])
def test_only_product_managers_create_initiatives(persona, request):
    someone = request.getfixturevalue(persona)
    count = Initiative.objects.count()
    with pytest.raises(PermissionDenied):
        initiative_create(by=someone, fields={"title": "x", "summary": "s", "clinical_area": "other",
                                              "intended_use": "u", "intended_users": "u", "care_setting": "icu"})
    assert Initiative.objects.count() == count


def test_it_refuses_a_collaborator_who_is_not_a_product_manager(pm, compliance):
    with pytest.raises(WorkflowError, match="Collaborators must be product managers: grace"):
        InitiativeFactory(owner=pm, collaborators=[compliance])
    assert not Initiative.objects.exists()


def test_the_edit_page_of_an_initiative_with_a_final_decision_sends_the_owner_back(pm, compliance, login):
    from django.urls import reverse

    from tests.factories import signed_initiative

    initiative = signed_initiative(pm, compliance)
    client = login(pm)

    response = client.get(reverse("initiatives:edit", args=[initiative.slug]), follow=True)

    assert response.redirect_chain == [(reverse("initiatives:overview", args=[initiative.slug]), 302)]
    assert "has a final decision, so it cannot be changed" in response.content.decode()
