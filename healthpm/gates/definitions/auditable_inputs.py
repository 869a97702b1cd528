"""Gate 1 — Auditable inputs (data provenance), SPEC §4.1.

Blocks when there are no inputs, when an input's source is not an approved system or is
not timestamped at source, or when an input is not available at prediction time (leakage).
A known proxy for a protected class or wealth (admin list) warns and needs a justification.
"""

import re
from typing import Any

from django import forms

from .base import EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Table, Working
from .forms_base import DataForm, GateForm, RowFilter, RowForm, RowTable, yes_no_field


WORDS = re.compile(r"[a-z]+[0-9]*")


WORDS = re.compile(r"[a-z]+[0-9]*")


def proxy_match(name: str, proxies) -> str | None:
    """The proxy an input's name refers to, matched on whole words of the name.

    `patient_zip5` and `payer_class` match; `ecg_trace_features` (race) and
    `ziprasidone_dose` (zip) do not. A word may carry a trailing number (zip5). When words
    match several proxies, the first of the admin's list wins.
    """
    return _ProxyIndex.of(proxies).match(name)


class _ProxyIndex:
    """The proxy list as a lookup from each term to its label, with each name's answer kept: an
    inventory of 5,000 names is checked on every page and save, against one list per request."""

    _last: tuple = (None, None)

    def __init__(self, proxies):
        self.terms: dict[str, tuple[int, str]] = {}
        for place, (label, terms) in enumerate(proxies):
            for term in terms:
                self.terms.setdefault(term, (place, label))
        self.answers: dict[str, str | None] = {}

    @classmethod
    def of(cls, proxies) -> "_ProxyIndex":
        # One list per request (its EvaluationContext), so the last one built is kept, by identity.
        kept, index = cls._last
        if kept is not proxies:
            index = cls(proxies)
            cls._last = (proxies, index)
        return index

    def match(self, name: str) -> str | None:
        if name not in self.answers:
            found = [self.terms[stem] for stem in (w.rstrip("0123456789") for w in WORDS.findall(name.lower()))
                     if stem in self.terms]
            self.answers[name] = min(found)[1] if found else None
        return self.answers[name]


class InputRowForm(RowForm):
    name = forms.CharField(max_length=120, label="Input", help_text="As the model calls it, e.g. lactate_last_6h.")
    source_system = forms.ChoiceField(label="Source system")
    source_field = forms.CharField(max_length=200, label="Source table / field")
    timestamped = yes_no_field("Timestamped at source")
    available_at_prediction = yes_no_field("Available at prediction time")
    contains_phi = yes_no_field("Contains PHI")
    justification = forms.CharField(
        required=False, max_length=1000, label="Proxy justification",
        widget=forms.Textarea(attrs={"rows": 1}),
        help_text="Required when the input is a known proxy (ZIP, race, ethnicity, insurance, language).",
    )
    notes = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 1}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sources = self.context.sources
        current = self.initial.get("source_system")
        choices = [(n, n) for n, ok in sources.items() if ok]
        if current and current not in dict(choices):
            choices.append((current, f"{current} (no longer approved)"))
        self.fields["source_system"].choices = [("", "— choose —"), *choices]


class AuditableInputsForm(GateForm):
    class main_form_class(DataForm):
        pass

    tables = (RowTable(
        "inputs", InputRowForm, "Input inventory", noun="model input", min_rows=1, evidence_item="data-dictionary",
        paged=True, search=("name", "source_system", "source_field"),
        filters=(RowFilter("proxy", "Known proxy", lambda row, findings, ctx: bool(proxy_match(row.get("name", ""),
                                                                                               ctx.proxies))),
                 RowFilter("phi", "Contains PHI", lambda row, findings, ctx: bool(row.get("contains_phi")))),
    ),)


def _good(row: dict, ctx: EvaluationContext) -> bool:
    """An input with an approved, timestamped source (the dashboard's provenance share too)."""
    return bool(ctx.sources.get(row.get("source_system"), False) and row.get("timestamped"))


class AuditableInputs(GateDefinition):
    form_class = AuditableInputsForm
    model_card_role = "inputs"
    contributes = ("inputs_total", "inputs_good")

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return bool(data.get("inputs"))

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        if not data:
            return []  # unfilled: the missing "Input inventory" item already says so
        inputs = data.get("inputs") or []
        if not inputs:
            return [Finding(Level.BLOCK, "The input inventory is empty: list every input the model uses.", "inputs")]
        sources, proxies = ctx.sources, ctx.proxies
        found = []
        for row in inputs:
            name = row.get("name", "?")
            source = row.get("source_system", "")

            def finding(level, message, group, name=name):
                return Finding(level, message, "inputs", row=name, group=group)

            if not sources.get(source, False):
                found.append(finding(Level.BLOCK, f"Input “{name}”: source “{source}” is not an approved source system. "
                                                  "Choose an approved system or ask the administrator to approve it.",
                                     f"come from “{source}”, which is not an approved source system"))
            if not row.get("timestamped"):
                found.append(finding(Level.BLOCK, f"Input “{name}” is not timestamped at source, so decisions using it "
                                                  "cannot be reconstructed. Use a timestamped field.",
                                     "are not timestamped at source"))
            if not row.get("available_at_prediction"):
                found.append(finding(Level.BLOCK, f"Input “{name}” is not available at prediction time (leakage): "
                                                  "remove it or replace it with a value known when the model runs.",
                                     "are not available at prediction time (leakage)"))
            proxy = proxy_match(name, proxies)
            if proxy:
                if (row.get("justification") or "").strip():
                    found.append(finding(Level.WARN, f"Input “{name}” is a known proxy ({proxy}); justification "
                                                     f"recorded: “{row['justification'].strip()}”.",
                                         f"are known proxies ({proxy}), each with a justification recorded"))
                else:
                    found.append(finding(Level.BLOCK, f"Input “{name}” is a known proxy for a protected class or "
                                                      f"wealth ({proxy}): write a justification or remove it.",
                                         f"are known proxies for a protected class or wealth ({proxy}) without a "
                                         "justification"))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        inputs = data.get("inputs") or []
        if not inputs:
            return Working()
        good = sum(1 for r in inputs if _good(r, ctx))
        return Working(facts=(
            ("Inputs listed", str(len(inputs))),
            ("With an approved, timestamped source", f"{good} of {len(inputs)} ({good / len(inputs):.0%})"),
            ("Available at prediction time", f"{sum(1 for r in inputs if r.get('available_at_prediction'))} of {len(inputs)}"),
            ("Containing PHI", f"{sum(1 for r in inputs if r.get('contains_phi'))} of {len(inputs)}"),
        ))

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        yn = {True: "yes", False: "no"}
        rows = tuple(
            (r.get("name", ""), r.get("source_system", ""), r.get("source_field", ""), yn.get(r.get("timestamped"), "?"),
             yn.get(r.get("available_at_prediction"), "?"), yn.get(r.get("contains_phi"), "?"),
             r.get("justification", "") or r.get("notes", ""))
            for r in data.get("inputs") or []
        )
        headers = ("Input", "Source system", "Table / field", "Timestamped", "At prediction", "PHI", "Justification / notes")
        return [Table("Input inventory", headers, rows, table_key="inputs")] if rows else []

    def summary_tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table] | None:
        """The inventory per source system, largest first, then all systems together: how many
        inputs, whether the system is approved, and how many are timestamped, available at
        prediction time and contain PHI (one pass over the rows)."""
        inputs = [r for r in data.get("inputs") or [] if isinstance(r, dict)]
        if not inputs:
            return None
        counts: dict[str, list[int]] = {}
        for row in inputs:
            tally = counts.setdefault(str(row.get("source_system") or ""), [0, 0, 0, 0])
            tally[0] += 1
            tally[1] += bool(row.get("timestamped"))
            tally[2] += bool(row.get("available_at_prediction"))
            tally[3] += bool(row.get("contains_phi"))
        rows = [(source or "(none given)", "yes" if ctx.sources.get(source, False) else "no",
                 *(f"{n:,}" for n in tally))
                for source, tally in sorted(counts.items(), key=lambda item: (-item[1][0], item[0].lower()))]
        totals = [sum(tally[i] for tally in counts.values()) for i in range(4)]
        rows.append((f"All {len(counts)} source system{'' if len(counts) == 1 else 's'}", "", *(f"{n:,}" for n in totals)))
        headers = ("Source system", "Approved", "Inputs", "Timestamped", "Available at prediction", "Contain PHI")
        return [Table("Inputs per source system", headers, tuple(rows), table_key="inputs")]

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        inputs = data.get("inputs") or []
        return {"inputs_total": len(inputs), "inputs_good": sum(1 for r in inputs if _good(r, ctx))}

    def examples(self, ctx: EvaluationContext) -> Examples:
        row = {"name": "lactate_last_6h", "source_system": "LIS", "source_field": "LAB_RESULTS.LACTATE",
               "timestamped": True, "available_at_prediction": True, "contains_phi": True,
               "justification": "", "notes": ""}
        # A discharge diagnosis is only known after the encounter: leakage.
        leak = {**row, "name": "discharge_dx", "source_system": "EHR", "source_field": "HSP_ACCOUNT.FINAL_DX",
                "available_at_prediction": False}
        return Examples(passing={"inputs": [row]}, blocking={"inputs": [row, leak]})


GATE = AuditableInputs(
    key="auditable-inputs",
    title="Auditable inputs",
    purpose=(
        "Every model input comes from an approved, timestamped source and is available at "
        "prediction time, so any decision can be reconstructed later."
    ),
    items=(
        Item("input-inventory", "Input inventory", "Every model input with its source, filled in the form above.",
             structured=True),
        Item("data-dictionary", "Data dictionary or lineage document",
             "The document that maps each input to its source system, table and field."),
    ),
)
