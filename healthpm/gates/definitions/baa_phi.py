"""Gate 6 — BAA and PHI, SPEC §4.6.

Blocks when a PHI-touching vendor has no BAA on file, a BAA is expired (one expiring
today still counts), PHI is processed without de-identification and without a
minimum-necessary justification, or any vendor may train its own models on the data.
"""

from datetime import date
from typing import Any

from django import forms

from healthpm.lib.hipaa import SAFE_HARBOR_IDENTIFIERS

from .base import Deadline, EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Table, Working
from .forms_base import DataForm, DateInput, GateForm, RowForm, RowTable, iso_date, with_choose, yes_no_field

DEID_METHODS = [("none", "None — identified PHI is processed"), ("safe_harbor", "Safe Harbor"),
                ("expert_determination", "Expert Determination (with report)")]
SERVICES = [("model_api", "Model API"), ("hosting", "Hosting"), ("annotation", "Annotation"),
            ("analytics", "Analytics"), ("other", "Other processing")]
BAA_ITEM = "baa-agreements"


def _baa_choices(evidence, today: date) -> list[tuple[str, str]]:
    """Current BAA evidence of this gate, as the files a vendor row can point to."""
    return [(str(e.pk), f"{e.display_name} (v{e.version})") for e in evidence
            if e.item_key == BAA_ITEM and e.is_current(today)]


class VendorRowForm(RowForm):
    name = forms.CharField(max_length=120, label="Vendor")
    service = forms.ChoiceField(choices=with_choose(SERVICES), label="Service")
    touches_phi = yes_no_field("Touches PHI")
    baa_evidence = forms.ChoiceField(required=False, label="BAA file",
                                     help_text="Upload the BAA as evidence first, then pick it here.")
    baa_effective = forms.DateField(required=False, widget=DateInput, label="BAA effective")
    baa_expiry = forms.DateField(required=False, widget=DateInput, label="BAA expires")

    def __init__(self, *args, evidence=None, **kwargs):
        super().__init__(*args, **kwargs)
        if evidence is None:
            evidence = list(self.gate.evidence.all()) if self.gate is not None else []
        choices = _baa_choices(evidence, self.context.today)
        linked = str(self.initial.get("baa_evidence") or "")
        if linked and linked not in dict(choices):
            # Keep showing an agreement that has since expired or been replaced, marked as such.
            old = next((e for e in evidence if str(e.pk) == linked), None)
            if old is not None:
                choices.append((linked, f"{old.display_name} (v{old.version}, no longer current)"))
        self.fields["baa_evidence"].choices = [("", "— none —"), *choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("baa_effective"), cleaned.get("baa_expiry")
        if start and end and end < start:
            self.add_error("baa_expiry", "The BAA expires before it takes effect; check the dates.")
        if cleaned.get("baa_evidence") and not start:
            self.add_error("baa_effective", "Give the date the BAA took effect.")
        return cleaned


class BaaPhiMainForm(DataForm):
    columns = {"identifiers": "col-12", "minimum_necessary": "col-12"}
    identifiers = forms.MultipleChoiceField(
        required=False, choices=SAFE_HARBOR_IDENTIFIERS, widget=forms.CheckboxSelectMultiple,
        label="HIPAA Safe Harbor identifiers the system touches",
    )
    deidentification = forms.ChoiceField(choices=with_choose(DEID_METHODS), label="De-identification method")
    minimum_necessary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                        label="Minimum-necessary justification",
                                        help_text="Why each identifier is needed. Required when PHI is not de-identified.")
    retention = forms.CharField(max_length=300, label="Data retention",
                                help_text="e.g. inference inputs kept 30 days, then purged; logs 6 years.")
    vendor_may_train = yes_no_field("Any vendor may use the data to train its own models")


class BaaPhiForm(GateForm):
    main_form_class = BaaPhiMainForm
    tables = (RowTable("vendors", VendorRowForm, "Vendors and processors that touch PHI", noun="vendor"),)

    def row_form_kwargs(self, gate) -> dict[str, Any]:
        return {"evidence": list(gate.evidence.all()) if gate is not None else []}


class BaaPhi(GateDefinition):
    form_class = BaaPhiForm
    model_card_role = "phi"
    contributes = ("baas",)

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return bool(data.get("deidentification") and data.get("retention"))

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        if not data:
            return []
        found = []
        for vendor in data.get("vendors") or []:
            if not vendor.get("touches_phi"):
                continue
            name = vendor.get("name", "?")
            if not vendor.get("baa_evidence"):
                found.append(Finding(Level.BLOCK, f"{name} touches PHI but has no BAA on file: upload the signed agreement "
                                              "and select it for this vendor.", "vendors"))
            elif vendor.get("baa_expiry") and date.fromisoformat(vendor["baa_expiry"]) < ctx.today:
                found.append(Finding(Level.BLOCK, f"BAA for {name} expired on {vendor['baa_expiry']} — upload the renewed "
                                              "agreement.", "vendors"))
        processes_phi = bool(data.get("identifiers"))
        if processes_phi and data.get("deidentification") == "none" and not (data.get("minimum_necessary") or "").strip():
            found.append(Finding(Level.BLOCK, "PHI is processed without de-identification and without a minimum-necessary "
                                          "justification: de-identify it or justify each identifier.", "minimum_necessary"))
        if data.get("vendor_may_train"):
            found.append(Finding(Level.BLOCK, "A vendor may train its own models on the data: remove that right from the "
                                          "contract before launch.", "vendor_may_train"))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        if not data:
            return Working()
        vendors = data.get("vendors") or []
        phi_vendors = [v for v in vendors if v.get("touches_phi")]
        return Working(facts=(
            ("Safe Harbor identifiers touched", f"{len(data.get('identifiers') or [])} of {len(SAFE_HARBOR_IDENTIFIERS)}"),
            ("Vendors touching PHI", f"{len(phi_vendors)} of {len(vendors)}"),
            ("… with a BAA on file", f"{sum(1 for v in phi_vendors if v.get('baa_evidence'))} of {len(phi_vendors)}"),
        ))

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        labels = dict(SAFE_HARBOR_IDENTIFIERS)
        yn = {True: "yes", False: "no"}
        return [
            ("Identifiers touched", "; ".join(labels.get(i, i) for i in data.get("identifiers") or []) or "none"),
            ("De-identification", dict(DEID_METHODS).get(data.get("deidentification"), "?")),
            ("Minimum-necessary justification", data.get("minimum_necessary") or "—"),
            ("Retention", data.get("retention", "")),
            ("Vendors may train on the data", yn.get(data.get("vendor_may_train"), "?")),
        ]

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        services = dict(SERVICES)
        rows = tuple(
            (v.get("name", ""), services.get(v.get("service"), ""), "yes" if v.get("touches_phi") else "no",
             f"evidence #{v['baa_evidence']}" if v.get("baa_evidence") else "none",
             v.get("baa_effective") or "—", v.get("baa_expiry") or "—")
            for v in data.get("vendors") or []
        )
        headers = ("Vendor", "Service", "PHI", "BAA", "Effective", "Expires")
        return [Table("Vendors and processors", headers, rows, table_key="vendors")] if rows else []

    def _agreements(self, data: dict[str, Any]) -> list[tuple[str, date]]:
        """(vendor, expiry) of every PHI-touching vendor's agreement on file."""
        return [((v.get("name") or "?")[:120], iso_date(v.get("baa_expiry")))
                for v in data.get("vendors") or []
                if v.get("touches_phi") and v.get("baa_evidence") and iso_date(v.get("baa_expiry"))]

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        return {"baas": self._agreements(data)}

    def deadlines(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Deadline]:
        return [Deadline(
            kind="baa-expired", ref=f"{vendor[:80]}:{expiry.isoformat()}", due=expiry,
            subject=f"BAA expired: {vendor} ({expiry.isoformat()})",
            message=f"The business associate agreement with {vendor} expired on {expiry.isoformat()}. The vendor "
                    "touches PHI, so this gate is blocked until the renewed agreement is uploaded and selected for "
                    "this vendor.",
        ) for vendor, expiry in self._agreements(data)]

    def examples(self, ctx: EvaluationContext) -> Examples:
        # De-identified by Safe Harbor, no vendor touches PHI: no BAA is required.
        passing = {
            "identifiers": [], "deidentification": "safe_harbor", "minimum_necessary": "",
            "retention": "Inference inputs kept 30 days, then purged", "vendor_may_train": False, "vendors": [],
        }
        return Examples(passing=passing, blocking={**passing, "vendor_may_train": True})


GATE = BaaPhi(
    key="baa-phi",
    title="BAA and PHI",
    purpose=(
        "Every vendor that touches PHI is under a current business associate agreement, PHI "
        "use is minimal or de-identified, and no vendor trains its own models on the data."
    ),
    items=(
        Item("phi-inventory", "PHI inventory and vendors", "Identifiers, de-identification and vendors, in the form above.",
             structured=True),
        Item("phi-data-flow", "PHI data-flow diagram", "Which systems and vendors receive which identifiers."),
        Item(BAA_ITEM, "Business associate agreements",
             "The executed BAA of each vendor; its effective and expiry dates are the agreement's.",
             required_when=lambda data: any(v.get("touches_phi") for v in data.get("vendors") or [])),
        Item("expert-determination-report", "Expert determination report",
             "Required when de-identification is by Expert Determination.",
             required_when=lambda data: data.get("deidentification") == "expert_determination"),
    ),
)
