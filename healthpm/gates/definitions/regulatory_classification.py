"""Gate 5 — Regulatory classification, SPEC §4.5.

All four FDA non-device CDS criteria (FD&C Act §520(o)(1)(E)) answered yes → non-device
CDS. Otherwise the software is a device: its IMDRF category is computed from situation ×
significance (`healthpm.lib.imdrf`), its pathway recorded, and an adaptive model needs a
PCCP. A device without a clearance or authorization number blocks the final approval.
"""

import re
from typing import Any

from django import forms

from healthpm.lib.cds import CRITERIA, GUIDANCE_EDITIONS, failed_criteria, is_non_device
from healthpm.lib.imdrf import SIGNIFICANCE_LABELS, SIGNIFICANCES, SITUATION_LABELS, SITUATIONS, imdrf_category

from .base import EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Working
from .forms_base import DataForm, GateForm, with_choose, yes_no_field

PATHWAYS = [("510k", "510(k)"), ("de_novo", "De Novo"), ("pma", "PMA"), ("exempt", "Exempt")]
# FDA number formats: 510(k) K######, De Novo DEN######, PMA P######.
PREDICATE_RE = re.compile(r"^K\d{6}$")


def is_device(data: dict[str, Any]) -> bool:
    answers = {key: data.get(key) for key, _ in CRITERIA}
    return not is_non_device(answers) if all(v is not None for v in answers.values()) else False


def category(data: dict[str, Any]) -> str | None:
    if not is_device(data) or not data.get("situation") or not data.get("significance"):
        return None
    return imdrf_category(data["situation"], data["significance"])


class RegulatoryMainForm(DataForm):
    guidance_edition = forms.ChoiceField(choices=with_choose(GUIDANCE_EDITIONS), label="FDA CDS guidance edition the answers rest on")
    situation = forms.ChoiceField(required=False, label="State of the healthcare situation",
                                  choices=[("", "—"), *[(s, SITUATION_LABELS[s]) for s in SITUATIONS]])
    significance = forms.ChoiceField(required=False, label="Significance of the information",
                                     choices=[("", "—"), *[(s, SIGNIFICANCE_LABELS[s]) for s in SIGNIFICANCES]])
    pathway = forms.ChoiceField(required=False, choices=[("", "—"), *PATHWAYS], label="Regulatory pathway")
    predicate_number = forms.CharField(required=False, max_length=20, label="Predicate device (510(k) number)",
                                       help_text="e.g. K213456.")
    clearance_number = forms.CharField(required=False, max_length=30, label="Clearance / authorization number",
                                       help_text="Required before final launch approval of a device.")
    adaptive = yes_no_field("The model adapts after release", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The four criteria, each with a yes/no answer and its rationale.
        for key, text in CRITERIA:
            self.fields[key] = yes_no_field(text)
            self.fields[f"{key}_rationale"] = forms.CharField(
                label="Rationale", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
        self.order_fields([f for key, _ in CRITERIA for f in (key, f"{key}_rationale")] + ["guidance_edition"])
        self.columns = {**{key: "col-md-5" for key, _ in CRITERIA}, **{f"{key}_rationale": "col-md-7" for key, _ in CRITERIA},
                        "guidance_edition": "col-12"}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not is_device(cleaned):
            return cleaned
        for name in ("situation", "significance", "pathway"):
            if not cleaned.get(name):
                self.add_error(name, "Required: the software does not meet all four non-device CDS criteria, so it is a device.")
        if cleaned.get("adaptive") is None:
            self.add_error("adaptive", "Say whether the model adapts after release.")
        if cleaned.get("pathway") == "510k":
            number = (cleaned.get("predicate_number") or "").strip().upper()
            if not PREDICATE_RE.match(number):
                self.add_error("predicate_number", "A 510(k) needs its predicate's number, K followed by six digits (e.g. K213456).")
            cleaned["predicate_number"] = number
        return cleaned


class RegulatoryForm(GateForm):
    main_form_class = RegulatoryMainForm


def regulatory_class(data: dict[str, Any]) -> str:
    """'non-device', the IMDRF category, 'device' (category not set) or 'unclassified'."""
    if not (data and all(data.get(key) is not None for key, _ in CRITERIA)):
        return "unclassified"
    if not is_device(data):
        return "non-device"
    return category(data) or "device"


class RegulatoryClassification(GateDefinition):
    form_class = RegulatoryForm
    model_card_role = "regulatory"
    working_template = "gates/working/imdrf.html"
    contributes = ("regulatory_class",)

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return bool(data) and all(data.get(key) is not None for key, _ in CRITERIA)

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        found = []
        if self.structured_complete(data) and is_device(data) and not (data.get("clearance_number") or "").strip():
            found.append(Finding(Level.WARN, f"Device (IMDRF category {category(data)}): final launch approval stays blocked "
                                         "until a clearance or authorization number is recorded.", "clearance_number"))
        return found

    def final_findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        if self.structured_complete(data) and is_device(data) and not (data.get("clearance_number") or "").strip():
            return [Finding(Level.BLOCK, f"the software is a device (IMDRF category {category(data)}) and no clearance or "
                                     "authorization number is recorded.", "clearance_number")]
        return []

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        if not self.structured_complete(data):
            return Working()
        answers = {key: data.get(key) for key, _ in CRITERIA}
        device = not is_non_device(answers)
        facts = [("Classification", "Device (SaMD)" if device else "Non-device clinical decision support")]
        if device:
            facts += [("Criteria not met", "; ".join(failed_criteria(answers)))]
            if category(data):
                facts += [("IMDRF category", f"{SITUATION_LABELS[data['situation']]} × "
                                             f"{SIGNIFICANCE_LABELS[data['significance']]} → {category(data)}")]
        return Working(facts=tuple(facts), extra={
            "category": category(data), "situation": data.get("situation"), "significance": data.get("significance"),
            "rows": [(SITUATION_LABELS[s], s, [(sig, imdrf_category(s, sig)) for sig in SIGNIFICANCES]) for s in SITUATIONS],
            "columns": [SIGNIFICANCE_LABELS[s] for s in SIGNIFICANCES],
        } if device else None)

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        yn = {True: "yes", False: "no"}
        rows = [(text, f"{yn.get(data.get(key), '?')} — {data.get(f'{key}_rationale', '')}") for key, text in CRITERIA]
        rows.append(("Guidance edition", dict(GUIDANCE_EDITIONS).get(data.get("guidance_edition"), "")))
        if is_device(data):
            rows += [("IMDRF category", category(data) or "?"),
                     ("Pathway", dict(PATHWAYS).get(data.get("pathway"), "?")),
                     ("Predicate", data.get("predicate_number") or "—"),
                     ("Clearance / authorization", data.get("clearance_number") or "none recorded"),
                     ("Adapts after release", yn.get(data.get("adaptive"), "?"))]
        return rows

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        return {"regulatory_class": regulatory_class(data)}

    def examples(self, ctx: EvaluationContext) -> Examples:
        keys = [key for key, _ in CRITERIA]
        # All four FDA criteria met: non-device clinical decision support.
        passing = {
            **{key: True for key in keys}, **{f"{key}_rationale": "Per counsel's memo." for key in keys},
            "guidance_edition": "2026-01", "situation": "", "significance": "", "pathway": "",
            "predicate_number": "", "clearance_number": "", "adaptive": None,
        }
        # It analyses an image, so it is a device (IMDRF II), and no clearance number is recorded:
        # the final launch decision stays blocked.
        blocking = {**passing, keys[0]: False, "situation": "serious", "significance": "drive", "pathway": "510k",
                    "predicate_number": "K213456", "adaptive": False}
        return Examples(passing=passing, blocking=blocking)


GATE = RegulatoryClassification(
    key="regulatory-classification",
    title="Regulatory classification",
    purpose=(
        "Whether the software is non-device CDS or a medical device is decided on the four "
        "FDA criteria, and a device has its pathway and clearance before launch."
    ),
    items=(
        Item("cds-criteria", "CDS criteria and classification", "The four criteria with rationale, in the form above.",
             structured=True),
        Item("counsel-memo", "Regulatory counsel's memo",
             "Counsel's written analysis of the CDS criteria and the pathway."),
        Item("pccp", "Predetermined Change Control Plan (PCCP)",
             "Required for a device whose model adapts after release.",
             required_when=lambda data: is_device(data) and bool(data.get("adaptive"))),
    ),
)
