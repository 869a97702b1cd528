"""One report of a gate, the same for the gate page, the live preview, the overview and the
dossier: status, each item and what evidences it, the findings, the working, the answers in
plain words, the evidence register in one order and the decisions.

`gate_report(gate, ctx)` reads nothing beyond the gate's prefetched evidence and decisions
(`Gate.objects.of_initiative` or `access.get_gate_for` load them); the live preview passes
the unsaved answers as `data`.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, NamedTuple

from .definitions.base import EvaluationContext, Finding, GateDefinition, Item, Table, Working

# A problem more rows of a table share than this is said once (an inventory of 5,000 inputs from
# an unapproved system would otherwise list 5,000 lines): the count, the first names, and on the
# gate page a link to the table filtered to those rows.
GROUP_OVER = 3
NAMES_SHOWN = 3


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

    @cached_property  # a frozen dataclass still has a __dict__ for it
    def grouped_findings(self) -> list[Finding]:
        return grouped(self.definition, self.findings)

    @property
    def blockers(self) -> list[str]:
        return blocker_messages(self.items, self.grouped_findings)

    @property
    def data_blockers(self) -> list[str]:
        return [f.message for f in self.grouped_findings if f.blocks]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.grouped_findings if not f.blocks]

    @property
    def anchor(self) -> str:
        return f"gate-{self.gate.key}"


def grouped(definition: GateDefinition, findings) -> list[Finding]:
    """The findings in their order, each problem shared by more than GROUP_OVER rows of a table
    said once, where its first row's finding was: "412 model inputs come from “EHR-legacy”, which
    is not an approved source system: “a”, “b”, “c” and 409 more." That line keeps the problem
    (`group`) and has no `row`."""
    form_class = definition.form_class
    nouns = {table.key: table.noun for table in (form_class.tables if form_class else ())}
    rows = defaultdict(list)
    for f in findings:
        if f.group:
            rows[(f.level, f.field, f.group)].append(f.row)
    said, out = set(), []
    for f in findings:
        problem = (f.level, f.field, f.group)
        if not f.group or len(rows[problem]) <= GROUP_OVER:
            out.append(f)
        elif problem not in said:
            said.add(problem)
            names = rows[problem]
            shown = ", ".join(f"“{name}”" for name in names[:NAMES_SHOWN])
            out.append(replace(f, row="", message=f"{len(names):,} {nouns.get(f.field, 'row')}s {f.group}: {shown} "
                                                   f"and {len(names) - NAMES_SHOWN:,} more."))
    return out


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
