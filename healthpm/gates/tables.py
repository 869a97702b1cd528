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


def _labels(field: forms.ChoiceField) -> dict[str, str]:
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


def table_sheet(gate, table: RowTable, ctx: EvaluationContext) -> Sheet:
    """The saved rows of one of the gate's tables, with the table's column labels."""
    # The form as the page builds it, for the row form's fields and the choices it offers today
    # (reference data, the gate's evidence, active users), looked up once for the table.
    form = gate.definition.form_class(initial={}, gate=gate, context=ctx)
    row_form = form.formsets[table.key].empty_form
    fields = [(name, field) for name, field in row_form.fields.items()
              if name != "DELETE" and not field.widget.is_hidden]
    kinds = [_kind(field) for _, field in fields]
    labels = [_labels(field) if isinstance(field, forms.ChoiceField) else None for _, field in fields]
    columns = [Column(str(field.label or name.replace("_", " ").capitalize()), kind)
               for (name, field), kind in zip(fields, kinds)]
    rows = [[_cell(field, kind, choice_labels, row.get(name))
             for (name, field), kind, choice_labels in zip(fields, kinds, labels)]
            for row in gate.data.get(table.key) or [] if isinstance(row, dict)]
    return Sheet(table.title, columns, rows)
