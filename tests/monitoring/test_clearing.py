"""Clearing a breach: a compliance decision approving the re-opened gate again (issue 16 item 4)."""

import pytest
from django.core.exceptions import PermissionDenied

from healthpm.accounts import roles
from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import GateStatus
from healthpm.gates.services import gate_decide
from healthpm.monitoring.models import Breach
from tests.conftest import _persona
from tests.factories import gate_of

pytestmark = pytest.mark.django_db

PLAN, COST = "monitoring-plan", "false-positive-cost"


def test_approving_the_reopened_gate_with_a_reason_clears_the_breach_and_lifts_the_pause(launched, record, compliance2):
    record("alert_volume", "61")
    gate = gate_of(launched, PLAN)

    gate_decide(gate=gate, by=compliance2, decision="approved",
                reason="A new ward opened on 12-01; volume is real demand. Threshold reviewed with the CMIO.")

    breach = Breach.objects.get()
    assert breach.cleared_by == compliance2 and breach.cleared_at is not None
    assert breach.clear_reason.startswith("A new ward opened")
    launched.refresh_from_db()
    assert not launched.is_paused
    assert gate_of(launched, PLAN).status == GateStatus.APPROVED
    assert AuditEvent.objects.filter(action="monitoring_breach_cleared", object_id=str(breach.pk)).count() == 1
    assert AuditEvent.objects.get(action="initiative_unpaused").after["reason"].startswith("A new ward opened")


def test_an_approval_without_a_reason_is_refused_and_changes_nothing(launched, record, compliance2):
    record("alert_volume", "61")
    gate = gate_of(launched, PLAN)

    with pytest.raises(WorkflowError, match="re-opened by a monitoring breach: give the reason"):
        gate_decide(gate=gate, by=compliance2, decision="approved", reason="")

    assert gate_of(launched, PLAN).status == GateStatus.SUBMITTED
    assert Breach.objects.get().is_open
    launched.refresh_from_db()
    assert launched.is_paused


def test_separation_of_duties_applies_to_the_new_approval(launched, record, pm):
    # A compliance officer who is also on the initiative's team may not decide its gates.
    dual = _persona("dana", "Dana", "Dual", roles.PRODUCT_MANAGER, roles.COMPLIANCE)
    launched.collaborators.add(dual)
    record("alert_volume", "61")

    with pytest.raises(PermissionDenied, match="You collaborate on this initiative"):
        gate_decide(gate=gate_of(launched, PLAN), by=dual, decision="approved", reason="Fine.")
    with pytest.raises(PermissionDenied):
        gate_decide(gate=gate_of(launched, PLAN), by=pm, decision="approved", reason="Fine.")
    assert Breach.objects.get().is_open


def test_the_pause_lasts_until_every_reopened_gate_is_approved(launched, record, compliance):
    record("ppv", "0.2")
    record("alert_volume", "61")  # pause threshold (plan) and cost: 61 × 0.8 × 150 min = $7,320 (cost gate)
    assert set(Breach.objects.values_list("gate__key", flat=True)) == {PLAN, COST}

    gate_decide(gate=gate_of(launched, PLAN), by=compliance, decision="approved", reason="Volume spike explained.")
    launched.refresh_from_db()
    assert launched.is_paused

    gate_decide(gate=gate_of(launched, COST), by=compliance, decision="approved", reason="Cost accepted until 01-31.")
    launched.refresh_from_db()
    assert not launched.is_paused
    assert not Breach.objects.filter(cleared_at__isnull=True).exists()


def test_a_rejection_keeps_the_breach_open_and_the_initiative_paused(launched, record, compliance):
    record("alert_volume", "61")
    gate_decide(gate=gate_of(launched, PLAN), by=compliance, decision="rejected", reason="Recalibrate first.")

    assert Breach.objects.get().is_open
    launched.refresh_from_db()
    assert launched.is_paused and gate_of(launched, PLAN).status == GateStatus.REJECTED
