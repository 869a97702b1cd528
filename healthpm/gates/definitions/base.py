"""What every readiness gate module declares. Views and services only talk to this API,
so adding a gate means adding a module and registering it, never touching a view."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Item:
    """One checklist item: something that must be evidenced before the gate is submitted."""

    key: str
    label: str
    help: str = ""
    # Structured items are evidenced by the gate's saved form data, not by a file or link.
    structured: bool = False
    # Conditional items (a PCCP only for adaptive models) say when they are required.
    required_when: Callable[[dict[str, Any]], bool] | None = None

    def is_required(self, data: dict[str, Any]) -> bool:
        return self.required_when is None or bool(self.required_when(data))


@dataclass(frozen=True)
class Finding:
    """The outcome of a rule: `block` stops submission, `warn` is shown and recorded."""

    level: str  # "block" | "warn"
    message: str
    field: str = ""

    @property
    def blocks(self) -> bool:
        return self.level == "block"


@dataclass(frozen=True)
class Table:
    """Rows of structured data (model inputs, vendors) as shown on screen and in the dossier."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class GateDefinition:
    key: str
    title: str
    order: int
    purpose: str
    items: tuple[Item, ...] = field(default_factory=tuple)
    # Rules that apply only to the final launch decision (e.g. a device needs clearance).
    final_rules_note: str = ""

    # Hooks a gate module overrides; the defaults describe a gate with no structured data.
    form_class: ClassVar[Any] = None
    # Extra working shown under the generic steps table (e.g. the IMDRF matrix).
    working_template: ClassVar[str | None] = None

    def required_items(self, data: dict[str, Any]) -> list[Item]:
        return [item for item in self.items if item.is_required(data)]

    def structured_complete(self, data: dict[str, Any]) -> bool:
        """True when the saved data is a complete answer (evidences structured items)."""
        return bool(data)

    def findings(self, data: dict[str, Any], *, today) -> list[Finding]:
        """Blocking rules and warnings on the structured data."""
        return []

    def final_findings(self, data: dict[str, Any], *, today) -> list[Finding]:
        """Rules checked again at the final launch decision only."""
        return []

    def working(self, data: dict[str, Any]) -> dict[str, Any]:
        """Computed values and their formulas, for the gate page and the dossier."""
        return {}

    def describe(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        """The saved answers as (question, answer) pairs in plain words."""
        return []

    def tables(self, data: dict[str, Any]) -> list[Table]:
        return []
