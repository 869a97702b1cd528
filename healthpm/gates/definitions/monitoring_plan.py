"""Gate — Monitoring plan (checklist v2, SPEC §4 gate 9; issue 12 item 9).

The metrics watched after launch, each with an owner, a cadence, the value expected and the
pause threshold (direction + value) that pauses the model and reopens review. Thresholds are
stored as data (`healthpm.lib.monitoring`): the live monitoring checks incoming numbers
against them.

Blocks when no metric has a pause threshold, when an alerting model does not monitor both
alert volume per day and PPV (they drive the false-positive cost), when a metric has no
owner, when a threshold is half given or its metric's expected value already breaches it,
and when a pause does not hand over to the paper fallback. Warns on a metric without an
expected value.
"""

from typing import Any

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from healthpm.accounts import roles
from healthpm.lib.burden import Step
from healthpm.lib.monitoring import ABOVE, BELOW, ThresholdError, breaches, headroom, parse_number, plain, threshold_of

from .base import (EvaluationContext, Examples, Finding, GateDefinition, Item, Level, LiveBreach, Prefill, Table,
                   WatchedMetric, Working)
from .forms_base import DataForm, GateForm, RowForm, RowTable, yes_no_field

OTHER = "other"
ALERT_VOLUME, PPV = "alert_volume", "ppv"
METRICS = [
    ("override_rate", "Override rate"),
    (ALERT_VOLUME, "Alert volume per day"),
    (PPV, "PPV"),
    ("sensitivity_chart_review", "Sensitivity from chart review"),
    ("turnaround_time", "Turnaround time"),
    ("input_drift_psi", "Input drift (PSI)"),
    ("subgroup_sensitivity_ratio", "Subgroup sensitivity ratio"),
    (OTHER, "Other"),
]
CADENCES = [("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")]
PAUSE_DIRECTIONS = [("", "— no pause —"), (ABOVE, "Pause when above"), (BELOW, "Pause when below")]
# Roles whose active members may own a metric.
OWNER_ROLES = (roles.PRODUCT_MANAGER, roles.COMPLIANCE)
# Twelve digits before the point and six after: beyond any rate, count or minute a plan
# watches, so a typed 1e308 is refused rather than stored.
NUMBER = {"max_digits": 18, "decimal_places": 6, "required": False}

_METRIC_LABELS = dict(METRICS)


def owner_choices() -> list[tuple[str, str]]:
    """(username, display name) of the active members of the owner roles: one query."""
    users = (get_user_model().objects.filter(groups__name__in=OWNER_ROLES, is_active=True).distinct()
             .order_by("first_name", "last_name", "username"))
    return [(u.get_username(), roles.printed_name(u)) for u in users]


def metric_name(row: dict[str, Any]) -> str:
    return (row.get("name") or "").strip() or _METRIC_LABELS.get(row.get("metric"), "?")


def metric_key(row: dict[str, Any]) -> str:
    """What live samples name a row by: its metric code, or for “Other” its slugified name."""
    code = row.get("metric") or ""
    return f"other-{slugify(row.get('name') or '')}" if code == OTHER else code


def _number(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def _threshold(row: dict[str, Any]):
    """The row's threshold, or None when it has none or only half of one (a finding says so)."""
    try:
        return threshold_of(row)
    except ThresholdError:
        return None


class MetricRowForm(RowForm):
    # A blank first choice, so the empty row the page offers stays unchanged until filled in.
    metric = forms.ChoiceField(choices=[("", "— choose —"), *METRICS], label="Metric")
    name = forms.CharField(required=False, max_length=120, label="Name",
                           help_text="Required for “Other”; otherwise optional, e.g. “PPV, ICU only”.")
    measured_how = forms.CharField(max_length=500, label="How it is measured", widget=forms.Textarea(attrs={"rows": 1}),
                                   help_text="Source and formula, e.g. overridden alerts ÷ alerts fired, from the EHR audit log.")
    owner = forms.ChoiceField(required=False, label="Owner", help_text="Who watches it and acts on it.")
    cadence = forms.ChoiceField(choices=[("", "— choose —"), *CADENCES], label="Cadence")
    unit = forms.CharField(required=False, max_length=40, label="Unit", help_text="e.g. alerts/day, %, minutes.")
    expected = forms.DecimalField(**NUMBER, label="Expected value")
    pause_direction = forms.ChoiceField(required=False, choices=PAUSE_DIRECTIONS, label="Pause when")
    pause_value = forms.DecimalField(**NUMBER, label="Pause threshold")

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(owner_choices() if owners is None else owners)
        self.owner_names = dict(choices)
        saved = str(self.initial.get("owner") or "")
        if saved and saved not in self.owner_names:
            # Keep showing an owner who has left or changed role, marked as such.
            name = self.initial.get("owner_name") or saved
            choices.append((saved, f"{name} (no longer active)"))
            self.owner_names[saved] = name
        self.fields["owner"].choices = [("", "— choose —"), *choices]

    def clean(self):
        cleaned = super().clean()
        metric = cleaned.get("metric")
        name = (cleaned.get("name") or "").strip()
        if metric == OTHER and not name:
            self.add_error("name", "Name the metric.")
        elif metric and not name:
            name = _METRIC_LABELS[metric]
        cleaned["name"] = name
        owner = cleaned.get("owner") or ""
        cleaned["owner_name"] = self.owner_names.get(owner, "") if owner else ""
        direction, value = cleaned.get("pause_direction"), cleaned.get("pause_value")
        if direction and value is None and "pause_value" not in self.errors:
            self.add_error("pause_value", "Give the value that pauses the model, or clear “Pause when”.")
        if value is not None and not direction:
            self.add_error("pause_direction", f"Say whether the model pauses above or below {value}.")
        return cleaned


class MonitoringMainForm(DataForm):
    columns = {"who_is_told": "col-12", "fallback_reference": "col-12"}
    alerting_model = yes_no_field("The model raises alerts", help_text="Interruptive alerts or a worklist it fills.")
    who_is_told = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Who is told on a pause",
                                  help_text="e.g. CMIO, 5 West nurse manager and the rapid-response team by secure chat.")
    who_can_pause = forms.CharField(max_length=500, label="Who can pause the model",
                                    help_text="Roles or named people, e.g. CMIO or the on-call clinical informaticist.")
    fallback_is_paper = yes_no_field("A pause hands over to the downtime procedure of the “Paper fallback” gate")
    fallback_reference = forms.CharField(required=False, max_length=500, label="Paper fallback reference and notes",
                                         help_text="e.g. Downtime procedure DP-5W-07, section 3: manual sepsis screen.")


class MonitoringPlanForm(GateForm):
    main_form_class = MonitoringMainForm
    tables = (RowTable("metrics", MetricRowForm, "Metrics after launch", noun="metric", min_rows=1),)

    def row_form_kwargs(self, gate) -> dict[str, Any]:
        return {"owners": owner_choices()}


class MonitoringPlan(GateDefinition):
    form_class = MonitoringPlanForm
    model_card_role = "monitoring"
    contributes = ("pause_thresholds",)

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return bool(data.get("metrics") and data.get("who_can_pause"))

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        if not data:
            return []
        metrics = data.get("metrics") or []
        found = []
        if not any(_threshold(row) for row in metrics):
            found.append(Finding(Level.BLOCK, "No metric has a pause threshold: give at least one metric the direction "
                                          "and value that pause the model and reopen review.", "metrics"))
        if data.get("alerting_model"):
            watched = {row.get("metric") for row in metrics}
            missing = [label for code, label in ((ALERT_VOLUME, "alert volume per day"), (PPV, "PPV"))
                       if code not in watched]
            if missing:
                found.append(Finding(Level.BLOCK, f"The model raises alerts, but the plan does not monitor "
                                              f"{' and '.join(missing)}: alert volume and PPV drive the false-positive cost "
                                              "(false alerts a day = alerts a day × (1 − PPV)), so watch both.", "metrics"))
        for row in metrics:
            found += self._row_findings(row)
        if data.get("fallback_is_paper") is False:
            found.append(Finding(Level.BLOCK, "A pause does not hand over to the paper fallback: when the model is paused, "
                                          "staff need the downtime procedure of the “Paper fallback” gate. Confirm it "
                                          "takes over, or extend that procedure first.", "fallback_is_paper"))
        return found

    @staticmethod
    def _row_findings(row: dict[str, Any]) -> list[Finding]:
        name = metric_name(row)
        found = []
        if not row.get("owner"):
            found.append(Finding(Level.BLOCK, f"Metric “{name}”: no owner. Choose who watches it and acts on it.", "metrics"))
        try:
            threshold = threshold_of(row)
        except ThresholdError as exc:
            found.append(Finding(Level.BLOCK, f"Metric “{name}”: {exc} Complete the pause threshold or clear it.", "metrics"))
            threshold = None
        try:
            expected = parse_number(row.get("expected"))
        except ThresholdError:
            expected = None
        if expected is None:
            found.append(Finding(Level.WARN, f"Metric “{name}”: no expected value, so nobody can tell a drift from "
                                         "normal. Give the value expected at launch.", "metrics"))
        elif threshold is not None and headroom(threshold, expected) < 0:
            found.append(Finding(Level.BLOCK, f"Metric “{name}”: the expected value {expected} is already "
                                          f"{threshold.direction} the pause threshold {threshold.value}, so the model would "
                                          "pause the day it launches. Check the direction and the value.", "metrics"))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        metrics = data.get("metrics") or []
        if not metrics:
            return Working()
        steps = []
        for row in metrics:
            threshold = _threshold(row)
            try:
                expected = parse_number(row.get("expected"))
            except ThresholdError:
                expected = None
            if threshold is None or expected is None:
                continue
            formula = "threshold − expected" if threshold.direction == ABOVE else "expected − threshold"
            substituted = (f"{threshold.value} − {expected}" if threshold.direction == ABOVE
                           else f"{expected} − {threshold.value}")
            steps.append(Step(f"Headroom before a pause: {metric_name(row)} (pauses {threshold})", formula, substituted,
                              headroom(threshold, expected), row.get("unit") or ""))
        return Working(steps=tuple(steps), facts=(
            ("Metrics monitored", str(len(metrics))),
            ("With a pause threshold", f"{self._pause_count(data)} of {len(metrics)}"),
            ("With an owner", f"{sum(1 for r in metrics if r.get('owner'))} of {len(metrics)}"),
        ))

    @staticmethod
    def _pause_count(data: dict[str, Any]) -> int:
        return sum(1 for row in data.get("metrics") or [] if _threshold(row))

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        yn = {True: "yes", False: "no"}
        return [
            ("Alerting model", yn.get(data.get("alerting_model"), "?")),
            ("Who is told on a pause", data.get("who_is_told", "")),
            ("Who can pause", data.get("who_can_pause", "")),
            ("Pause hands over to the paper fallback", yn.get(data.get("fallback_is_paper"), "?")),
            ("Paper fallback reference", data.get("fallback_reference") or "—"),
        ]

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        cadences = dict(CADENCES)
        rows = tuple(
            (metric_name(r), r.get("measured_how", ""), r.get("owner_name") or r.get("owner") or "none",
             cadences.get(r.get("cadence"), ""), f"{_number(r.get('expected'))} {r.get('unit') or ''}".strip(),
             f"{r.get('pause_direction')} {r.get('pause_value')}" if _threshold(r) else "—")
            for r in data.get("metrics") or []
        )
        headers = ("Metric", "How measured", "Owner", "Cadence", "Expected", "Pause when")
        return [Table("Metrics after launch", headers, rows)] if rows else []

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        return {"pause_thresholds": self._pause_count(data)}

    def watched_metrics(self, data: dict[str, Any]) -> list[WatchedMetric]:
        watched = []
        for row in data.get("metrics") or []:
            if not row.get("metric"):
                continue
            try:
                expected = parse_number(row.get("expected"))
            except ThresholdError:
                expected = None
            watched.append(WatchedMetric(
                key=metric_key(row), name=metric_name(row), owner=row.get("owner") or "",
                owner_name=row.get("owner_name") or row.get("owner") or "", cadence=row.get("cadence") or "",
                unit=row.get("unit") or "", expected=expected, threshold=_threshold(row)))
        return watched

    def live_breaches(self, data: dict[str, Any], *, metric: str, value: Decimal, latest, ctx: EvaluationContext
                      ) -> list[LiveBreach]:
        found = []
        for watched in self.watched_metrics(data):
            threshold = watched.threshold
            if watched.key != metric or threshold is None or not breaches(threshold, value):
                continue
            sign = ">" if threshold.direction == ABOVE else "<"
            unit = f" {watched.unit}" if watched.unit else ""
            found.append(LiveBreach(
                kind="pause_threshold", metric=metric, direction=threshold.direction, limit=threshold.value,
                observed=value,
                working=f"{watched.name}: observed {plain(value)}{unit} {sign} pause threshold {threshold.value}{unit} "
                        f"(the plan pauses the model when it is {threshold.direction} {threshold.value}; "
                        f"expected {_number(watched.expected)}{unit})."))
        return found

    def prefill(self, others, ctx: EvaluationContext) -> dict[str, Prefill]:
        fallback = others.get("paper-fallback") or {}
        owner = (fallback.get("procedure_owner") or "").strip()
        if not owner:
            return {}
        return {"fallback_reference": Prefill(f"Downtime procedure owned by {owner}",
                                              "Paper fallback — owner of the downtime procedure")}

    def examples(self, ctx: EvaluationContext) -> Examples:
        # The owner is a username; a database without that user shows the owner as no longer active.
        owner = {"owner": "priya", "owner_name": "Priya Patel"}
        volume = {"metric": ALERT_VOLUME, "name": "Alert volume per day", "measured_how": "Alerts fired a day, EHR audit log",
                  **owner, "cadence": "daily", "unit": "alerts/day", "expected": "34", "pause_direction": ABOVE,
                  "pause_value": "60"}
        ppv = {"metric": PPV, "name": "PPV", "measured_how": "Confirmed sepsis ÷ alerts, weekly chart review of 50 alerts",
               **owner, "cadence": "weekly", "unit": "", "expected": "0.18", "pause_direction": BELOW, "pause_value": "0.10"}
        overrides = {"metric": "override_rate", "name": "Override rate",
                     "measured_how": "Alerts dismissed without action ÷ alerts fired", **owner, "cadence": "weekly",
                     "unit": "%", "expected": "35", "pause_direction": "", "pause_value": None}
        passing = {
            "alerting_model": True, "who_is_told": "CMIO, 5 West nurse manager and the rapid-response team",
            "who_can_pause": "CMIO or the on-call clinical informaticist", "fallback_is_paper": True,
            "fallback_reference": "Downtime procedure DP-5W-07, section 3", "metrics": [volume, ppv, overrides],
        }
        # Alerting, yet PPV is not watched and nothing has a pause threshold.
        blocking = {**passing, "metrics": [{**volume, "pause_direction": "", "pause_value": None}, overrides]}
        return Examples(passing=passing, blocking=blocking)


GATE = MonitoringPlan(
    key="monitoring-plan",
    title="Monitoring plan",
    purpose=(
        "After launch, named owners watch the metrics that show harm — alert volume, PPV, overrides, "
        "drift — and a threshold set in advance pauses the model, hands over to the paper fallback "
        "and reopens review."
    ),
    items=(
        Item("monitoring-plan", "Structured monitoring plan", "Metrics, owners, cadence and pause thresholds, in the "
             "form above.", structured=True),
        Item("monitoring-runbook", "Monitoring runbook or dashboard specification",
             "How each metric is computed and shown, and what the owner does when a threshold is crossed."),
    ),
)
