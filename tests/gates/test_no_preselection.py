"""No gate form preselects an answer that is a claim (issue 13 §6): a drill that "passed", a
de-identification method, a vendor's service, a yes or no. Every registered gate's form — main
form and each row table, checklist v1 and v2 — is read from the registry, so a new gate is held
to the same rule without naming it here.

A choice may keep an initial value only when its field is marked `not_a_claim` with the reason
(forms_base.not_a_claim); numbers the SPEC gives defaults for (30 days, 8 h shifts) are not choices.
"""

import pytest
from django import forms

from healthpm.gates import registry
from tests.gates.rules.helpers import ctx

FORM_GATES = [d for d in registry.all_gates() if d.form_class is not None]


def _fields(definition):
    """(where, bound field) of every field of the unbound form a new gate shows."""
    form = definition.form_class(initial={}, gate=None, context=ctx())
    for bound in form.main:
        yield f"{definition.key} main form", bound
    for key, formset in form.formsets.items():
        for bound in formset.forms[0]:  # the blank row a new table shows
            if bound.name != "DELETE":
                yield f"{definition.key} table {key}", bound
    for table in (t for t in form.tables if t.paged):  # a paged table's add form
        for bound in form.row_form(table, prefix=f"add-{table.key}"):
            yield f"{definition.key} table {table.key}", bound


def _claims(definition):
    return [(where, bound) for where, bound in _fields(definition)
            if isinstance(bound.field, forms.ChoiceField) and not getattr(bound.field, "not_a_claim", "")]


@pytest.mark.django_db
def test_every_registered_gate_with_a_form_is_checked():
    assert {d.key for d in FORM_GATES} == {d.key for c in registry.CHECKLISTS for d in c.gates if d.form_class}
    assert sum(len(_claims(d)) for d in FORM_GATES) > 20  # the check below sees the choices


@pytest.mark.django_db
@pytest.mark.parametrize("definition", FORM_GATES, ids=lambda d: d.key)
def test_no_choice_that_states_a_fact_is_preselected(definition):
    for where, bound in _claims(definition):
        value = bound.value()
        assert value in (None, "", []), f"{where}: “{bound.label}” starts as {value!r}; a claim must be chosen"
        if isinstance(bound.field, forms.MultipleChoiceField) or isinstance(bound.field.widget, forms.RadioSelect):
            continue  # nothing is checked until someone checks it
        first = list(bound.field.choices)[0][0]
        # A <select> shows its first option as chosen: that option must be the empty one.
        assert first == "", f"{where}: “{bound.label}” shows {first!r} first instead of an empty “— choose —”"


@pytest.mark.django_db
@pytest.mark.parametrize("definition", FORM_GATES, ids=lambda d: d.key)
def test_a_required_claim_left_at_choose_is_refused(definition):
    """Posting every field of the blank form as it is shown: each required choice is named as missing."""
    form = definition.form_class(initial={}, gate=None, context=ctx())
    post = {}
    for where, bound in _fields(definition):
        post[bound.html_name] = "" if not isinstance(bound.field, forms.MultipleChoiceField) else []
    for formset in form.formsets.values():
        management = formset.management_form
        post.update({management[name].html_name: str(value) for name, value in
                     {"TOTAL_FORMS": 1, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}.items()})
    # A blank row of a table is skipped as unfilled; type in its first text box so its choices are checked too.
    for formset in form.formsets.values():
        row = formset.forms[0]
        name, field = next((n, f) for n, f in row.fields.items() if not isinstance(f, (forms.ChoiceField,
                                                                                     forms.BooleanField)))
        post[row[name].html_name] = "1" if isinstance(field, (forms.IntegerField, forms.FloatField)) else "Row one"
    for table in (t for t in form.tables if t.paged):  # its add form, with a name typed in
        post[f"add-{table.key}-{table.form_class.name_field}"] = "Row one"
    bound = definition.form_class(post, initial={}, gate=None, context=ctx())
    rows = [bound.row_form(t, post, prefix=f"add-{t.key}") for t in bound.tables if t.paged]
    assert not all([bound.is_valid(), *(row.is_valid() for row in rows)])
    required = [(where, b) for where, b in _claims(definition) if b.field.required
                and not isinstance(b.field.widget, forms.RadioSelect)]
    errors = " ".join([*bound.error_messages(), *(f"{row.fields[name].label}: {e}" for row in rows
                                                   for name, problems in row.errors.items() for e in problems)])
    for where, b in required:
        assert f"{b.label}: " in errors, f"{where}: “{b.label}” accepted without a choice"
