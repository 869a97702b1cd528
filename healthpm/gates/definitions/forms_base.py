"""Building blocks for a gate's structured form: a main form plus, for table-like facts
(model inputs, vendors, subgroups), formsets of rows declared as `RowTable`s. Gate modules subclass these; the gate view
only knows `GateForm(data, initial=..., gate=..., context=...)`, `is_valid()` and `to_data()`.
Forms see the request's `EvaluationContext` (today, approved sources) like the rules do."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.forms import BaseFormSet, formset_factory

from healthpm.core.forms import PlainTextForm


class DateInput(forms.DateInput):
    input_type = "date"


def json_safe(value: Any) -> Any:
    """Form values as JSON: dates as ISO strings, decimals as strings, the rest unchanged."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def iso_date(value: Any) -> date | None:
    """The inverse of json_safe for a date: an ISO string back to a date, None when empty or not one."""
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


# The empty first choice: a claim (a drill passed, a vendor's service, yes or no) is never
# preselected, so an answer on the page is always one someone gave.
CHOOSE = ("", "— choose —")
YES_NO = [CHOOSE, (True, "Yes"), (False, "No")]


def with_choose(choices) -> list:
    """The choices after an empty "— choose —" (a required field then refuses the empty one)."""
    return [CHOOSE, *choices]


def not_a_claim(field: forms.Field, why: str) -> forms.Field:
    """Mark a choice whose initial value states no fact (tests/gates/test_no_preselection.py
    lets it keep its initial). `why` says what makes it harmless."""
    field.not_a_claim = why
    return field


def source_floor_error(text: str) -> str | None:
    """Why a "where does this number come from" answer is too short to find the source, or None.

    The floors are settings (HEALTHPM_MIN_SOURCE_WORDS, HEALTHPM_MIN_SOURCE_CHARS): a source a
    reviewer can look up names what, where and when ("silent-mode run, 4 wards, Q1 2026").
    """
    words, chars = settings.HEALTHPM_MIN_SOURCE_WORDS, settings.HEALTHPM_MIN_SOURCE_CHARS
    text = " ".join(str(text or "").split())
    if len(text.split()) < words or len(text) < chars:
        given = f"{len(text)} character{'' if len(text) == 1 else 's'}"
        return (f"Too short to find the source ({given}): say in at least {words} words and "
                f"{chars} characters what was measured, where and when, e.g. “90-day silent-mode run on 4 "
                "medical wards, Jan–Mar 2026”.")
    return None


def yes_no_field(label: str, help_text: str = "", required: bool = True) -> forms.TypedChoiceField:
    """A yes/no question that must be answered explicitly (no silent default)."""
    return forms.TypedChoiceField(required=required, empty_value=None,
        label=label, choices=YES_NO, coerce=lambda v: v in (True, "True", "true", "1"),
        widget=forms.Select, help_text=help_text,
    )


class DataForm(PlainTextForm, forms.Form):
    """A form whose cleaned data is stored as the gate's JSON data (plain text only: no control characters)."""

    def __init__(self, *args, gate=None, context=None, **kwargs):
        self.gate = gate
        self.context = context
        super().__init__(*args, **kwargs)

    def to_data(self) -> dict[str, Any]:
        return {name: json_safe(value) for name, value in self.cleaned_data.items() if name != "DELETE"}


class RowForm(DataForm):
    """One row of a table (one model input, one vendor)."""

    # The field that names a row; two rows may not share it.
    name_field = "name"


class UniqueRowsFormSet(BaseFormSet):
    row_noun = "row"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages["too_many_forms"] = (
            f"The table holds at most {self.max_num} {self.row_noun}s: merge rows or leave out what the model "
            "does not use, then save again."
        )

    def live_forms(self):
        """Rows to keep: valid, filled in and not marked for deletion (blank extra rows are skipped)."""
        return [f for f in self.forms if f.is_valid() and f.cleaned_data and not self._should_delete_form(f)]

    def clean(self):
        if any(self.errors):
            return
        seen: dict[str, int] = {}
        for number, form in enumerate(self.forms, start=1):
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            key = str(form.cleaned_data.get(form.name_field, "")).strip().lower()
            if key in seen:
                raise forms.ValidationError(
                    f"Rows {seen[key]} and {number} are both “{form.cleaned_data[form.name_field]}”. "
                    f"Each {self.row_noun} must appear once: merge or rename them."
                )
            seen[key] = number
        if self.min_rows and len(seen) < self.min_rows:
            raise forms.ValidationError(f"Add at least {self.min_rows} {self.row_noun}.")


@dataclass(frozen=True)
class RowFilter:
    """A filter of a paged table ("Known proxy", "Contains PHI"): `test(row, findings, ctx)` is
    true for the rows it keeps, given the row and the gate's findings about that row."""

    key: str
    label: str
    test: Callable[[dict, list, Any], bool]


@dataclass(frozen=True)
class RowTable:
    """One table of a gate's form: its rows are saved under `key` (also the formset prefix)."""

    key: str
    form_class: type[RowForm]
    title: str
    noun: str = "row"
    min_rows: int = 0
    # The checklist item a spreadsheet imported into this table evidences (the data dictionary of
    # the input inventory): the confirmed file is kept as that item's evidence. Empty: none.
    evidence_item: str = ""
    # A table that runs to thousands of rows (a model's inputs): not part of the gate's form. The
    # gate page lists it a page at a time, searchable in the `search` fields and filterable (every
    # paged table by "blocking", plus its `filters`), and each row is added, edited or removed on
    # its own (healthpm.gates.rows). Its size is bounded by the import limit, not `max_rows`.
    paged: bool = False
    search: tuple[str, ...] = ()
    filters: tuple[RowFilter, ...] = ()


class GateForm:
    """A main form and its row tables (`tables`), validated and saved together."""

    main_form_class: type[DataForm]
    tables: tuple[RowTable, ...] = ()
    # Rows a table holds at most: more than a model's inputs or a vendor list runs to. It also
    # caps what a crafted TOTAL_FORMS makes the page build and render (about 30 ms a row):
    # Django's own cap is 2,000 rows, over a minute of work for one request.
    max_rows = 200

    def __init__(self, data=None, *, initial: dict | None = None, gate=None, context):
        initial = dict(initial or {})
        self.gate = gate
        self.context = context
        self.main = self.main_form_class(data, initial=initial, gate=gate, context=context, prefix="gate")
        extra_kwargs = self.row_form_kwargs(gate) if self.tables else {}
        self.row_kwargs = extra_kwargs  # what each row form is bound with (an import binds the same)
        self.formsets = {table.key: self._formset(table, data, initial, extra_kwargs) for table in self.tables
                         if not table.paged}

    def _formset(self, table: RowTable, data, initial: dict, extra_kwargs: dict):
        rows = initial.get(table.key) or []
        if data is not None:
            # Only the rows the page says it was given (INITIAL_FORMS) take saved rows as
            # initial. An added row that happened to equal the saved row at its index would
            # otherwise look "unchanged", be treated as a blank extra row and be dropped.
            try:
                given = int(data.get(f"{table.key}-INITIAL_FORMS") or 0)
            except (TypeError, ValueError):
                given = 0
            rows = rows[:max(given, 0)]
        formset_class = formset_factory(
            table.form_class, formset=UniqueRowsFormSet, extra=0 if rows else 1, can_delete=True,
            max_num=self.max_rows, absolute_max=self.max_rows, validate_max=True,
        )
        formset_class.row_noun = table.noun
        formset_class.min_rows = table.min_rows
        formset = formset_class(data, initial=rows, prefix=table.key,
                                form_kwargs={"gate": self.gate, "context": self.context, **extra_kwargs})
        formset.table = table
        return formset

    def row_form(self, table: RowTable, data=None, *, initial: dict | None = None, prefix: str | None = None
                 ) -> RowForm:
        """One row of a table on its own (a paged table's row, an imported row, the columns)."""
        return table.form_class(data, initial=initial or {}, gate=self.gate, context=self.context, prefix=prefix,
                                **self.row_kwargs)

    def row_form_kwargs(self, gate) -> dict[str, Any]:
        """Lookups every row needs (choices from reference data or evidence), made once for the
        tables instead of once per row: a 40-row table asked 40 identical queries."""
        return {}

    @property
    def posts_anything(self) -> bool:
        """False when every fact is in a paged table (the input inventory): the gate page then
        has no facts form to save, only rows."""
        return bool(self.main.fields) or bool(self.formsets)

    @property
    def is_bound(self) -> bool:
        return self.main.is_bound

    def is_valid(self) -> bool:
        valid = self.main.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    def partial_data(self) -> dict[str, Any]:
        """The main form's answers that are valid so far (an invalid form keeps them in
        cleaned_data): the live preview shows the working from the numbers while a free-text
        field is still empty. Never saved."""
        return {name: json_safe(value) for name, value in getattr(self.main, "cleaned_data", {}).items()}

    def to_data(self) -> dict[str, Any]:
        data = self.main.to_data()
        for key, formset in self.formsets.items():
            data[key] = [f.to_data() for f in formset.live_forms()]
        return data  # without the paged tables: saving keeps their rows (services.with_paged_rows)

    def error_messages(self) -> list[str]:
        """Every error in plain words, naming the field or row, for the live preview."""
        messages = []
        for name, errors in self.main.errors.items():
            label = _label(self.main, name)
            messages += [f"{label}: {e}" if label else str(e) for e in errors]
        for formset in self.formsets.values():
            noun = formset.table.noun
            messages += [f"{formset.table.title}: {e}" for e in formset.non_form_errors()]
            for number, form in enumerate(formset.forms, start=1):
                for name, errors in form.errors.items():
                    label = _label(form, name)
                    messages += [f"{noun.capitalize()} {number}, {label}: {e}" for e in errors]
        return messages


def _label(form: forms.Form, name: str) -> str:
    if name not in form.fields:
        return ""
    return str(form.fields[name].label or name.replace("_", " ").capitalize())
