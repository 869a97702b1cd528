"""Gate 5 — Regulatory classification, SPEC §4.5."""

from .base import GateDefinition, Item

GATE = GateDefinition(
    key="regulatory-classification",
    title="Regulatory classification",
    order=5,
    purpose=(
        "Whether the software is non-device CDS or a medical device is decided on the four "
        "FDA criteria, and a device has its pathway and clearance before launch."
    ),
    items=(
        Item("counsel-memo", "Regulatory counsel's memo",
             "Counsel's written analysis of the CDS criteria and the pathway."),
    ),
)
