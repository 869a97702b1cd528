"""Portfolio dashboard and its CSV and XLSX exports (SPEC §7): leadership, compliance and superusers.

Every view asks the same fixed set of queries however large the portfolio is: aggregates
over `PortfolioFacts` and the gates, short top-N lists, and one page of the grid.
"""

import csv
import io
import itertools
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from healthpm import access
from healthpm.core import xlsx
from healthpm.core.downloads import attachment
from healthpm.gates.models import GateStatus
from healthpm.initiatives.models import Initiative, Status
from healthpm.monitoring.status import post_launch_summary

from . import export
from . import portfolio as pf
from .charts import bar_chart
from .forms import PortfolioFilterForm
from .models import RegulatoryClass

NOT_IN_CHECKLIST = ("–", "n/a")
CELL = {
    # status: (symbol, words) — the grid never relies on colour alone.
    GateStatus.APPROVED: ("✔", "approved"),
    GateStatus.SUBMITTED: ("…", "submitted"),
    GateStatus.REJECTED: ("✘", "rejected"),
    GateStatus.IN_PROGRESS: ("◐", "in progress"),
    GateStatus.NOT_STARTED: ("○", "missing"),
}
STATUS_PATTERNS = {
    Status.DRAFT: "outline", Status.IN_REVIEW: "dots", Status.CHANGES_REQUESTED: "cross",
    Status.READY: "hatch", Status.APPROVED: "solid", Status.REJECTED: "hlines",
}
REGULATORY_PATTERNS = {
    RegulatoryClass.NON_DEVICE: "solid", RegulatoryClass.I: "hatch", RegulatoryClass.II: "dots",
    RegulatoryClass.III: "cross", RegulatoryClass.IV: "hlines", RegulatoryClass.DEVICE: "vlines",
    RegulatoryClass.UNCLASSIFIED: "outline",
}


def _owner_choices() -> list[tuple[int, str]]:
    owners = get_user_model().objects.filter(pk__in=Initiative.objects.values("owner_id")).order_by(
        "last_name", "first_name", "username").values_list("pk", "first_name", "last_name", "username")
    return [(pk, f"{first} {last}".strip() or username) for pk, first, last, username in owners]


def _gate_url_builder():
    """reverse() once, then splice slug and key in: the grid has 300 links a page."""
    template = reverse("gates:detail", args=["__s__", "__k__"])
    head, rest = template.split("__s__", 1)
    middle, tail = rest.split("__k__", 1)
    return lambda slug, key: f"{head}{slug}{middle}{key}{tail}"


def _money(value) -> str:
    return f"${value:,.0f}"


def _grid_row(initiative: Initiative, keys: list[str], gate_url, today: date, margin: float) -> dict:
    facts = getattr(initiative, "facts", None)
    cells = []
    for key, status in zip(keys, pf.gate_cells(initiative, len(keys))):
        if status is None:  # the initiative's checklist has no such gate
            symbol, words = NOT_IN_CHECKLIST
            cells.append({"status": "na", "symbol": symbol, "words": words, "url": ""})
            continue
        symbol, words = CELL.get(status, CELL[GateStatus.NOT_STARTED])
        cells.append({"status": status, "symbol": symbol, "words": words, "url": gate_url(initiative.slug, key)})
    regulatory = facts.regulatory_class if facts else RegulatoryClass.UNCLASSIFIED
    fallback, fallback_text = pf.fallback_state(initiative, today=today)
    # What the team states in a gate compliance has not approved is a claim, not a fact.
    claimed = pf.claimed_facts(initiative, dict(zip(keys, pf.gate_cells(initiative, len(keys)))))
    fp_cost = facts.fp_cost_per_month if facts else None
    inputs_total = facts.inputs_total if facts else 0
    return {
        "initiative": initiative, "cells": cells,
        "fp_cost": fp_cost, "fp_claimed": fp_cost is not None and "fp_cost_per_month" in claimed,
        "regulatory": RegulatoryClass(regulatory).label, "burden": pf.burden_label(regulatory),
        "class_claimed": regulatory != RegulatoryClass.UNCLASSIFIED and "regulatory_class" in claimed,
        "rank": initiative.rank,
        "inputs_good": facts.inputs_good if facts else 0, "inputs_total": inputs_total,
        "inputs_share": facts.inputs_share if facts else None,
        "inputs_claimed": bool(inputs_total) and "inputs_total" in claimed,
        "fallback": fallback, "fallback_text": fallback_text,
        "fallback_claimed": fallback != "none" and "drill_date" in claimed,
        "safety": [(state, text, state != "none" and fact in claimed)
                   for state, text, fact in pf.safety_lines(initiative, margin=margin)],
    }


@login_required
@require_safe
def portfolio(request):
    """Counts, grid, burden, regulatory mix, expiries, drills, review time and defensibility."""
    access.require_dashboard(request.user)
    today = timezone.localdate()
    form = PortfolioFilterForm(request.GET or None, owners=_owner_choices())
    filters, sort = form.filters, form.sort_key
    # Dashboard users see every initiative; visible_to keeps that decision in one place.
    initiatives = Initiative.objects.visible_to(request.user).filter(filters.q())

    summary = pf.summary(initiatives, today=today)
    gates = pf.gate_statuses(filters)
    baa = pf.baa_counts(filters, today=today)
    median_days, decisions = pf.review_median(filters)
    contributors = pf.cost_contributors(filters)

    paginator = Paginator(pf.ordered(pf.with_grid_columns(initiatives, today=today), sort), pf.PAGE_SIZE)
    paginator.count = summary["total"]  # already counted by the summary query
    page = paginator.get_page(request.GET.get("page"))
    columns = pf.columns()
    keys = [d.key for d in columns]
    gate_url = _gate_url_builder()
    cost_gate = pf.fact_gate("fp_cost_per_month")
    grid = [_grid_row(initiative, keys, gate_url, today, summary["subgroup_margin"]) for initiative in page]

    charts = {
        "status": bar_chart("chart-status", "Initiatives by status",
                            [(label, n, str(n)) for _, label, n in summary["status_counts"]],
                            patterns=[STATUS_PATTERNS[value] for value, _, _ in summary["status_counts"]]),
        # Bars count approved classes only; a class a team claims in an unapproved gate is told apart.
        "regulatory": bar_chart("chart-regulatory", "Regulatory mix (approved; claimed in brackets)",
                                [(label, n, f"{n} (+{c} claimed)" if c else str(n))
                                 for _, label, n, c in summary["regulatory_mix"]],
                                patterns=[REGULATORY_PATTERNS[value] for value, *_ in summary["regulatory_mix"]]),
        "stuck": bar_chart("chart-stuck", "Initiatives not yet approved, per gate",
                           [(f"{g['order']}. {g['title']}", g["not_approved"], str(g["not_approved"])) for g in gates],
                           patterns=["hatch"] * len(gates)),
        "cost": bar_chart("chart-cost", "Largest monthly false-positive costs",
                          [(f.initiative.title if f.approved else f"{f.initiative.title} (claimed)",
                            f.fp_cost_per_month,
                            _money(f.fp_cost_per_month) + ("" if f.approved else " claimed"),
                            gate_url(f.initiative.slug, cost_gate)) for f in contributors],
                          patterns=["solid" if f.fp_cost_per_month <= summary["fp_threshold"] else "cross"
                                    for f in contributors]),
    }
    context = {
        "form": form,
        "filters": filters,
        "sort": sort,
        "sorts": [(key, label) for key, (label, _) in pf.SORTS.items()],
        "summary": summary,
        "gates": gates,
        "baa": baa,
        "baa_warning_days": pf.BAA_WARNING_DAYS,
        "baa_watchlist": pf.baa_watchlist(filters, today=today),
        "overdue_drills": pf.overdue_drills(filters, today=today),
        "drill_max_age": pf.drill_cutoff(today),
        "contributors": contributors,
        "median_days": median_days,
        "median_hours": median_days * 24 if median_days is not None else None,
        "decisions": decisions,
        "charts": charts,
        "columns": columns,
        "baa_gate": pf.fact_gate("baas"),
        "drill_gate": pf.fact_gate("drill_date"),
        "cell_legend": [*CELL.values(), NOT_IN_CHECKLIST],
        "grid": grid,
        # The status counts above say whether anything is launched: without, the panel asks nothing.
        "post_launch": post_launch_summary(initiatives, today=today, launched=dict(
            (value, n) for value, _, n in summary["status_counts"]).get(Status.APPROVED, 0)),
        "page": page,
        "today": today,
    }
    return render(request, "dashboard/portfolio.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _filtered_rows(request, today: date):
    """The initiatives the dashboard's filters select, with their grid columns, in its sort order."""
    form = PortfolioFilterForm(request.GET or None)
    initiatives = Initiative.objects.visible_to(request.user).filter(form.filters.q())
    return pf.ordered(pf.with_grid_columns(initiatives, today=today), form.sort_key), form.filters.active


@login_required
@require_safe
def export_csv(request):
    """The filtered portfolio, one row per initiative, in the dashboard's sort order."""
    access.require_dashboard(request.user)
    today = timezone.localdate()
    rows, _ = _filtered_rows(request, today)
    columns = export.portfolio_columns()
    writer = csv.writer(_Echo())
    # The byte order mark first: without it Excel reads UTF-8 as Windows-1252 ("Ã©" for "é").
    lines = itertools.chain(["\ufeff", writer.writerow(export.csv_header())],
                            (writer.writerow(xlsx.csv_row(row, columns)) for row in export.portfolio_rows(rows, today)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="healthpm-portfolio-{today.isoformat()}.csv"'
    return response


@login_required
@require_safe
def export_xlsx(request):
    """The same rows as the CSV in a workbook: typed cells, a frozen bold header and an autofilter."""
    access.require_dashboard(request.user)
    today = timezone.localdate()
    rows, filtered = _filtered_rows(request, today)
    sheet = xlsx.Sheet("Portfolio (filtered)" if filtered else "Portfolio", export.portfolio_columns(),
                       export.portfolio_rows(rows, today))
    data = xlsx.workbook_bytes([sheet], title=f"healthpm portfolio{' (filtered)' if filtered else ''}, {today.isoformat()}")
    return attachment(io.BytesIO(data), filename=f"healthpm-portfolio-{today.isoformat()}.xlsx",
                      content_type=xlsx.CONTENT_TYPE)
