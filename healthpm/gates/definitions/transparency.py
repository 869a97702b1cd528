"""Gate 11 — Transparency, SPEC §4.11: the ONC HTI-1 source attributes of a predictive DSI.

Each of the 31 attributes of 45 CFR 170.315(b)(11)(iv)(B) (`healthpm.lib.hti1`) is answered in
plain text or marked not applicable with a reason. The rule binds certified health IT
developers and the HTI-5 proposed rule (2025) would remove it, so the committee records that
it treats the list as a transparency checklist. Blocks while any attribute is unanswered, while
one is marked not applicable without a reason, and until that acknowledgement is a yes.

What the other gates of the initiative already know (inputs, validation counts, alert volume,
failure modes, monitoring cadence) is offered as a prefill (`prefill`), each with its source.

Saved data (the main form's JSON), for every attribute key of `hti1.KEYS`:
    "<key>_status": "answered" | "not_applicable"
    "<key>": the answer, or the reason it does not apply ("" while unanswered)
plus "treated_as_checklist": true | false.
"""

import math
from collections.abc import Mapping
from typing import Any

from django import forms

from healthpm.lib import hti1
from healthpm.lib.cds import CRITERIA
from healthpm.lib.hipaa import SAFE_HARBOR_IDENTIFIERS
from healthpm.lib.imdrf import SIGNIFICANCE_LABELS

from .auditable_inputs import proxy_match
from .base import EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Prefill, Table, Working
from .forms_base import DataForm, GateForm, not_a_claim, yes_no_field

ANSWERED, NOT_APPLICABLE = "answered", "not_applicable"
STATUSES = [(ANSWERED, "Answered"), (NOT_APPLICABLE, "Not applicable")]
ACKNOWLEDGED = "treated_as_checklist"
# Long enough for a paragraph with a citation; a pasted document belongs in the evidence.
MAX_ANSWER = 4000


def status_field(key: str) -> str:
    return f"{key}_status"


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def state(data: Mapping[str, Any], key: str) -> str:
    """'answered', 'not_applicable' (with a reason), 'missing' (no answer) or 'no_reason'."""
    not_applicable = data.get(status_field(key)) == NOT_APPLICABLE
    if _text(data, key):
        return NOT_APPLICABLE if not_applicable else ANSWERED
    return "no_reason" if not_applicable else "missing"


def _done(data: Mapping[str, Any], attributes) -> list[hti1.Attribute]:
    return [a for a in attributes if state(data, a.key) in (ANSWERED, NOT_APPLICABLE)]


class TransparencyMainForm(DataForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[ACKNOWLEDGED] = yes_no_field(
            "The committee treats these source attributes as a transparency checklist",
            help_text="HTI-1 (45 CFR 170.315(b)(11)(iv)(B)) asks them of certified health IT developers; the HTI-5 "
                      "proposed rule (2025) would remove that requirement. Yes records that the committee asks for "
                      "them of every model anyway.")
        self.columns = {ACKNOWLEDGED: "col-12"}
        self.headings = {}
        for group in hti1.GROUPS:
            for number, a in enumerate(hti1.attributes_in(group.key)):
                self.fields[status_field(a.key)] = not_a_claim(forms.ChoiceField(
                    choices=STATUSES, initial=ANSWERED, label=f"{a.reference} status",
                    help_text="Not applicable: write why in the box."),
                    "it classifies the text in the box beside it: an empty box is reported as unanswered")
                self.fields[a.key] = forms.CharField(
                    required=False, max_length=MAX_ANSWER, label=f"{a.reference} {a.label}",
                    widget=forms.Textarea(attrs={"rows": 2}))
                self.columns.update({a.key: "col-md-8", status_field(a.key): "col-md-4"})
                if number == 0:
                    self.headings[a.key] = f"{group.reference} {group.label}"
        # Each attribute's box, then its status beside it.
        self.order_fields([ACKNOWLEDGED] + [name for a in hti1.ATTRIBUTES for name in (a.key, status_field(a.key))])


class TransparencyForm(GateForm):
    main_form_class = TransparencyMainForm


def _answer(data: Mapping[str, Any], key: str) -> str:
    """The answer as the dossier prints it."""
    return {
        ANSWERED: _text(data, key),
        NOT_APPLICABLE: f"Not applicable — {_text(data, key)}",
        "no_reason": "Not applicable — no reason given",
        "missing": "Unanswered",
    }[state(data, key)]


class Transparency(GateDefinition):
    form_class = TransparencyForm
    model_card_role = "attributes"
    contributes = ()

    def structured_complete(self, data: dict[str, Any]) -> bool:
        # Saved through the form; unanswered attributes block as findings that name them.
        return bool(data) and data.get(ACKNOWLEDGED) is not None

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        if not data:
            return []
        found = []
        if data.get(ACKNOWLEDGED) is not True:
            found.append(Finding(Level.BLOCK, "The committee has not recorded that it treats the HTI-1 source attributes "
                                              "as a transparency checklist: answer yes (HTI-5 proposed removing the "
                                              "legal requirement, so healthpm asks for them as a checklist).", ACKNOWLEDGED))
        for group in hti1.GROUPS:
            attributes = hti1.attributes_in(group.key)
            missing = [a for a in attributes if state(data, a.key) == "missing"]
            if missing:
                names = "; ".join(f"“{a.label}” {a.reference}" for a in missing)
                verb = "is" if len(missing) == 1 else "are"
                found.append(Finding(Level.BLOCK, f"{group.label} {group.reference}: {len(missing)} of its {len(attributes)} "
                                                  f"attributes {verb} unanswered — {names}. Answer each, or mark it not "
                                                  "applicable and say why.", missing[0].key))
            for a in attributes:
                if state(data, a.key) == "no_reason":
                    found.append(Finding(Level.BLOCK, f"{group.label}: “{a.label}” {a.reference} is marked not applicable "
                                                      "without a reason — say why it does not apply to this model.", a.key))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        if not data:
            return Working()
        done = _done(data, hti1.ATTRIBUTES)
        not_applicable = [a for a in done if state(data, a.key) == NOT_APPLICABLE]
        facts = [("Attributes answered", f"{len(done)} of {len(hti1.ATTRIBUTES)}"
                  + (f" ({len(not_applicable)} not applicable, with a reason)" if not_applicable else ""))]
        for group in hti1.GROUPS:
            attributes = hti1.attributes_in(group.key)
            done_here = _done(data, attributes)
            na_here = sum(1 for a in done_here if state(data, a.key) == NOT_APPLICABLE)
            facts.append((f"{group.reference} {group.label}", f"{len(done_here)} of {len(attributes)}"
                          + (f" ({na_here} not applicable)" if na_here else "")))
        return Working(facts=tuple(facts))

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        acknowledged = {True: "Yes — HTI-5 (2025) proposed removing the legal requirement; the committee asks for "
                              "the attributes anyway", False: "No"}.get(data.get(ACKNOWLEDGED), "?")
        return [
            ("Treated as a transparency checklist", acknowledged),
            ("HTI-1 source attributes answered", f"{len(_done(data, hti1.ATTRIBUTES))} of {len(hti1.ATTRIBUTES)}"),
        ]

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        if not data:
            return []
        rows = tuple((hti1.group(a.group).label, f"{a.label} {a.reference}", _answer(data, a.key))
                     for a in hti1.ATTRIBUTES)
        return [Table(f"HTI-1 source attributes ({hti1.CITATION})", ("Group", "Attribute", "Answer"), rows)]

    def prefill(self, others: Mapping[str, dict[str, Any]], ctx: EvaluationContext) -> dict[str, Prefill]:
        offers: dict[str, list[tuple[str, str]]] = {}
        for reader in _READERS:
            try:
                found = reader(others, ctx)
            except (AttributeError, KeyError, OverflowError, TypeError, ValueError, ZeroDivisionError):
                continue  # another gate's data in a shape this reader does not know: offer nothing
            for field, (text, source) in found.items():
                offers.setdefault(field, []).append((text, source))
        return {field: Prefill(_clip("\n".join(t for t, _ in parts)), "; ".join(s for _, s in parts))
                for field, parts in offers.items()}

    def examples(self, ctx: EvaluationContext) -> Examples:
        passing: dict[str, Any] = {ACKNOWLEDGED: True}
        for a in hti1.ATTRIBUTES:
            status, text = EXAMPLE_ANSWERS[a.key]
            passing[a.key] = text
            passing[status_field(a.key)] = status
        blocking = {**passing, "funding_source": "", "external_tester": "", "external_process": "",
                    status_field("local_fairness"): NOT_APPLICABLE, "local_fairness": ""}
        return Examples(passing=passing, blocking=blocking)


# --- prefill: what the other gates already say --------------------------------------------------
# Each reader takes the other gates' saved data by gate key and returns {field: (text, source)};
# a reader meets data it does not expect by raising (ignored) or returning nothing.
def _clip(text: str) -> str:
    """An offer the form can save as it stands: at most MAX_ANSWER characters."""
    return text if len(text) <= MAX_ANSWER else text[:MAX_ANSWER - 1] + "…"


def _rows(data: Any, key: str) -> list[dict]:
    rows = data.get(key) if isinstance(data, Mapping) else None
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _inputs(others, ctx):
    inputs = [r for r in _rows(others.get("auditable-inputs"), "inputs") if str(r.get("name") or "").strip()]
    identifiers = (others.get("baa-phi") or {}).get("identifiers") or []
    labels = dict(SAFE_HARBOR_IDENTIFIERS)
    parts, sources = [], []
    if inputs:
        listed = ", ".join(f"{r['name']} ({r.get('source_system') or 'source not given'})" for r in inputs)
        proxies = [f"{r['name']} ({proxy})" for r in inputs if (proxy := proxy_match(str(r["name"]), ctx.proxies))]
        parts.append(f"Input features ({len(inputs)}): {listed}.")
        parts.append(f"Known proxies among them: {', '.join(proxies)}." if proxies else
                     "None is a known proxy by name; check each against race, ethnicity, language, sexual orientation, "
                     "gender identity, sex, date of birth, social determinants of health and health status assessments.")
        sources.append("Auditable inputs — input inventory")
    touched = [labels[i] for i in identifiers if i in labels and i in ("dates", "geographic")]
    if touched:
        parts.append(f"PHI identifiers the system touches that bear on these variables: {'; '.join(touched)}.")
        sources.append("BAA and PHI — identifiers")
    return {"demographic_inputs": (" ".join(parts), "; ".join(sources))} if parts else {}


def _model_vendor(others, ctx):
    vendors = [str(r.get("name")) for r in _rows(others.get("baa-phi"), "vendors")
               if r.get("service") == "model_api" and str(r.get("name") or "").strip()]
    if not vendors:
        return {}
    return {"developer_contact": (f"Model API vendor: {', '.join(vendors)} — add the developer's contact details.",
                                  "BAA and PHI — vendor table")}


def _alert_volume(others, ctx):
    data = others.get("false-positive-cost") or {}
    where = str(data.get("volume_source") or "").strip()
    if data.get("mode") == "measured":
        alerts, ppv = _num(data.get("alerts_per_day")), _num(data.get("ppv"))
        if alerts is None or ppv is None:
            return {}
        text = f"{_fmt(alerts)} alerts a day at PPV {_fmt(ppv)}"
    elif data.get("mode") == "derived":
        se, sp, prev = (_num(data.get(k)) for k in ("sensitivity", "specificity", "prevalence"))
        if None in (se, sp, prev):
            return {}
        text = f"sensitivity {_fmt(se)}, specificity {_fmt(sp)} at prevalence {_fmt(prev)}"
    else:
        return {}
    return {"local_validity": (f"Alert volume: {text}{f' ({where})' if where else ''}.",
                               "False-positive cost — alert volume and PPV")}


def _counts(row: Mapping[str, Any]) -> tuple[int, int, int, int] | None:
    """TP, FP, FN, TN of a confusion-matrix row saved as tp/fp/fn/tn (or the same keys in capitals)."""
    values = [row.get(k, row.get(k.upper())) for k in ("tp", "fp", "fn", "tn")]
    if any(isinstance(v, bool) or v in (None, "") for v in values):
        return None
    tp, fp, fn, tn = (int(v) for v in values)
    return (tp, fp, fn, tn) if min(tp, fp, fn, tn) >= 0 else None


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f}" if den else "n/a"


def _overall(data: Mapping[str, Any]) -> tuple[int, int, int, int] | None:
    """The overall confusion matrix: tp … tn on the main form (clinical validation), or a nested "overall"."""
    nested = data.get("overall")
    return _counts(nested) if isinstance(nested, Mapping) else _counts(data)


def _study(data: Mapping[str, Any]) -> str:
    """"silent-mode prospective, Main campus, 2026-01-05 to 2026-05-30" from the study's answers."""
    design = str(data.get("design") or "").strip()
    parts = [STUDY_DESIGNS.get(design, design.replace("_", " "))]
    parts.append(str(data.get("sites") or "").strip())
    start, end = str(data.get("period_start") or ""), str(data.get("period_end") or "")
    parts.append(f"{start} to {end}" if start and end else "")
    return ", ".join(p for p in parts if p)


# Clinical validation's study designs in words (its form's choices; an unknown one is shown as saved).
STUDY_DESIGNS = {"retrospective": "retrospective", "silent_prospective": "silent-mode prospective",
                 "rct": "randomised controlled trial"}


def _validation(others, ctx):
    data = others.get("clinical-validation") or {}
    found = {}
    overall = _overall(data)
    if overall:
        tp, fp, fn, tn = overall
        study = _study(data)
        found["local_validity"] = (
            f"Local validation{f' ({study})' if study else ''}: TP {tp}, FP {fp}, FN {fn}, TN {tn} — sensitivity "
            f"{_ratio(tp, tp + fn)}, specificity {_ratio(tn, tn + fp)}, PPV {_ratio(tp, tp + fp)}.",
            "Clinical validation — overall confusion matrix")
    subgroups = []
    for row in _rows(data, "subgroups"):
        counts = _counts(row)
        name = " ".join(str(row.get(k) or "").strip() for k in ("dimension", "value")).strip()
        if counts and name:
            tp, _fp, fn, _tn = counts
            subgroups.append(f"{name}: sensitivity {_ratio(tp, tp + fn)} ({tp + fn} positives)")
    if subgroups:
        overall_se = f" against {_ratio(overall[0], overall[0] + overall[2])} overall" if overall else ""
        found["local_fairness"] = (f"Subgroup sensitivity{overall_se}: {'; '.join(subgroups)}.",
                                   "Clinical validation — subgroups")
    return found


def _classification(others, ctx):
    data = others.get("regulatory-classification") or {}
    significance = data.get("significance")
    if significance in SIGNIFICANCE_LABELS:
        text = f"Significance of the information to the decision (IMDRF): {SIGNIFICANCE_LABELS[significance]}."
    elif data and all(data.get(key) is True for key, _ in CRITERIA):
        text = ("Informs: it supports or provides recommendations to a health care professional, who can "
                "independently review their basis (FDA non-device CDS criteria 3 and 4).")
    else:
        return {}
    return {"decision_role": (text, "Regulatory classification")}


def _failure_modes(others, ctx):
    data = others.get("failure-modes") or {}
    found = {}
    modes = []
    for row in _rows(data, "modes"):
        name = str(row.get("name") or "").strip()
        if not name:
            continue
        harm = str(row.get("worst_harm") or "").strip()
        severity = str(row.get("severity") or "").strip()
        modes.append(name + (f" — {harm}" if harm else "") + (f" ({severity})" if severity else ""))
    if modes:
        found["known_risks"] = (f"Failure modes: {'; '.join(modes)}.", "Failure modes — register")
    parts = []
    unusual = [line.strip() for line in str(data.get("unusual_patients") or "").splitlines() if line.strip()]
    if unusual:
        parts.append(f"Unusual patients considered: {'; '.join(unusual)}.")
    flagged = []
    for row in _rows(data, "edge_cases"):
        name, outcome = str(row.get("name") or "").strip(), row.get("outcome")
        if name and outcome in EDGE_OUTCOMES:
            notes = str(row.get("notes") or "").strip()
            flagged.append(f"{name} — {EDGE_OUTCOMES[outcome]}" + (f" ({notes})" if notes else ""))
    if flagged:
        parts.append(f"Edge cases that failed or raised findings: {'; '.join(flagged)}.")
    if parts:
        found["cautioned_uses"] = (" ".join(parts), "Failure modes — edge cases")
    return found


# Edge-case outcomes worth a caution (the failure-modes gate's choices).
EDGE_OUTCOMES = {"failed": "failed", "handled_with_findings": "handled with findings"}
# Monitoring-plan metrics that watch fairness rather than validity.
FAIRNESS_METRICS = ("subgroup_sensitivity_ratio",)
FAIRNESS_WORDS = ("subgroup", "fairness", "equity", "parity", "disparity")


def _monitoring(others, ctx):
    validity, fairness = [], []
    for row in _rows(others.get("monitoring-plan"), "metrics"):
        name = str(row.get("name") or "").strip() or str(row.get("metric") or "").replace("_", " ").strip()
        if not name:
            continue
        line = name
        for key in ("cadence", "owner_name"):
            if str(row.get(key) or "").strip():
                line += f", {str(row[key]).strip()}"
        direction, value = row.get("pause_direction"), row.get("pause_value")
        if direction and value not in (None, ""):
            line += f", pauses when {direction} {value}"
        watches_fairness = row.get("metric") in FAIRNESS_METRICS or any(w in name.lower() for w in FAIRNESS_WORDS)
        (fairness if watches_fairness else validity).append(line)
    found = {}
    if validity:
        found["validity_monitoring"] = (f"Monitored after launch: {'; '.join(validity)}.", "Monitoring plan — metrics")
    if fairness:
        found["fairness_monitoring"] = (f"Monitored after launch: {'; '.join(fairness)}.", "Monitoring plan — metrics")
    return found


_READERS = (_inputs, _model_vendor, _alert_volume, _validation, _classification, _failure_modes, _monitoring)


# --- examples: a sepsis early-warning score ------------------------------------------------------
EXAMPLE_ANSWERS: dict[str, tuple[str, str]] = {
    "developer_contact": (ANSWERED, "Acme Predictive, Inc., clinical-ai@acme.example, +1 555 0100"),
    "funding_source": (ANSWERED, "Developed with Acme's own funds; no external grant."),
    "output_value": (ANSWERED, "A 0–100 risk that the patient develops sepsis in the next 12 hours."),
    "output_type": (ANSWERED, "Prediction (a risk score), shown as an alert above 60."),
    "intended_use": (ANSWERED, "Prompts a bedside sepsis assessment by the rapid-response nurse."),
    "intended_population": (ANSWERED, "Adult inpatients (18+) on medical and surgical wards."),
    "intended_users": (ANSWERED, "Rapid-response nurses and ward physicians."),
    "decision_role": (ANSWERED, "Informs: the nurse assesses the patient; the score never orders treatment."),
    "cautioned_uses": (ANSWERED, "Not for the ICU, the emergency department, pregnancy or patients under 18."),
    "known_risks": (ANSWERED, "Misses sepsis when lactate is not drawn; alert fatigue at high volumes."),
    "training_criteria": (ANSWERED, "Adult admissions 2019–2023 at three US hospitals; ICU stays excluded."),
    "demographic_inputs": (ANSWERED, "Age (from date of birth) is an input; race, ethnicity, language and sex are not."),
    "training_demographics": (ANSWERED, "Age, sex and race/ethnicity distribution in the developer's model card, table 2."),
    "training_relevance": (ANSWERED, "Similar adult ward mix; our case mix is older (median 68 vs 61)."),
    "fairness_approach": (ANSWERED, "Sensitivity compared by age band, sex and race/ethnicity before release."),
    "bias_management": (ANSWERED, "Race removed as an input; thresholds checked per subgroup."),
    "external_data_source": (ANSWERED, "Two academic hospitals not in the training data, 2024."),
    "external_tester": (ANSWERED, "University of Example biostatistics group, independent of the developer."),
    "external_demographics": (ANSWERED, "Reported by age band, sex and race/ethnicity in the validation paper."),
    "external_process": (ANSWERED, "Retrospective replay against a chart-review sepsis label (Sepsis-3)."),
    "internal_validity": (ANSWERED, "AUROC 0.82, sensitivity 0.78 at the alert threshold (hold-out set)."),
    "internal_fairness": (ANSWERED, "Sensitivity within 0.04 across age bands, sex and race/ethnicity."),
    "external_validity": (ANSWERED, "AUROC 0.79, sensitivity 0.74 at the alert threshold."),
    "external_fairness": (ANSWERED, "Sensitivity 0.69 for patients 75+, 0.76 overall."),
    "outcome_evaluations": (NOT_APPLICABLE, "No outcome study yet; our 6-month pilot will be the first."),
    "validity_monitoring": (ANSWERED, "PPV and alert volume weekly by the sepsis committee."),
    "local_validity": (ANSWERED, "Silent-mode run: 10 alerts a day at PPV 0.5."),
    "fairness_monitoring": (ANSWERED, "Subgroup sensitivity by chart review every quarter."),
    "local_fairness": (ANSWERED, "Subgroup sensitivity within 0.05 of overall in the silent-mode run."),
    "update_process": (ANSWERED, "Locked model; a new version at most yearly, validated again before use."),
    "correction_frequency": (NOT_APPLICABLE, "The model is locked: a correction is a new version (see update process)."),
}


GATE = Transparency(
    key="transparency",
    title="Transparency",
    purpose=(
        "The committee knows what the model is, who built it, what it was trained and validated on, "
        "where it must not be used and how it is kept valid and fair: every ONC HTI-1 source attribute "
        "of a predictive decision support intervention is answered or marked not applicable with a reason."
    ),
    items=(
        Item("source-attributes", "HTI-1 source attributes",
             "The 31 source attributes, answered in the form above.", structured=True),
        Item("developer-source-attributes", "Developer's published source attributes",
             "The developer's published source-attribute document or model card: a link to it or the file."),
    ),
)
