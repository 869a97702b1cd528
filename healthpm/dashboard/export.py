"""The filtered portfolio as a table: one typed row per initiative, for the CSV and the XLSX export.

`portfolio_columns()` names and types the columns once; `portfolio_rows()` yields typed values
(numbers as numbers, money as a Decimal, dates as dates, states and yes/no as the words a person
reads, never codes). The CSV writes them as text (`core.xlsx.csv_row`), the XLSX as typed cells
(`healthpm.core.xlsx`), so both formats always carry the same columns and the same rows.
"""

from collections.abc import Iterator
from datetime import date
from typing import Any

from healthpm.core.xlsx import Column, Kind
from healthpm.gates import registry
from healthpm.gates.models import GateStatus
from healthpm.initiatives.models import Initiative

from . import portfolio as pf
from .models import RegulatoryClass

# The paper-fallback state (portfolio.fallback_state) and a fact's basis, in words.
FALLBACK_WORDS = {"drilled": "Drilled in time", "overdue": "Drill overdue", "failed": "Last drill failed",
                  "none": "No drill recorded"}
NOT_IN_CHECKLIST_WORDS = "Not in this checklist"


def portfolio_columns() -> list[Column]:
    """Column names a person reads in a spreadsheet, with the type of their values."""
    return [
        Column("Slug"), Column("Title"), Column("Clinical area"), Column("Owner"), Column("Status"),
        *[Column(f"Gate: {d.title}") for d in pf.columns()],
        Column("False-positive cost per month (USD)", Kind.MONEY), Column("False-positive cost basis"),
        Column("Regulatory class"), Column("Regulatory class basis"), Column("Validation burden"),
        Column("Validation burden rank (1 = lowest)", Kind.INTEGER),
        Column("Inputs with an approved, timestamped source", Kind.INTEGER), Column("Inputs listed", Kind.INTEGER),
        Column("Inputs with an approved source (%)", Kind.INTEGER),
        Column("Paper fallback"), Column("Last drill date", Kind.DATE), Column("Next BAA expiry", Kind.DATE),
        Column("Worst subgroup sensitivity gap", Kind.NUMBER, places=4),
        Column("Open severe failure modes", Kind.INTEGER), Column("Pause thresholds", Kind.INTEGER),
        Column("Harm engine"), Column("Last peer-led training", Kind.DATE),
    ]


def csv_header() -> list[str]:
    return [column.header for column in portfolio_columns()]


def _basis(value_given: bool, claimed: bool) -> str:
    """Approved: the gate giving the fact is approved; claimed: the team's answer, not approved yet."""
    if not value_given:
        return ""
    return "Claimed (gate not approved)" if claimed else "Approved"


def portfolio_rows(initiatives, today: date) -> Iterator[list[Any]]:
    """One typed row per initiative of `pf.with_grid_columns(...)`, in its order (columns above)."""
    keys = [d.key for d in pf.columns()]
    gate_labels = dict(GateStatus.choices)
    for initiative in initiatives.iterator(chunk_size=2000):
        facts = getattr(initiative, "facts", None)
        regulatory = facts.regulatory_class if facts else RegulatoryClass.UNCLASSIFIED
        fallback, _ = pf.fallback_state(initiative, today=today)
        share = facts.inputs_share if facts else None
        statuses = pf.gate_cells(initiative, len(keys))
        claimed = pf.claimed_facts(initiative, dict(zip(keys, statuses)))
        cost = facts.fp_cost_per_month if facts else None
        yield [
            initiative.slug, initiative.title, initiative.get_clinical_area_display(),
            initiative.owner.get_full_name() or initiative.owner.get_username(), initiative.get_status_display(),
            *[gate_labels.get(status, status) if status else NOT_IN_CHECKLIST_WORDS for status in statuses],
            cost, _basis(cost is not None, "fp_cost_per_month" in claimed),
            RegulatoryClass(regulatory).label,
            _basis(regulatory != RegulatoryClass.UNCLASSIFIED, "regulatory_class" in claimed),
            pf.burden_label(regulatory), initiative.rank,
            facts.inputs_good if facts else 0, facts.inputs_total if facts else 0,
            round(share * 100) if share is not None else None,
            FALLBACK_WORDS[fallback], facts.drill_date if facts else None,
            facts.baa_next_expiry if facts else None,
            *_v2_cells(initiative, facts),
        ]


def _v2_cells(initiative: Initiative, facts) -> list[Any]:
    """The checklist v2 facts: "Not in this checklist" where the initiative's checklist has no gate for them."""
    checklist = registry.checklist(initiative.checklist_version)
    values = {
        "worst_subgroup_gap": facts.worst_subgroup_gap if facts else None,
        "open_severe_modes": facts.open_severe_modes if facts else 0,
        "pause_thresholds": facts.pause_thresholds if facts else None,
        "harm_engine": ("Yes" if facts.harm_engine else "No") if facts else None,
        "training_date": facts.training_date if facts else None,
    }
    return [value if checklist.owner_of(fact) else NOT_IN_CHECKLIST_WORDS for fact, value in values.items()]


