"""Building blocks for a gate's structured form: a main form plus, for table-like facts
(model inputs, vendors), one formset of rows. Gate modules subclass these; the gate view
only knows `GateForm(data, initial=..., gate=..., context=...)`, `is_valid()` and `to_data()`.
Forms see the request's `EvaluationContext` (today, approved sources) like the rules do."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
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


YES_NO = [("", "—"), (True, "Yes"), (False, "No")]


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


class GateForm:
    """A main form and an optional formset, validated and saved together."""

    main_form_class: type[DataForm]
    row_form_class: type[RowForm] | None = None
    rows_key = "rows"
    rows_title = ""
    row_noun = "row"
    min_rows = 0
    # More rows than a model's inputs or a vendor list runs to. It also caps what a crafted
    # TOTAL_FORMS makes the page build and render (about 30 ms a row): Django's own cap is
    # 2,000 rows, over a minute of work for one request.
    max_rows = 200

    def __init__(self, data=None, *, initial: dict | None = None, gate=None, context):
        initial = dict(initial or {})
        self.gate = gate
        self.context = context
        self.main = self.main_form_class(data, initial=initial, gate=gate, context=context, prefix="gate")
        self.formset = None
        if self.row_form_class is not None:
            rows = initial.get(self.rows_key) or []
            if data is not None:
                # Only the rows the page says it was given (INITIAL_FORMS) take saved rows as
                # initial. An added row that happened to equal the saved row at its index would
                # otherwise look "unchanged", be treated as a blank extra row and be dropped.
                try:
                    given = int(data.get(f"{self.rows_key}-INITIAL_FORMS") or 0)
                except (TypeError, ValueError):
                    given = 0
                rows = rows[:max(given, 0)]
            formset_class = formset_factory(
                self.row_form_class, formset=UniqueRowsFormSet, extra=0 if rows else 1, can_delete=True,
                max_num=self.max_rows, absolute_max=self.max_rows, validate_max=True,
            )
            formset_class.row_noun = self.row_noun
            formset_class.min_rows = self.min_rows
            self.formset = formset_class(data, initial=rows, prefix=self.rows_key,
                                         form_kwargs={"gate": gate, "context": context,
                                                      **self.row_form_kwargs(gate)})

    def row_form_kwargs(self, gate) -> dict[str, Any]:
        """Lookups every row needs (choices from reference data or evidence), made once for the
        table instead of once per row: a 40-row table asked 40 identical queries."""
        return {}

    @property
    def is_bound(self) -> bool:
        return self.main.is_bound

    def is_valid(self) -> bool:
        valid = self.main.is_valid()
        if self.formset is not None:
            valid = self.formset.is_valid() and valid
        return valid

    def to_data(self) -> dict[str, Any]:
        data = self.main.to_data()
        if self.formset is not None:
            data[self.rows_key] = [f.to_data() for f in self.formset.live_forms()]
        return data

    def error_messages(self) -> list[str]:
        """Every error in plain words, naming the field or row, for the live preview."""
        messages = []
        for name, errors in self.main.errors.items():
            label = _label(self.main, name)
            messages += [f"{label}: {e}" if label else str(e) for e in errors]
        if self.formset is not None:
            messages += [str(e) for e in self.formset.non_form_errors()]
            for number, form in enumerate(self.formset.forms, start=1):
                for name, errors in form.errors.items():
                    label = _label(form, name)
                    messages += [f"{self.row_noun.capitalize()} {number}, {label}: {e}" for e in errors]
        return messages


def _label(form: forms.Form, name: str) -> str:
    if name not in form.fields:
        return ""
    return str(form.fields[name].label or name.replace("_", " ").capitalize())
