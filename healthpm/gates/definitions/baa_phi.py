"""Gate 6 — BAA and PHI, SPEC §4.6."""

from .base import GateDefinition, Item

GATE = GateDefinition(
    key="baa-phi",
    title="BAA and PHI",
    order=6,
    purpose=(
        "Every vendor that touches PHI is under a current business associate agreement, PHI "
        "use is minimal or de-identified, and no vendor trains its own models on the data."
    ),
    items=(
        Item("phi-data-flow", "PHI data-flow diagram",
             "Which systems and vendors receive which identifiers."),
        Item("baa-agreements", "Business associate agreements",
             "The executed BAA of each vendor; its effective and expiry dates are the agreement's."),
    ),
)
