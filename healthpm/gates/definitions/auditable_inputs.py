"""Gate 1 — Auditable inputs (data provenance), SPEC §4.1."""

from .base import GateDefinition, Item

GATE = GateDefinition(
    key="auditable-inputs",
    title="Auditable inputs",
    order=1,
    purpose=(
        "Every model input comes from an approved, timestamped source and is available at "
        "prediction time, so any decision can be reconstructed later."
    ),
    items=(
        Item("data-dictionary", "Data dictionary or lineage document",
             "The document that maps each input to its source system, table and field."),
    ),
)
