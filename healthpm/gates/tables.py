"""A gate's row tables as spreadsheets (issue 14 item 5).

The tables are the `RowTable`s the gate's form declares (model inputs, vendors, subgroups…):
this module loops over them and never names a gate. A sheet has one column per field of the
table's row form, headed by the field's label as the page shows it, and one row per saved
row, each value typed by its field: dates as dates, whole numbers and decimals as numbers,
choices and yes/no as their labels (the choices the form offers today, so a source system or
an owner reads as its name), anything else as text.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from healthpm.core.xlsx import Column, Kind, Sheet

from .definitions.base import EvaluationContext, GateDefinition
from .definitions.forms_base import RowTable, iso_date


def declared_tables(definition: GateDefinition) -> tuple[RowTable, ...]:
    form_class = definition.form_class
    return tuple(form_class.tables) if form_class is not None else ()


def _kind(field: forms.Field) -> Kind:
    if isinstance(field, forms.ChoiceField):  # a TypedChoiceField may coerce to numbers: still its labels
        return Kind.TEXT
    if isinstance(field, forms.DateField):
        return Kind.DATE
    if isinstance(field, (forms.DecimalField, forms.FloatField)):  # both subclass IntegerField: asked first
        return Kind.NUMBER
    if isinstance(field, forms.IntegerField):
        return Kind.INTEGER
    return Kind.TEXT


def choice_labels(field: forms.ChoiceField) -> dict[str, str]:
    """Code → label of every choice, option groups flattened; codes as text (JSON keeps True, "3", 3)."""
    labels = {}
    for code, label in field.choices:
        if isinstance(label, (list, tuple)):
            labels.update({str(c): str(text) for c, text in label})
        else:
            labels[str(code)] = str(label)
    return labels


def _number(value: Any, kind: Kind) -> Any:
    try:
        if kind == Kind.INTEGER:
            return int(value)
        return value if isinstance(value, float) else Decimal(str(value))
    except (TypeError, ValueError, InvalidOperation):
        return str(value)  # not what the form stores today: shown as it was saved


def _cell(field: forms.Field, kind: Kind, labels: dict[str, str] | None, value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if labels is not None:
        values = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if isinstance(field, forms.BooleanField):
        return "Yes" if value else "No"
    if kind == Kind.DATE:
        return iso_date(value) or str(value)
    if kind in (Kind.INTEGER, Kind.NUMBER):
        return _number(value, kind)
    return str(value)


def table_fields(gate, table: RowTable, ctx: EvaluationContext, *, form=None) -> list[tuple[str, forms.Field]]:
    """The columns of a table, in the page's order: its row form's visible fields, with the
    choices the form offers today (reference data, the gate's evidence, active users), looked up
    once for the table. The export writes them and the import reads them back."""
    form = form or gate.definition.form_class(initial={}, gate=gate, context=ctx)
    row_form = form.row_form(table)
    return [(name, field) for name, field in row_form.fields.items()
            if name != "DELETE" and not field.widget.is_hidden]


def column_label(name: str, field: forms.Field) -> str:
    return str(field.label or name.replace("_", " ").capitalize())


def table_sheet(gate, table: RowTable, ctx: EvaluationContext, *, with_rows: bool = True) -> Sheet:
    """The saved rows of one of the gate's tables, with the table's column labels (`with_rows`
    False: the header row only, the template of an import)."""
    fields = table_fields(gate, table, ctx)
    kinds = [_kind(field) for _, field in fields]
    labels = [choice_labels(field) if isinstance(field, forms.ChoiceField) else None for _, field in fields]
    columns = [Column(column_label(name, field), kind) for (name, field), kind in zip(fields, kinds)]
    saved = (gate.data.get(table.key) or []) if with_rows else []
    rows = [[_cell(field, kind, choices, row.get(name))
             for (name, field), kind, choices in zip(fields, kinds, labels)]
            for row in saved if isinstance(row, dict)]
    return Sheet(table.title, columns, rows)
