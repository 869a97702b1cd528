"""The model facts card and the CHAI Applied Model Card (v0.2 XML), built from the gates' answers.

An initiative whose checklist has the transparency gate gets both in its dossier (SPEC §4,
gate 11): a one-page model facts card a clinician reads, and the CHAI Applied Model Card
XML, embedded in the PDF as an attached file and downloadable alone. Both come from the
same `ModelCard`, built here from the initiative and its gates' saved answers
(`{gate_key: data}`), never from anything typed twice.

1. The XML follows CHAI's published schema (coalition-for-health-ai/mc-schema,
   `v0.2/schema.xsd`); every card is validated against it before it is returned, and a card
   that does not validate raises `ModelCardInvalid` naming the element.
2. Every element the schema requires is filled from an answer or, when the answers do not
   say, with "Not stated" — never an invented number. Optional elements with nothing to say
   are left out.
3. The card is deterministic: the same answers and signature give the same bytes (no
   generation time inside), so the XML downloaded alone is byte for byte the one embedded
   in a signed dossier of the same, locked, initiative.

It names no gate: each gate it reads declares its role on the card (`model_card_role`, one of
`ROLES` below). Their answers are read defensively: a field that is missing or shaped
otherwise reads as not stated.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from lxml import etree

from healthpm.gates import registry
from healthpm.gates.definitions.base import EvaluationContext, GateDefinition, Table, UnknownGate
# The one import of each calculator the card uses: the HTI-1 attribute list (transparency
# gate) and the confusion-matrix metrics with Wilson intervals (clinical validation gate).
from healthpm.lib import hti1
from healthpm.lib.validation import ConfusionMatrix

NS = "https://mc.chai.org/v0.2/schema.xsd"
SCHEMA_VERSION = "v0.2"
NOT_STATED = "Not stated"
SOFTWARE_ID = "healthpm"
# Inputs the facts page names before "… and N more": it is one page a clinician reads, and a
# model with 5,000 inputs made it 113 pages (bench_dossier --inputs).
FACTS_PAGE_INPUTS = 20

# What the card reads, by the role a gate declares (GateDefinition.model_card_role); the card
# is issued for checklists with a gate in CARD_ROLE.
ROLES = ("attributes", "validation", "failure", "monitoring", "adoption", "regulatory", "inputs", "phi")
CARD_ROLE = "attributes"  # the gate of the HTI-1 source attributes


def gate_in_role(checklist, role: str):
    """The checklist's gate that plays `role` on the card, or None."""
    return next((g for g in checklist.gates if g.model_card_role == role), None)

# CHAI's schema imports the W3C XML-DSig schema from the network; we resolve it to our stub.
_DSIG_URL = "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"
_CHAI_DIR = Path(__file__).resolve().parent / "chai"
_DSIG_STUB = _CHAI_DIR / "xmldsig_signature.xsd"


def schema_path() -> Path:
    """CHAI's v0.2/schema.xsd (see chai/README.md): HEALTHPM_CHAI_SCHEMA when set, else the copy
    vendored in healthpm/dossier/chai/v0.2/."""
    configured = getattr(settings, "HEALTHPM_CHAI_SCHEMA", None)
    return Path(configured) if configured else _CHAI_DIR / SCHEMA_VERSION / "schema.xsd"


class SchemaUnavailable(RuntimeError):
    """The CHAI schema file is missing: no card can be checked, so none is issued."""


class ModelCardInvalid(ValueError):
    """The card built does not validate against the CHAI schema; the message names the element."""


def applies(initiative) -> bool:
    """Whether the initiative's checklist has the transparency gate (v1 dossiers have no card)."""
    try:
        return gate_in_role(registry.checklist(initiative.checklist_version), CARD_ROLE) is not None
    except UnknownGate:
        return False


def filename_for(initiative) -> str:
    return f"{initiative.slug}-chai-model-card-{SCHEMA_VERSION}.xml"


# --- what the facts page shows ---------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """One proportion with its 95% Wilson interval; `estimate` None when it cannot be computed."""

    label: str
    numerator: int
    denominator: int
    estimate: float | None
    low: float | None = None
    high: float | None = None

    @property
    def text(self) -> str:
        return NOT_STATED if self.estimate is None else f"{self.estimate:.1%}"

    @property
    def ci_text(self) -> str:
        if self.estimate is None:
            return "not computable (no cases)"
        return f"95% CI {self.low:.1%}–{self.high:.1%}"

    @property
    def counts_text(self) -> str:
        return f"{self.numerator} of {self.denominator}"

    def value_json(self) -> str:
        """CHAI's ValueJson: an estimate with its interval, in percent, as in CHAI's examples."""
        if self.estimate is None:
            return "null"
        return json.dumps({"kind": "estimate_ci", "estimate": round(self.estimate * 100, 2),
                           "lower": round(self.low * 100, 2), "upper": round(self.high * 100, 2),
                           "level": 95, "unit": "%"}, separators=(",", ":"))


@dataclass(frozen=True)
class Subgroup:
    label: str  # "Age band: 75+"
    positives: int
    n: int
    sensitivity: Metric
    gap: float | None  # overall sensitivity − this subgroup's
    justification: str = ""
    mitigation: str = ""

    @property
    def gap_text(self) -> str:
        if self.gap is None:
            return NOT_STATED
        points = abs(self.gap) * 100
        if round(points, 1) == 0:
            return "level with overall"
        return f"trails by {points:.1f} points" if self.gap > 0 else f"above by {points:.1f} points"


@dataclass(frozen=True)
class CardFacts:
    name: str
    summary: str
    intended_use: str
    intended_users: str
    population: str
    out_of_scope: str
    known_risks: str
    inputs: tuple[str, ...]
    overall: tuple[Metric, ...]
    overall_counts: str
    subgroups: tuple[Subgroup, ...]
    failure_modes: Table | None
    monitoring: Table | None
    monitoring_notes: str  # who is told, who can pause, the fallback
    regulatory: str
    hti1_answered: int
    hti1_total: int

    @property
    def inputs_listed(self) -> tuple[str, ...]:
        """The inputs the one-page facts card names; the dossier's input inventory has them all
        (and the XML card too)."""
        return self.inputs[:FACTS_PAGE_INPUTS]

    @property
    def inputs_unlisted(self) -> int:
        return max(len(self.inputs) - FACTS_PAGE_INPUTS, 0)


@dataclass(frozen=True)
class ModelCard:
    xml: bytes
    filename: str
    facts: CardFacts
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.xml).hexdigest())


# --- reading the answers ---------------------------------------------------------------------
def _text(value: Any) -> str:
    """An answer as text: lists joined, None and blanks as ""; XML-illegal characters dropped."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(t for t in (_text(v) for v in value) if t)
    return _XML_ILLEGAL.sub("", str(value)).strip()


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _first(data: Mapping[str, Any], *names: str) -> str:
    for name in names:
        text = _text(data.get(name))
        if text:
            return text
    return ""


def _or_not_stated(*parts: str) -> str:
    joined = "\n\n".join(p for p in parts if p)
    return joined or NOT_STATED


class _Answers(dict):
    """HTI-1 answers by key; a key not answered (or not known) reads ""."""

    def __missing__(self, key: str) -> str:
        return ""


def hti1_answers(data: Mapping[str, Any]) -> dict[str, str]:
    """The text answer of each of the 31 HTI-1 attributes ("" when unanswered).

    The transparency gate saves, per attribute key (healthpm.lib.hti1.KEYS), the text under
    the key and `<key>_status` "answered" or "not_applicable" (the text is then the reason),
    which reads "Not applicable: <reason>". Also read, should the shape change: a dict under
    the key (answer, not_applicable, reason), the same under "attributes"/"answers", or
    flat `<key>_na` / `<key>_reason`.
    """
    container: Any = data
    for name in ("attributes", "answers"):
        if isinstance(data.get(name), (dict, list)):
            container = data[name]
            break
    if isinstance(container, list):
        container = {row.get("key") or row.get("attribute"): row for row in container if isinstance(row, dict)}
    answers = _Answers()
    for key in hti1.KEYS:
        value = container.get(key)
        answer, na, reason = "", False, ""
        if isinstance(value, dict):
            answer = _first(value, "answer", "text", "value")
            na = bool(value.get("not_applicable") or value.get("na") or value.get("applicable") is False
                      or value.get("status") == "not_applicable")
            reason = _first(value, "reason", "na_reason", "not_applicable_reason")
        else:
            answer = _text(value)
        if data.get(f"{key}_status") == "not_applicable":
            na, reason, answer = True, answer, ""
        na = na or bool(data.get(f"{key}_na") or data.get(f"{key}_not_applicable"))
        reason = reason or _first(data, f"{key}_reason", f"{key}_na_reason")
        if na and not answer:
            answer = f"Not applicable: {reason}" if reason else ""  # no reason: not an answer
        answers[key] = answer
    return answers


def _count(row: Mapping[str, Any], name: str) -> int | None:
    """A whole count under `tp`, `TP` or `overall_tp` (an int, or a string of digits)."""
    for key in (name, name.upper(), f"overall_{name}"):
        value = row.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
    return None


def _matrix(row: Any):
    """A ConfusionMatrix from a row's TP/FP/FN/TN counts, or None without all four."""
    if not isinstance(row, Mapping):
        return None
    counts = [_count(row, name) for name in ("tp", "fp", "fn", "tn")]
    if any(c is None for c in counts):
        return None
    try:
        return ConfusionMatrix(*counts)
    except ValueError:
        return None


def _metric(label: str, proportion) -> Metric:
    if not proportion.defined:
        return Metric(label, proportion.numerator, proportion.denominator, None)
    low, high = proportion.interval
    return Metric(label, proportion.numerator, proportion.denominator, proportion.value, low, high)


_LABELS = {"sensitivity": "Sensitivity", "specificity": "Specificity", "ppv": "PPV (positive predictive value)",
           "npv": "NPV (negative predictive value)", "prevalence": "Prevalence"}


def overall_metrics(data: Mapping[str, Any]) -> tuple[Any, tuple[Metric, ...]]:
    matrix = _matrix(data.get("overall")) or _matrix(data)
    if matrix is None:
        return None, ()
    return matrix, tuple(_metric(_LABELS[p.key], p) for p in matrix.metrics())


def _humanise(code: str) -> str:
    """"age_band" → "Age band"; a label already in words ("Race/ethnicity") stays as it is."""
    return code.replace("_", " ").strip().capitalize() if "_" in code else code


def subgroup_rows(data: Mapping[str, Any], overall) -> tuple[Subgroup, ...]:
    rows = data.get("subgroups")
    if not isinstance(rows, list):
        rows = next((v for v in data.values() if isinstance(v, list) and v and _matrix(v[0]) is not None), [])
    found = []
    for row in rows:
        matrix = _matrix(row)
        if matrix is None:
            continue
        dimension = _humanise(_first(row, "dimension", "dimension_label"))
        value = _first(row, "value", "label", "subgroup", "group", "name")
        label = f"{dimension}: {value}" if dimension and value else dimension or value or "Subgroup"
        sensitivity = _metric("Sensitivity", matrix.sensitivity)
        gap = None
        if overall is not None and overall.sensitivity.defined and sensitivity.estimate is not None:
            gap = overall.sensitivity.value - sensitivity.estimate
        found.append(Subgroup(label, matrix.positives, matrix.n, sensitivity, gap,
                              justification=_first(row, "justification"), mitigation=_first(row, "mitigation")))
    return tuple(found)


def _pick(table: Table | None, keywords: Iterable[tuple[str, ...]]) -> Table | None:
    """The columns of table whose header holds one of each group of keywords, in that order;
    the whole table when fewer than two match."""
    if table is None:
        return None
    headers = [h.lower() for h in table.headers]
    chosen = []
    for words in keywords:
        index = next((i for i, h in enumerate(headers) if i not in chosen and any(w in h for w in words)), None)
        if index is not None:
            chosen.append(index)
    if len(chosen) < 2:
        return table
    return Table(table.title, tuple(table.headers[i] for i in chosen),
                 tuple(tuple(row[i] if i < len(row) else "" for i in chosen) for row in table.rows))


def _table_with(tables: list[Table], *words: str) -> Table | None:
    """The first table with a header holding one of words."""
    return next((t for t in tables if any(w in h.lower() for h in t.headers for w in words)), None)


def _bullets(table: Table | None) -> str:
    """A table as a Markdown list (CHAI text fields are Markdown): one row a line, "Header: value"."""
    if table is None or not table.rows:
        return ""
    lines = ["; ".join(f"{h}: {c}" for h, c in zip(table.headers, row) if _text(c)) for row in table.rows]
    return "\n".join(f"- {_text(line)}" for line in lines if line)


@dataclass(frozen=True)
class _Gate:
    """One source gate's answers, its definition and what its hooks say about them."""

    data: dict
    definition: GateDefinition | None
    ctx: EvaluationContext

    def _hook(self, name: str, default):
        """The definition's hook on the answers; `default` without either, or when the hook
        cannot read answers of another shape (a gate reads its own form's JSON)."""
        if not (self.definition and self.data):
            return default
        try:
            return getattr(self.definition, name)(self.data, self.ctx)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError, ArithmeticError):
            return default

    def tables(self) -> list[Table]:
        return list(self._hook("tables", []))

    def described(self, *words: str) -> str:
        """The gate's answers in its own plain words ("Label: answer" lines), those whose
        label holds one of words (all of them without words)."""
        rows = self._hook("describe", [])
        return "\n".join(f"{label}: {value}" for label, value in rows
                         if _text(value) and (not words or any(w in label.lower() for w in words)))

    def fact(self, name: str) -> Any:
        if self.definition is None or name not in self.definition.contributes:
            return None
        return self._hook("portfolio_facts", {}).get(name)


# --- building ------------------------------------------------------------------------------
def build_model_card(initiative, data: Mapping[str, dict], ctx: EvaluationContext, *, signature=None) -> ModelCard:
    """The card of `initiative` from its gates' saved answers (`{gate_key: data}`).

    `signature` is the final signature in force (approvals.services.current_signature), which
    gives the release stage and date. Raises SchemaUnavailable or ModelCardInvalid.
    """
    try:
        checklist = registry.checklist(initiative.checklist_version)
    except UnknownGate:
        checklist = None

    def gate(role: str) -> _Gate:
        definition = gate_in_role(checklist, role) if checklist is not None else None
        return _Gate(dict(data.get(definition.key) or {}) if definition else {}, definition, ctx)

    transparency, validation, failure = gate(CARD_ROLE), gate("validation"), gate("failure")
    monitoring, regulatory, inputs, phi = gate("monitoring"), gate("regulatory"), gate("inputs"), gate("phi")
    hti = hti1_answers(transparency.data)
    matrix, overall = overall_metrics(validation.data)
    subgroups = subgroup_rows(validation.data, matrix)
    failure_tables = failure.tables()
    modes = _table_with(failure_tables, "severity")
    edge_cases = [t for t in failure_tables if t is not modes]
    plan = _table_with(monitoring.tables(), "pause", "threshold")
    input_lines = tuple(
        f"{_text(row.get('name'))} — {_text(row.get('source_system'))}"
        + (f" ({_text(row.get('source_field'))})" if _text(row.get("source_field")) else "")
        for row in inputs.data.get("inputs") or [] if isinstance(row, dict) and _text(row.get("name"))
    )
    regulatory_text = _regulatory(regulatory)
    facts = CardFacts(
        name=initiative.title,
        summary=initiative.summary,
        intended_use=hti["intended_use"] or initiative.intended_use,
        intended_users=hti["intended_users"] or initiative.intended_users,
        population=hti["intended_population"] or NOT_STATED,
        out_of_scope=hti["cautioned_uses"] or NOT_STATED,
        known_risks=hti["known_risks"] or NOT_STATED,
        inputs=input_lines,
        overall=overall,
        overall_counts=(f"TP {matrix.tp} · FP {matrix.fp} · FN {matrix.fn} · TN {matrix.tn} (n = {matrix.n})"
                        if matrix is not None else ""),
        subgroups=subgroups,
        failure_modes=_pick(modes, [("failure mode", "mode"), ("harm",), ("severity",), ("risk",), ("detect",),
                                    ("fallback",)]),
        monitoring=_pick(plan, [("metric", "name"), ("cadence", "frequency"), ("expected",), ("pause", "threshold"),
                                ("owner",)]),
        monitoring_notes=monitoring.described("pause", "told", "fallback"),
        regulatory=regulatory_text,
        hti1_answered=sum(1 for v in hti.values() if v),
        hti1_total=len(hti1.KEYS),
    )
    root = _card_xml(initiative, facts, hti=hti, transparency_data=transparency.data, signature=signature,
                     validation=validation, failure=failure, monitoring=monitoring, modes=modes,
                     edge_cases=edge_cases, plan=plan, phi=phi, regulatory=regulatory, subgroups=subgroups,
                     overall=overall, matrix=matrix)
    validate(root)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return ModelCard(xml=xml, filename=filename_for(initiative), facts=facts)


def _regulatory(regulatory: _Gate) -> str:
    described = regulatory.described("guidance", "imdrf", "pathway", "predicate", "clearance", "adapts")
    status = regulatory.fact("regulatory_class")
    if status is None or status == "unclassified":
        headline = "Regulatory classification not completed"
    elif status == "non-device":
        headline = "Not a medical device: non-device clinical decision support under the four FDA CDS criteria"
    elif status == "device":
        headline = "Medical device software (IMDRF category not yet determined)"
    else:
        headline = f"Medical device software, IMDRF SaMD category {status}"
    return headline + (f"\n{described}" if described and status not in (None, "unclassified") else "")


def _release(initiative, signature) -> tuple[str, str]:
    if signature is not None and signature.meaning == "approved":
        return (f"Approved for local launch by the governance committee (healthpm): {signature.manifestation}",
                signature.signed_at.strftime("%Y-%m-%d"))
    if signature is not None:
        return f"Launch rejected by the governance committee (healthpm): {signature.manifestation}", NOT_STATED
    return f"Not approved for launch: under governance review ({initiative.get_status_display()})", NOT_STATED


def _card_xml(initiative, facts: CardFacts, *, hti, transparency_data, signature, validation, failure, monitoring,
              modes, edge_cases, plan, phi, regulatory, subgroups, overall, matrix) -> etree._Element:
    """The AppliedModelCard element, in the schema's order (see the mapping in each line)."""
    stage, released = _release(initiative, signature)
    design = validation.described("design", "study", "site", "period", "reference")
    bars = validation.described("bar")
    margin = _first(validation.data, "margin")
    justified = "\n".join(f"{s.label}: justification — {s.justification}; mitigation — {s.mitigation}"
                          for s in subgroups if s.justification or s.mitigation)
    worst = max((s for s in subgroups if s.gap is not None), key=lambda s: s.gap, default=None)
    subgroup_summary = (f"Largest subgroup sensitivity gap: {worst.label}, {worst.sensitivity.text} against "
                        f"{overall[0].text} overall ({worst.gap_text}).") if worst is not None else ""
    counts = (f"Computed by healthpm from the study's confusion matrix ({facts.overall_counts}); intervals are 95% "
              "Wilson score intervals.") if matrix is not None else ""
    modes_text = _bullets(modes)
    severe = failure.fact("open_severe_modes")
    pauses = monitoring.fact("pause_thresholds")
    safety_results = []
    if modes is not None:
        safety_results.append(("Failure modes in the register", {"kind": "single", "value": len(modes.rows)}))
    if severe is not None:
        safety_results.append(("Catastrophic or major failure modes without detection or mitigation",
                               {"kind": "single", "value": severe}))
    if pauses is not None:
        safety_results.append(("Monitored metrics with a pause threshold", {"kind": "single", "value": pauses}))

    card = _E("AppliedModelCard")
    basic = _sub(card, "BasicInfo")
    _leaf(basic, "ModelName", facts.name)  # initiative title
    _leaf(basic, "ModelDeveloper", hti["developer_contact"])  # HTI-1 (B)(1)(i)
    _leaf(basic, "DeveloperContact", hti["developer_contact"])  # HTI-1 (B)(1)(i)

    release = _sub(card, "ReleaseInfo")
    _leaf(release, "ReleaseStage", stage)  # initiative status + final signature
    _leaf(release, "ReleaseDate", released)  # date of the approving signature
    _leaf(release, "ReleaseVersion", _first(transparency_data, "model_version", "version"))
    _leaf(release, "GlobalAvailability", NOT_STATED)
    _leaf(release, "RegulatoryApproval", facts.regulatory)  # regulatory-classification gate

    summary = _sub(card, "ModelSummary")
    _leaf(summary, "Summary", initiative.summary)
    keywords = _sub(summary, "Keywords")
    for word in (initiative.get_clinical_area_display(), initiative.get_care_setting_display()):
        _leaf(keywords, "Keyword", word)

    uses = _sub(card, "UsesAndDirections")
    _leaf(uses, "IntendedUseAndWorkflow", facts.intended_use)  # (B)(2)(i), else the initiative's
    _leaf(uses, "PrimaryIntendedUsers", facts.intended_users)  # (B)(2)(iii), else the initiative's
    _leaf(uses, "HowToUse", _or_not_stated(
        hti["decision_role"] and f"Decision role: {hti['decision_role']}",  # (B)(2)(iv)
        validation.described("uncertain", "confidence", "low-confidence")))  # clinical validation
    _leaf(uses, "TargetedPatientPopulation", facts.population)  # (B)(2)(ii)
    _leaf(uses, "CautionedOutOfScopeSettings", facts.out_of_scope)  # (B)(3)(i)

    warnings = _sub(card, "Warnings")
    _leaf(warnings, "KnownRisksAndLimitations", _or_not_stated(
        hti["known_risks"], modes_text and f"Failure-mode register:\n{modes_text}"))  # (B)(3)(ii) + failure modes
    _leaf(warnings, "KnownBiasesOrEthicalConsiderations", _or_not_stated(
        hti["demographic_inputs"] and f"Demographic variables as inputs: {hti['demographic_inputs']}",  # (B)(4)(ii)
        subgroup_summary))
    _leaf(warnings, "ClinicalRiskLevel", _risk_level(regulatory, modes))

    trust = _sub(card, "TrustIngredients")
    system = _sub(trust, "AISystemFacts")
    _leaf(system, "OutcomesAndOutputs", _or_not_stated(hti["output_value"], hti["output_type"]))  # (B)(1)(iii–iv)
    _leaf(system, "ModelType", _first(transparency_data, "model_type"))
    _leaf(system, "InputDataSource", _or_not_stated(
        facts.inputs and "Inputs at prediction time (auditable-inputs inventory):\n"
        + "\n".join(f"- {line}" for line in facts.inputs)))
    _leaf(system, "OutputAndInputDataTypes", _or_not_stated(
        hti["output_type"] and f"Output: {hti['output_type']}",
        facts.inputs and "Inputs: " + ", ".join(line.split(" — ")[0] for line in facts.inputs)))
    _leaf(system, "DevelopmentDataCharacterization", _or_not_stated(
        hti["training_criteria"], hti["training_demographics"], hti["training_relevance"]))  # (B)(4)(i, iii, iv)
    _leaf(system, "BiasMitigationApproaches", _or_not_stated(
        hti["fairness_approach"], hti["bias_management"]))  # (B)(5)(i–ii)
    _leaf(system, "OngoingMaintenance", _or_not_stated(
        hti["validity_monitoring"], hti["fairness_monitoring"], hti["update_process"],  # (B)(8)(i, iii), (B)(9)(i)
        hti["correction_frequency"],  # (B)(9)(ii)
        plan is not None and plan.rows and f"Monitoring plan:\n{_bullets(plan)}" or "",
        facts.monitoring_notes))
    security = phi.described()
    if security:
        _leaf(system, "Security", security)  # BAA and PHI gate, in its words
    _leaf(system, "Transparency", f"The {hti1.CITATION} source attributes ({hti1.RULE}) were answered in the "
          f"governance record and treated as a transparency checklist: {facts.hti1_answered} of "
          f"{facts.hti1_total} answered.")

    info = _sub(trust, "TransparencyInformation")
    _leaf(info, "FundingSource", hti["funding_source"] or NOT_STATED)  # (B)(1)(ii)
    if hti["external_tester"]:
        _leaf(info, "ThirdPartyInformation", f"External testing by: {hti['external_tester']}")  # (B)(6)(ii)
    _leaf(info, "StakeholdersConsulted", NOT_STATED)

    metrics = _sub(card, "KeyMetrics")
    _key_metric(metrics, "UsefulnessUsabilityEfficacy",
                goal=_or_not_stated(bars and f"Quality bar decided before the results:\n{bars}"),
                results=[(m.label, m.value_json()) for m in overall],
                interpretation=_or_not_stated(counts, hti["internal_validity"], hti["external_validity"],
                                              hti["local_validity"]),  # (B)(7)(i, iii), (B)(8)(ii)
                test_type=design, data_description=_or_not_stated(hti["external_data_source"],  # (B)(6)(i)
                                                                  hti["external_demographics"]),  # (B)(6)(iii)
                process=hti["external_process"])  # (B)(6)(iv)
    _key_metric(metrics, "FairnessEquity",
                goal=_or_not_stated(margin and f"No subgroup's sensitivity should trail overall by more than "
                                               f"{margin}, the margin the committee set before the results."),
                results=[(f"Sensitivity — {s.label}", s.sensitivity.value_json()) for s in subgroups],
                interpretation=_or_not_stated(subgroup_summary, justified, hti["internal_fairness"],
                                              hti["external_fairness"],
                                              hti["local_fairness"]),  # (B)(7)(ii, iv), (B)(8)(iv)
                test_type=design,
                data_description=_or_not_stated(subgroups and "Subgroups: " + "; ".join(
                    f"{s.label} ({s.positives} positives of {s.n})" for s in subgroups)),
                process=hti["fairness_monitoring"])
    _key_metric(metrics, "SafetyReliability",
                goal=_or_not_stated(plan is not None and plan.rows and
                                    "Live metrics with the thresholds that pause the model:\n" + _bullets(plan) or ""),
                results=[(label, json.dumps(value, separators=(",", ":"))) for label, value in safety_results],
                interpretation=_or_not_stated(modes_text and f"Failure modes:\n{modes_text}"),
                test_type=_or_not_stated(modes is not None and "Failure-mode and harm review (severity × likelihood)"
                                         or ""),
                data_description=_or_not_stated(*(f"{t.title}:\n{_bullets(t)}" for t in edge_cases if t.rows)),
                process="")

    resources = _sub(card, "Resources")
    if hti["outcome_evaluations"]:
        _leaf(resources, "EvaluationReferences", hti["outcome_evaluations"])  # (B)(7)(v)
    _leaf(resources, "PeerReviewedPublications", NOT_STATED)
    _leaf(resources, "PatientConsentOrDisclosure", NOT_STATED)
    _leaf(card, "Bibliography", "")
    return card


def _risk_level(regulatory: _Gate, modes: Table | None) -> str:
    parts = []
    status = regulatory.fact("regulatory_class")
    if status and status not in ("non-device", "unclassified", "device"):
        parts.append(f"IMDRF SaMD category {status}")
    elif status == "non-device":
        parts.append("Non-device CDS (no IMDRF category)")
    if modes is not None and modes.rows:
        column = next((i for i, h in enumerate(modes.headers) if "severity" in h.lower()), None)
        if column is not None:
            order = ["catastrophic", "major", "moderate", "minor", "negligible"]
            found = {_text(row[column]).lower() for row in modes.rows if column < len(row)}
            worst = next((s for s in order if any(s in f for f in found)), None)
            if worst:
                parts.append(f"highest severity in the failure-mode register: {worst}")
    return "; ".join(parts) or NOT_STATED


def _key_metric(parent, name: str, *, goal: str, results: list[tuple[str, str]], interpretation: str,
                test_type: str, data_description: str, process: str) -> None:
    metric = _sub(parent, name)
    _leaf(metric, "MetricGoal", goal)
    box = _sub(metric, "Results")
    # The schema needs at least one result; with none recorded it says so rather than invent one.
    for label, value in results or [("No result recorded", "null")]:
        result = _sub(box, "MetricResult")
        _leaf(result, "Label", label)
        _leaf(result, "ValueJson", value)
    _leaf(metric, "Interpretation", interpretation)
    _leaf(metric, "TestType", test_type or NOT_STATED)
    _leaf(metric, "TestingDataDescription", data_description or NOT_STATED)
    _leaf(metric, "ValidationProcessAndJustification", process or NOT_STATED)


def _E(name: str) -> etree._Element:
    return etree.Element(f"{{{NS}}}{name}", nsmap={None: NS})


def _sub(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS}}}{name}")


def _leaf(parent: etree._Element, name: str, text: Any) -> etree._Element:
    """A text element; blank reads "Not stated" (the Bibliography, BibTeX, may stay empty)."""
    element = _sub(parent, name)
    element.text = _text(text) or ("" if name == "Bibliography" else NOT_STATED)
    return element


# --- validating ----------------------------------------------------------------------------
class _LocalImports(etree.Resolver):
    """Resolve the schema's one network import to our stub; refuse every other address."""

    def resolve(self, url, pubid, context):
        if url == _DSIG_URL:
            return self.resolve_filename(str(_DSIG_STUB), context)
        if url and "://" in url and not url.startswith("file:"):
            raise SchemaUnavailable(f"The CHAI schema asks for {url}, which healthpm does not fetch.")
        return None


@functools.cache
def _schema(path: str) -> etree.XMLSchema:
    if not Path(path).is_file():
        raise SchemaUnavailable(
            f"The CHAI Applied Model Card schema is missing at {path}: put CHAI's v0.2/schema.xsd there "
            "(coalition-for-health-ai/mc-schema; see healthpm/dossier/chai/README.md) or set HEALTHPM_CHAI_SCHEMA."
        )
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalImports())
    return etree.XMLSchema(etree.parse(path, parser))


def validate(root: etree._Element | bytes) -> None:
    """Raise ModelCardInvalid naming the first element the CHAI v0.2 schema refuses."""
    schema = _schema(str(schema_path()))
    if isinstance(root, bytes):
        root = etree.fromstring(root, etree.XMLParser(no_network=True, resolve_entities=False))
    if schema.validate(root):
        return
    entry = schema.error_log[0]
    raise ModelCardInvalid(f"The CHAI model card does not validate against {SCHEMA_VERSION}/schema.xsd at "
                           f"{_named_path(root, entry)}: {entry.message.replace('{' + NS + '}', '')}")


def _named_path(root: etree._Element, entry) -> str:
    """"AppliedModelCard/ReleaseInfo/ReleaseVersion" for the error's "/*/*[2]/*[2]"."""
    try:
        found = root.getroottree().xpath(entry.path) if entry.path else []
    except etree.XPathError:
        found = []
    if not found or not isinstance(found[0], etree._Element):
        return f"line {entry.line}"
    element = found[0]
    names = [etree.QName(e).localname for e in (*reversed(list(element.iterancestors())), element)]
    return "/".join(names)
