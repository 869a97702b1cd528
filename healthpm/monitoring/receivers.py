"""A new approval of a gate a breach re-opened clears the breach (issue 16 item 2).
Connected in MonitoringConfig.ready(); runs inside gate_decide's transaction."""

from django.dispatch import receiver

from healthpm.gates.models import GateDecision
from healthpm.gates.signals import gate_decided

from .services import breaches_clear


@receiver(gate_decided, dispatch_uid="monitoring_clear_breaches")
def _gate_decided(sender, *, gate, initiative, decision, **kwargs):
    if decision.decision == GateDecision.Decision.APPROVED:
        breaches_clear(gate=gate, initiative=initiative, decision=decision)
