"""Gate 2 — False-positive cost ("clinical burden math"), SPEC §4.2.

The arithmetic is in `healthpm.lib.burden`; this module turns the form into its inputs,
blocks when the monthly cost of false alerts exceeds HEALTHPM_FP_COST_THRESHOLD_USD and
says by how much and what alert volume or PPV would pass.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings

from healthpm.lib.burden import BurdenInputs, BurdenResult, burden, exceeds, format_money, passing_targets
from healthpm.lib.monitoring import ABOVE

from .base import EvaluationContext, Examples, Finding, GateDefinition, Item, Level, LiveBreach, Working
from .forms_base import DataForm, GateForm, source_floor_error, with_choose

MODES = [
    ("measured", "Alerts per day and PPV, as measured (silent-mode run)"),
    ("derived", "Derive from volume, sensitivity, specificity and prevalence"),
]
UNITS = [("patient-days", "patient-days"), ("encounters", "encounters"), ("patients", "patients"), ("studies", "studies")]


THRESHOLD = "HEALTHPM_FP_COST_THRESHOLD_USD"


def threshold(ctx: EvaluationContext) -> Decimal:
    return Decimal(ctx.threshold(THRESHOLD))


def _float(data: dict, key: str) -> float | None:
    value = data.get(key)
    return None if value in (None, "") else float(value)


def inputs_from(data: dict[str, Any]) -> BurdenInputs:
    measured = data.get("mode") == "measured"
    return BurdenInputs(
        minutes_per_false_alert=float(data["minutes_per_false_alert"]),
        hourly_rate=Decimal(str(data["hourly_rate"])),
        alerts_per_day=_float(data, "alerts_per_day") if measured else None,
        ppv=_float(data, "ppv") if measured else None,
        evaluated_per_day=None if measured else _float(data, "evaluated_per_day"),
        sensitivity=None if measured else _float(data, "sensitivity"),
        specificity=None if measured else _float(data, "specificity"),
        prevalence=None if measured else _float(data, "prevalence"),
        # Defaults only for an unanswered field: a typed 0 must reach the calculator and be refused.
        days_per_month=30 if data.get("days_per_month") in (None, "") else int(data["days_per_month"]),
        shift_hours=8.0 if data.get("shift_hours") in (None, "") else float(data["shift_hours"]),
    )


def compute(data: dict[str, Any]) -> BurdenResult | None:
    if not data:
        return None
    try:
        return burden(inputs_from(data))
    except (KeyError, TypeError, ValueError):
        return None


def _fraction(label: str, help_text: str) -> forms.FloatField:
    return forms.FloatField(required=False, label=label, help_text=help_text)


class FalsePositiveCostMainForm(DataForm):
    mode = forms.ChoiceField(choices=MODES, widget=forms.RadioSelect, label="How is the alert volume known?")
    alerts_per_day = forms.FloatField(required=False, min_value=0, label="Alerts per day")
    ppv = _fraction("Precision (PPV)", "As a fraction: 0.14 for 14%.")
    evaluated_per_day = forms.FloatField(required=False, min_value=0, label="Evaluated per day (N)")
    population_unit = forms.ChoiceField(choices=with_choose(UNITS), required=False, label="N counts")
    sensitivity = _fraction("Sensitivity", "Fraction between 0 and 1.")
    specificity = _fraction("Specificity", "Fraction between 0 and 1.")
    prevalence = _fraction("Prevalence (π)", "Fraction between 0 and 1, e.g. 0.02 for 2%.")
    volume_source = forms.CharField(max_length=300, label="Where the volume comes from",
                                    help_text="e.g. 90-day silent-mode run on 4 medical wards, Jan–Mar 2026.")
    minutes_per_false_alert = forms.FloatField(label="Minutes a responder spends on one false alert")
    responder_role = forms.CharField(max_length=100, label="Responder role", help_text="e.g. rapid-response RN.")
    hourly_rate = forms.DecimalField(max_digits=8, decimal_places=2, label="Loaded hourly rate (USD)")
    days_per_month = forms.IntegerField(initial=30, label="Days per month", help_text="Default: 30 days.")
    shift_hours = forms.FloatField(initial=8, label="Shift length (hours)", help_text="Default: 8 hours.")

    def clean_hourly_rate(self):
        rate = self.cleaned_data["hourly_rate"]
        floor = Decimal(str(settings.HEALTHPM_MIN_HOURLY_RATE_USD))
        if rate is not None and 0 <= rate < floor:
            raise forms.ValidationError(
                f"${rate:,.2f} an hour is below the US federal minimum wage of ${floor:,.2f}: give the responder's "
                "loaded hourly rate (wage plus benefits), e.g. 65.00 for a registered nurse.")
        return rate

    def clean_alerts_per_day(self):
        return self._at_least_floor("alerts_per_day", "alerts a day")

    def clean_evaluated_per_day(self):
        return self._at_least_floor("evaluated_per_day", "evaluated a day")

    def _at_least_floor(self, name: str, noun: str):
        value = self.cleaned_data[name]
        floor = settings.HEALTHPM_MIN_ALERTS_PER_DAY
        if value is not None and value < floor:
            raise forms.ValidationError(
                f"{value:g} {noun} is fewer than {floor:g} (one in {1 / floor:,.0f} days): check the decimal point, "
                "or give the volume of a longer period divided by its days.")
        return value

    def clean_minutes_per_false_alert(self):
        minutes = self.cleaned_data["minutes_per_false_alert"]
        if minutes == 0:  # a negative number is refused by the calculator, naming it
            raise forms.ValidationError(
                "A false alert takes some of a responder's time: give the minutes measured for one, e.g. 0.5 "
                "for 30 seconds.")
        return minutes

    def clean_volume_source(self):
        text = self.cleaned_data["volume_source"]
        problem = source_floor_error(text)
        if problem:
            raise forms.ValidationError(problem)
        return text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == "derived" and not cleaned.get("population_unit"):
            self.add_error("population_unit", "Choose what N counts (patient-days, encounters, patients or studies).")
        measured = ("alerts_per_day", "ppv")
        derived = ("evaluated_per_day", "sensitivity", "specificity", "prevalence")
        needed, unused = (measured, derived) if cleaned.get("mode") == "measured" else (derived, measured)
        for name in unused:
            # The other way of giving the volume is not used: keep no stray number of it (an
            # unchecked 1e308 there is stored, shown and hashed into the audit trail for nothing),
            # nor an error on it: the live working of a half-filled form reads the numbers given.
            cleaned[name] = None
            self.errors.pop(name, None)
        if self.errors:
            return cleaned
        for name in needed:
            if cleaned.get(name) is None:
                self.add_error(name, "Required for the chosen way of giving the alert volume.")
        if self.errors:
            return cleaned
        try:
            burden(inputs_from(cleaned))
        except ValueError as exc:
            # The calculator names the impossible value (PPV 1.5, prevalence 0, minutes −3).
            field = _field_named_in(str(exc))
            self.add_error(field, str(exc))
        return cleaned


def _field_named_in(message: str) -> str | None:
    lowered = message.lower()
    for field, words in (("ppv", ("ppv",)), ("prevalence", ("prevalence",)), ("sensitivity", ("sensitivity",)),
                         ("specificity", ("specificity",)), ("minutes_per_false_alert", ("minute",)),
                         ("hourly_rate", ("rate",)), ("days_per_month", ("days",)), ("shift_hours", ("shift",)),
                         ("alerts_per_day", ("alerts",)), ("evaluated_per_day", ("evaluated", "volume"))):
        if any(w in lowered for w in words):
            return field
    return None


class FalsePositiveCostForm(GateForm):
    main_form_class = FalsePositiveCostMainForm


class FalsePositiveCost(GateDefinition):
    form_class = FalsePositiveCostForm
    thresholds = {THRESHOLD: 5000}
    contributes = ("fp_cost_per_month",)

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return compute(data) is not None

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        result = compute(data)
        if result is None:
            return []
        limit = threshold(ctx)
        if not exceeds(result, limit):
            return []
        targets = passing_targets(result, inputs_from(data), limit)
        ways = []
        if targets.max_alerts_per_day is not None:
            ways.append(f"keep alerts at or below {targets.max_alerts_per_day:.1f} a day at PPV {result.ppv:.1%}")
        if targets.min_ppv is not None:
            ways.append(f"raise PPV to at least {targets.min_ppv:.1%} at {result.alerts_per_day:.1f} alerts a day")
        return [Finding(
            Level.BLOCK,
            f"False alerts cost {format_money(result.cost_per_month)} a month, {format_money(targets.excess)} over the "
            f"{format_money(limit)} threshold. To pass, " + ", or ".join(ways) + ".",
            "cost",
        )]

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        result = compute(data)
        if result is None:
            return Working()
        limit = threshold(ctx)
        return Working(
            steps=result.steps,
            verdict=(f"{format_money(result.cost_per_month)} a month against a threshold of {format_money(limit)}: "
                     + ("over — blocks." if exceeds(result, limit) else "within the threshold.")),
        )

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        rows = [("Alert volume", dict(MODES).get(data.get("mode"), "?"))]
        if data.get("mode") == "measured":
            rows += [("Alerts per day", str(data.get("alerts_per_day"))), ("PPV", str(data.get("ppv")))]
        else:
            rows += [(f"Evaluated per day ({data.get('population_unit', '')})", str(data.get("evaluated_per_day"))),
                     ("Sensitivity", str(data.get("sensitivity"))), ("Specificity", str(data.get("specificity"))),
                     ("Prevalence", str(data.get("prevalence")))]
        rows += [("Source of the volume", data.get("volume_source", "")),
                 ("Minutes per false alert", str(data.get("minutes_per_false_alert"))),
                 ("Responder", f"{data.get('responder_role', '')} at ${data.get('hourly_rate')}/h"),
                 ("Days per month / shift", f"{data.get('days_per_month')} days, {data.get('shift_hours')} h shifts")]
        return rows

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        result = compute(data)
        return {"fp_cost_per_month": result.cost_per_month if result is not None else None}

    def live_breaches(self, data: dict[str, Any], *, metric: str, value: Decimal, latest, ctx: EvaluationContext
                      ) -> list[LiveBreach]:
        """Re-run the burden math with the live alert volume and PPV (the latest whole-population
        sample of each; the approved figure where none has arrived yet) and the approved rest."""
        from .monitoring_plan import ALERT_VOLUME, PPV  # the metric codes the monitoring plan watches

        if metric not in (ALERT_VOLUME, PPV) or not latest or compute(data) is None:
            return []
        approved = compute(data)
        live = {**data, "mode": "measured",
                "alerts_per_day": float(latest.get(ALERT_VOLUME, approved.alerts_per_day)),
                "ppv": float(latest.get(PPV, approved.ppv))}
        result = compute(live)
        limit = threshold(ctx)
        if result is None or not exceeds(result, limit):
            return []
        lines = [f"{step.label}: {step.formula} = {step.substituted} = {step.shown} {step.unit}".rstrip()
                 for step in result.steps]
        working = (f"Live false-positive cost: {format_money(result.cost_per_month)} a month, over the "
                   f"{format_money(limit)} threshold (approved: {format_money(approved.cost_per_month)}). "
                   + " · ".join(lines))
        return [LiveBreach(kind="fp_cost", metric=metric, direction=ABOVE, limit=limit,
                           observed=result.cost_per_month, working=working)]

    def examples(self, ctx: EvaluationContext) -> Examples:
        # 10 alerts/day at PPV 0.5 → 5 false alerts × 5 min × 30 days = 750 min = $750/month at $60/h.
        passing = {
            "mode": "measured", "alerts_per_day": 10.0, "ppv": 0.5, "evaluated_per_day": None,
            "population_unit": "patient-days", "sensitivity": None, "specificity": None, "prevalence": None,
            "volume_source": "90-day silent-mode run on 4 medical wards", "minutes_per_false_alert": 5.0,
            "responder_role": "Rapid-response RN", "hourly_rate": "60.00", "days_per_month": 30, "shift_hours": 8.0,
        }
        # 40 alerts/day at PPV 0.25 → 30 false alerts × 6 min × 30 days = 90 h = $5,400/month at $60/h.
        blocking = {**passing, "alerts_per_day": 40.0, "ppv": 0.25, "minutes_per_false_alert": 6.0}
        return Examples(passing=passing, blocking=blocking)


GATE = FalsePositiveCost(
    key="false-positive-cost",
    title="False-positive cost",
    purpose=(
        "The labour that false alerts will consume is computed and stays under the "
        "portfolio threshold, so the tool does not flood responders with noise."
    ),
    items=(
        Item("burden-calculation", "Burden calculation", "Alert volume, precision and responder time, in the form above.",
             structured=True),
        Item("alert-volume-source", "Source of the alert volume",
             "A silent-mode run or retrospective replay showing alerts per day and PPV."),
        Item("time-motion-study", "Source of minutes per false alert",
             "A time-motion study of how long a responder spends on one alert."),
    ),
)
