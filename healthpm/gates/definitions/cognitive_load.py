"""Gate 4 — Cognitive load, SPEC §4.4."""

from .base import GateDefinition, Item

GATE = GateDefinition(
    key="cognitive-load",
    title="Cognitive load",
    order=4,
    purpose=(
        "Measured time on task shows the tool does not add net work per case, and work "
        "does not silently move to a less-trained role."
    ),
    items=(
        Item("time-on-task-study", "Time-on-task measurement",
             "Time-motion study, EHR audit-log extract or survey results, before and after."),
    ),
)
