"""What changed in a gate since its last decision: fields, table rows and evidence (issue 13).

A decision keeps the gate's data and the ids of its current evidence (`GateDecision.data_snapshot`,
`evidence_ids`). `gate_diff(...)` compares them with the gate now, so the reviewer of a
resubmission sees exactly what the team changed after a rejection.

`diff(...)` is pure: it takes the two answers, the evidence as plain `Piece`s and the gate's
`Schema` (field labels, tables and their row names, choice labels) and returns a `GateDiff`.
`schema_of(definition)` reads that schema from the gate's form; `gate_diff` puts them together.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class TableSchema:
    title: str
    noun: str
    name_field: str
    labels: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Schema:
    """Labels of the main form's fields, its choice labels, and its row tables by data key."""

    labels: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, str]] = field(default_factory=dict)
    tables: dict[str, TableSchema] = field(default_factory=dict)


@dataclass(frozen=True)
class Piece:
    """One piece of evidence as the diff needs it."""

    id: int
    item: str          # the checklist item's label
    name: str
    version: int
    supersedes_id: int | None
    current: bool      # neither superseded nor expired today
    superseded: bool


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    table: str     # the table's title
    noun: str      # "model input"
    kind: str      # added | removed | changed
    name: str      # the row's name
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class EvidenceChange:
    kind: str      # added | replaced | superseded | expired
    item: str
    name: str
    version: int
    old_version: int | None = None


@dataclass(frozen=True)
class GateDiff:
    fields: tuple[FieldChange, ...] = ()
    rows: tuple[RowChange, ...] = ()
    evidence: tuple[EvidenceChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields or self.rows or self.evidence)

    def summary(self) -> str:
        """"2 fields, 1 table row, 1 evidence added" — or "nothing changed"."""
        parts = []
        if self.fields:
            parts.append(_count(len(self.fields), "field"))
        if self.rows:
            parts.append(_count(len(self.rows), "table row"))
        for kind in ("added", "replaced", "superseded", "expired"):
            n = sum(1 for e in self.evidence if e.kind == kind)
            if n:
                parts.append(f"{n} evidence {kind}")
        return ", ".join(parts) if parts else "nothing changed"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def show(value: Any, choices: dict[str, str] | None = None) -> str:
    """A saved answer in words: choice labels, Yes/No, "—" for nothing, lists joined."""
    choices = choices or {}
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(show(v, choices) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show(v)}" for k, v in value.items())
    return choices.get(str(value), str(value))


def _label(key: str, labels: dict[str, str]) -> str:
    return labels.get(key) or key.replace("_", " ").capitalize()


def _row_name(row: dict, name_field: str) -> str:
    return str(row.get(name_field, "")).strip()


def _rows(table_key: str, old: list, new: list, table: TableSchema) -> list[RowChange]:
    """Rows matched by their name (the field two rows may not share): added, removed, changed."""
    before = {_row_name(r, table.name_field).lower(): r for r in old if isinstance(r, dict)}
    after = {_row_name(r, table.name_field).lower(): r for r in new if isinstance(r, dict)}
    changes = []
    for key, row in after.items():
        if key not in before:
            changes.append(RowChange(table.title, table.noun, "added", _row_name(row, table.name_field)))
        elif row != before[key]:
            fields = tuple(
                FieldChange(_label(f, table.labels), show(before[key].get(f), table.choices.get(f)),
                            show(row.get(f), table.choices.get(f)))
                for f in _ordered_keys(before[key], row, table.labels) if before[key].get(f) != row.get(f)
            )
            changes.append(RowChange(table.title, table.noun, "changed", _row_name(row, table.name_field), fields))
    for key, row in before.items():
        if key not in after:
            changes.append(RowChange(table.title, table.noun, "removed", _row_name(row, table.name_field)))
    return changes


def _ordered_keys(old: dict, new: dict, labels: dict[str, str]) -> list[str]:
    """The form's field order first, then any other key in the order first seen."""
    keys = [k for k in labels if k in old or k in new]
    for k in [*old, *new]:
        if k not in keys:
            keys.append(k)
    return keys


def diff(old_data: dict, new_data: dict, old_evidence_ids: list[int] | set[int], pieces: list[Piece],
         schema: Schema) -> GateDiff:
    """What changed from (old_data, the evidence then current) to (new_data, `pieces` now).

    1. Fields of the main form: each key whose value differs, old → new, with its label.
    2. Tables (`schema.tables`): rows matched by name, each added, removed or changed (with
       the changed fields of the row).
    3. Evidence: a piece current now that was not then is "added", or "replaced" when it
       supersedes one that was; a piece current then and not now, not already told as replaced,
       is "superseded" or "expired".
    """
    fields, rows = [], []
    for key in _ordered_keys(old_data, new_data, schema.labels):
        old, new = old_data.get(key), new_data.get(key)
        if old == new:
            continue
        if key in schema.tables:
            rows += _rows(key, old or [], new or [], schema.tables[key])
        else:
            choices = schema.choices.get(key)
            fields.append(FieldChange(_label(key, schema.labels), show(old, choices), show(new, choices)))

    then = set(old_evidence_ids)
    by_id = {p.id: p for p in pieces}
    evidence, told = [], set()
    for piece in sorted(pieces, key=lambda p: (p.item, p.id)):
        if piece.current and piece.id not in then:
            replaced = by_id.get(piece.supersedes_id) if piece.supersedes_id in then else None
            if replaced is not None:
                told.add(replaced.id)
                evidence.append(EvidenceChange("replaced", piece.item, piece.name, piece.version, replaced.version))
            else:
                evidence.append(EvidenceChange("added", piece.item, piece.name, piece.version))
    for piece in sorted(pieces, key=lambda p: (p.item, p.id)):
        if piece.id in then and not piece.current and piece.id not in told:
            kind = "superseded" if piece.superseded else "expired"
            evidence.append(EvidenceChange(kind, piece.item, piece.name, piece.version))
    return GateDiff(tuple(fields), tuple(rows), tuple(evidence))


# --- reading the schema from a gate, and the diff of a gate against its last decision ---------
def _choices_of(form_class) -> dict[str, dict[str, str]]:
    found = {}
    for name, f in form_class.base_fields.items():
        options = getattr(f, "choices", None)
        if options:
            found[name] = {str(value): str(label) for value, label in options if not isinstance(label, (list, tuple))}
    return found


def _labels_of(form_class) -> dict[str, str]:
    return {name: str(f.label or name.replace("_", " ").capitalize()) for name, f in form_class.base_fields.items()}


def schema_of(definition) -> Schema:
    """Labels, choices and tables of a gate's form (an evidence-only gate has none)."""
    form_class = definition.form_class
    if form_class is None:
        return Schema()
    main = form_class.main_form_class
    tables = {
        t.key: TableSchema(title=t.title, noun=t.noun, name_field=t.form_class.name_field,
                           labels=_labels_of(t.form_class), choices=_choices_of(t.form_class))
        for t in form_class.tables
    }
    return Schema(labels=_labels_of(main), choices=_choices_of(main), tables=tables)


def pieces_of(gate, today: date) -> list[Piece]:
    """The gate's evidence (prefetched) as Pieces, with its items' labels."""
    labels = {item.key: item.label for item in gate.definition.items}
    return [
        Piece(id=e.pk, item=labels.get(e.item_key, e.item_key), name=e.display_name, version=e.version,
              supersedes_id=e.supersedes_id, current=e.is_current(today), superseded=e.superseded_at is not None)
        for e in gate.evidence.all()
    ]


def gate_diff(gate, decision, today: date) -> GateDiff | None:
    """The gate now against what `decision` decided on; None when that decision kept no snapshot."""
    if decision is None or decision.data_snapshot is None or decision.evidence_ids is None:
        return None
    return diff(decision.data_snapshot, gate.data, decision.evidence_ids, pieces_of(gate, today),
                schema_of(gate.definition))
