"""Checklist versions: which gate definitions an initiative is held to, in which order.

A new gate is a module in `definitions/` plus one line in a checklist here. A gate's
position is its place in its checklist, so one gate may sit at different places in two
versions. A released checklist is frozen (tests/gates/test_registry.py keeps a fingerprint
of each): a changed rule is a new gate version in a new checklist, never an edit under the
initiatives already held to a released one.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from .definitions import (
    adoption_incentives,
    auditable_inputs,
    baa_phi,
    clinical_validation,
    cognitive_load,
    failure_modes,
    false_positive_cost,
    monitoring_plan,
    paper_fallback,
    regulatory_classification,
    transparency,
)
from .definitions.base import GateDefinition, UnknownGate


class UnknownChecklist(UnknownGate):
    """No checklist of that version is registered (so none of its gates is known either)."""


@dataclass(frozen=True)
class Checklist:
    version: int
    gates: tuple[GateDefinition, ...]
    # The day it was released for new initiatives; None while it is still being written.
    released: date | None = None

    @property
    def keys(self) -> list[str]:
        return [gate.key for gate in self.gates]

    def gate(self, key: str) -> GateDefinition:
        for gate in self.gates:
            if gate.key == key:
                return gate
        raise UnknownGate(f"Checklist v{self.version} has no gate “{key}”.")

    def position(self, key: str) -> int:
        """1 for the first gate of this checklist."""
        return self.keys.index(key) + 1 if key in self.keys else 0

    def next_after(self, key: str) -> GateDefinition | None:
        position = self.position(key)
        return self.gates[position] if 0 < position < len(self.gates) else None

    def owner_of(self, fact: str) -> GateDefinition | None:
        """The gate that contributes a portfolio fact (for links from the dashboard)."""
        return next((gate for gate in self.gates if fact in gate.contributes), None)


CHECKLISTS: tuple[Checklist, ...] = (
    Checklist(1, (
        auditable_inputs.GATE,
        false_positive_cost.GATE,
        paper_fallback.GATE,
        cognitive_load.GATE,
        regulatory_classification.GATE,
        baa_phi.GATE,
    ), released=date(2026, 3, 2)),
    # v1 plus the five further gates of SPEC §4, in the order a PM works: validation and harm
    # once the burden is known, adoption after the workflow gates, transparency last since it
    # gathers what the others found.
    Checklist(2, (
        auditable_inputs.GATE,
        false_positive_cost.GATE,
        clinical_validation.GATE,
        failure_modes.GATE,
        paper_fallback.GATE,
        cognitive_load.GATE,
        adoption_incentives.GATE,
        regulatory_classification.GATE,
        baa_phi.GATE,
        monitoring_plan.GATE,
        transparency.GATE,
    ), released=date(2026, 12, 1)),
)


def checklist(version: int) -> Checklist:
    for candidate in CHECKLISTS:
        if candidate.version == version:
            return candidate
    raise UnknownChecklist(f"No checklist v{version} is registered.")


def current() -> Checklist:
    """The version new initiatives are held to, read at call time (tests may switch it)."""
    return checklist(settings.HEALTHPM_CHECKLIST_VERSION)


def definition(version: int, key: str) -> GateDefinition:
    return checklist(version).gate(key)


def later_released(version: int) -> list[Checklist]:
    """Released checklists an initiative held to `version` may move to, newest first."""
    return sorted((c for c in CHECKLISTS if c.released and c.version > version), key=lambda c: -c.version)


def introduced_in(definition: GateDefinition) -> int:
    """The first checklist version holding this very definition (a changed rule is a new
    definition, so a new version). A gate's approval digest is bound to it, not to the
    initiative's checklist: a gate carried unchanged into a later checklist keeps its approval."""
    return min(c.version for c in CHECKLISTS if any(g is definition for g in c.gates))


def all_gates() -> list[GateDefinition]:
    """Every registered gate once, the current checklist's first, in their order."""
    seen: dict[str, GateDefinition] = {}
    for candidate in (current(), *CHECKLISTS):
        for gate in candidate.gates:
            seen.setdefault(gate.key, gate)
    return list(seen.values())
