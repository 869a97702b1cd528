"""The gate page after a rejection (issue 13): the rejection comes first, the resubmit form asks
for a response to the reviewer, the reviewer reads the response and what changed; the team
withdraws a submitted gate from the page."""

import html

import pytest
from django.urls import reverse

from healthpm.gates.models import GateStatus
from healthpm.gates.services import gate_save_data
from tests.factories import (InitiativeFactory, add_link, approved_gate, db_state, evidence_gate, fresh, gate_of,
                             rejected_gate, submitted_gate)

pytestmark = pytest.mark.django_db

GATE = "auditable-inputs"
REASON = "The lineage document is a draft."


def _page(client, initiative, key=GATE):
    return html.unescape(client.get(reverse("gates:detail", args=[initiative.slug, key])).content.decode())


def test_the_rejection_is_stated_before_anything_else_and_the_form_asks_for_a_response(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    rejected_gate(initiative, pm, compliance)

    page = _page(login(pm), initiative)

    assert page.index("Rejected by Grace Okafor") < page.index("Every required item is evidenced")
    assert "ready to submit" not in page
    assert "answer the rejection below to resubmit" in page
    assert 'name="response"' in page and "Response to Grace Okafor" in page
    assert "What changed since it was rejected on" in page and "Nothing changed" in page


def test_a_first_submission_has_no_response_field(pm, login):
    initiative = InitiativeFactory(owner=pm)
    evidence_gate(gate_of(initiative, GATE), pm)

    page = _page(login(pm), initiative)

    assert "ready to submit" in page and 'name="response"' not in page


def test_resubmitting_without_a_response_is_refused_on_the_page(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    rejected_gate(initiative, pm, compliance)
    client = login(pm)
    before = db_state(initiative)

    response = client.post(reverse("gates:submit", args=[initiative.slug, GATE]), {"note": "", "response": " "},
                           follow=True)

    assert response.redirect_chain == [(gate_of(initiative, GATE).get_absolute_url(), 302)]
    assert "Write your response to the rejection" in html.unescape(response.content.decode())
    assert db_state(initiative) == before


def test_the_reviewer_reads_the_response_and_the_diff(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    gate = rejected_gate(initiative, pm, compliance)
    row = dict(gate.data["inputs"][0], notes="Draw time, not result time.")
    gate_save_data(gate=gate, by=pm, data={**gate.data, "inputs": [row]})
    add_link(fresh(gate), pm, "data-dictionary", replaces=gate.evidence.get())

    response = login(pm).post(reverse("gates:submit", args=[initiative.slug, GATE]),
                              {"note": "", "response": "Signed lineage attached; notes say which timestamp."})
    assert response.status_code == 302 and fresh(gate).status == GateStatus.SUBMITTED

    page = _page(login(compliance), initiative)
    assert "Resubmitted by Priya Patel" in page
    assert "The team's response:</strong> Signed lineage attached; notes say which timestamp." in page
    assert "Rejected by Grace Okafor" in page and REASON in page
    assert "1 table row, 1 evidence replaced" in page
    assert "Notes: <del class=\"diff-old\">—</del> → <ins class=\"diff-new\">Draw time, not result time.</ins>" in page
    assert "Data dictionary or lineage document: " in page and "v2 (replaces v1)" in page


def test_the_team_withdraws_from_the_page(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    client = login(pm)
    assert "Withdraw submission" in _page(client, initiative)

    response = client.post(reverse("gates:withdraw", args=[initiative.slug, GATE]), follow=True)

    assert fresh(gate).status == GateStatus.IN_PROGRESS
    assert "withdrawn from review" in html.unescape(response.content.decode())


def test_an_officer_sees_no_withdraw_button_and_is_refused(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    client = login(compliance)
    assert "Withdraw submission" not in _page(client, initiative)

    response = client.post(reverse("gates:withdraw", args=[initiative.slug, GATE]))

    assert response.status_code == 403 and fresh(gate).status == GateStatus.SUBMITTED


def test_withdrawing_a_decided_gate_says_who_decided_it(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    approved_gate(initiative, pm, compliance)

    response = login(pm).post(reverse("gates:withdraw", args=[initiative.slug, GATE]), follow=True)

    assert response.redirect_chain == [(initiative.gates.get(key=GATE).get_absolute_url(), 302)]
    assert "cannot be withdrawn: it was already approved by Grace Okafor" in html.unescape(response.content.decode())
