"""The portfolio's numbers as SQL (SPEC §7): a fixed number of queries whatever its size.

Every function takes the filtered initiative queryset (or the filters) and returns plain
values for the view, the CSV export and the benchmark. Per-gate facts come from
`PortfolioFacts` (kept by `facts.refresh_facts`), never from the gates' JSON.
"""

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate, Case, Count, Exists, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When,
)
from django.db.models.functions import Coalesce

from healthpm.gates import registry
from healthpm.gates.context import thresholds
from healthpm.gates.definitions.base import GateDefinition
from healthpm.gates.models import Gate, GateStatus
from healthpm.initiatives.models import Initiative, Status

from .models import UNKNOWN_RANK, VALIDATION_BURDEN, BaaFact, PortfolioFacts, RegulatoryClass, ReviewTime

BAA_WARNING_DAYS = 60
SUBGROUP_MARGIN = "HEALTHPM_SUBGROUP_MARGIN"
PAGE_SIZE = 50
TOP_CONTRIBUTORS = 8
LIST_LIMIT = 10
REGULATORY_ORDER = [RegulatoryClass.NON_DEVICE, RegulatoryClass.I, RegulatoryClass.II, RegulatoryClass.III,
                    RegulatoryClass.IV, RegulatoryClass.DEVICE, RegulatoryClass.UNCLASSIFIED]


@dataclass(frozen=True)
class Filters:
    clinical_area: str = ""
    owner: int | None = None
    status: str = ""

    def q(self, prefix: str = "") -> Q:
        """The filters as a Q on Initiative, or on a model reaching it through `prefix`."""
        q = Q()
        if self.clinical_area:
            q &= Q(**{f"{prefix}clinical_area": self.clinical_area})
        if self.owner:
            q &= Q(**{f"{prefix}owner_id": self.owner})
        if self.status:
            q &= Q(**{f"{prefix}status": self.status})
        return q

    @property
    def active(self) -> bool:
        return bool(self.clinical_area or self.owner or self.status)


def columns() -> list[GateDefinition]:
    """The grid's gate columns: every registered gate, the current checklist's first. An
    initiative held to a checklist without one of them shows "n/a" there."""
    return registry.all_gates()


def fact_gate(fact: str) -> str:
    """The key of the gate that contributes a portfolio fact, for links to it."""
    owner = registry.current().owner_of(fact)
    return owner.key if owner else ""


def subgroup_margin() -> float:
    """The margin by which a subgroup's sensitivity may trail overall (clinical validation's setting)."""
    return float(thresholds()[SUBGROUP_MARGIN])


def fact_keys(fact: str) -> list[str]:
    """The keys of the gates that contribute `fact` in any checklist (one gate in practice)."""
    return sorted({c.owner_of(fact).key for c in registry.CHECKLISTS if c.owner_of(fact)})


def fact_approved(fact: str) -> Exists:
    """True where the gate contributing `fact` is approved: the fact is established, not just
    claimed by the team. One indexed lookup per initiative (gates are unique per initiative+key)."""
    return Exists(Gate.objects.filter(initiative=OuterRef("pk"), key__in=fact_keys(fact), status=GateStatus.APPROVED))


def claimed_facts(initiative: Initiative, statuses: dict[str, str | None]) -> set[str]:
    """The portfolio facts of this initiative that come from a gate not approved (yet): its
    answers are what the team claims, shown as "claimed" and kept apart from the approved facts.
    `statuses` is the grid's gate status by key (no query)."""
    checklist = registry.checklist(initiative.checklist_version)
    claimed = set()
    for definition in checklist.gates:
        if statuses.get(definition.key) != GateStatus.APPROVED:
            claimed.update(definition.contributes)
    return claimed


def versions_with(fact: str) -> list[int]:
    """Checklist versions one of whose gates contributes `fact` (v2's facts mean nothing on v1)."""
    return [c.version for c in registry.CHECKLISTS if c.owner_of(fact)]


def threshold() -> Decimal:
    """The monthly false-positive cost above which a gate blocks (the same setting the gate reads)."""
    return Decimal(settings.HEALTHPM_FP_COST_THRESHOLD_USD)


def drill_cutoff(today: date) -> date:
    """A drill on or after this day is within HEALTHPM_DRILL_MAX_AGE_DAYS (365 days old passes)."""
    return today - timedelta(days=settings.HEALTHPM_DRILL_MAX_AGE_DAYS)


def fallback_drilled(today: date) -> Q:
    """A paper fallback whose last drill passed and is within the age limit (gate 3's rule)."""
    return Q(facts__drill_date__gte=drill_cutoff(today), facts__drill_failed=False)


# --- one query: counts, money, regulatory mix, drills, provenance ------------------------
def summary(initiatives: QuerySet, *, today: date) -> dict[str, Any]:
    """Grouped by (status, regulatory class, whether the class and the cost come from an approved
    gate): at most 6 × 7 × 2 × 2 rows, summed here. Answers of gates not approved are "claimed":
    counted apart from the approved facts, never added into them."""
    cutoff = drill_cutoff(today)
    rows = initiatives.order_by().annotate(
        class_approved=fact_approved("regulatory_class"), cost_approved=fact_approved("fp_cost_per_month"),
    ).values("status", "facts__regulatory_class", "class_approved", "cost_approved").annotate(
        n=Count("pk"),
        fp_total=Sum("facts__fp_cost_per_month"),
        fp_counted=Count("facts__fp_cost_per_month"),
        fp_over=Count("pk", filter=Q(facts__fp_cost_per_month__gt=threshold())),
        drills_overdue=Count("pk", filter=Q(facts__drill_date__lt=cutoff)),
        drills_failed=Count("pk", filter=Q(facts__drill_date__gte=cutoff, facts__drill_failed=True)),
        drills_missing=Count("pk", filter=Q(facts__drill_date__isnull=True)),
        drilled=Count("pk", filter=fallback_drilled(today)),
        baa_expired=Count("pk", filter=Q(facts__baa_next_expiry__lt=today)),
        inputs_total=Sum("facts__inputs_total"),
        inputs_good=Sum("facts__inputs_good"),
        gaps_over=Count("pk", filter=Q(facts__worst_subgroup_gap__gt=subgroup_margin())),
        severe_modes=Sum("facts__open_severe_modes"),
        severe_initiatives=Count("pk", filter=Q(facts__open_severe_modes__gt=0)),
        no_pause=Count("pk", filter=Q(checklist_version__in=versions_with("pause_thresholds"))
                       & (Q(facts__pause_thresholds__isnull=True) | Q(facts__pause_thresholds=0))),
        harm_engines=Count("pk", filter=Q(facts__harm_engine=True)),
    )
    totals: dict[str, Any] = {"n": 0, "fp_total": Decimal("0"), "fp_counted": 0, "fp_over": 0, "drills_overdue": 0,
                              "drills_failed": 0, "drills_missing": 0, "drilled": 0, "baa_expired": 0,
                              "inputs_total": 0, "inputs_good": 0, "gaps_over": 0, "severe_modes": 0,
                              "severe_initiatives": 0, "no_pause": 0, "harm_engines": 0}
    by_status: dict[str, int] = {}
    by_class: dict[str, int] = {}
    claimed_class: dict[str, int] = {}
    fp = {True: [Decimal("0"), 0], False: [Decimal("0"), 0]}  # approved?: [total, initiatives with a cost]
    for row in rows:
        for name in totals:
            totals[name] += row[name] or 0
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        regulatory = row["facts__regulatory_class"] or RegulatoryClass.UNCLASSIFIED  # no facts yet
        # A class only the team states (its gate not approved) is claimed; "not classified" is no claim.
        claimed = regulatory != RegulatoryClass.UNCLASSIFIED and not row["class_approved"]
        counts = claimed_class if claimed else by_class
        counts[regulatory] = counts.get(regulatory, 0) + row["n"]
        fp[bool(row["cost_approved"])][0] += row["fp_total"] or 0
        fp[bool(row["cost_approved"])][1] += row["fp_counted"] or 0
    return {
        "total": totals["n"],
        "status_counts": [(value, label, by_status.get(value, 0)) for value, label in Status.choices],
        "fp_total": totals["fp_total"],
        "fp_counted": totals["fp_counted"],
        "fp_approved": fp[True][0],
        "fp_approved_counted": fp[True][1],
        "fp_claimed": fp[False][0],
        "fp_claimed_counted": fp[False][1],
        "fp_over": totals["fp_over"],
        "fp_threshold": threshold(),
        # (class, label, initiatives whose class is approved, initiatives that only claim it)
        "regulatory_mix": [(value, RegulatoryClass(value).label, by_class.get(value, 0), claimed_class.get(value, 0))
                           for value in REGULATORY_ORDER],
        "drills_overdue": totals["drills_overdue"],
        "drills_failed": totals["drills_failed"],
        "drills_missing": totals["drills_missing"],
        "drilled": totals["drilled"],
        "initiatives_with_expired_baa": totals["baa_expired"],
        "inputs_total": totals["inputs_total"],
        "inputs_good": totals["inputs_good"],
        "subgroup_margin": subgroup_margin(),
        **{name: totals[name] for name in ("gaps_over", "severe_modes", "severe_initiatives", "no_pause",
                                          "harm_engines")},
    }


# --- one query: gate status distribution and where initiatives are stuck -----------------
def gate_statuses(filters: Filters) -> list[dict[str, Any]]:
    """Per gate: how many initiatives have it approved, submitted, rejected or missing."""
    counts: dict[str, dict[str, int]] = {}
    rows = Gate.objects.filter(filters.q("initiative__")).order_by().values("key", "status").annotate(n=Count("*"))
    for row in rows:
        counts.setdefault(row["key"], {})[row["status"]] = row["n"]
    result = []
    for position, definition in enumerate(columns(), start=1):
        by_status = counts.get(definition.key, {})
        missing = by_status.get(GateStatus.NOT_STARTED, 0) + by_status.get(GateStatus.IN_PROGRESS, 0)
        result.append({
            "key": definition.key, "title": definition.title, "order": position,
            "approved": by_status.get(GateStatus.APPROVED, 0), "submitted": by_status.get(GateStatus.SUBMITTED, 0),
            "rejected": by_status.get(GateStatus.REJECTED, 0), "missing": missing,
            "not_approved": sum(by_status.values()) - by_status.get(GateStatus.APPROVED, 0),
        })
    return result


# --- one query each: BAA counts, the lists ---------------------------------------------------
def baa_counts(filters: Filters, *, today: date) -> dict[str, int]:
    return BaaFact.objects.filter(filters.q("initiative__")).aggregate(
        expired=Count("pk", filter=Q(expiry__lt=today)),
        expiring=Count("pk", filter=Q(expiry__gte=today, expiry__lte=today + timedelta(days=BAA_WARNING_DAYS))),
    )


def baa_watchlist(filters: Filters, *, today: date) -> list[BaaFact]:
    """Expired and soon-expiring BAAs, the longest-expired first."""
    return list(
        BaaFact.objects.filter(filters.q("initiative__"), expiry__lte=today + timedelta(days=BAA_WARNING_DAYS))
        .select_related("initiative").only("vendor", "expiry", "initiative__title", "initiative__slug")
        .order_by("expiry", "vendor")[:LIST_LIMIT]
    )


def overdue_drills(filters: Filters, *, today: date) -> list[PortfolioFacts]:
    return list(
        PortfolioFacts.objects.filter(filters.q("initiative__"), drill_date__lt=drill_cutoff(today))
        .select_related("initiative").only("drill_date", "initiative__title", "initiative__slug")
        .order_by("drill_date")[:LIST_LIMIT]
    )


def cost_contributors(filters: Filters) -> list[PortfolioFacts]:
    """The largest monthly costs, each with `approved` (its cost gate is approved, else claimed)."""
    approved = Exists(Gate.objects.filter(initiative=OuterRef("initiative_id"), key__in=fact_keys("fp_cost_per_month"),
                                          status=GateStatus.APPROVED))
    return list(
        PortfolioFacts.objects.filter(filters.q("initiative__"), fp_cost_per_month__isnull=False)
        .select_related("initiative").only("fp_cost_per_month", "initiative__title", "initiative__slug")
        .annotate(approved=approved)
        .order_by("-fp_cost_per_month", "initiative__title")[:TOP_CONTRIBUTORS]
    )


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median computed by the database."""

    function = "PERCENTILE_CONT"
    name = "median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def review_median(filters: Filters) -> tuple[float | None, int]:
    """Median days from submission to decision, and the number of decisions it covers."""
    times = ReviewTime.objects.filter(filters.q("initiative__"))
    if connection.vendor == "postgresql":
        row = times.aggregate(median=Median("days"), n=Count("pk"))
        return row["median"], row["n"]
    # SQLite has no percentile function: one query for the durations, the median in Python.
    days = list(times.values_list("days", flat=True))
    return (statistics.median(days) if days else None), len(days)


# --- the grid: one paginated query with the gate statuses as subqueries -------------------
SORTS: dict[str, tuple[str, list]] = {
    # key: (label, order_by), "most defensible first" is the default leadership asked for.
    "defensibility": ("Most defensible first", [
        F("rank").asc(), F("facts__inputs_share").desc(nulls_last=True), F("drilled").desc(),
        F("facts__harm_engine").asc(nulls_last=True), F("facts__open_severe_modes").asc(nulls_last=True),
        F("facts__worst_subgroup_gap").asc(nulls_last=True), "title"]),
    "title": ("Title", ["title"]),
    "status": ("Status", ["status", "title"]),
    "cost": ("Highest false-positive cost", [F("facts__fp_cost_per_month").desc(nulls_last=True), "title"]),
    "burden": ("Lowest validation burden", [F("rank").asc(), "title"]),
    "inputs": ("Most auditable inputs", [F("facts__inputs_share").desc(nulls_last=True), "title"]),
    "safety": ("Safest first", [F("facts__harm_engine").asc(nulls_last=True),
                                F("facts__open_severe_modes").asc(nulls_last=True),
                                F("facts__worst_subgroup_gap").asc(nulls_last=True), "title"]),
    "fallback": ("Drilled paper fallback first", [F("drilled").desc(), F("facts__drill_date").desc(nulls_last=True),
                                                  "title"]),
}
DEFAULT_SORT = "defensibility"
FACT_FIELDS = ("fp_cost_per_month", "regulatory_class", "validation_rank", "baa_next_expiry", "drill_date",
               "drill_failed", "inputs_total", "inputs_good", "inputs_share", "worst_subgroup_gap", "open_severe_modes",
               "pause_thresholds", "harm_engine", "training_date")


def with_grid_columns(initiatives: QuerySet, *, today: date) -> QuerySet:
    """Each initiative with its facts, owner, defensibility sort keys and every gate's status."""
    gate_status = {
        f"gate_{n}": Subquery(
            Gate.objects.filter(initiative=OuterRef("pk"), key=definition.key).order_by().values("status")[:1])
        for n, definition in enumerate(columns())
    }
    return (
        initiatives.select_related("owner", "facts")
        # Only what the grid and CSV show: the sort then carries narrow rows, not summaries.
        .only("slug", "title", "status", "clinical_area", "checklist_version", "owner__username", "owner__first_name",
              "owner__last_name", *[f"facts__{f}" for f in FACT_FIELDS])
        .annotate(
            rank=Coalesce("facts__validation_rank", Value(UNKNOWN_RANK)),
            drilled=Case(When(fallback_drilled(today), then=Value(1)), default=Value(0), output_field=IntegerField()),
            **gate_status,
        )
    )


def ordered(initiatives: QuerySet, sort: str) -> QuerySet:
    return initiatives.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])[1])


def gate_cells(initiative: Initiative, count: int) -> list[str | None]:
    """The status in each of the `count` columns (len(columns()), asked once per page or export,
    not per row); None where the initiative's checklist has no such gate."""
    return [getattr(initiative, f"gate_{n}") for n in range(count)]


def burden_label(regulatory_class: str | None) -> str:
    return VALIDATION_BURDEN[regulatory_class or RegulatoryClass.UNCLASSIFIED][1]


def fallback_state(initiative: Initiative, *, today: date) -> tuple[str, str]:
    """(short state, sentence) of the initiative's paper fallback for the grid and CSV."""
    facts = getattr(initiative, "facts", None)
    if facts is None or facts.drill_date is None:
        return "none", "No drill recorded"
    if facts.drill_date < drill_cutoff(today):
        return "overdue", f"Drill overdue (last {facts.drill_date.isoformat()})"
    if facts.drill_failed:
        return "failed", f"Last drill failed ({facts.drill_date.isoformat()})"
    return "drilled", f"Drilled {facts.drill_date.isoformat()}"


def safety_lines(initiative: Initiative, *, margin: float) -> list[tuple[str, str, str]]:
    """(state, sentence, fact) of the checklist v2 facts, for the facts the initiative's checklist has:
    state is "ok", "bad" or "none" (nothing to judge yet); fact is the PORTFOLIO_FACTS name it reads."""
    facts = getattr(initiative, "facts", None)
    checklist = registry.checklist(initiative.checklist_version)
    lines = []
    if checklist.owner_of("worst_subgroup_gap"):
        gap = facts.worst_subgroup_gap if facts else None
        if gap is None:
            lines.append(("none", "Subgroups: none judged yet", "worst_subgroup_gap"))
        else:
            lines.append(("bad" if gap > margin else "ok",
                          f"Subgroups: worst sensitivity gap {gap:.2f} (margin {margin:.2f})", "worst_subgroup_gap"))
    if checklist.owner_of("open_severe_modes"):
        severe = facts.open_severe_modes if facts else 0
        lines.append(("bad", f"Harm: {severe} severe failure mode{'s' if severe != 1 else ''} without detection or "
                             "mitigation", "open_severe_modes") if severe
                     else ("ok", "Harm: every severe failure mode detected and mitigated", "open_severe_modes"))
    if checklist.owner_of("pause_thresholds"):
        pauses = facts.pause_thresholds if facts else None
        if pauses is None:
            lines.append(("none", "Monitoring: no plan yet", "pause_thresholds"))
        else:
            lines.append(("ok", f"Monitoring: {pauses} pause threshold{'s' if pauses != 1 else ''}", "pause_thresholds")
                         if pauses else ("bad", "Monitoring: no metric pauses the model", "pause_thresholds"))
    if checklist.owner_of("harm_engine") and facts and facts.harm_engine:
        lines.append(("bad", "Incentives: revenue grows with alerts (a harm engine)", "harm_engine"))
    return lines
