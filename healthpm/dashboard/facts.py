"""Keep `PortfolioFacts`, `BaaFact` and `ReviewTime` in step with the gates.

The facts come from the gates' own `portfolio_facts` hooks (healthpm.gates.definitions.base,
PORTFOLIO_FACTS): this module names no gate. `refresh_facts(initiative)` runs on the gates'
`gate_data_saved` signal inside the save's transaction, `record_review_time` on
`gate_decided`. `refresh_all` rebuilds every row (the `refresh_portfolio_facts` command and
the data migration).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction

from healthpm.gates import registry
from healthpm.gates.context import evaluation_context
from healthpm.gates.definitions.base import EvaluationContext

from .models import VALIDATION_BURDEN, RegulatoryClass


@dataclass
class Facts:
    fp_cost_per_month: Decimal | None = None
    regulatory_class: str = RegulatoryClass.UNCLASSIFIED
    baas: list[tuple[str, date]] = field(default_factory=list)
    drill_date: date | None = None
    drill_failed: bool = False
    inputs_total: int = 0
    inputs_good: int = 0
    worst_subgroup_gap: float | None = None
    open_severe_modes: int = 0
    pause_thresholds: int | None = None
    harm_engine: bool = False
    training_date: date | None = None

    @property
    def validation_rank(self) -> int:
        return VALIDATION_BURDEN[self.regulatory_class][0]

    @property
    def inputs_share(self) -> float | None:
        return self.inputs_good / self.inputs_total if self.inputs_total else None

    @property
    def baa_next_expiry(self) -> date | None:
        return min((expiry for _, expiry in self.baas), default=None)

    def row(self) -> dict[str, Any]:
        return {
            "fp_cost_per_month": self.fp_cost_per_month, "regulatory_class": self.regulatory_class,
            "validation_rank": self.validation_rank, "baa_next_expiry": self.baa_next_expiry,
            "drill_date": self.drill_date, "drill_failed": self.drill_failed, "inputs_total": self.inputs_total,
            "inputs_good": self.inputs_good, "inputs_share": self.inputs_share,
            "worst_subgroup_gap": self.worst_subgroup_gap, "open_severe_modes": self.open_severe_modes,
            "pause_thresholds": self.pause_thresholds, "harm_engine": self.harm_engine,
            "training_date": self.training_date,
        }


def compute_facts(version: int, data_by_key: dict[str, dict[str, Any]], ctx: EvaluationContext) -> Facts:
    """The dashboard's facts from the gates' saved answers, through each gate's own hook.

    The gates compute them with the same calculators and rules as their pages, so the
    dashboard and the gate never disagree. A gate not filled yet contributes its defaults.
    """
    facts = Facts()
    for definition in registry.checklist(version).gates:
        data = data_by_key.get(definition.key) or {}
        if not data:
            continue
        for name, value in definition.portfolio_facts(data, ctx).items():
            if value is not None:
                setattr(facts, name, value)
    return facts


def _write(initiative_id: int, facts: Facts, apps) -> None:
    PortfolioFacts = apps.get_model("dashboard", "PortfolioFacts")
    BaaFact = apps.get_model("dashboard", "BaaFact")
    PortfolioFacts.objects.update_or_create(initiative_id=initiative_id, defaults=facts.row())
    BaaFact.objects.filter(initiative_id=initiative_id).delete()
    BaaFact.objects.bulk_create(BaaFact(initiative_id=initiative_id, vendor=v, expiry=e) for v, e in facts.baas)


def refresh_facts(initiative, *, saved=None) -> Facts:
    """Recompute one initiative's facts from its gates as they are in the database now; `saved`,
    a gate whose data was just saved, is taken as it is in memory, not read again."""
    Gate = global_apps.get_model("gates", "Gate")
    gates = Gate.objects.filter(initiative_id=initiative.pk)
    if saved is not None:
        gates = gates.exclude(pk=saved.pk)
    data_by_key = dict(gates.values_list("key", "data"))
    if saved is not None:
        data_by_key[saved.key] = saved.data
    facts = compute_facts(initiative.checklist_version, data_by_key, evaluation_context())
    with transaction.atomic():
        _write(initiative.pk, facts, global_apps)
    return facts


def record_review_time(*, decision, submitted_at: datetime | None) -> None:
    """Keep the submission→decision interval of a decision just made (called by gate_decide)."""
    if submitted_at is None:
        return
    from .models import ReviewTime

    gate = decision.gate
    ReviewTime.objects.update_or_create(decision=decision, defaults={
        "initiative_id": gate.initiative_id, "gate_key": gate.key, "submitted_at": submitted_at,
        "decided_at": decision.decided_at, "days": (decision.decided_at - submitted_at).total_seconds() / 86400,
    })


def refresh_all(apps=global_apps, *, batch: int = 500) -> int:
    """Rebuild the facts of every initiative and backfill missing review times. Returns initiatives done."""
    Initiative = apps.get_model("initiatives", "Initiative")
    Gate = apps.get_model("gates", "Gate")
    ctx = evaluation_context(apps=apps)
    versions = dict(Initiative.objects.order_by("pk").values_list("pk", "checklist_version"))
    ids = list(versions)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        data: dict[int, dict[str, dict]] = {pk: {} for pk in chunk}
        for initiative_id, key, gate_data in Gate.objects.filter(initiative_id__in=chunk).values_list(
                "initiative_id", "key", "data"):
            data[initiative_id][key] = gate_data
        with transaction.atomic():
            for pk in chunk:
                _write(pk, compute_facts(versions[pk], data[pk], ctx), apps)
    _backfill_review_times(apps)
    return len(ids)


def _backfill_review_times(apps) -> None:
    """Decisions made before review times were kept: the submission is read from the audit trail."""
    GateDecision = apps.get_model("gates", "GateDecision")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ReviewTime = apps.get_model("dashboard", "ReviewTime")
    missing = GateDecision.objects.filter(review_time__isnull=True).select_related("gate")
    submissions: dict[str, list[datetime]] = {}
    for object_id, created_at in AuditEvent.objects.filter(action="gate_submitted").values_list(
            "object_id", "created_at"):
        submissions.setdefault(object_id, []).append(created_at)
    rows = []
    for decision in missing.iterator():
        earlier = [t for t in submissions.get(str(decision.gate_id), []) if t <= decision.decided_at]
        submitted = max(earlier, default=None)
        if submitted is None and decision.gate.submitted_at and decision.gate.submitted_at <= decision.decided_at:
            submitted = decision.gate.submitted_at
        if submitted is None:
            continue
        rows.append(ReviewTime(decision_id=decision.pk, initiative_id=decision.gate.initiative_id,
                               gate_key=decision.gate.key, submitted_at=submitted, decided_at=decision.decided_at,
                               days=(decision.decided_at - submitted).total_seconds() / 86400))
    ReviewTime.objects.bulk_create(rows, batch_size=1000)
