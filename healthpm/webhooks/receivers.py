"""Webhook events from the gates' and approvals' domain signals (sent inside their transactions,
so the outbox rows commit or roll back with the change). Connected in WebhooksConfig.ready()."""

from django.dispatch import receiver
from django.urls import reverse

from healthpm.accounts.roles import printed_name
from healthpm.approvals.signals import final_decision
from healthpm.gates.signals import gate_decided, gate_submitted

from .services import absolute, emit, initiative_ref


def _gate_ref(gate) -> dict:
    return {"key": gate.key, "title": gate.title, "status": gate.status, "url": absolute(gate.get_absolute_url())}


@receiver(gate_submitted, dispatch_uid="webhook_gate_submitted")
def _gate_submitted(sender, *, gate, initiative, by, **kwargs):
    emit("gate.submitted", {
        "initiative": initiative_ref(initiative), "gate": _gate_ref(gate),
        "by": printed_name(by), "at": (gate.submitted_at.isoformat() if gate.submitted_at else None),
    }, initiative=initiative)


@receiver(gate_decided, dispatch_uid="webhook_gate_decided")
def _gate_decided(sender, *, gate, initiative, decision, submitted_at=None, **kwargs):
    emit("gate.decided", {
        "initiative": initiative_ref(initiative), "gate": _gate_ref(gate),
        "decision": {"id": decision.pk, "decision": decision.decision, "reason": decision.reason,
                     "by": printed_name(decision.decided_by), "at": decision.decided_at.isoformat(),
                     "submitted_at": submitted_at.isoformat() if submitted_at else None},
        "by": printed_name(decision.decided_by), "at": decision.decided_at.isoformat(),
    }, initiative=initiative)


@receiver(final_decision, dispatch_uid="webhook_final_decision")
def _final_decision(sender, *, initiative, signature, **kwargs):
    emit("initiative.final_decision", {
        "initiative": initiative_ref(initiative),
        "signature": {"id": signature.pk, "meaning": signature.meaning, "statement": signature.statement,
                      "signed_by": signature.printed_name, "signed_at": signature.signed_at.isoformat(),
                      "digest": signature.digest},
        "url": absolute(reverse("approvals:approval", args=[initiative.slug])),
    }, initiative=initiative)
