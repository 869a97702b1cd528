"""Gate 3 — Paper fallback (downtime), SPEC §4.3."""

from .base import GateDefinition, Item

GATE = GateDefinition(
    key="paper-fallback",
    title="Paper fallback",
    order=3,
    purpose=(
        "When the AI or the EHR is down, staff know it and can make every decision the AI "
        "supports on paper, and that procedure has been drilled within the last year."
    ),
    items=(
        Item("downtime-procedure", "Documented downtime procedure",
             "The approved procedure staff follow when the system is unavailable."),
        Item("paper-checklist", "Paper checklist",
             "The paper form that reproduces every decision the AI makes."),
        Item("drill-record", "Last downtime drill record",
             "Minutes or report of the last drill; its effective date is the drill day."),
    ),
)
