"""The gate page: submit and decide through HTTP, refusals shown on the page (SPEC §2, §10)."""

import pytest
from django.urls import reverse

from healthpm.core.errors import WorkflowError
from healthpm.gates.models import GateDecision, GateStatus
from healthpm.gates.services import gate_submit
from tests.factories import InitiativeFactory, db_state, evidence_gate, fresh, gate_of, submitted_gate

pytestmark = pytest.mark.django_db

GATE = "auditable-inputs"
MISSING = "No current evidence for “Data dictionary or lineage document”"


def test_it_refuses_submission_without_evidence_listing_the_item(pm):
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, GATE), pm, skip=("data-dictionary",))
    before = db_state(initiative)

    with pytest.raises(WorkflowError) as refused:
        gate_submit(gate=gate, by=pm)

    assert "cannot be submitted yet" in refused.value.message
    assert len(refused.value.details) == 1 and refused.value.details[0].startswith(MISSING)
    assert db_state(initiative) == before


def back_on_the_gate_page(response, initiative, key: str = GATE) -> bool:
    """A refused form came back to the gate's own address (POST-redirect-GET), not …/submit/."""
    return response.status_code == 200 and response.redirect_chain == [
        (reverse("gates:detail", args=[initiative.slug, key]), 302)]


def test_a_refused_submission_leaves_the_gate_address_and_reloading_it_shows_the_page(pm, login):
    """Re-rendering at …/submit/ kept that address in the bar; reloading it answered a bare 405."""
    initiative = InitiativeFactory(owner=pm)
    evidence_gate(gate_of(initiative, GATE), pm, skip=("data-dictionary",))
    client = login(pm)
    gate_url = reverse("gates:detail", args=[initiative.slug, GATE])

    response = client.post(reverse("gates:submit", args=[initiative.slug, GATE]), {"note": "Please look."})

    assert response.status_code == 302 and response["Location"] == gate_url
    shown = client.get(gate_url)
    assert shown.status_code == 200 and MISSING in shown.content.decode()
    assert shown.context["submit_form"]["note"].value() == "Please look."  # what was typed comes back
    reloaded = client.get(gate_url)  # the refusal is shown once; a reload is the plain page
    assert reloaded.status_code == 200 and reloaded.context["submit_form"].is_bound is False


def test_the_page_refuses_submission_without_evidence_and_shows_the_item(pm, login):
    initiative = InitiativeFactory(owner=pm)
    evidence_gate(gate_of(initiative, GATE), pm, skip=("data-dictionary",))
    client = login(pm)
    before = db_state(initiative)

    response = client.post(reverse("gates:submit", args=[initiative.slug, GATE]), {"note": ""}, follow=True)

    assert back_on_the_gate_page(response, initiative)
    assert MISSING in response.content.decode()
    assert db_state(initiative) == before


def test_the_page_submits_an_evidenced_gate(pm, login):
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, GATE), pm)

    response = login(pm).post(reverse("gates:submit", args=[initiative.slug, GATE]), {"note": "Ready."}, follow=True)

    assert response.status_code == 200
    assert "submitted. Compliance officers have been notified." in response.content.decode()
    assert fresh(gate).status == GateStatus.SUBMITTED


def test_a_refused_submission_note_is_shown_not_silently_dropped(pm, login):
    """A note the form refuses (here a NUL byte) used to redirect back as if submitted."""
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, GATE), pm)
    client = login(pm)
    before = db_state(initiative)

    response = client.post(reverse("gates:submit", args=[initiative.slug, GATE]), {"note": "Ready.\x00"}, follow=True)

    assert back_on_the_gate_page(response, initiative)
    assert response.context["submit_form"].errors["note"]
    assert fresh(gate).status != GateStatus.SUBMITTED
    assert db_state(initiative) == before


def test_the_gate_page_shows_what_blocks_it_and_the_next_gate(pm, login):
    initiative = InitiativeFactory(owner=pm)
    evidence_gate(gate_of(initiative, GATE), pm, skip=("data-dictionary",))  # started: in progress

    page = login(pm).get(reverse("gates:detail", args=[initiative.slug, GATE])).content.decode()

    assert MISSING in page
    assert f'href="/initiatives/{initiative.slug}/gates/false-positive-cost/"' in page


def test_compliance_sees_the_decision_form_and_approves(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    client = login(compliance)
    assert "Record decision" in client.get(reverse("gates:detail", args=[initiative.slug, GATE])).content.decode()

    response = client.post(reverse("gates:decide", args=[initiative.slug, GATE]), {"decision": "approved"})

    assert response.status_code == 302
    decision = GateDecision.objects.get(gate=gate)
    assert (decision.decision, decision.decided_by) == ("approved", compliance)


def test_the_team_does_not_see_the_decision_form(pm, login):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)

    page = login(pm).get(reverse("gates:detail", args=[initiative.slug, GATE])).content.decode()

    assert "Record decision" not in page and "waiting for a compliance decision" in page


def test_a_rejection_without_reason_is_refused_on_the_page(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)
    client = login(compliance)
    before = db_state(initiative)

    response = client.post(reverse("gates:decide", args=[initiative.slug, GATE]), {"decision": "rejected", "reason": ""},
                           follow=True)

    assert back_on_the_gate_page(response, initiative)
    assert "Give the reason for rejecting" in response.content.decode()
    assert db_state(initiative) == before


def test_deciding_an_already_decided_gate_says_so(pm, compliance, compliance2, login):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)
    login(compliance).post(reverse("gates:decide", args=[initiative.slug, GATE]), {"decision": "approved"})

    response = login(compliance2).post(reverse("gates:decide", args=[initiative.slug, GATE]),
                                       {"decision": "rejected", "reason": "Too late."}, follow=True)

    assert back_on_the_gate_page(response, initiative)
    assert "was already decided: approved by Grace Okafor" in response.content.decode()
    assert GateDecision.objects.count() == 1


def test_an_unknown_gate_is_404(pm, login):
    initiative = InitiativeFactory(owner=pm)
    assert login(pm).get(f"/initiatives/{initiative.slug}/gates/horoscope/").status_code == 404
