"""What changed since the last decision (healthpm.gates.diff), on hand-made snapshots, and
through the services: a rejection keeps what it decided on, the resubmission is compared to it."""

from healthpm.gates.diff import Piece, Schema, TableSchema, diff, gate_diff, show
from healthpm.gates.models import GateDecision
from healthpm.gates.services import gate_save_data
from tests.factories import InitiativeFactory, add_link, context, fresh, rejected_gate

SCHEMA = Schema(
    labels={"alerts_per_day": "Alerts per day", "ppv": "Precision (PPV)", "role": "Responder role"},
    choices={"role": {"rn": "Registered nurse", "md": "Physician"}},
    tables={"inputs": TableSchema(title="Input inventory", noun="model input", name_field="name",
                                  labels={"name": "Input", "source_system": "Source system",
                                          "timestamped": "Timestamped at source"})},
)
OLD = {
    "alerts_per_day": 40, "ppv": 0.25, "role": "rn",
    "inputs": [
        {"name": "lactate_last_6h", "source_system": "LIS", "timestamped": True},
        {"name": "zip_code", "source_system": "EHR", "timestamped": True},
    ],
}


def _piece(pk, item="Lineage", *, version=1, supersedes=None, current=True, superseded=False, name=None):
    return Piece(id=pk, item=item, name=name or f"doc{pk}.pdf", version=version, supersedes_id=supersedes,
                 current=current, superseded=superseded)


def test_nothing_changed_is_said_so():
    result = diff(OLD, dict(OLD), [1], [_piece(1)], SCHEMA)

    assert not result and result.summary() == "nothing changed"


def test_changed_fields_show_label_old_and_new_in_words():
    new = {**OLD, "alerts_per_day": 32, "role": "md"}

    result = diff(OLD, new, [], [], SCHEMA)

    assert [(c.label, c.old, c.new) for c in result.fields] == [
        ("Alerts per day", "40", "32"), ("Responder role", "Registered nurse", "Physician")]
    assert result.summary() == "2 fields"


def test_a_field_the_form_does_not_label_gets_a_readable_name():
    result = diff({}, {"officer_note": "ok"}, [], [], SCHEMA)

    assert [(c.label, c.old, c.new) for c in result.fields] == [("Officer note", "—", "ok")]


def test_table_rows_are_matched_by_name_added_removed_and_changed():
    new = {**OLD, "inputs": [
        {"name": "Lactate_last_6h", "source_system": "LIS", "timestamped": False},  # changed (name case ignored)
        {"name": "heart_rate", "source_system": "EHR", "timestamped": True},        # added
    ]}                                                                              # zip_code removed

    result = diff(OLD, new, [], [], SCHEMA)

    assert [(r.kind, r.name) for r in result.rows] == [
        ("changed", "Lactate_last_6h"), ("added", "heart_rate"), ("removed", "zip_code")]
    changed = result.rows[0]
    assert changed.table == "Input inventory" and changed.noun == "model input"
    assert [(c.label, c.old, c.new) for c in changed.changes] == [
        ("Input", "lactate_last_6h", "Lactate_last_6h"), ("Timestamped at source", "Yes", "No")]
    assert result.summary() == "3 table rows"


def test_evidence_added_replaced_superseded_and_expired():
    pieces = [
        _piece(1, superseded=True, current=False),              # v1, replaced by 4
        _piece(2, item="Study", superseded=True, current=False),  # superseded, its successor came before
        _piece(3, item="BAA", current=False),                   # expired since the decision
        _piece(4, version=2, supersedes=1),                     # replaces 1
        _piece(5, item="Memo"),                                 # new
        _piece(6, item="Study", version=2, supersedes=2),       # current then and now: unchanged
    ]
    # Then current: 1, 3 and 6 (2 had already been replaced by 6 before the decision).
    result = diff({}, {}, [1, 3, 6], pieces, SCHEMA)

    assert [(e.kind, e.item, e.version, e.old_version) for e in result.evidence] == [
        ("replaced", "Lineage", 2, 1), ("added", "Memo", 1, None), ("expired", "BAA", 1, None)]
    assert result.summary() == "1 evidence added, 1 evidence replaced, 1 evidence expired"


def test_a_superseded_piece_without_a_current_successor_is_told_superseded():
    pieces = [_piece(1, superseded=True, current=False), _piece(2, version=2, supersedes=1, current=False)]

    result = diff({}, {}, [1], pieces, SCHEMA)

    assert [(e.kind, e.name) for e in result.evidence] == [("superseded", "doc1.pdf")]


def test_the_summary_counts_fields_rows_and_evidence_together():
    new = {**OLD, "ppv": 0.3, "alerts_per_day": 30, "inputs": OLD["inputs"][:1]}

    result = diff(OLD, new, [], [_piece(9)], SCHEMA)

    assert result.summary() == "2 fields, 1 table row, 1 evidence added"


def test_show_reads_values_as_words():
    assert [show(None), show(""), show([]), show(True), show(False), show(["a", "b"]), show("rn", {"rn": "Nurse"})] == [
        "—", "—", "—", "Yes", "No", "a, b", "Nurse"]


# --- through the services ----------------------------------------------------------------------
def test_a_rejection_keeps_what_it_decided_on(pm, compliance):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)

    rejection = gate.decisions.get()

    assert rejection.decision == GateDecision.Decision.REJECTED
    assert rejection.data_snapshot == gate.data
    assert rejection.evidence_ids == [e.pk for e in gate.evidence.all()]


def test_the_resubmission_is_compared_with_the_rejected_version(pm, compliance):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    rows = [dict(gate.data["inputs"][0], timestamped=True, notes="Lab timestamp, not the draw time"),
            dict(gate.data["inputs"][0], name="heart_rate", source_system="EHR")]
    gate_save_data(gate=gate, by=pm, data={**gate.data, "inputs": rows})
    add_link(fresh(gate), pm, "data-dictionary", replaces=gate.evidence.get())

    gate = fresh(gate)
    result = gate_diff(gate, gate.rejection_to_answer(), context().today)

    assert [(r.kind, r.name) for r in result.rows] == [("changed", "lactate_last_6h"), ("added", "heart_rate")]
    assert [(c.label, c.new) for c in result.rows[0].changes] == [("Notes", "Lab timestamp, not the draw time")]
    assert [(e.kind, e.item, e.version, e.old_version) for e in result.evidence] == [
        ("replaced", "Data dictionary or lineage document", 2, 1)]
    assert result.summary() == "2 table rows, 1 evidence replaced"


def test_a_decision_recorded_before_snapshots_were_kept_has_no_diff(pm, compliance):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    GateDecision.objects.filter(gate=gate).update(data_snapshot=None, evidence_ids=None)
    gate = fresh(gate)

    assert gate_diff(gate, gate.rejection_to_answer(), context().today) is None
