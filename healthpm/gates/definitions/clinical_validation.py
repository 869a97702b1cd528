"""Gate 7 — Clinical validation and subgroup performance, SPEC §4.7 (checklist v2).

The study, the clinical quality bar the committee set before the results, and the results
as confusion-matrix counts: one overall and one per subgroup (dimensions from the admin's
reference data). The metrics and their 95% Wilson intervals come from
`healthpm.lib.validation`, which compares against the bar and the margin exactly.

Blocks when overall sensitivity, or the PPV or specificity the bar names, is below the bar;
when a subgroup's sensitivity trails overall by more than the margin (HEALTHPM_SUBGROUP_MARGIN,
0.05, unless the bar sets another) and its Wilson upper bound is also below overall − margin,
unless the row gives both a justification and a mitigation (then it warns, quoting them);
and when a required dimension has no rows. Warns when the bar does not precede the results
(not pre-registered), when a subgroup has fewer than HEALTHPM_SUBGROUP_MIN_POSITIVES
positives (not judged), and when no calibration is reported.
"""

from datetime import timedelta
from fractions import Fraction
from typing import Any

from django import forms

from healthpm.lib.burden import Step, format_number
from healthpm.lib.validation import (
    MAX_COUNT,
    ConfusionMatrix,
    Proportion,
    below,
    fmt,
    gap,
    judge_gap,
    observed_over_expected,
)

from .base import EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Table, Working
from .forms_base import DataForm, DateInput, GateForm, RowForm, RowTable, iso_date, with_choose

MARGIN = "HEALTHPM_SUBGROUP_MARGIN"
MIN_POSITIVES = "HEALTHPM_SUBGROUP_MIN_POSITIVES"

DESIGNS = [
    ("retrospective", "Retrospective (historical cases)"),
    ("silent_prospective", "Silent-mode prospective (live, outputs hidden from clinicians)"),
    ("rct", "Randomised controlled trial"),
    ("other", "Other (describe)"),
]
BAR_METRICS = [("ppv", "PPV (precision)"), ("specificity", "Specificity")]
UNCERTAINTY = [
    ("abstain_band", "Abstain band: no output when confidence is low"),
    ("confidence_display", "Confidence display (score or interval shown with the output)"),
    ("needs_review", "“Needs review” flag on low-confidence outputs"),
    ("other", "Other (describe)"),
]
COUNTS = ("tp", "fp", "fn", "tn")
COUNT_LABELS = {"tp": "true positives (TP)", "fp": "false positives (FP)", "fn": "false negatives (FN)",
                "tn": "true negatives (TN)"}
# Slope and intercept of a calibration fit live near 1 and 0; ±100 is far outside any model.
CALIBRATION_LIMIT = 100


def _count(label: str) -> forms.IntegerField:
    return forms.IntegerField(min_value=0, max_value=MAX_COUNT, label=label)


def _fraction(label: str, help_text: str = "", required: bool = True, maximum: float = 1) -> forms.FloatField:
    return forms.FloatField(required=required, min_value=0, max_value=maximum, label=label, help_text=help_text)


def _text(label: str, help_text: str = "", required: bool = True, rows: int = 0, max_length: int = 300):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(required=required, max_length=max_length, label=label, help_text=help_text, widget=widget)


# --- reading the saved answers ------------------------------------------------------------
def matrix_of(counts: dict[str, Any]) -> ConfusionMatrix | None:
    """The confusion matrix of the overall answers or of one subgroup row; None when incomplete."""
    try:
        return ConfusionMatrix(**{name: counts[name] for name in COUNTS})
    except (KeyError, TypeError, ValueError):
        return None


def subgroup_name(row: dict[str, Any]) -> str:
    """A row is named by its dimension and value: "Age band 75+"."""
    return f"{(row.get('dimension') or '?').strip()} {(row.get('value') or '?').strip()}"


def margin_of(data: dict[str, Any], ctx: EvaluationContext) -> float:
    """The bar's own margin, else the setting's."""
    margin = data.get("margin")
    return ctx.threshold(MARGIN) if margin in (None, "") else margin


def bar_metric_name(data: dict[str, Any]) -> str:
    return "specificity" if data.get("bar_metric") == "specificity" else "PPV"


def _number(value) -> str:
    """A bar or margin as typed: 0.8, 0.05 ("—" when not given)."""
    try:
        return format_number(value, None)
    except ValueError:
        return "—"


def _measured(metric: Proportion) -> str:
    """"0.7083 (17 ÷ (17 + 7); 95% CI 0.5083–0.8509)"."""
    return f"{fmt(metric.value)} ({metric.substituted}; {metric.ci_text()})"


class _Subgroup:
    """One subgroup row with what the rules decided about it."""

    def __init__(self, row: dict[str, Any], overall: ConfusionMatrix, margin: float, min_positives: int):
        self.row = row
        self.name = subgroup_name(row)
        self.matrix = matrix_of(row)
        self.judged = bool(self.matrix and self.matrix.positives >= max(min_positives, 1))
        self.judgement = judge_gap(overall, self.matrix, margin) if self.judged else None

    @property
    def fails(self) -> bool:
        return bool(self.judgement and self.judgement.fails)


def _subgroups(data: dict[str, Any], ctx: EvaluationContext, overall: ConfusionMatrix) -> list[_Subgroup]:
    if not overall.positives:
        return []
    margin, min_positives = margin_of(data, ctx), int(ctx.threshold(MIN_POSITIVES))
    return [_Subgroup(row, overall, margin, min_positives) for row in data.get("subgroups") or [] if matrix_of(row)]


# --- the form ----------------------------------------------------------------------------------
class ClinicalValidationMainForm(DataForm):
    columns = {
        "reference_standard": "col-12", "design_detail": "col-md-6", "sites": "col-md-6",
        "period_start": "col-md-3", "period_end": "col-md-3", "min_sensitivity": "col-md-3", "bar_metric": "col-md-3",
        "min_bar_metric": "col-md-3", "margin": "col-md-3", "bar_date": "col-md-3", "results_date": "col-md-3",
        "tp": "col-md-3", "fp": "col-md-3", "fn": "col-md-3", "tn": "col-md-3",
        "calibration_slope": "col-md-3", "calibration_intercept": "col-md-3", "uncertainty_description": "col-12",
    }
    design = forms.ChoiceField(choices=with_choose(DESIGNS), label="Study design")
    design_detail = _text("Design details", "Required for “Other”, e.g. a stepped-wedge rollout over 3 wards.",
                          required=False)
    sites = _text("Site(s)", "e.g. Main campus ICU and 4 medical wards; North Hospital ED.")
    period_start = forms.DateField(widget=DateInput, label="Study period from")
    period_end = forms.DateField(widget=DateInput, label="Study period to")
    reference_standard = _text("Reference standard (how the label was obtained)",
                               "e.g. Sepsis-3 by two-physician chart review, blinded to the model; κ = 0.82.",
                               rows=2, max_length=2000)
    min_sensitivity = _fraction("Minimum sensitivity (the bar)", "As a fraction: 0.80 for 80%.")
    bar_metric = forms.ChoiceField(choices=with_choose(BAR_METRICS), label="The bar also sets a minimum for")
    min_bar_metric = _fraction("Minimum PPV or specificity", "The minimum for the metric chosen, e.g. 0.30.")
    margin = _fraction("Subgroup margin", "How far a subgroup's sensitivity may trail overall. Empty: the "
                       "committee's default.", required=False, maximum=0.5)
    bar_date = forms.DateField(widget=DateInput, label="Date the bar was set")
    results_date = forms.DateField(widget=DateInput, label="Date of the results")
    tp = _count("Overall true positives (TP)")
    fp = _count("Overall false positives (FP)")
    fn = _count("Overall false negatives (FN)")
    tn = _count("Overall true negatives (TN)")
    calibration_slope = forms.FloatField(required=False, min_value=-CALIBRATION_LIMIT, max_value=CALIBRATION_LIMIT,
                                         label="Calibration slope", help_text="Optional if the decile table is given; 1 is ideal.")
    calibration_intercept = forms.FloatField(required=False, min_value=-CALIBRATION_LIMIT, max_value=CALIBRATION_LIMIT,
                                             label="Calibration intercept", help_text="0 is ideal.")
    uncertainty_display = forms.ChoiceField(choices=with_choose(UNCERTAINTY), label="How low-confidence outputs are shown to the user")
    uncertainty_description = _text("How it looks to the user",
                                    "Required for “Other”, e.g. scores between 0.4 and 0.6 show “uncertain — "
                                    "review the chart” instead of a risk level.", required=False, rows=2,
                                    max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = self.context.threshold(MARGIN)
        self.fields["margin"].initial = default
        self.fields["margin"].help_text = (f"How far a subgroup's sensitivity may trail overall. Empty: the "
                                           f"committee's default, {_number(default)}.")

    def clean_margin(self):
        # The margin is part of the pre-registered bar: keep the value in force when it was set.
        margin = self.cleaned_data.get("margin")
        return self.context.threshold(MARGIN) if margin is None else margin

    def clean(self):
        cleaned = super().clean()
        today = self.context.today
        for name, what in (("bar_date", "The bar"), ("results_date", "The results")):
            if cleaned.get(name) and cleaned[name] > today:
                self.add_error(name, f"{what} cannot be dated in the future ({cleaned[name].isoformat()}).")
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The study period ends before it starts; check the dates.")
        if cleaned.get("design") == "other" and not (cleaned.get("design_detail") or "").strip():
            self.add_error("design_detail", "Describe the study design.")
        if cleaned.get("uncertainty_display") == "other" and not (cleaned.get("uncertainty_description") or "").strip():
            self.add_error("uncertainty_description", "Describe how a low-confidence output is shown to the user.")
        slope, intercept = cleaned.get("calibration_slope"), cleaned.get("calibration_intercept")
        if (slope is None) != (intercept is None):
            missing = "calibration_intercept" if intercept is None else "calibration_slope"
            self.add_error(missing, "Give the calibration slope and intercept together, or neither.")
        if all(cleaned.get(name) is not None for name in COUNTS):
            if cleaned["tp"] + cleaned["fn"] == 0:
                self.add_error("tp", "The overall matrix has no positives (TP + FN = 0), so sensitivity cannot be "
                                     "computed: a validation study needs patients with the condition.")
            if cleaned["fp"] + cleaned["tn"] == 0:
                self.add_error("tn", "The overall matrix has no negatives (FP + TN = 0), so specificity cannot be "
                                     "computed: a validation study needs patients without the condition.")
        return cleaned


class SubgroupRowForm(RowForm):
    # Two rows may not share dimension + value ("Age band 75+"), computed in clean().
    name_field = "subgroup"

    dimension = forms.ChoiceField(label="Dimension")
    value = forms.CharField(max_length=80, label="Subgroup", help_text="e.g. 75+, Female, Black or African American.")
    tp = _count("TP")
    fp = _count("FP")
    fn = _count("FN")
    tn = _count("TN")
    justification = _text("Justification", "Required with a mitigation when the subgroup trails beyond the margin.",
                          required=False, rows=1, max_length=1000)
    mitigation = _text("Mitigation", "What is done for this subgroup, e.g. a lower alert threshold for 75+.",
                       required=False, rows=1, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(name, name) for name in self.context.subgroup_dimensions]
        current = self.initial.get("dimension")
        if current and current not in dict(choices):
            # A dimension the administrator has since removed: keep the saved row as it was.
            choices.append((current, f"{current} (no longer listed)"))
        self.fields["dimension"].choices = [("", "— choose —"), *choices]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("dimension") and cleaned.get("value"):
            cleaned["subgroup"] = subgroup_name(cleaned)
            if all(cleaned.get(name) is not None for name in COUNTS) and not any(cleaned[name] for name in COUNTS):
                self.add_error("tp", f"“{cleaned['subgroup']}” has no cases: all four counts are 0. Enter its "
                                     "confusion matrix or remove the row.")
        return cleaned

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data.pop("subgroup", None)  # the row's name is its dimension and value; not stored twice
        return data


class CalibrationRowForm(RowForm):
    name_field = "decile_name"

    decile = forms.IntegerField(min_value=1, max_value=10, label="Risk decile", help_text="1 = lowest predicted risk.")
    n = forms.IntegerField(min_value=1, max_value=MAX_COUNT, label="Patients (n)")
    expected = forms.FloatField(min_value=0, max_value=MAX_COUNT, label="Expected events",
                                help_text="The sum of predicted risks in the decile.")
    observed = forms.IntegerField(min_value=0, max_value=MAX_COUNT, label="Observed events")

    def clean(self):
        cleaned = super().clean()
        n = cleaned.get("n")
        if cleaned.get("decile") is not None:
            cleaned["decile_name"] = f"Decile {cleaned['decile']}"
        if n is not None:
            if cleaned.get("observed") is not None and cleaned["observed"] > n:
                self.add_error("observed", f"More observed events ({cleaned['observed']}) than patients ({n}).")
            if cleaned.get("expected") is not None and cleaned["expected"] > n:
                self.add_error("expected", f"More expected events ({_number(cleaned['expected'])}) than patients ({n}).")
        return cleaned

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data.pop("decile_name", None)
        return data


class ClinicalValidationForm(GateForm):
    main_form_class = ClinicalValidationMainForm
    tables = (
        RowTable("subgroups", SubgroupRowForm, "Subgroups (one confusion matrix each)", noun="subgroup"),
        RowTable("calibration", CalibrationRowForm, "Calibration by risk decile (optional)", noun="risk decile"),
    )


# --- the gate ----------------------------------------------------------------------------------
class ClinicalValidation(GateDefinition):
    form_class = ClinicalValidationForm
    model_card_role = "validation"
    thresholds = {MARGIN: 0.05, MIN_POSITIVES: 10}
    contributes = ("worst_subgroup_gap",)

    def structured_complete(self, data: dict[str, Any]) -> bool:
        overall = matrix_of(data)
        return bool(overall and overall.positives and overall.negatives and data.get("min_sensitivity") is not None
                    and data.get("min_bar_metric") is not None and data.get("uncertainty_display"))

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        overall = matrix_of(data)
        if overall is None:
            return []  # unfilled: the missing structured item already says so
        found = self._bar_findings(data, overall)
        if _preregistered(data) is False:
            found.append(Finding(Level.WARN, f"The quality bar was set on {data['bar_date']}, not before the "
                                             f"results of {data['results_date']}: it is not pre-registered. Say in "
                                             "the validation report why, since a bar set knowing the results proves "
                                             "less.", "bar_date"))
        listed = {(row.get("dimension") or "").strip() for row in data.get("subgroups") or []}
        for dimension, required in ctx.subgroup_dimensions.items():
            if required and dimension not in listed:
                found.append(Finding(Level.BLOCK, f"No subgroup rows for “{dimension}”, a required dimension: add a "
                                                  "confusion matrix for each of its subgroups.", "subgroups"))
        found += self._subgroup_findings(data, ctx, overall)
        if not data.get("calibration") and data.get("calibration_slope") is None:
            found.append(Finding(Level.WARN, "Calibration is not reported: give observed and expected events by risk "
                                             "decile, or the calibration slope and intercept.", "calibration"))
        return found

    def _bar_findings(self, data: dict[str, Any], overall: ConfusionMatrix) -> list[Finding]:
        found = []
        set_on = f" the committee set on {data['bar_date']}" if data.get("bar_date") else ""
        checks = [(overall.sensitivity, data.get("min_sensitivity"), "min_sensitivity",
                   "the study has no patients with the condition (TP + FN = 0)")]
        if data.get("bar_metric") == "specificity":
            checks.append((overall.specificity, data.get("min_bar_metric"), "min_bar_metric",
                           "the study has no patients without the condition (FP + TN = 0)"))
        else:
            checks.append((overall.ppv, data.get("min_bar_metric"), "min_bar_metric",
                           "the model flagged no patient (TP + FP = 0)"))
        for metric, bar, field, why_not in checks:
            if bar is None:
                continue
            name = metric.name if metric.name.isupper() else metric.name.lower()
            if not metric.defined:
                found.append(Finding(Level.BLOCK, f"Overall {name} cannot be computed: {why_not}, so the minimum "
                                                  f"{name} of {_number(bar)} is not shown to be met.", field))
            elif below(metric, bar):
                found.append(Finding(Level.BLOCK, f"Overall {name} {_measured(metric)} is below the minimum {name} of "
                                                  f"{_number(bar)}{set_on}: improve the model or validate it again; "
                                                  "the bar stands.", field))
        return found

    def _subgroup_findings(self, data: dict[str, Any], ctx: EvaluationContext, overall: ConfusionMatrix) -> list[Finding]:
        found = []
        margin = margin_of(data, ctx)
        min_positives = int(ctx.threshold(MIN_POSITIVES))
        for group in _subgroups(data, ctx, overall):
            matrix = group.matrix
            if not matrix.positives:
                found.append(Finding(Level.WARN, f"Subgroup “{group.name}”: no positives (TP + FN = 0), so its "
                                                 "sensitivity cannot be computed and it is not judged against the "
                                                 "margin.", "subgroups"))
                continue
            if not group.judged:
                found.append(Finding(Level.WARN, f"Subgroup “{group.name}”: only {matrix.positives} positives "
                                                 f"(TP + FN), fewer than the {min_positives} needed to judge it, so it "
                                                 "is not judged against the margin.", "subgroups"))
                continue
            if not group.fails:
                continue
            j = group.judgement
            said = (f"Subgroup “{group.name}”: sensitivity {_measured(matrix.sensitivity)} trails overall "
                    f"{fmt(overall.sensitivity.value)} by {fmt(j.gap)}, more than the margin of {_number(margin)}, and "
                    f"even its upper bound {fmt(j.upper)} is below overall − margin = {fmt(j.floor)}.")
            justification = (group.row.get("justification") or "").strip()
            mitigation = (group.row.get("mitigation") or "").strip()
            if justification and mitigation:
                found.append(Finding(Level.WARN, f"{said} Accepted with the justification “{justification}” and the "
                                                 f"mitigation “{mitigation}”.", "subgroups"))
            else:
                missing = " and a ".join(word for word, given in (("justification", justification),
                                                                  ("mitigation", mitigation)) if not given)
                found.append(Finding(Level.BLOCK, f"{said} Write a {missing} for this subgroup, or improve the model "
                                                  "for it.", "subgroups"))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        overall = matrix_of(data)
        if overall is None:
            return Working()
        steps = [Step(f"{m.name}, overall", m.formula, m.substituted, m.value, f"({m.ci_text()})")
                 for m in overall.metrics() if m.defined]
        groups = _subgroups(data, ctx, overall)
        margin = margin_of(data, ctx)
        for group in groups:
            sensitivity = group.matrix.sensitivity
            if not sensitivity.defined:
                continue
            judged = "" if group.judged else "; not judged: too few positives"
            steps.append(Step(f"Sensitivity, {group.name}", sensitivity.formula, sensitivity.substituted,
                              sensitivity.value, f"({sensitivity.ci_text()}{judged})"))
            j = group.judgement
            if j is None:
                continue
            steps.append(Step(f"Gap to overall sensitivity, {group.name}", "overall sensitivity − subgroup sensitivity",
                              f"{fmt(overall.sensitivity.value)} − {fmt(sensitivity.value)}", float(j.gap),
                              f"({_gap_words(j.gap, j.beyond_margin, margin)})"))
            if j.beyond_margin:
                steps.append(Step(f"Overall − margin, {group.name}", "overall sensitivity − margin",
                                  f"{fmt(overall.sensitivity.value)} − {_number(margin)}", float(j.floor),
                                  f"(upper bound {fmt(j.upper)} is {'below' if j.upper_below_floor else 'not below'})"))
        for row in data.get("calibration") or []:
            ratio = _oe(row)
            if ratio is not None:
                steps.append(Step(f"Observed ÷ expected, decile {row['decile']}", "observed events ÷ expected events",
                                  f"{row['observed']} ÷ {_number(row['expected'])}", ratio, "O/E"))
        facts = [("Quality bar", self._bar_text(data, ctx)),
                 ("Pre-registered", self._registered_text(data))]
        judged = [g for g in groups if g.judged]
        facts.append(("Subgroups judged", f"{len(judged)} of {len(groups)} (at least "
                                          f"{int(ctx.threshold(MIN_POSITIVES))} positives each)"))
        worst = _worst(overall, judged)
        if worst is not None:
            facts.append(("Worst subgroup gap", f"{fmt(worst[0])} ({worst[1].name})"))
        if data.get("calibration_slope") is not None:
            facts.append(("Calibration slope / intercept",
                          f"{_number(data['calibration_slope'])} / {_number(data.get('calibration_intercept') or 0)}"))
        blocks = any(f.blocks for f in self.findings(data, ctx))
        verdict = (f"Overall sensitivity {fmt(overall.sensitivity.value)} against a bar of "
                   f"{_number(data.get('min_sensitivity'))}; {len(judged)} subgroup{'s' if len(judged) != 1 else ''} "
                   f"judged against a margin of {_number(margin)}: "
                   + ("blocks." if blocks else "meets the pre-registered bar."))
        return Working(steps=tuple(steps), facts=tuple(facts), verdict=verdict)

    def _bar_text(self, data: dict[str, Any], ctx: EvaluationContext) -> str:
        return (f"sensitivity ≥ {_number(data.get('min_sensitivity'))}, {bar_metric_name(data)} ≥ "
                f"{_number(data.get('min_bar_metric'))}, subgroup margin {_number(margin_of(data, ctx))}")

    def _registered_text(self, data: dict[str, Any]) -> str:
        registered = _preregistered(data)
        if registered is None:
            return "—"
        return (f"{'yes' if registered else 'no'}: bar set {data['bar_date']}, results {data['results_date']}")

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        design = dict(DESIGNS).get(data.get("design"), "?")
        if data.get("design_detail"):
            design += f" — {data['design_detail']}"
        overall = matrix_of(data)
        counts = (f"TP {overall.tp:,}, FP {overall.fp:,}, FN {overall.fn:,}, TN {overall.tn:,} (n = {overall.n:,})"
                  if overall else "—")
        uncertainty = dict(UNCERTAINTY).get(data.get("uncertainty_display"), "?")
        if data.get("uncertainty_description"):
            uncertainty += f" — {data['uncertainty_description']}"
        rows = data.get("subgroups") or []
        dimensions = {r.get("dimension") for r in rows}
        calibration = []
        if data.get("calibration_slope") is not None:
            calibration.append(f"slope {_number(data['calibration_slope'])}, intercept "
                               f"{_number(data.get('calibration_intercept') or 0)}")
        if data.get("calibration"):
            calibration.append(f"observed and expected events in {len(data['calibration'])} risk deciles")
        registered = _preregistered(data)
        return [
            ("Study design", design),
            ("Site(s)", data.get("sites", "")),
            ("Study period", f"{data.get('period_start')} to {data.get('period_end')}"),
            ("Reference standard", data.get("reference_standard", "")),
            ("Quality bar", self._bar_text(data, ctx)),
            ("Bar set / results dated", f"{data.get('bar_date')} / {data.get('results_date')} (pre-registered: "
                                        f"{ {True: 'yes', False: 'no'}.get(registered, '?')})"),
            ("Overall confusion matrix", counts),
            ("Subgroups", f"{len(rows)} row{'s' if len(rows) != 1 else ''} over {len(dimensions)} "
                          f"dimension{'s' if len(dimensions) != 1 else ''}"),
            ("Calibration", "; ".join(calibration) or "not reported"),
            ("Uncertainty shown to the user", uncertainty),
        ]

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        overall = matrix_of(data)
        if overall is None:
            return []
        rows = data.get("subgroups") or []
        margin, min_positives = margin_of(data, ctx), int(ctx.threshold(MIN_POSITIVES))
        body = [("Overall", *_performance(overall), "—", "the reference")]
        for row in rows:
            matrix = matrix_of(row)
            if matrix is None:
                body.append((subgroup_name(row), "—", "—", "—", "—", "—", "—", "—", "not judged: counts incomplete"))
                continue
            if not overall.positives:
                body.append((subgroup_name(row), *_performance(matrix), "—", "not judged: no positives overall"))
                continue
            group = _Subgroup(row, overall, margin, min_positives)
            difference = gap(overall, matrix) if matrix.positives else None
            body.append((group.name, *_performance(matrix), fmt(difference), _judged(group, min_positives)))
        tables = [Table("Performance by subgroup",
                        ("Subgroup", "Cases (n)", "Positives (TP+FN)", "Sensitivity (95% CI)", "Specificity (95% CI)",
                         "PPV (95% CI)", "NPV (95% CI)", "Gap to overall sensitivity", "Judged"), tuple(body))]
        if rows:
            tables.append(Table("Subgroup confusion matrices",
                                ("Dimension", "Subgroup", "TP", "FP", "FN", "TN", "Justification", "Mitigation"),
                                tuple((r.get("dimension", ""), r.get("value", ""), *(f"{r.get(c, '')}" for c in COUNTS),
                                       r.get("justification") or "—", r.get("mitigation") or "—") for r in rows)))
        calibration = data.get("calibration") or []
        if calibration:
            tables.append(Table("Calibration by risk decile", ("Decile", "Patients (n)", "Expected", "Observed",
                                                               "Observed ÷ expected"),
                                tuple((str(r.get("decile", "")), f"{r.get('n', '')}", _number(r.get("expected", 0)),
                                       f"{r.get('observed', '')}", fmt(_oe(r)))
                                      for r in sorted(calibration, key=lambda r: r.get("decile") or 0))))
        return tables

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        overall = matrix_of(data)
        worst = _worst(overall, [g for g in _subgroups(data, ctx, overall) if g.judged]) if overall else None
        # No subgroup trailing overall is a gap of 0, the fact's floor (a share, 0–1).
        return {"worst_subgroup_gap": None if worst is None else round(max(0.0, float(worst[0])), 4)}

    def examples(self, ctx: EvaluationContext) -> Examples:
        today = ctx.today
        margin = ctx.threshold(MARGIN)

        def row(dimension, value, tp, fp, fn, tn, justification="", mitigation=""):
            return {"dimension": dimension, "value": value, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                    "justification": justification, "mitigation": mitigation}

        # 4,000 encounters, 200 with sepsis: sensitivity 168 ÷ 200 = 0.84, PPV 168 ÷ 480 = 0.35.
        # Every subgroup is within 0.05 of overall (75+: 28 ÷ 34 = 0.8235, a gap of 0.0165).
        passing = {
            "design": "silent_prospective", "design_detail": "",
            "sites": "Main campus: 4 medical wards and the ICU",
            "period_start": (today - timedelta(days=200)).isoformat(),
            "period_end": (today - timedelta(days=20)).isoformat(),
            "reference_standard": "Sepsis-3 by two-physician chart review, blinded to the model",
            "min_sensitivity": 0.8, "bar_metric": "ppv", "min_bar_metric": 0.3, "margin": margin,
            "bar_date": (today - timedelta(days=210)).isoformat(), "results_date": (today - timedelta(days=10)).isoformat(),
            "tp": 168, "fp": 312, "fn": 32, "tn": 3488,
            "calibration_slope": 0.97, "calibration_intercept": -0.02,
            "uncertainty_display": "needs_review",
            "uncertainty_description": "Scores between 0.4 and 0.6 show “Needs review” instead of a risk level.",
            "subgroups": [
                row("Age band", "18–64", 100, 180, 18, 2000), row("Age band", "65–74", 40, 80, 8, 900),
                row("Age band", "75+", 28, 52, 6, 588),
                row("Sex", "Female", 85, 150, 15, 1750), row("Sex", "Male", 83, 162, 17, 1738),
                row("Race/ethnicity", "Black", 40, 75, 8, 830), row("Race/ethnicity", "White", 100, 190, 18, 2100),
                row("Race/ethnicity", "Hispanic or Latino", 28, 47, 6, 558),
            ],
            "calibration": [],
        }
        # The same overall, but the 75+ band catches 17 of 34: 0.50, 0.34 below overall, and even
        # its upper bound 0.6593 is below 0.84 − 0.05 = 0.79; the younger bands catch more.
        blocking = {**passing, "subgroups": [
            row("Age band", "18–64", 108, 180, 10, 2000), row("Age band", "65–74", 43, 80, 5, 900),
            row("Age band", "75+", 17, 52, 17, 588), *passing["subgroups"][3:],
        ]}
        return Examples(passing=passing, blocking=blocking)


def _with_interval(metric: Proportion) -> str:
    """"0.5000 (0.3407–0.6593)"; "—" when the denominator is 0."""
    if not metric.defined:
        return "—"
    low, high = metric.interval
    return f"{fmt(metric.value)} ({fmt(low)}–{fmt(high)})"


def _performance(matrix: ConfusionMatrix) -> tuple[str, ...]:
    """Cases, positives, then sensitivity, specificity, PPV and NPV with their intervals: one comparison row."""
    return (f"{matrix.n:,}", f"{matrix.positives:,}", _with_interval(matrix.sensitivity),
            _with_interval(matrix.specificity), _with_interval(matrix.ppv), _with_interval(matrix.npv))


def _judged(group: _Subgroup, min_positives: int) -> str:
    """Whether the gap rule judged the subgroup, and what it decided."""
    if not group.matrix.positives:
        return "not judged: no positives"
    if not group.judged:
        return f"not judged: {group.matrix.positives} positives, fewer than {min_positives}"
    if not group.fails:
        return "yes"
    justified = all((group.row.get(name) or "").strip() for name in ("justification", "mitigation"))
    return "justified" if justified else "yes: blocks"


def _gap_words(gap: Fraction, beyond: bool, margin: float) -> str:
    if beyond:
        return f"more than the margin {_number(margin)}"
    return f"within the margin {_number(margin)}" if gap > 0 else "does not trail overall"


def _preregistered(data: dict[str, Any]) -> bool | None:
    """The bar's date precedes the results' date (None while either is missing)."""
    bar_date, results_date = iso_date(data.get("bar_date")), iso_date(data.get("results_date"))
    if bar_date is None or results_date is None:
        return None
    return bar_date < results_date


def _oe(row: dict[str, Any]) -> float | None:
    try:
        return observed_over_expected(int(row["observed"]), row["expected"])
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def _worst(overall: ConfusionMatrix | None, judged: list[_Subgroup]) -> tuple[Fraction, _Subgroup] | None:
    """The largest gap among the judged subgroups, with its subgroup."""
    if overall is None or not judged:
        return None
    group = max(judged, key=lambda g: g.judgement.gap)
    return group.judgement.gap, group


GATE = ClinicalValidation(
    key="clinical-validation",
    title="Clinical validation and subgroup performance",
    purpose=(
        "The model meets a clinical quality bar set before the results, overall and for every "
        "subgroup of patients it serves, and shows users when its output is uncertain."
    ),
    items=(
        Item("validation-results", "Validation study and results",
             "Study, pre-registered bar, confusion matrices by subgroup and how uncertainty is shown, in the form above.",
             structured=True),
        Item("validation-report", "Validation report", "The study report: methods, cohort, reference standard, results."),
        Item("analysis-code", "Analysis code or notebook",
             "A link to the code or notebook that produced the counts (repository and commit, or a notebook export)."),
        Item("uncertainty-screenshot", "Screenshot of how uncertainty is shown",
             "A screenshot (PNG or JPEG) of the screen a user sees for a low-confidence output."),
    ),
)
