"""Checklist versions: which gate definitions an initiative is held to.

A new gate is a module in `definitions/` plus one line here; views never change.
"""

from django.conf import settings
from django.http import Http404

from .definitions import (
    auditable_inputs,
    baa_phi,
    cognitive_load,
    false_positive_cost,
    paper_fallback,
    regulatory_classification,
)
from .definitions.base import GateDefinition

CHECKLISTS: dict[int, tuple[GateDefinition, ...]] = {
    1: (
        auditable_inputs.GATE,
        false_positive_cost.GATE,
        paper_fallback.GATE,
        cognitive_load.GATE,
        regulatory_classification.GATE,
        baa_phi.GATE,
    ),
}

# New initiatives are held to this version; existing ones keep theirs.
CURRENT_VERSION: int = settings.HEALTHPM_CHECKLIST_VERSION


def gates_for(version: int) -> tuple[GateDefinition, ...]:
    return CHECKLISTS[version]


def definition(version: int, key: str) -> GateDefinition:
    for gate in CHECKLISTS.get(version, ()):
        if gate.key == key:
            return gate
    raise Http404("No such gate in this checklist version")
