"""Moving an in-flight initiative to a later checklist (issue 12): compliance only, with a
reason, audited; approvals of unchanged gates are kept, new gates start empty, never back."""

import copy
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates import registry
from healthpm.gates.definitions import paper_fallback
from healthpm.gates.definitions.base import GateDefinition, Item
from healthpm.gates.models import Gate, GateStatus
from healthpm.initiatives.models import Status
from healthpm.initiatives.services import initiative_move_checklist
from healthpm.notifications.models import Notification
from tests.factories import InitiativeFactory, approved_gate, ready_initiative, signed_initiative

pytestmark = pytest.mark.django_db

NEW_GATE = GateDefinition(key="peer-training", title="Peer training", purpose="Staff trained staff.",
                          items=(Item("attendance", "Attendance sheet"),))


@pytest.fixture
def checklists(monkeypatch, settings):
    """v1 as released, and a released v3 that adds one gate and changes the paper fallback's
    rules (a new definition object under the same key), so every branch of a move is in play."""
    v1 = registry.checklist(1)
    changed_fallback = copy.copy(paper_fallback.GATE)
    gates = tuple(changed_fallback if g is paper_fallback.GATE else g for g in v1.gates) + (NEW_GATE,)
    v3 = registry.Checklist(3, gates, released=date(2026, 11, 1))
    monkeypatch.setattr(registry, "CHECKLISTS", (v1, v3))
    settings.HEALTHPM_CHECKLIST_VERSION = 1
    return v1, v3


def _move(initiative, by, version=3, reason="The committee adopted v3 on 2026-11-01."):
    return initiative_move_checklist(initiative=initiative, by=by, version=version, reason=reason)


def test_a_ready_initiative_keeps_its_unchanged_approvals_and_gets_the_new_gate_empty(checklists, pm, compliance):
    initiative = ready_initiative(pm, compliance, checklist_version=1)
    approved_before = {g.key: g.current_approval().pk for g in Gate.objects.filter(initiative=initiative)}

    initiative = _move(initiative, compliance)

    gates = {g.key: g for g in Gate.objects.filter(initiative=initiative).prefetch_related("decisions", "evidence")}
    assert initiative.checklist_version == 3
    assert list(Gate.objects.filter(initiative=initiative).values_list("key", flat=True)) == checklists[1].keys
    assert gates["peer-training"].status == GateStatus.NOT_STARTED and gates["peer-training"].data == {}
    assert gates["paper-fallback"].status == GateStatus.IN_PROGRESS  # its rules changed: reviewed again
    for key in set(checklists[0].keys) - {"paper-fallback"}:
        assert gates[key].status == GateStatus.APPROVED
        assert gates[key].current_approval().pk == approved_before[key]
        assert gates[key].approval_matches(), f"{key}: the approval no longer matches after the move"
    assert initiative.status == Status.IN_REVIEW  # no longer ready: two gates to (re)do
    event = AuditEvent.objects.filter(action="initiative_checklist_changed").get()
    assert event.before == {"checklist_version": 1}
    assert event.after["reason"] == "The committee adopted v3 on 2026-11-01."
    assert event.after["gates_added"] == ["peer-training"]
    assert event.after["reviewed_again"] == ["paper-fallback"]
    assert "paper-fallback" not in event.after["approvals_kept"] and len(event.after["approvals_kept"]) == 5
    note = Notification.objects.filter(recipient=pm).latest("pk")
    assert note.subject.endswith("now held to checklist v3")
    assert "New gates to fill:\n- Peer training" in note.body_text


def test_never_back_never_to_an_unreleased_checklist_never_without_a_reason(checklists, monkeypatch, pm, compliance):
    initiative = InitiativeFactory(owner=pm, checklist_version=3)
    with pytest.raises(WorkflowError, match="only move to a later checklist, never back"):
        _move(initiative, compliance, version=1)

    v1, v3 = checklists
    monkeypatch.setattr(registry, "CHECKLISTS", (v1, registry.Checklist(3, v3.gates, released=None)))
    older = InitiativeFactory(owner=pm, checklist_version=1)
    with pytest.raises(WorkflowError, match="Checklist v3 is not released yet"):
        _move(older, compliance)
    with pytest.raises(WorkflowError, match="Give the reason"):
        _move(older, compliance, reason="   ")
    older.refresh_from_db()
    assert older.checklist_version == 1
    assert not AuditEvent.objects.filter(action="initiative_checklist_changed").exists()


def test_a_locked_initiative_must_be_reopened_first(checklists, pm, compliance):
    initiative = signed_initiative(pm, compliance, checklist_version=1)

    with pytest.raises(WorkflowError, match="Reopen it first"):
        _move(initiative, compliance)


def test_only_an_officer_without_a_stake_moves_it(checklists, pm, compliance, compliance2):
    initiative = InitiativeFactory(owner=pm, checklist_version=1)
    approved_gate(initiative, pm, compliance2)

    with pytest.raises(PermissionDenied):
        _move(initiative, pm)
    initiative.collaborators.add(compliance)  # not a PM, but a stake all the same
    with pytest.raises(PermissionDenied):
        _move(initiative, compliance)
    assert Gate.objects.filter(initiative=initiative).count() == 6


def test_the_overview_offers_the_move_to_an_officer_and_the_post_moves_it(checklists, pm, compliance, login):
    initiative = InitiativeFactory(owner=pm, checklist_version=1)

    assert "A newer checklist is released" not in login(pm).get(initiative.get_absolute_url()).content.decode()
    client = login(compliance)
    page = client.get(initiative.get_absolute_url()).content.decode()
    assert "A newer checklist is released" in page and "v3 — 7 gates, 1 new" in page

    url = reverse("initiatives:move_checklist", args=[initiative.slug])
    refused = client.post(url, {"version": "3", "reason": ""}, follow=True).content.decode()
    assert "Reason: This field is required." in refused
    assert Gate.objects.filter(initiative=initiative).count() == 6

    client.post(url, {"version": "3", "reason": "Committee minutes 2026-11-03, item 4."})
    initiative.refresh_from_db()
    assert initiative.checklist_version == 3
    assert Gate.objects.filter(initiative=initiative).count() == 7
    page = client.get(initiative.get_absolute_url()).content.decode()
    assert "checklist v3" in page and "Peer training" in page
