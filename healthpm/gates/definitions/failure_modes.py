"""Gate 8 — Failure modes and harm, SPEC §4 (checklist v2), issue 12.

A register of the ways the model can fail, each with its worst credible harm in plain words,
its clinical severity and likelihood (rated before mitigation), how it is detected, its
mitigation and fallback; its risk is read from the organisation's severity × likelihood
matrix (`healthpm.lib.risk`). And the edge cases tried: real outages replayed from the
downtime log, missing or delayed inputs, the unusual patients the PM listed.

Blocks when a mode in an unacceptable cell has no mitigation, when a catastrophic or major
mode has nothing that detects it, when no outage replay is recorded, and when an edge case
failed with no mitigation noted. Warns on modes in the ALARP region and on unacceptable ones
that rest on their mitigation.
"""

from datetime import timedelta
from typing import Any

from django import forms

from healthpm.lib.risk import (
    LEVEL_LABELS,
    LEVELS,
    LIKELIHOOD_HELP,
    LIKELIHOOD_LABELS,
    LIKELIHOODS,
    SEVERITIES,
    SEVERITY_HELP,
    SEVERITY_LABELS,
    risk,
)

from .base import EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Table, Working
from .forms_base import DataForm, DateInput, GateForm, RowForm, RowTable, iso_date

SEVERE = ("catastrophic", "major")
# The risk levels as the register's cell says them (the long ALARP label does not fit a column).
SHORT_LEVELS = {"unacceptable": "Unacceptable", "alarp": "ALARP", "acceptable": "Acceptable"}
OUTAGE = "outage_replay"
KINDS = [
    (OUTAGE, "Outage replay from a real downtime/outage log"),
    ("missing_inputs", "Missing or delayed inputs"),
    ("unusual_patient", "Unusual patient"),
    ("other", "Other"),
]
OUTCOMES = [
    ("handled", "Handled as designed"),
    ("handled_with_findings", "Handled with findings"),
    ("failed", "Failed"),
]
METHODS = [
    ("fmea", "Failure mode and effects analysis (FMEA)"),
    ("pha", "Preliminary hazard analysis"),
    ("fta", "Fault tree analysis"),
    ("hazop", "HAZOP study"),
    ("other", "Other structured review"),
]


def _text(value: Any) -> str:
    return str(value or "").strip()


def _quoted(text: str, limit: int = 160) -> str:
    """A typed answer quoted in a message, cut at `limit` characters."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def mode_risk(row: dict[str, Any]) -> str | None:
    """The risk region of a register row, None when its ratings are not ones the matrix knows."""
    try:
        return risk(row.get("severity"), row.get("likelihood"))
    except (TypeError, ValueError):
        return None


def _rating(row: dict[str, Any]) -> str:
    """"major × probable", as the messages and the register say it."""
    return f"{row.get('severity')} × {row.get('likelihood')}"


def is_open_severe(row: dict[str, Any]) -> bool:
    """A catastrophic or major mode that nothing detects or nothing mitigates."""
    return row.get("severity") in SEVERE and not (_text(row.get("detection")) and _text(row.get("mitigation")))


def outage_replays(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Edge cases that replay a real outage from the log: the kind, a reference and a date."""
    return [case for case in data.get("edge_cases") or []
            if case.get("kind") == OUTAGE and _text(case.get("source_reference")) and iso_date(case.get("outage_date"))]


# --- the form -----------------------------------------------------------------------------------
def _choice(label: str, choices, noun: str, help_text: str = "", *, keys_listed: bool = False) -> forms.ChoiceField:
    """A required choice whose errors say what to pick; `noun` comes with its article ("an outcome").
    With `keys_listed` the refusal lists the keys (one plain word each: catastrophic, major …)."""
    listed = ""
    if keys_listed:
        names = [key for key, _ in choices]
        listed = ": " + ", ".join(names[:-1]) + f" or {names[-1]}"
    return forms.ChoiceField(label=label, choices=[("", "—"), *choices], help_text=help_text,
                             error_messages={"invalid_choice": f"Choose {noun} from the list{listed}.",
                                             "required": f"Choose {noun}."})


class ModeRowForm(RowForm):
    name = forms.CharField(max_length=120, label="Failure mode", help_text="e.g. Stale lactate scored as current.")
    manifestation = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="How it shows up",
                                    help_text="What a user or a log would see.")
    worst_harm = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Worst credible harm",
                                 help_text="In plain words, e.g. could delay a sepsis diagnosis by 6 hours.")
    severity = _choice("Clinical severity", [(s, f"{SEVERITY_LABELS[s]} — {SEVERITY_HELP[s]}") for s in SEVERITIES],
                       "a severity", "Of the worst credible harm, before mitigation.", keys_listed=True)
    likelihood = _choice("Likelihood", [(k, f"{LIKELIHOOD_LABELS[k]} — {LIKELIHOOD_HELP[k]}") for k in LIKELIHOODS],
                         "a likelihood", "Before mitigation.", keys_listed=True)
    detection = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                                label="How it is detected",
                                help_text="An automated check, a monitor, a clinician's review. Leave empty if nothing does.")
    mitigation = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                                 label="Mitigation", help_text="What lowers its likelihood or its harm.")
    fallback = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                               label="Fallback", help_text="What staff do instead when it happens.")


class EdgeCaseRowForm(RowForm):
    name = forms.CharField(max_length=200, label="Case", help_text="e.g. 6-hour EHR outage, lab results backlog.")
    kind = _choice("Kind", KINDS, "a kind of edge case")
    source_reference = forms.CharField(required=False, max_length=200, label="Source reference",
                                       help_text="The outage log entry or chart review, e.g. INC-2025-0412.")
    outage_date = forms.DateField(required=False, widget=DateInput, label="Outage date",
                                  help_text="Required for an outage replay: the day the outage happened.")
    replayed = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="What was replayed or tried")
    outcome = _choice("Outcome", OUTCOMES, "an outcome")
    mitigation = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                                 label="Mitigation of a failure",
                                 help_text="Required when it failed: what was changed, or the register's mode that now covers it.")
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Notes")

    def clean_outage_date(self):
        value = self.cleaned_data.get("outage_date")
        if value and value > self.context.today:
            raise forms.ValidationError(f"The outage date {value.isoformat()} is in the future: give the day the "
                                        "outage happened.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == OUTAGE:
            if not cleaned.get("outage_date") and "outage_date" not in self.errors:
                self.add_error("outage_date", "An outage replay needs the date of the outage it replays, from the "
                                              "outage log.")
            if not _text(cleaned.get("source_reference")):
                self.add_error("source_reference", "Name the outage log entry that was replayed, e.g. INC-2025-0412.")
        return cleaned


class FailureModesMainForm(DataForm):
    columns = {"unusual_patients": "col-12"}
    unusual_patients = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Unusual patients considered",
        help_text="One a line, e.g. a patient on ECMO, pediatric weights, dialysis. Try them as edge cases below.")
    analysis_method = _choice("How the failure modes were found", METHODS, "a method")
    clinical_reviewer = forms.CharField(max_length=120, label="Clinician who rated the severities",
                                        help_text="A named clinician or role, e.g. sepsis committee chair.")


class FailureModesForm(GateForm):
    main_form_class = FailureModesMainForm
    tables = (
        RowTable("modes", ModeRowForm, "Failure-mode register", noun="failure mode", min_rows=1),
        RowTable("edge_cases", EdgeCaseRowForm, "Edge cases tried", noun="edge case"),
    )


# --- the gate -----------------------------------------------------------------------------------
class FailureModes(GateDefinition):
    form_class = FailureModesForm
    model_card_role = "failure"
    working_template = "gates/working/risk_matrix.html"
    contributes = ("open_severe_modes",)

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return bool(data.get("modes")) and bool(_text(data.get("unusual_patients")))

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        if not data:
            return []  # unfilled: the missing register item already says so
        modes = data.get("modes") or []
        if not modes:
            return [Finding(Level.BLOCK, "The failure-mode register is empty: list every way the model can fail, with its "
                                         "worst credible harm.", "modes")]
        found = []
        for row in modes:
            found += self._mode_findings(row)
        if not outage_replays(data):
            found.append(Finding(Level.BLOCK, "No outage replay is recorded: replay at least one real downtime or outage "
                                              "from the outage log (an edge case of kind “Outage replay”, with the log "
                                              "reference and the outage date).", "edge_cases"))
        for case in data.get("edge_cases") or []:
            if case.get("outcome") != "failed":
                continue
            name, mitigation = case.get("name", "?"), _text(case.get("mitigation"))
            # A failed edge case blocks until a mitigation is noted, rather than warning: it is a
            # patient-safety finding observed under real conditions, not a rating of what might
            # happen. A hypothetical mode in an unacceptable cell blocks without a mitigation, so
            # a failure already seen cannot weigh less. Once a mitigation is noted it warns, so
            # the committee still sees it and asks for the case to be tried again.
            if not mitigation:
                found.append(Finding(Level.BLOCK, f"Edge case “{name}” failed and no mitigation is noted: fix what "
                                                  "failed, or add the failure it revealed to the register with its "
                                                  "mitigation, note it on the edge case and try the case again.",
                                     "edge_cases"))
            else:
                found.append(Finding(Level.WARN, f"Edge case “{name}” failed; mitigation noted: “{_quoted(mitigation)}”. "
                                                 "Try the case again once the mitigation is in place.", "edge_cases"))
        kinds = {case.get("kind") for case in data.get("edge_cases") or []}
        if _text(data.get("unusual_patients")) and "unusual_patient" not in kinds:
            found.append(Finding(Level.WARN, "Unusual patients are listed but none was tried as an edge case: try at "
                                             "least one (an edge case of kind “Unusual patient”).", "edge_cases"))
        return found

    def _mode_findings(self, row: dict[str, Any]) -> list[Finding]:
        name, mitigation = row.get("name", "?"), _text(row.get("mitigation"))
        level, found = mode_risk(row), []
        if level == "unacceptable":
            if not mitigation:
                found.append(Finding(Level.BLOCK, f"Failure mode “{name}”: {_rating(row)} falls in the unacceptable "
                                                  "cell of the risk matrix and no mitigation is recorded. Add the "
                                                  "mitigation that brings it out of that cell, or do not launch.", "modes"))
            else:
                found.append(Finding(Level.WARN, f"Failure mode “{name}”: {_rating(row)} is unacceptable before "
                                                 "mitigation; launch rests on the mitigation recorded: "
                                                 f"“{_quoted(mitigation)}”.", "modes"))
        elif level == "alarp":
            if mitigation:
                found.append(Finding(Level.WARN, f"Failure mode “{name}”: {_rating(row)} is in the “reduce as far as "
                                                 "possible” (ALARP) region, accepted with the mitigation shown: "
                                                 f"“{_quoted(mitigation)}”.", "modes"))
            else:
                found.append(Finding(Level.WARN, f"Failure mode “{name}”: {_rating(row)} is in the “reduce as far as "
                                                 "possible” (ALARP) region and no mitigation is recorded: say what was "
                                                 "done to reduce it, or why nothing more is practicable.", "modes"))
        if row.get("severity") in SEVERE and not _text(row.get("detection")):
            found.append(Finding(Level.BLOCK, f"Failure mode “{name}” is {row.get('severity')} and nothing detects it: "
                                              "say how it is detected (an automated check, a monitor, a clinician's "
                                              "review) before launch.", "modes"))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        modes = data.get("modes") or []
        if not modes:
            return Working()
        counts: dict[tuple[str, str], int] = {}
        by_level = dict.fromkeys(LEVELS, 0)
        for row in modes:
            level = mode_risk(row)
            if level is not None:
                counts[row["severity"], row["likelihood"]] = counts.get((row["severity"], row["likelihood"]), 0) + 1
                by_level[level] += 1
        replays = outage_replays(data)
        outcomes = dict(OUTCOMES)
        cases = data.get("edge_cases") or []
        facts = [
            ("Failure modes by risk (before mitigation)",
             " · ".join(f"{LEVEL_LABELS[level]}: {by_level[level]}" for level in LEVELS)),
            ("Catastrophic or major modes without detection or mitigation",
             str(sum(1 for row in modes if is_open_severe(row)))),
            ("Outage replays", f"{len(replays)}" + (": " + "; ".join(
                f"{_text(c.get('source_reference'))} ({c.get('outage_date')}, "
                f"{outcomes.get(c.get('outcome'), '?').lower()})" for c in replays) if replays else "")),
            ("Edge cases by outcome",
             " · ".join(f"{label}: {sum(1 for c in cases if c.get('outcome') == key)}" for key, label in OUTCOMES)),
        ]
        return Working(facts=tuple(facts), extra={
            "total": len(modes),
            "columns": [LIKELIHOOD_LABELS[k] for k in LIKELIHOODS],
            "rows": [(SEVERITY_LABELS[s], [(risk(s, k), counts.get((s, k), 0)) for k in LIKELIHOODS])
                     for s in SEVERITIES],
        })

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        patients = [line.strip() for line in _text(data.get("unusual_patients")).splitlines() if line.strip()]
        cases = data.get("edge_cases") or []
        return [
            ("Unusual patients considered", "; ".join(patients) or "—"),
            ("How the failure modes were found", dict(METHODS).get(data.get("analysis_method"), "?")),
            ("Clinician who rated the severities", data.get("clinical_reviewer", "")),
            ("Failure modes in the register", str(len(data.get("modes") or []))),
            ("Edge cases tried", f"{len(cases)}, of which {len(outage_replays(data))} replayed a real outage"),
        ]

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        found = []
        modes = tuple(
            (r.get("name", ""), r.get("manifestation", ""), r.get("worst_harm", ""),
             f"{SEVERITY_LABELS.get(r.get('severity'), '?')} × {str(r.get('likelihood') or '?')} → "
             f"{SHORT_LEVELS.get(mode_risk(r), '?')}", _text(r.get("detection")) or "none",
             _text(r.get("mitigation")) or "none", _text(r.get("fallback")) or "—")
            for r in data.get("modes") or []
        )
        if modes:
            found.append(Table("Failure-mode register", ("Failure mode", "How it shows up", "Worst credible harm",
                                                         "Severity × likelihood → risk", "Detection", "Mitigation",
                                                         "Fallback"), modes))
        kinds, outcomes = dict(KINDS), dict(OUTCOMES)
        cases = tuple(
            (c.get("name", ""), kinds.get(c.get("kind"), "?"), _text(c.get("source_reference")) or "—",
             c.get("outage_date") or "—", c.get("replayed", ""), outcomes.get(c.get("outcome"), "?"),
             " ".join(filter(None, (_text(c.get("mitigation")), _text(c.get("notes"))))) or "—")
            for c in data.get("edge_cases") or []
        )
        if cases:
            found.append(Table("Edge cases tried", ("Case", "Kind", "Source", "Outage date", "Replayed or tried",
                                                    "Outcome", "Mitigation / notes"), cases))
        return found

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        return {"open_severe_modes": sum(1 for row in data.get("modes") or [] if is_open_severe(row))}

    def examples(self, ctx: EvaluationContext) -> Examples:
        def mode(name, manifestation, harm, severity, likelihood, detection, mitigation, fallback):
            return {"name": name, "manifestation": manifestation, "worst_harm": harm, "severity": severity,
                    "likelihood": likelihood, "detection": detection, "mitigation": mitigation, "fallback": fallback}

        def case(name, kind, source, outage_date, replayed, outcome, mitigation="", notes=""):
            return {"name": name, "kind": kind, "source_reference": source, "outage_date": outage_date,
                    "replayed": replayed, "outcome": outcome, "mitigation": mitigation, "notes": notes}

        outage = ctx.today - timedelta(days=230)
        # The incident number of the downtime log entry, in the hospital's INC-<year>-<mmdd> style.
        incident = f"INC-{outage.year}-{outage.month:02d}{outage.day:02d}"
        passing = {
            "unusual_patients": "A patient on ECMO\nPediatric weights under 10 kg\nA patient on dialysis",
            "analysis_method": "fmea",
            "clinical_reviewer": "Sepsis committee chair",
            "modes": [
                mode("Stale lactate scored as current", "The score uses a lactate older than 6 hours after an LIS delay",
                     "Could delay a sepsis diagnosis by 6 hours", "major", "remote",
                     "Input-age check flags any lab older than 6 hours; the score shows “inputs stale”",
                     "Score withheld while the lactate is stale; the nurse is prompted to redraw",
                     "Bedside qSOFA on the paper checklist"),
                mode("Score not delivered during an EHR downtime", "No score appears in the worklist",
                     "Could delay escalation of a deteriorating patient by one shift", "moderate", "remote",
                     "Heartbeat monitor pages the on-call analyst after 15 minutes without scores",
                     "Downtime procedure switches the unit to paper screening", "Paper sepsis screen every 4 hours"),
                mode("False alert on a patient on dialysis", "Creatinine-driven alerts on a known dialysis patient",
                     "An unneeded bedside review of a few minutes", "minor", "occasional",
                     "Override reason “on dialysis” in the monthly review", "Dialysis flag lowers the renal weight", ""),
            ],
            "edge_cases": [
                case("6-hour EHR outage with a results backlog", OUTAGE, incident, outage.isoformat(),
                     "The 212 lab results queued during the outage, replayed in arrival order", "handled_with_findings",
                     notes="3 alerts fired late; they are now marked “late” in the worklist."),
                case("Vitals missing for 4 hours", "missing_inputs", "Synthetic replay", None,
                     "Vitals feed paused for 4 hours on 20 test patients", "handled"),
                case("A patient on ECMO", "unusual_patient", "MICU chart review", None,
                     "Ten ECMO patients' records scored retrospectively", "handled",
                     notes="The ECMO flag withholds the score, as designed."),
            ],
        }
        # A catastrophic mode that nothing detects or mitigates: blocks twice.
        blocking = {**passing, "modes": [*passing["modes"], mode(
            "Another patient's score shown after a chart merge", "A score computed on the merged-away record",
            "Could withhold sepsis treatment from the wrong patient", "catastrophic", "remote", "", "", "")]}
        return Examples(passing=passing, blocking=blocking)


GATE = FailureModes(
    key="failure-modes",
    title="Failure modes and harm",
    purpose=(
        "Every way the model can fail is written down with the worst harm it could do to a patient, "
        "rated on the organisation's risk matrix, detected and mitigated; and the model has been tried "
        "on real outages, missing inputs and unusual patients."
    ),
    items=(
        Item("failure-register", "Failure-mode register and edge cases",
             "The register, its risk ratings and the edge cases tried, in the form above.", structured=True),
        Item("hazard-analysis", "Hazard analysis / FMEA",
             "The hazard analysis or FMEA document the register comes from, signed by the clinical reviewer."),
        Item("outage-logs", "Outage logs replayed",
             "The downtime or outage log entries each outage replay used, with the replay's results."),
    ),
)
