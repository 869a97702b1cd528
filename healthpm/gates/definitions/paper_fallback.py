"""Gate 3 — Paper fallback (downtime), SPEC §4.3.

Blocks without a documented procedure or a paper checklist (evidence items), when the last
drill is older than HEALTHPM_DRILL_MAX_AGE_DAYS (365: a drill exactly 365 days old passes,
366 blocks), or when the last drill failed.
"""

from datetime import date, timedelta
from typing import Any

from django import forms

from .base import Deadline, EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Working
from .forms_base import DataForm, DateInput, GateForm, iso_date, with_choose, yes_no_field

OUTCOMES = [
    ("passed", "Passed: every decision made on paper in time"),
    ("passed_with_findings", "Passed with findings (corrective actions logged)"),
    ("failed", "Failed"),
]


def drill_age_days(drill_date: date, today: date) -> int:
    return (today - drill_date).days


MAX_AGE = "HEALTHPM_DRILL_MAX_AGE_DAYS"


def max_drill_age(ctx: EvaluationContext) -> int:
    return int(ctx.threshold(MAX_AGE))


def _drill(data: dict[str, Any]) -> date | None:
    return iso_date(data.get("last_drill_date"))


class PaperFallbackMainForm(DataForm):
    columns = {"notification_path": "col-12", "drill_notes": "col-12"}
    procedure_owner = forms.CharField(max_length=120, label="Owner of the downtime procedure",
                                      help_text="A named person or role, e.g. nurse manager, 5 West.")
    notification_path = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="How staff learn the system is down",
                                        help_text="e.g. overhead page + Epic downtime banner + secure chat to charge nurses.")
    checklist_covers_all_decisions = yes_no_field("The paper checklist reproduces every decision the AI makes")
    last_drill_date = forms.DateField(widget=DateInput, label="Last downtime drill")
    drill_outcome = forms.ChoiceField(choices=with_choose(OUTCOMES), label="Drill outcome")
    drill_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Drill findings")
    outage_replay = yes_no_field("Edge cases replayed from past outage logs")
    outage_replay_reference = forms.CharField(required=False, max_length=200, label="Outage log reference",
                                              help_text="e.g. INC-2025-0412, 6-hour Epic outage.")

    def clean_last_drill_date(self):
        value = self.cleaned_data["last_drill_date"]
        if value > self.context.today:
            raise forms.ValidationError("The drill date is in the future; record a drill that has happened.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outage_replay") and not (cleaned.get("outage_replay_reference") or "").strip():
            self.add_error("outage_replay_reference", "Name the outage log the edge cases were replayed from.")
        return cleaned


class PaperFallbackForm(GateForm):
    main_form_class = PaperFallbackMainForm


class PaperFallback(GateDefinition):
    form_class = PaperFallbackForm
    thresholds = {MAX_AGE: 365}
    contributes = ("drill_date", "drill_failed")

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return bool(data.get("last_drill_date") and data.get("procedure_owner"))

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        drill = _drill(data)
        if drill is None:
            return []
        found = []
        limit = max_drill_age(ctx)
        age = drill_age_days(drill, ctx.today)
        if age > limit:
            found.append(Finding(Level.BLOCK, f"The last downtime drill ({drill.isoformat()}) is {age} days old; the limit is "
                                          f"{limit} days. Run a drill and record it.", "last_drill_date"))
        if data.get("drill_outcome") == "failed":
            found.append(Finding(Level.BLOCK, f"The last downtime drill ({drill.isoformat()}) failed. Fix the procedure and "
                                          "run a drill that passes.", "drill_outcome"))
        if data.get("checklist_covers_all_decisions") is False:
            found.append(Finding(Level.BLOCK, "The paper checklist does not reproduce every decision the AI makes: "
                                          "extend it before launch.", "checklist_covers_all_decisions"))
        if not data.get("outage_replay"):
            found.append(Finding(Level.WARN, "No edge cases were replayed from past outage logs.", "outage_replay"))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        drill = _drill(data)
        if drill is None:
            return Working()
        age = drill_age_days(drill, ctx.today)
        return Working(facts=(
            ("Drill age", f"{ctx.today.isoformat()} − {drill.isoformat()} = {age} days (limit {max_drill_age(ctx)})"),
            ("Next drill due by", (drill + timedelta(days=max_drill_age(ctx))).isoformat()),
        ))

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        yn = {True: "yes", False: "no"}
        return [
            ("Procedure owner", data.get("procedure_owner", "")),
            ("How staff learn it is down", data.get("notification_path", "")),
            ("Checklist reproduces every AI decision", yn.get(data.get("checklist_covers_all_decisions"), "?")),
            ("Last drill", f"{data.get('last_drill_date')} — {dict(OUTCOMES).get(data.get('drill_outcome'), '')}"),
            ("Drill findings", data.get("drill_notes", "") or "—"),
            ("Outage-log replay", f"{yn.get(data.get('outage_replay'), '?')} {data.get('outage_replay_reference', '')}".strip()),
        ]

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        return {"drill_date": _drill(data), "drill_failed": data.get("drill_outcome") == "failed"}

    def downtime_procedure(self, data: dict[str, Any]) -> str:
        owner = (data.get("procedure_owner") or "").strip()
        if not owner:
            return ""
        drill = _drill(data)
        text = f"the downtime procedure owned by {owner}"
        if data.get("notification_path"):
            text += f"; staff learn the system is down by: {data['notification_path'].strip()}"
        if drill:
            text += f"; last drilled {drill.isoformat()} ({dict(OUTCOMES).get(data.get('drill_outcome'), '?').lower()})"
        return text + "."

    def deadlines(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Deadline]:
        drill = _drill(data)
        if drill is None:
            return []
        limit = max_drill_age(ctx)
        return [Deadline(
            kind="drill-overdue", ref=drill.isoformat(), due=drill + timedelta(days=limit),
            subject=f"Downtime drill overdue (last {drill.isoformat()})",
            message=f"The last downtime drill was on {drill.isoformat()}, {drill_age_days(drill, ctx.today)} days ago; "
                    f"drills may be at most {limit} days old. Run a drill of the paper fallback and record it on the gate.",
        )]

    def examples(self, ctx: EvaluationContext) -> Examples:
        passing = {
            "procedure_owner": "Nurse manager, 5 West", "notification_path": "Overhead page and EHR banner",
            "checklist_covers_all_decisions": True, "last_drill_date": (ctx.today - timedelta(days=30)).isoformat(),
            "drill_outcome": "passed", "drill_notes": "", "outage_replay": True,
            "outage_replay_reference": "INC-2025-0412",
        }
        stale = (ctx.today - timedelta(days=max_drill_age(ctx) + 40)).isoformat()
        return Examples(passing=passing, blocking={**passing, "last_drill_date": stale})


GATE = PaperFallback(
    key="paper-fallback",
    title="Paper fallback",
    purpose=(
        "When the AI or the EHR is down, staff know it and can make every decision the AI "
        "supports on paper, and that procedure has been drilled within the last year."
    ),
    items=(
        Item("downtime-plan", "Downtime plan", "Owner, notification path, last drill, in the form above.", structured=True),
        Item("downtime-procedure", "Documented downtime procedure",
             "The approved procedure staff follow when the system is unavailable."),
        Item("paper-checklist", "Paper checklist",
             "The paper form that reproduces every decision the AI makes."),
        Item("drill-record", "Last downtime drill record",
             "Minutes or report of the last drill; its effective date is the drill day."),
    ),
)
