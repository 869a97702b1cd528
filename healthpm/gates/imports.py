"""A spreadsheet imported into one of a gate's tables (issue 14 item 1): read, checked, compared.

Any `RowTable` a gate's form declares can be imported; nothing here names a gate. The columns
are the ones the table's XLSX export writes (gates/tables.py: the row form's visible fields,
headed by their labels), so export → edit → import round-trips: a column is matched by its
label or its field name, and a choice or yes/no cell may hold the label the export wrote or
the code. Every row is validated by the table's own row form, bound with the kwargs the gate
page uses (the approved source systems, the gate's BAA files), and a problem names the row
number the spreadsheet shows and the column. A row whose key (the row form's `name_field`)
matches a saved row is that row: a column the file leaves out keeps the saved value.

Nothing here writes: `prepare_import` gives the cleaned rows and the problems; the preview
shows them with `preview_diff`, and `services.gate_import_table` applies them.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.utils.datastructures import MultiValueDict

from healthpm.lib.hashing import digest
from healthpm.lib.spreadsheet import Column, Refused, RowDiff, diff_rows, read_table

from .definitions.base import EvaluationContext
from .definitions.forms_base import RowTable
from .tables import choice_labels, column_label, table_fields


@dataclass
class Prepared:
    rows: list[dict]  # {"key": the row's name, "row": cleaned, JSON-safe}, in the file's order (rows without problems)
    problems: list[str]
    ignored_headers: list[str] = field(default_factory=list)
    read: int = 0  # rows the file holds


def printable(text: str, limit: int = 2000) -> str:
    """Text from the file as a message may quote it: a control character or a lone surrogate (which
    neither a page nor the database can hold) shown as �, and long text cut."""
    text = "".join(ch if ch.isprintable() or ch == " " else "�" for ch in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def key_of(value: Any) -> str:
    return str(value or "").strip().casefold()


def _choice_value(field: forms.ChoiceField, text: str, labels: dict[str, str]) -> str:
    """The code of a choice given by its label or its code (ignoring case), else the text as given."""
    wanted = text.strip().casefold()
    for code, label in labels.items():
        if wanted in (label.casefold(), code.casefold()) and code != "":
            return code
    return text


def _form_value(field: forms.Field, text: str) -> Any:
    """A cell's text as the row form expects it posted."""
    if isinstance(field, forms.MultipleChoiceField):
        labels = choice_labels(field)
        whole = _choice_value(field, text, labels)
        if whole != text or not text:
            return [whole] if text else []
        return [_choice_value(field, part, labels) for part in text.split(",") if part.strip()]
    if isinstance(field, forms.ChoiceField):
        return _choice_value(field, text, choice_labels(field)) if text else ""
    if isinstance(field, forms.BooleanField):
        return "on" if text.strip().casefold() in ("yes", "y", "true", "1", "x") else ""
    return text


def _saved_value(field: forms.Field, value: Any) -> Any:
    """A saved (JSON) value as the row form expects it posted: a column the file leaves out."""
    if value is None:
        return [] if isinstance(field, forms.MultipleChoiceField) else ""
    if isinstance(field, forms.MultipleChoiceField):
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    if isinstance(field, forms.BooleanField):
        return "on" if value else ""
    return str(value)


def _problem_text(row_form: forms.Form, name: str, error: forms.ValidationError, posted: Any) -> str:
    if error.code == "invalid_choice" and name in row_form.fields:
        field = row_form.fields[name]
        offered = [label for code, label in choice_labels(field).items() if code != ""]
        given = printable(", ".join(posted) if isinstance(posted, list) else posted, 120)
        listed = ", ".join(f"“{o}”" for o in offered[:12]) + (", …" if len(offered) > 12 else "")
        return (f"“{given}” is not one of the choices for {column_label(name, field)}"
                + (f"; choose one of {listed}." if offered else "; there is nothing to choose from yet."))
    if error.code == "required":
        return "empty; this column is required, fill it in."
    return " ".join(str(m) for m in error.messages)


def import_columns(fields) -> list[Column]:
    return [Column(name, column_label(name, f), required=f.required) for name, f in fields]


def _bind(table: RowTable, gate, ctx: EvaluationContext, kwargs: dict, values: dict[str, str],
          existing: dict | None) -> tuple[forms.Form, MultiValueDict]:
    """The table's row form bound to a row of the file; a column the file leaves out takes the
    saved row's value (`existing`), whose choices the form also keeps (as on the gate page)."""
    posted = MultiValueDict()
    row_form = table.form_class(posted, initial=existing or {}, gate=gate, context=ctx, **kwargs)
    for name, f in row_form.fields.items():
        if name == "DELETE":
            continue
        if name in values:
            value = _form_value(f, values[name])
        elif existing is not None:
            value = _saved_value(f, existing.get(name))
        else:
            continue
        if isinstance(value, list):
            posted.setlist(name, value)
        else:
            posted[name] = value
    return row_form, posted


def _row_key(row_form: forms.Form, key_field: str, values: dict[str, str]) -> str:
    """A row's name: the row form's `name_field`, as cleaned (some forms compute it, e.g. a
    subgroup's "Age band 75+" from two columns), else as the file gives it."""
    cleaned = getattr(row_form, "cleaned_data", None) or {}
    return str(cleaned.get(key_field) or values.get(key_field) or "").strip()


def saved_rows_with_keys(gate, table: RowTable, ctx: EvaluationContext, kwargs: dict) -> list[tuple[str, dict]]:
    """The table's saved rows, each with its name (computed by the row form when it is not stored)."""
    key_field = table.form_class.name_field
    keyed = []
    for row in gate.data.get(table.key) or []:
        if not isinstance(row, dict):
            continue
        if key_field in row:
            keyed.append((str(row[key_field] or "").strip(), row))
            continue
        row_form, _ = _bind(table, gate, ctx, kwargs, {}, row)
        row_form.is_valid()
        keyed.append((_row_key(row_form, key_field, {}), row))
    return keyed


def _same_number(field: forms.Field, old: Any, new: Any) -> bool:
    """0.10 saved and 0.1 read back are the same number: the import keeps the saved spelling."""
    if not isinstance(field, (forms.DecimalField, forms.FloatField)) or old in (None, "") or new in (None, ""):
        return False
    try:
        return Decimal(str(old)) == Decimal(str(new))
    except (InvalidOperation, ValueError):
        return False


def prepare_import(gate, table: RowTable, data: bytes, filename: str, ctx: EvaluationContext) -> Prepared:
    """Read the file and check every row with the table's row form. Raises Refused for a file
    that cannot be read at all (spreadsheet.read_table) or holds more rows than the table may."""
    form_class = gate.definition.form_class
    gate_form = form_class(initial={}, gate=gate, context=ctx)
    fields = table_fields(gate, table, ctx, form=gate_form)
    sheet = read_table(data, filename, import_columns(fields), max_rows=settings.HEALTHPM_IMPORT_MAX_ROWS)
    limit = form_class.max_rows
    if not table.paged and len(sheet.rows) > limit:  # a paged table takes what the import limit lets in
        raise Refused(f"The file has {len(sheet.rows):,} {table.noun}s; the “{table.title}” table takes at most "
                      f"{limit:,}. Import at most {limit:,} rows.")
    key_field = table.form_class.name_field
    kwargs = gate_form.row_kwargs
    saved = {key_of(key): row for key, row in saved_rows_with_keys(gate, table, ctx, kwargs)}
    computed = key_field not in dict(fields)  # the name is computed by the row form from other columns
    problems: list[tuple[int, str]] = []  # (first row it names, text): listed in the file's order
    read: list[tuple[int, str, dict | None]] = []  # (row number, key, cleaned row or None)
    for row in sheet.rows:
        existing = None if computed else saved.get(key_of(row.values.get(key_field)))
        row_form, posted = _bind(table, gate, ctx, kwargs, row.values, existing)
        if computed:
            row_form.is_valid()
            existing = saved.get(key_of(_row_key(row_form, key_field, row.values)))
            if existing is not None:
                row_form, posted = _bind(table, gate, ctx, kwargs, row.values, existing)
        if row_form.is_valid():
            cleaned = row_form.to_data()
            if existing is not None:
                for name, f in row_form.fields.items():
                    if name in cleaned and _same_number(f, existing.get(name), cleaned[name]):
                        cleaned[name] = existing[name]
            read.append((row.number, _row_key(row_form, key_field, row.values), cleaned))
            continue
        read.append((row.number, _row_key(row_form, key_field, row.values), None))
        for name, errors in row_form.errors.as_data().items():
            where = (f"column {name} ({column_label(name, row_form.fields[name])})" if name in row_form.fields
                     else "")
            raw = posted.getlist(name) if isinstance(row_form.fields.get(name), forms.MultipleChoiceField) \
                else row.values.get(name, posted.get(name, ""))
            for error in errors:
                text = _problem_text(row_form, name, error, raw)
                problems.append((row.number, f"Row {row.number}, {where}: {text}" if where
                                 else f"Row {row.number}: {text}"))
    numbers_of: dict[str, list[int]] = {}
    for number, key, _ in read:
        if key:
            numbers_of.setdefault(key_of(key), []).append(number)
    duplicated = set()
    for key, numbers in numbers_of.items():
        if len(numbers) < 2:
            continue
        duplicated.update(numbers)
        shown = printable(next(k for n, k, _ in read if n == numbers[0]), 120)
        listed = ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"
        column = (f"column {key_field} ({column_label(key_field, dict(fields)[key_field])})" if not computed
                  else "columns " + ", ".join(name for name, _ in fields[:2]))
        problems.append((numbers[0], f"Rows {listed}, {column}: “{shown}” appears more than once. Each "
                                     f"{table.noun} must appear once: merge the rows or rename one."))
    if not sheet.rows and table.min_rows:
        problems.append((0, f"The file has no {table.noun}s under its header row: the table needs at least "
                            f"{table.min_rows}."))
    problems.sort(key=lambda problem: problem[0])
    return Prepared(rows=[{"key": key, "row": cleaned} for number, key, cleaned in read
                          if cleaned is not None and number not in duplicated],
                    problems=[printable(text) for _, text in problems],
                    ignored_headers=[printable(h, 120) for h in sheet.ignored_headers],
                    read=len(sheet.rows))


def reading_digest(gate, table: RowTable, ctx: EvaluationContext) -> str:
    """What reading a file into the table depends on besides the file and the saved rows: the
    choices its row form offers (reference data, the gate's evidence, active users) and the day."""
    fields = table_fields(gate, table, ctx)
    return digest({"today": ctx.today.isoformat(),
                   "choices": [[name, sorted(choice_labels(field).items())] for name, field in fields
                               if isinstance(field, forms.ChoiceField)]})


def display(field: forms.Field | None, value: Any) -> str:
    """A saved value as the page shows it: a choice's label, Yes/No, “(empty)”."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(field, forms.ChoiceField):
        labels = choice_labels(field)
        values = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


@dataclass
class Change:
    key: str
    fields: list[tuple[str, str, str, str]]  # (field name, label, old, new)


KEY = "\x00key"  # the row's name beside its fields, for the comparison only


def preview_diff(gate, table: RowTable, keyed_rows: list[dict], ctx: EvaluationContext
                 ) -> tuple[RowDiff, list[Change]]:
    """The imported rows ({"key", "row"} as `prepare_import` gives them) against the saved ones,
    with each change in the page's words."""
    gate_form = gate.definition.form_class(initial={}, gate=gate, context=ctx)
    fields = table_fields(gate, table, ctx, form=gate_form)
    saved = [{**row, KEY: key} for key, row in saved_rows_with_keys(gate, table, ctx, gate_form.row_kwargs)]
    rows = [{**item["row"], KEY: item["key"]} for item in keyed_rows]
    names = list(dict.fromkeys([name for name, _ in fields] + [n for row in rows for n in row if n != KEY]))
    diff = diff_rows(saved, rows, key=KEY, fields=names)
    by_name = dict(fields)
    changes = [Change(key, [(name, column_label(name, by_name[name]) if name in by_name else name,
                             display(by_name.get(name), old), display(by_name.get(name), new))
                            for name, (old, new) in changed.items()])
               for key, changed in diff.changed]
    return diff, changes
