"""The approved answers live monitoring checks against, found through the registry.

Nothing here names a gate: the monitoring plan is the gate that contributes "pause_thresholds"
(its `watched_metrics` hook lists the metrics), every gate may judge a live sample
(`live_breaches`), and the fallback named in a pause message is whichever gate describes a
`downtime_procedure`.
"""

from dataclasses import dataclass

from healthpm.gates import registry
from healthpm.gates.definitions.base import GateDefinition, UnknownGate, WatchedMetric
from healthpm.gates.models import Gate, GateDecision
from healthpm.initiatives.models import Initiative, Status

PLAN_FACT = "pause_thresholds"


def approved_data(gate: Gate) -> dict | None:
    """The answers compliance last approved (kept even while a breach has voided that approval,
    so the plan the committee agreed to stays the yardstick); None when never approved."""
    decision = (GateDecision.objects.filter(gate=gate, decision=GateDecision.Decision.APPROVED)
                .order_by("-pk").only("data_snapshot").first())
    if decision is None:
        return None
    return decision.data_snapshot if decision.data_snapshot is not None else gate.data


def plan_definition(initiative: Initiative) -> GateDefinition | None:
    try:
        return registry.checklist(initiative.checklist_version).owner_of(PLAN_FACT)
    except UnknownGate:
        return None


@dataclass(frozen=True)
class Plan:
    gate: Gate
    metrics: list[WatchedMetric]

    def metric(self, key: str) -> WatchedMetric | None:
        return next((m for m in self.metrics if m.key == key), None)

    def owners_of(self, key: str) -> set[str]:
        return {m.owner for m in self.metrics if m.key == key and m.owner}

    @property
    def owners(self) -> set[str]:
        return {m.owner for m in self.metrics if m.owner}

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(m.key for m in self.metrics))


def approved_plan(initiative: Initiative) -> Plan | None:
    """The initiative's approved monitoring plan, or None (no such gate in its checklist, or
    never approved)."""
    definition = plan_definition(initiative)
    if definition is None:
        return None
    gate = Gate.objects.filter(initiative=initiative, key=definition.key).first()
    data = approved_data(gate) if gate is not None else None
    if data is None:
        return None
    return Plan(gate=gate, metrics=definition.watched_metrics(data))


def is_launched(initiative: Initiative) -> bool:
    return initiative.status == Status.APPROVED


def downtime_procedure(initiative: Initiative) -> str:
    """What staff fall back to while the model is paused, from the gate that describes it."""
    gates = {g.key: g for g in Gate.objects.filter(initiative=initiative)}
    for definition in registry.checklist(initiative.checklist_version).gates:
        gate = gates.get(definition.key)
        if gate is None or type(definition).downtime_procedure is GateDefinition.downtime_procedure:
            continue
        text = definition.downtime_procedure(approved_data(gate) or gate.data or {})
        if text:
            return text
    return ""
