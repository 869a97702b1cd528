"""Gate 1 — auditable inputs (SPEC §4.1): approved timestamped sources, no leakage, proxies justified."""

from datetime import date

import pytest

from healthpm.core.errors import WorkflowError
from healthpm.gates.context import evaluation_context
from healthpm.gates.definitions.auditable_inputs import GATE, proxy_match
from healthpm.gates.models import ProxyVariable, SourceSystem
from healthpm.gates.services import gate_save_data, gate_save_row
from tests.factories import context, InitiativeFactory, fresh, gate_of
from tests.gates.rules.helpers import add_pdf, input_row

pytestmark = pytest.mark.django_db  # approved sources and proxies are reference data in the database

TODAY = date(2026, 6, 15)
KEY = "auditable-inputs"


def findings(*rows):
    return GATE.findings({"inputs": list(rows)}, context(today=TODAY))


def blocking(*rows) -> list[str]:
    return [f.message for f in findings(*rows) if f.blocks]


def test_the_migration_seeds_the_proxy_list_and_approved_sources():
    assert set(ProxyVariable.objects.values_list("label", flat=True)) == {
        "ZIP / postal code", "Race", "Ethnicity", "Insurance type", "Preferred language"}
    assert SourceSystem.objects.get(name="LIS").approved


def test_a_clean_input_passes():
    assert findings(input_row()) == []


def test_an_empty_inventory_blocks():
    assert [f.message for f in GATE.findings({"inputs": []}, context(today=TODAY)) if f.blocks] == [
        "The input inventory is empty: list every input the model uses."
    ]


def test_an_input_from_a_source_that_is_not_approved_blocks():
    SourceSystem.objects.create(name="Shadow spreadsheet", approved=False)

    assert blocking(input_row("bed_census", source_system="Shadow spreadsheet")) == [
        "Input “bed_census”: source “Shadow spreadsheet” is not an approved source system. "
        "Choose an approved system or ask the administrator to approve it."
    ]


def test_withdrawing_approval_of_a_source_blocks_inputs_already_saved():
    row = input_row("lactate_last_6h", source_system="LIS")
    assert blocking(row) == []

    SourceSystem.objects.filter(name="LIS").update(approved=False)

    assert blocking(row) == [
        "Input “lactate_last_6h”: source “LIS” is not an approved source system. "
        "Choose an approved system or ask the administrator to approve it."
    ]


def test_an_input_from_an_unknown_source_blocks():
    assert len(blocking(input_row(source_system="Vendor FTP drop"))) == 1


def test_an_input_not_timestamped_at_source_blocks():
    assert blocking(input_row("admit_weight", timestamped=False)) == [
        "Input “admit_weight” is not timestamped at source, so decisions using it cannot be reconstructed. "
        "Use a timestamped field."
    ]


def test_an_input_not_available_at_prediction_time_blocks_as_leakage():
    assert blocking(input_row("discharge_diagnosis", available_at_prediction=False)) == [
        "Input “discharge_diagnosis” is not available at prediction time (leakage): "
        "remove it or replace it with a value known when the model runs."
    ]


def test_a_proxy_input_without_justification_blocks():
    assert blocking(input_row("patient_zip_code")) == [
        "Input “patient_zip_code” is a known proxy for a protected class or wealth (ZIP / postal code): "
        "write a justification or remove it."
    ]


def test_a_proxy_input_with_justification_only_warns():
    row = input_row("patient_zip_code", justification="  Needed to route home-visit follow-up; not a model feature.  ")

    [finding] = findings(row)

    assert finding.level == "warn"
    assert finding.message == (
        "Input “patient_zip_code” is a known proxy (ZIP / postal code); justification recorded: "
        "“Needed to route home-visit follow-up; not a model feature.”."
    )


@pytest.mark.parametrize(("name", "proxy"), [
    ("Race", "Race"), ("ethnicity_code", "Ethnicity"), ("primary-payer", "Insurance type"),
    ("preferred_language", "Preferred language"), ("postal/code", "ZIP / postal code"),
])
def test_each_seeded_proxy_is_recognised(name, proxy):
    [message] = blocking(input_row(name))
    assert f"({proxy})" in message


def test_the_admin_can_add_a_proxy():
    ProxyVariable.objects.create(label="Religion", match_terms="religion, faith")

    assert "(Religion)" in blocking(input_row("faith_group"))[0]


def test_every_problem_of_every_row_is_listed():
    rows = [input_row("lactate_last_6h"), input_row("zip_of_residence", timestamped=False, available_at_prediction=False)]

    messages = blocking(*rows)

    assert len(messages) == 3
    assert all("zip_of_residence" in m for m in messages)


def test_gate_blockers_include_the_rules_and_clear_when_fixed(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    add_pdf(gate, pm, "data-dictionary")

    gate_save_data(gate=fresh(gate), by=pm, data={"inputs": [input_row("patient_zip_code")]})
    assert fresh(gate).blockers(context()) == [
        "Input “patient_zip_code” is a known proxy for a protected class or wealth (ZIP / postal code): "
        "write a justification or remove it."
    ]

    gate_save_data(gate=fresh(gate), by=pm, data={"inputs": [input_row("patient_zip_code", justification="Routing.")]})
    gate = fresh(gate)
    assert gate.blockers(context()) == []
    assert [f.level for f in gate.findings(context())] == ["warn"]


# --- the row form and the row service (the inventory is a paged table: one row at a time) -------
def row_form(gate, row: dict):
    """The inventory's row form bound to what the page's add form posts for `row`."""
    definition = gate.definition
    table = definition.form_class.tables[0]
    body = {f"add-inputs-{name}": "" if value is None else str(value) for name, value in row.items()}
    return definition.form_class(initial={}, gate=gate, context=evaluation_context()).row_form(
        table, body, prefix="add-inputs")


def test_the_row_form_offers_only_approved_sources(pm):
    SourceSystem.objects.create(name="Shadow spreadsheet", approved=False)
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = row_form(gate, input_row(source_system="Shadow spreadsheet"))

    assert not form.is_valid()
    assert form.errors["source_system"][0].startswith("Select a valid choice.")


def test_the_last_input_cannot_be_removed(pm):
    gate = gate_save_data(gate=gate_of(InitiativeFactory(owner=pm), KEY), by=pm, data={"inputs": [input_row()]})

    with pytest.raises(WorkflowError, match="“Input inventory” needs at least 1 model input"):
        gate_save_row(gate=gate, by=pm, table_key="inputs", original="lactate_last_6h", row=None)
    assert fresh(gate).data["inputs"] == [input_row()]


def test_two_inputs_with_the_same_name_are_refused(pm):
    gate = gate_save_data(gate=gate_of(InitiativeFactory(owner=pm), KEY), by=pm,
                          data={"inputs": [input_row("lactate"), input_row("heart_rate")]})

    with pytest.raises(WorkflowError, match="“Lactate” is already in “Input inventory”. Each model input must "
                                            "appear once"):
        gate_save_row(gate=gate, by=pm, table_key="inputs", original=None, row=input_row("Lactate"))
    with pytest.raises(WorkflowError, match="“Lactate” is already in"):
        gate_save_row(gate=gate, by=pm, table_key="inputs", original="heart_rate", row=input_row("Lactate"))
    gate_save_row(gate=gate, by=pm, table_key="inputs", original="lactate", row=input_row("Lactate"))
    assert [r["name"] for r in fresh(gate).data["inputs"]] == ["Lactate", "heart_rate"], "renaming itself is fine"


def test_the_row_form_requires_each_yes_no_answer(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = row_form(gate, input_row(timestamped=None))

    assert not form.is_valid()
    assert form.errors == {"timestamped": ["This field is required."]}


def test_the_row_form_keeps_the_input_as_entered(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    row = input_row("patient_zip_code", justification="Routing.", contains_phi=False)

    form = row_form(gate, row)

    assert form.is_valid(), form.errors
    assert form.to_data() == row


@pytest.mark.parametrize("name", ["ecg_trace_features", "ziprasidone_dose", "languid_score"])
def test_proxy_words_inside_other_words_do_not_match(reference_data, name):
    assert proxy_match(name, context().proxies) is None


@pytest.mark.parametrize("name, label", [("patient_zip5", "ZIP / postal code"), ("payer_class", "Insurance type"),
                                         ("preferred-language", "Preferred language"), ("Race", "Race")])
def test_proxy_words_match_whole_words_of_the_input_name(reference_data, name, label):
    assert proxy_match(name, context().proxies) == label


def test_the_summary_counts_each_source_system_and_says_which_are_not_approved():
    rows = [{"name": "a", "source_system": "EHR", "timestamped": True, "available_at_prediction": True,
             "contains_phi": True},
            {"name": "b", "source_system": "EHR-legacy", "timestamped": False, "available_at_prediction": True,
             "contains_phi": False},
            {"name": "c", "source_system": "EHR", "timestamped": True, "available_at_prediction": False,
             "contains_phi": False},
            {"name": "d", "source_system": "", "timestamped": True, "available_at_prediction": True,
             "contains_phi": True}]

    (summary,) = GATE.summary_tables({"inputs": rows}, context(today=TODAY))

    assert summary.table_key == "inputs"
    assert summary.rows == (("EHR", "yes", "2", "2", "1", "1"),
                            ("(none given)", "no", "1", "1", "1", "1"),
                            ("EHR-legacy", "no", "1", "0", "1", "0"),
                            ("All 3 source systems", "", "4", "3", "3", "2"))
