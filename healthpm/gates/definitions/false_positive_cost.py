"""Gate 2 — False-positive cost ("clinical burden math"), SPEC §4.2."""

from .base import GateDefinition, Item

GATE = GateDefinition(
    key="false-positive-cost",
    title="False-positive cost",
    order=2,
    purpose=(
        "The labour that false alerts will consume is computed and stays under the "
        "portfolio threshold, so the tool does not flood responders with noise."
    ),
    items=(
        Item("alert-volume-source", "Source of the alert volume",
             "A silent-mode run or retrospective replay showing alerts per day and PPV."),
        Item("time-motion-study", "Source of minutes per false alert",
             "A time-motion study of how long a responder spends on one alert."),
    ),
)
