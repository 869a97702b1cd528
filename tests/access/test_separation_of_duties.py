"""Separation of duties (SPEC §1): whoever owns, collaborates on, evidenced or submitted an
initiative cannot decide its gates or sign it — even as a compliance officer, even by a
crafted POST that skips the page."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from healthpm.accounts import roles
from healthpm.approvals.services import initiative_sign
from healthpm.gates.models import GateDecision
from healthpm.gates.services import gate_decide, gate_submit
from healthpm.initiatives.models import Status
from healthpm.initiatives.services import EDITABLE_FIELDS, initiative_update
from tests.factories import PASSWORD, InitiativeFactory, UserFactory, db_state, evidence_gate, fresh, gate_of

pytestmark = pytest.mark.django_db

ROLES = ["owner", "collaborator", "evidence contributor", "submitter"]
GATE = "auditable-inputs"


@pytest.fixture
def dual(db):
    """A product manager who is also a compliance officer: the one separation of duties must stop."""
    user = UserFactory(username="dana", first_name="Dana", last_name="Dual", email="dana@hospital.example")
    for name in (roles.PRODUCT_MANAGER, roles.COMPLIANCE):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def build(role: str, *, ready: bool, pm, dual, officer):
    """An initiative where `dual` holds `role`: one gate submitted, or (ready) every gate approved."""
    # Each role alone: the owner's gates are filled and submitted by a collaborator, and so on.
    if role == "owner":
        initiative = InitiativeFactory(owner=dual, collaborators=[pm], by=dual)
    else:
        initiative = InitiativeFactory(owner=pm, collaborators=[dual])
    filler = dual if role == "evidence contributor" else pm
    submitter = dual if role == "submitter" else pm
    keys = [g.key for g in initiative.gates.order_by("order")] if ready else [GATE]
    for key in keys:
        gate = evidence_gate(gate_of(initiative, key), filler)
        gate_submit(gate=gate, by=submitter)
        if ready:
            gate_decide(gate=gate, by=officer, decision=GateDecision.Decision.APPROVED)
    if role in ("evidence contributor", "submitter"):
        # Off the team now: only the evidence or the submission ties them to it.
        initiative_update(initiative=initiative, by=pm, collaborators=[],
                          fields={f: getattr(initiative, f) for f in EDITABLE_FIELDS})
    initiative.refresh_from_db()
    assert initiative.status == (Status.READY if ready else Status.IN_REVIEW)
    return initiative


@pytest.mark.parametrize("role", ROLES)
def test_conflicted_officer_cannot_approve_or_reject_a_gate(role, pm, dual, compliance):
    initiative = build(role, ready=False, pm=pm, dual=dual, officer=compliance)
    gate = gate_of(initiative, GATE)
    before = db_state(initiative)

    for decision in GateDecision.Decision.values:
        with pytest.raises(PermissionDenied, match="so you cannot decide its gates"):
            gate_decide(gate=gate, by=dual, decision=decision, reason="Looks fine to me.")

    assert db_state(initiative) == before
    gate_decide(gate=gate, by=compliance, decision="approved")  # an officer without a stake still can
    assert fresh(gate).status == "approved"


@pytest.mark.parametrize("role", ROLES)
def test_conflicted_officer_cannot_decide_by_crafted_post(role, pm, dual, compliance, client):
    initiative = build(role, ready=False, pm=pm, dual=dual, officer=compliance)
    client.force_login(dual)
    before = db_state(initiative)

    for decision in GateDecision.Decision.values:
        response = client.post(f"/initiatives/{initiative.slug}/gates/{GATE}/decide/",
                               {"decision": decision, "reason": "Crafted."})
        assert response.status_code == 403

    assert db_state(initiative) == before


@pytest.mark.parametrize("role", ROLES)
def test_conflicted_officer_sees_why_instead_of_the_decision_form(role, pm, dual, compliance, client):
    initiative = build(role, ready=False, pm=pm, dual=dual, officer=compliance)
    client.force_login(dual)

    page = client.get(f"/initiatives/{initiative.slug}/gates/{GATE}/")

    assert page.status_code == 200
    assert "so you cannot decide its gates or sign it" in page.content.decode()
    assert f"/gates/{GATE}/decide/" not in page.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_conflicted_officer_cannot_sign(role, pm, dual, compliance):
    initiative = build(role, ready=True, pm=pm, dual=dual, officer=compliance)
    before = db_state(initiative)

    for meaning in ("approved", "rejected"):
        with pytest.raises(PermissionDenied, match="so you cannot decide its gates or sign it"):
            initiative_sign(initiative=initiative, by=dual, password=PASSWORD, meaning=meaning, statement="Grounds.")

    assert db_state(initiative) == before


@pytest.mark.parametrize("role", ROLES)
def test_conflicted_officer_cannot_sign_by_crafted_post(role, pm, dual, compliance, client):
    initiative = build(role, ready=True, pm=pm, dual=dual, officer=compliance)
    client.force_login(dual)
    before = db_state(initiative)

    response = client.post(f"/initiatives/{initiative.slug}/approval/",
                           {"meaning": "approved", "password": PASSWORD, "statement": ""})

    assert response.status_code == 403
    assert db_state(initiative) == before


def test_owner_cannot_approve_own_gate(pm, client):
    """The plain owner is a PM, not an officer: refused at the service and by crafted POST."""
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, GATE), pm)
    gate_submit(gate=gate, by=pm)
    client.force_login(pm)
    before = db_state(initiative)

    with pytest.raises(PermissionDenied, match="Only compliance officers"):
        gate_decide(gate=gate, by=pm, decision="approved")
    response = client.post(f"/initiatives/{initiative.slug}/gates/{GATE}/decide/", {"decision": "approved"})

    assert response.status_code == 403
    assert db_state(initiative) == before


def test_owner_cannot_sign_own_initiative(pm, pm2, compliance, client):
    initiative = build("collaborator", ready=True, pm=pm, dual=pm2, officer=compliance)
    client.force_login(pm)
    before = db_state(initiative)

    response = client.post(f"/initiatives/{initiative.slug}/approval/",
                           {"meaning": "approved", "password": PASSWORD, "statement": ""})

    assert response.status_code == 403
    assert db_state(initiative) == before
