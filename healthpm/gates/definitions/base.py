"""What every readiness gate module declares: the extension point of healthpm.

A gate is one module in this package and one line in a `Checklist` (`healthpm.gates.registry`);
nothing else names it. The core — pages, live preview, dossier, dashboard, reminders, demo,
benchmarks, factories and fuzzing — loops over what is registered and calls the hooks below.

A definition is pure: each hook takes the gate's saved answers (its form's JSON) and one
`EvaluationContext` (today, the admin's reference data, the thresholds), built once per
request or task by `healthpm.gates.context.evaluation_context`. No definition queries the
database or reads the clock, so the same answers give the same verdict on the page, in the
preview, in the PDF and in a Celery worker.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from healthpm.lib.monitoring import PauseThreshold


class UnknownGate(LookupError):
    """No gate of that key in that checklist version (access.py turns it into a 404)."""


class Level(StrEnum):
    BLOCK = "block"  # stops submission
    WARN = "warn"    # shown and recorded, never stops


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
    """The outcome of a rule, with a message that names the field or row it is about."""

    level: Level
    message: str
    field: str = ""
    # For a rule about one row of a table (`field` is the table's key): the row's name, and the
    # problem it shares with other rows, worded to follow a count of rows ("come from “EHR-legacy”,
    # which is not an approved source system"). Pages and the dossier say a problem many rows
    # share once (`healthpm.gates.report.grouped`) and filter the table by it.
    row: str = ""
    group: str = ""

    @property
    def blocks(self) -> bool:
        return self.level == Level.BLOCK


@dataclass(frozen=True)
class Table:
    """Rows of structured data (model inputs, vendors) as shown on screen and in the dossier."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # The data key of the form's row table (`RowTable.key`) whose rows this table shows, one
    # per saved row, or which it summarises (`summary_tables`); empty when it shows no one table. The gate page
    # lists a paged table itself, a page at a time.
    table_key: str = ""


@dataclass(frozen=True)
class Working:
    """Computed values with their formulas, shown on the gate page, the preview and the PDF.

    `steps` are `healthpm.lib.burden.Step`-like lines (label, formula, substituted, value,
    unit); `facts` are (label, value) pairs; `extra` is what the gate's own
    `working_template` draws (the IMDRF matrix).
    """

    steps: tuple = ()
    facts: tuple[tuple[str, str], ...] = ()
    verdict: str = ""
    extra: Mapping[str, Any] | None = None

    def __bool__(self) -> bool:
        return bool(self.steps or self.facts or self.verdict or self.extra)


@dataclass(frozen=True)
class EvaluationContext:
    """Everything a rule may know besides the answers. Built once per request or task."""

    today: date
    # Every source system the administrator listed, with whether it is approved now.
    sources: Mapping[str, bool] = field(default_factory=dict)
    # Known proxies for a protected class or wealth: (label, words that identify it).
    proxies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The dimensions clinical validation reports subgroups by, with whether each is required.
    subgroup_dimensions: Mapping[str, bool] = field(default_factory=dict)
    # Setting name → value, for every threshold a registered gate declares.
    thresholds: Mapping[str, Any] = field(default_factory=dict)

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]


@dataclass(frozen=True)
class Deadline:
    """A dated thing a gate owns that lapses (a BAA's expiry, the next drill due).

    The daily reminders e-mail the owner and compliance once `due` has passed; `kind` and
    `ref` ("baa-expired", "Acme:2026-03-31") keep that e-mail from being sent twice.
    """

    kind: str
    ref: str
    due: date
    subject: str
    message: str


@dataclass(frozen=True)
class Examples:
    """Answers the demo, benchmarks, factories and the contract test use: `passing` is a
    complete answer no rule blocks, `blocking` a complete answer at least one rule blocks."""

    passing: dict[str, Any]
    blocking: dict[str, Any]


@dataclass(frozen=True)
class WatchedMetric:
    """A metric a gate's approved answers say is watched after launch (`watched_metrics`)."""

    key: str  # what samples name it by ("alert_volume"; "other" rows by their slugified name)
    name: str
    owner: str  # username of who watches it and acts on it
    owner_name: str
    cadence: str  # "daily", "weekly" or "monthly"
    unit: str = ""
    expected: Decimal | None = None
    threshold: PauseThreshold | None = None


@dataclass(frozen=True)
class LiveBreach:
    """A live number past what a gate approved (`live_breaches`): the gate is re-opened for review.

    `kind` says which rule ("pause_threshold", "fp_cost"); `direction` and `limit` are the
    approved threshold, `observed` the live value compared with it, `working` the arithmetic.
    """

    kind: str
    metric: str
    direction: str
    limit: Decimal
    observed: Decimal
    working: str


# The facts a gate may contribute to the portfolio dashboard (`portfolio_facts`), which
# keeps them as columns of `healthpm.dashboard.models.PortfolioFacts` (BaaFact for "baas").
PORTFOLIO_FACTS = {
    "fp_cost_per_month": "monthly cost of false alerts (Decimal, USD) or None",
    "regulatory_class": "'non-device', an IMDRF category I–IV, 'device' or 'unclassified'",
    "drill_date": "the last downtime drill (date) or None",
    "drill_failed": "whether that drill failed (bool)",
    "inputs_total": "model inputs listed (int)",
    "inputs_good": "inputs with an approved, timestamped source (int)",
    "baas": "[(vendor, expiry date)] of PHI-touching vendors' agreements",
    "worst_subgroup_gap": "overall sensitivity minus the lowest subgroup's (float, 0–1) or None without subgroups",
    "open_severe_modes": "catastrophic or major failure modes without detection or mitigation (int)",
    "pause_thresholds": "monitored metrics with a pause threshold (int)",
    "harm_engine": "revenue grows with alerts or positives and no exception is recorded (bool)",
    "training_date": "the last peer-led training session (date) or None",
}


@dataclass(frozen=True)
class Prefill:
    """An answer another gate of the same initiative already gives, and where it came from."""

    value: Any
    source: str  # "Auditable inputs — input inventory"


@dataclass
class GateDefinition:
    key: str
    title: str
    purpose: str
    items: tuple[Item, ...] = field(default_factory=tuple)
    # Rules that apply only to the final launch decision (e.g. a device needs clearance).
    final_rules_note: str = ""

    # The gate's structured form (a `forms_base.GateForm`), or None for evidence only.
    form_class: ClassVar[Any] = None
    # Extra working drawn under the generic table (e.g. the IMDRF matrix), fed `working.extra`.
    working_template: ClassVar[str | None] = None
    # Settings the rules read, with their defaults: {"HEALTHPM_FP_COST_THRESHOLD_USD": 5000}.
    thresholds: ClassVar[Mapping[str, Any]] = {}
    # The PORTFOLIO_FACTS `portfolio_facts` returns (the contract test holds them equal).
    contributes: ClassVar[tuple[str, ...]] = ()
    # What the dossier's CHAI model card reads this gate's answers as ("attributes",
    # "validation", …: healthpm.dossier.model_card.ROLES), so the card names no gate key.
    model_card_role: ClassVar[str] = ""
    # Data keys only a compliance officer writes (`services.gate_record_exception`), never the PM's
    # form; a PM's save keeps them. A blocking finding whose `field` is one of them may be excepted
    # in writing, and `exception_basis` names the answers the exception excuses.
    officer_keys: ClassVar[tuple[str, ...]] = ()

    def required_items(self, data: dict[str, Any]) -> list[Item]:
        return [item for item in self.items if item.is_required(data)]

    def structured_complete(self, data: dict[str, Any]) -> bool:
        """True when the saved data is a complete answer (evidences structured items)."""
        return bool(data)

    # --- rules and what the pages show -----------------------------------------------------
    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        """Blocking rules and warnings on the structured data."""
        return []

    def final_findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        """Rules checked again at the final launch decision only."""
        return []

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        return Working()

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        """The saved answers as (question, answer) pairs in plain words."""
        return []

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        return []

    def summary_tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table] | None:
        """What to print instead of a table too long to print in full (the dossier's
        FULL_TABLE_MAX_ROWS): a few rows a reader takes in, e.g. inputs per source system. Each
        names the table it summarises by `table_key`. None: no summary, the dossier only says
        the full table is attached to it."""
        return None

    # --- hooks for the rest of the product ---------------------------------------------------
    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        """What this gate tells the portfolio dashboard (names from PORTFOLIO_FACTS)."""
        return {}

    def deadlines(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Deadline]:
        """Dated things in the answers that lapse and need a reminder."""
        return []

    def prefill(self, others: Mapping[str, dict[str, Any]], ctx: EvaluationContext) -> dict[str, Prefill]:
        """Answers for this gate's main form taken from the other gates' saved data (by key),
        offered where this gate has saved nothing yet; the page says where each came from."""
        return {}

    def watched_metrics(self, data: dict[str, Any]) -> list[WatchedMetric]:
        """The metrics these (approved) answers say are watched after launch, with owner, cadence
        and pause threshold. Live monitoring accepts samples only for these."""
        return []

    def live_breaches(self, data: dict[str, Any], *, metric: str, value: Decimal,
                      latest: Mapping[str, Decimal], ctx: EvaluationContext) -> list[LiveBreach]:
        """What a live sample breaks in these approved answers. `metric` and `value` are the sample
        just recorded; `latest` the latest whole-population value of each metric (the sample's
        included; empty for a subgroup's sample). Each breach re-opens this gate for review."""
        return []

    def downtime_procedure(self, data: dict[str, Any]) -> str:
        """The fallback staff follow while the model is paused, in one paragraph ("" for none)."""
        return ""

    def exception_basis(self, key: str, data: dict[str, Any]) -> dict[str, Any]:
        """The answers an officer's exception under `key` excuses; the rule drops it once they change."""
        return {}

    def examples(self, ctx: EvaluationContext) -> Examples:
        """A passing and a blocking answer; every gate with a form must give both."""
        return Examples(passing={}, blocking={})
