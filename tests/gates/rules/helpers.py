"""Helpers for the gate-rule tests: gate data variants, POST bodies and approving a gate.

Factories and personas come from tests/factories.py and tests/conftest.py; this module only
adds what the structured-content tests need on top.
"""

import importlib
from datetime import date, timedelta

from django.utils import timezone

from healthpm.gates import registry
from healthpm.gates.context import evaluation_context, thresholds
from healthpm.gates.definitions.base import EvaluationContext
from healthpm.gates.models import Gate, GateDecision, split_terms
from healthpm.gates.services import Upload, evidence_add, gate_decide, gate_save_data, gate_submit
from tests.factories import fresh, pdf_bytes, valid_data

_reference_data = importlib.import_module("healthpm.gates.migrations.0002_reference_data")
_dimensions = importlib.import_module("healthpm.gates.migrations.0004_subgroup_dimension")


def ctx(today: date | None = None) -> EvaluationContext:
    """A context without the database: the reference data the migration seeds, the thresholds
    as the settings have them now (tests change them with the `settings` fixture)."""
    return EvaluationContext(
        today=today or timezone.localdate(),
        sources={name: True for name, _ in _reference_data.SOURCE_SYSTEMS},
        proxies=tuple((label, tuple(split_terms(terms))) for label, terms in _reference_data.PROXIES),
        subgroup_dimensions=dict(_dimensions.DIMENSIONS),
        thresholds=thresholds(),
    )


# The row tables' keys of gates whose form has any (GateForm.tables), from the registry.
ROWS_KEYS = {d.key: [table.key for table in d.form_class.tables] for d in registry.all_gates()
             if d.form_class is not None and d.form_class.tables}


def data(key: str, **changes) -> dict:
    """valid_data(key) with some answers changed."""
    return {**valid_data(key), **changes}


def input_row(name: str = "lactate_last_6h", **changes) -> dict:
    row = dict(valid_data("auditable-inputs")["inputs"][0])
    row["name"] = name
    row.update(changes)
    return row


def vendor_row(name: str = "Acme Transcribe", **changes) -> dict:
    row = {"name": name, "service": "model_api", "touches_phi": True, "baa_evidence": "1",
           "baa_effective": "2025-01-01", "baa_expiry": "2027-12-31"}
    row.update(changes)
    return row


# --- POST bodies --------------------------------------------------------------------------
def _encode(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return str(value)


def management(prefix: str, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def post_body(key: str, answers: dict, *, initial: dict | None = None) -> dict:
    """A form POST for these answers: main fields under "gate-", the rows of each table under
    its formset prefix with a management form saying `initial[table]` rows were saved."""
    tables = ROWS_KEYS.get(key, [])
    initial = initial or {}
    body = {f"gate-{name}": _encode(value) for name, value in answers.items() if name not in tables}
    for table in tables:
        rows = answers.get(table) or []
        body.update(management(table, len(rows), initial.get(table, 0)))
        for number, row in enumerate(rows):
            body.update({f"{table}-{number}-{name}": _encode(value) for name, value in row.items()})
    return body


def page_post(gate: Gate, answers: dict) -> dict:
    """What the gate page's form sends: the page numbers the saved rows first (INITIAL_FORMS
    is their count) and never drops one; a saved row the user removes is ticked for deletion."""
    tables = ROWS_KEYS.get(gate.key, [])
    answers, saved, removed = dict(answers), {}, {}
    for table in tables:
        saved_rows = list(gate.data.get(table) or [])
        rows = list(answers.get(table) or [])
        saved[table] = len(saved_rows)
        removed[table] = range(len(rows), max(len(rows), len(saved_rows)))
        answers[table] = rows + saved_rows[len(rows):]
    body = post_body(gate.key, answers, initial=saved)
    for table in tables:
        for number in removed[table]:
            body[f"{table}-{number}-DELETE"] = "on"
    return body


def row_post(table_key: str, row: dict, *, prefix: str = "add") -> dict:
    """What a paged table's add (or edit) form posts for one row (tests/gates/test_paged_table.py)."""
    return {f"{prefix}-{table_key}-{name}": _encode(value) for name, value in row.items()}


def paged_rows(gate: Gate, answers: dict) -> dict:
    """The rows of the gate's paged tables in `answers`, each through its row form as the page's
    add form posts it: {table key: [cleaned rows]} (an invalid row raises AssertionError)."""
    from django.http import QueryDict

    form_class = gate.definition.form_class
    form = form_class(initial={}, gate=gate, context=evaluation_context())
    cleaned = {}
    for table in (t for t in form_class.tables if t.paged):
        for row in answers.get(table.key) or []:
            body = QueryDict(mutable=True)
            for name, value in row_post(table.key, row).items():
                body.setlist(name, value) if isinstance(value, list) else body.__setitem__(name, value)
            row_form = form.row_form(table, body, prefix=f"add-{table.key}")
            assert row_form.is_valid(), row_form.errors
            cleaned.setdefault(table.key, []).append(row_form.to_data())
    return cleaned


def form_for(gate: Gate, answers: dict):
    """The gate's structured form, bound to what the gate page would POST for these answers."""
    from django.http import QueryDict

    body = QueryDict(mutable=True)
    for name, value in page_post(gate, answers).items():
        if isinstance(value, list):
            body.setlist(name, value)
        else:
            body[name] = value
    return gate.definition.form_class(body, initial=gate.data, gate=gate, context=evaluation_context())


def preview_url(gate: Gate) -> str:
    return gate.get_absolute_url() + "preview/"


# --- evidence and approval ------------------------------------------------------------------
def add_pdf(gate: Gate, by, item_key: str, *, effective: date | None = None, expiry: date | None = None):
    return evidence_add(
        gate=gate, by=by, item_key=item_key, upload=Upload(name=f"{item_key}.pdf", data=pdf_bytes()),
        effective_date=effective or timezone.localdate() - timedelta(days=5), expiry_date=expiry,
    )


def evidence_files(gate: Gate, by) -> Gate:
    """Upload a PDF for every required file item of the gate (as its data now stands)."""
    gate = fresh(gate)
    for item in gate.definition.required_items(gate.data):
        if not item.structured:
            add_pdf(gate, by, item.key)
    return fresh(gate)


def approve(gate: Gate, pm, officer, answers: dict | None = None) -> Gate:
    """Save the answers, evidence every file item with a PDF, submit and approve."""
    gate_save_data(gate=gate, by=pm, data=answers if answers is not None else valid_data(gate.key))
    gate = evidence_files(gate, pm)
    gate_submit(gate=gate, by=pm)
    gate_decide(gate=fresh(gate), by=officer, decision=GateDecision.Decision.APPROVED)
    return fresh(gate)
