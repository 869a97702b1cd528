"""Webhook events from the gates', approvals' and live monitoring's domain signals (sent inside their transactions,
so the outbox rows commit or roll back with the change). Connected in WebhooksConfig.ready()."""

from django.dispatch import receiver
from django.urls import reverse

from healthpm.accounts.roles import printed_name
from healthpm.approvals.signals import final_decision
from healthpm.gates.signals import gate_decided, gate_submitted
from healthpm.monitoring.plan import downtime_procedure
from healthpm.monitoring.services import monitoring_url
from healthpm.monitoring.signals import metric_breached, metric_stale

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


@receiver(metric_breached, dispatch_uid="webhook_monitoring_breach")
def _metric_breached(sender, *, breach, initiative, **kwargs):
    sample = breach.sample
    emit("monitoring.breach", {
        "initiative": initiative_ref(initiative),
        "kind": breach.kind,
        "metric": {"key": breach.metric},
        "sample": {"id": sample.pk, "period_start": sample.period_start.isoformat(),
                   "period_end": sample.period_end.isoformat(), "value": str(sample.value), "subgroup": sample.subgroup},
        "threshold": {"value": str(breach.threshold), "direction": breach.direction},
        "working": breach.working,
        "gate": _gate_ref(breach.gate),
        "paper_fallback": downtime_procedure(initiative),
        "url": absolute(monitoring_url(initiative)),
    }, initiative=initiative)


@receiver(metric_stale, dispatch_uid="webhook_monitoring_stale")
def _metric_stale(sender, *, initiative, metric, last_end, since, due, **kwargs):
    emit("monitoring.stale", {
        "initiative": initiative_ref(initiative),
        "metric": {"key": metric.key, "title": metric.name, "unit": metric.unit},
        "cadence": metric.cadence,
        "last_sample_at": last_end.isoformat() if last_end else None,
        "due_at": due.isoformat(),
        "url": absolute(monitoring_url(initiative)),
    }, initiative=initiative)
