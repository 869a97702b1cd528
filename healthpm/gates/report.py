"""One report of a gate, the same for the gate page, the live preview, the overview and the
dossier: status, each item and what evidences it, the findings, the working, the answers in
plain words, the evidence register in one order and the decisions.

`gate_report(gate, ctx)` reads nothing beyond the gate's prefetched evidence and decisions
(`Gate.objects.of_initiative` or `access.get_gate_for` load them); the live preview passes
the unsaved answers as `data`.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple

from .definitions.base import EvaluationContext, Finding, GateDefinition, Item, Table, Working


class ItemStatus(NamedTuple):
    """A required item (templates unpack `item, evidenced, pieces`)."""

    item: Item
    evidenced: bool
    evidence: tuple  # the current pieces that evidence it


@dataclass(frozen=True)
class EvidenceRow:
    evidence: Any  # healthpm.gates.models.Evidence
    state: str     # current | expired | superseded
    item_label: str


@dataclass(frozen=True)
class GateReport:
    gate: Any  # healthpm.gates.models.Gate
    definition: GateDefinition
    position: int
    data: dict[str, Any]
    items: tuple[ItemStatus, ...]
    findings: tuple[Finding, ...]
    working: Working
    described: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]
    evidence: tuple[EvidenceRow, ...]
    decisions: tuple  # newest first
    approval: Any | None
    approval_matches: bool

    @property
    def blockers(self) -> list[str]:
        return blocker_messages(self.items, self.findings)

    @property
    def data_blockers(self) -> list[str]:
        return [f.message for f in self.findings if f.blocks]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.blocks]

    @property
    def anchor(self) -> str:
        return f"gate-{self.gate.key}"


def blocker_messages(items, findings) -> list[str]:
    """What stops submission: unevidenced items first, then blocking rules."""
    messages = [
        f"“{item.label}” is not filled in yet: complete it in the gate's form and save." if item.structured
        else f"No current evidence for “{item.label}”: upload a file or add a link."
        for item, evidenced, _ in items
        if not evidenced
    ]
    return messages + [f.message for f in findings if f.blocks]


def gate_report(gate, ctx: EvaluationContext, *, data: dict[str, Any] | None = None) -> GateReport:
    definition = gate.definition
    answers = gate.data if data is None else data
    labels = {item.key: item.label for item in definition.items}
    evidence = sorted(gate.evidence.all(), key=lambda e: (e.item_key, -e.version, -e.pk))
    approval = gate.current_approval()
    return GateReport(
        gate=gate,
        definition=definition,
        position=gate.position,
        data=answers,
        items=tuple(ItemStatus(item, evidenced, tuple(pieces)) for item, evidenced, pieces in gate.item_status(ctx)),
        findings=tuple(definition.findings(answers, ctx)),
        working=definition.working(answers, ctx),
        described=tuple(definition.describe(answers, ctx)),
        tables=tuple(definition.tables(answers, ctx)),
        evidence=tuple(EvidenceRow(e, e.state(ctx.today), labels.get(e.item_key, e.item_key)) for e in evidence),
        decisions=tuple(sorted(gate.decisions.all(), key=lambda d: -d.pk)),
        approval=approval,
        approval_matches=approval is not None and approval.digest == gate.compute_digest(today=ctx.today),
    )
