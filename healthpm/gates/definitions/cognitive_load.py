"""Gate 4 — Cognitive load, SPEC §4.4.

Net minutes per case = (after − before) + added interactions × seconds each ÷ 60, and per
day at the stated volume (`healthpm.lib.cognitive`). Blocks when the net load increases;
warns when work moves to a role with less clinical training.
"""

from typing import Any

from django import forms

from healthpm.lib.cognitive import INPUTS, ROLE_CHOICES, LoadResult, moves_to_less_trained, net_load

from .base import EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Working
from .forms_base import DataForm, GateForm, with_choose

METHODS = [("time_motion", "Time-motion study"), ("ehr_audit_log", "EHR audit log"), ("survey", "Survey")]


def compute(data: dict[str, Any]) -> LoadResult | None:
    try:
        return net_load(
            before_minutes=float(data["before_minutes"]), after_minutes=float(data["after_minutes"]),
            added_interactions=float(data["added_interactions"]),
            seconds_per_interaction=float(data["seconds_per_interaction"]),
            cases_per_day=float(data["cases_per_day"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _signed(value: float, places: int) -> str:
    """+1.25 or −1.25, with a true minus sign as in the working table."""
    return f"{value:+.{places}f}".replace("-", "−")


class CognitiveLoadMainForm(DataForm):
    columns = {"task": "col-12", "roles_before": "col-md-6", "roles_after": "col-md-6"}
    task = forms.CharField(max_length=200, label="Task measured", help_text="e.g. reviewing a sepsis alert and deciding on a bundle.")
    before_minutes = forms.FloatField(min_value=0, label="Time on task before (mean minutes per case)")
    after_minutes = forms.FloatField(min_value=0, label="Time on task with the AI (mean minutes per case)",
                                     help_text="Excluding the added interactions below, which are counted separately.")
    cases_measured = forms.IntegerField(min_value=1, label="Cases measured")
    method = forms.ChoiceField(choices=with_choose(METHODS), label="Method")
    added_interactions = forms.FloatField(min_value=0, label="Added clicks or interactions per case")
    seconds_per_interaction = forms.FloatField(min_value=0, label="Seconds per interaction")
    cases_per_day = forms.FloatField(min_value=0, label="Cases per day (stated volume)")
    roles_before = forms.MultipleChoiceField(choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple,
                                             label="Roles doing the work before")
    roles_after = forms.MultipleChoiceField(choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple,
                                            label="Roles doing the work with the AI")

    def clean_cases_per_day(self):
        cases = self.cleaned_data["cases_per_day"]
        if cases == 0:
            # 0 cases a day turns any added load per case into 0 minutes a day: a typo, not a volume.
            raise forms.ValidationError("A tool in use sees some cases a day: give the stated volume, e.g. 0.5 for "
                                        "one case every other day.")
        return cases

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("added_interactions") and cleaned.get("seconds_per_interaction") == 0:
            self.add_error("seconds_per_interaction", "Each added click or interaction takes some time: give the "
                                                      "seconds measured for one, e.g. 0.4.")
        if self.errors:
            return cleaned
        try:
            net_load(**{key: cleaned[key] for key in INPUTS})
        except ValueError as exc:
            # The calculator names the impossible value ("Cases per day must be at most …").
            field = next((key for key, (name, _, _) in INPUTS.items() if str(exc).startswith(name)), None)
            self.add_error(field, str(exc))
        return cleaned


class CognitiveLoadForm(GateForm):
    main_form_class = CognitiveLoadMainForm


class CognitiveLoad(GateDefinition):
    form_class = CognitiveLoadForm

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return compute(data) is not None

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        result = compute(data)
        if result is None:
            return []
        found = []
        if result.net_minutes_per_case > 0:
            found.append(Finding(
                Level.BLOCK,
                f"Net load increases by {result.net_minutes_per_case:.2f} minutes per case "
                f"({result.net_minutes_per_day:.0f} minutes a day at {float(data['cases_per_day']):g} cases): "
                "remove interactions or show a measured saving that outweighs them.",
                "after_minutes",
            ))
        labels = dict(ROLE_CHOICES)
        moved = moves_to_less_trained(data.get("roles_before") or [], data.get("roles_after") or [])
        if moved:
            found.append(Finding(
                Level.WARN,
                "Work moves to a role with less clinical training: " + ", ".join(labels.get(r, r) for r in moved)
                + ". Confirm training, supervision and scope of practice.",
                "roles_after",
            ))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        result = compute(data)
        if result is None:
            return Working()
        verdict = ("adds work — blocks." if result.net_minutes_per_case > 0 else "saves or keeps time per case.")
        return Working(steps=result.steps,
                       verdict=f"Net {_signed(result.net_minutes_per_case, 2)} min per case, "
                               f"{_signed(result.net_minutes_per_day, 0)} min a day: {verdict}")

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        labels = dict(ROLE_CHOICES)
        return [
            ("Task", data.get("task", "")),
            ("Before / after (min per case)", f"{data.get('before_minutes')} / {data.get('after_minutes')}"),
            ("Measured", f"{data.get('cases_measured')} cases by {dict(METHODS).get(data.get('method'), '')}"),
            ("Added interactions", f"{data.get('added_interactions')} × {data.get('seconds_per_interaction')} s per case"),
            ("Volume", f"{data.get('cases_per_day')} cases a day"),
            ("Roles before", ", ".join(labels.get(r, r) for r in data.get("roles_before") or []) or "—"),
            ("Roles with the AI", ", ".join(labels.get(r, r) for r in data.get("roles_after") or []) or "—"),
        ]

    def examples(self, ctx: EvaluationContext) -> Examples:
        # 6.0 → 5.0 min per case plus 2 × 3 s = −0.9 min per case: net load falls.
        passing = {
            "task": "Reviewing a sepsis alert", "before_minutes": 6.0, "after_minutes": 5.0, "cases_measured": 40,
            "method": "time_motion", "added_interactions": 2.0, "seconds_per_interaction": 3.0, "cases_per_day": 20.0,
            "roles_before": ["registered_nurse"], "roles_after": ["registered_nurse"],
        }
        # 6.0 → 6.5 min plus 4 × 15 s = +1.5 min per case: net load rises.
        blocking = {**passing, "after_minutes": 6.5, "added_interactions": 4.0, "seconds_per_interaction": 15.0}
        return Examples(passing=passing, blocking=blocking)


GATE = CognitiveLoad(
    key="cognitive-load",
    title="Cognitive load",
    purpose=(
        "Measured time on task shows the tool does not add net work per case, and work "
        "does not silently move to a less-trained role."
    ),
    items=(
        Item("workload-measurement", "Workload measurement", "Before/after time on task, in the form above.",
             structured=True),
        Item("time-on-task-study", "Time-on-task measurement",
             "Time-motion study, EHR audit-log extract or survey results, before and after."),
    ),
)
