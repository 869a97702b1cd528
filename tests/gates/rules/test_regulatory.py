"""Gate 5 — regulatory classification (SPEC §4.5): the four CDS criteria decide device or not;
a device gets a computed IMDRF category, a pathway, a PCCP when adaptive, and cannot be
finally approved without a clearance number."""

from datetime import date

import pytest

from healthpm.approvals.models import Signature
from healthpm.approvals.services import final_decision_blockers
from healthpm.gates.definitions.regulatory_classification import GATE, category, is_device
from healthpm.gates.models import GateStatus
from tests.factories import context, CDS_KEYS, InitiativeFactory, fresh, gate_of
from tests.gates.rules.helpers import ctx, add_pdf, approve, data, form_for

TODAY = date(2026, 6, 15)
KEY = "regulatory-classification"


def device(**changes) -> dict:
    """Criterion 1 fails (it analyses an ECG signal): a device, critical × treat or diagnose."""
    answers = data(KEY, no_image_or_signal=False, situation="critical", significance="treat_or_diagnose",
                   pathway="510k", predicate_number="K213456", clearance_number="", adaptive=False)
    answers.update(changes)
    return answers


# --- classification -------------------------------------------------------------------------
def test_all_four_criteria_met_is_non_device_cds_with_no_imdrf_category():
    answers = data(KEY)

    assert not is_device(answers)
    assert category(answers) is None
    working = GATE.working(answers, ctx())
    assert working.facts == (("Classification", "Non-device clinical decision support"),)
    assert working.extra is None
    assert GATE.findings(answers, ctx(TODAY)) == []
    assert GATE.final_findings(answers, ctx(TODAY)) == []


@pytest.mark.parametrize("failed", CDS_KEYS)
def test_any_criterion_answered_no_makes_it_a_device(failed):
    assert is_device(device(**{"no_image_or_signal": True, failed: False}))


@pytest.mark.parametrize(("situation", "significance", "expected"), [
    ("critical", "treat_or_diagnose", "IV"), ("critical", "inform", "II"), ("serious", "drive", "II"),
    ("serious", "treat_or_diagnose", "III"), ("non_serious", "inform", "I"),
])
def test_the_imdrf_category_is_computed_from_situation_and_significance(situation, significance, expected):
    answers = device(situation=situation, significance=significance)

    assert category(answers) == expected
    facts = dict(GATE.working(answers, ctx()).facts)
    assert facts["IMDRF category"].endswith(f"→ {expected}")
    assert GATE.working(answers, ctx()).extra["category"] == expected


# --- the form -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_form_accepts_non_device_cds_without_situation_or_pathway(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, data(KEY))

    assert form.is_valid(), form.error_messages()
    assert form.to_data() == data(KEY)


@pytest.mark.django_db
def test_the_form_requires_situation_significance_pathway_and_adaptivity_for_a_device(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, device(situation="", significance="", pathway="", predicate_number="", adaptive=None))

    assert not form.is_valid()
    assert set(form.main.errors) == {"situation", "significance", "pathway", "adaptive"}
    assert form.main.errors["pathway"] == [
        "Required: the software does not meet all four non-device CDS criteria, so it is a device."]


@pytest.mark.django_db
def test_the_imdrf_category_cannot_be_typed(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, {**device(situation="non_serious", significance="inform"), "imdrf_category": "I",
                           "category": "I"})

    assert form.is_valid(), form.error_messages()
    saved = form.to_data()
    assert "imdrf_category" not in saved and "category" not in saved
    assert category(saved) == "I"


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["", "213456", "K21345", "K2134567", "DEN200012", "P123456"])
def test_a_510k_needs_a_predicate_number_k_and_six_digits(pm, number):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, device(predicate_number=number))

    assert not form.is_valid()
    assert form.main.errors["predicate_number"] == [
        "A 510(k) needs its predicate's number, K followed by six digits (e.g. K213456)."]


@pytest.mark.django_db
def test_a_predicate_number_is_normalised_to_upper_case(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, device(predicate_number=" k213456 "))

    assert form.is_valid(), form.error_messages()
    assert form.to_data()["predicate_number"] == "K213456"


@pytest.mark.django_db
def test_a_de_novo_device_needs_no_predicate(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    assert form_for(gate, device(pathway="de_novo", predicate_number="")).is_valid()


@pytest.mark.django_db
def test_each_criterion_needs_a_rationale(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, data(KEY, supports_hcp_rationale=""))

    assert not form.is_valid()
    assert list(form.main.errors) == ["supports_hcp_rationale"]


# --- clearance: warns on the gate, blocks the final approval --------------------------------
def test_a_device_without_clearance_only_warns_at_gate_level():
    findings = GATE.findings(device(), ctx(TODAY))

    assert [(f.level, f.field) for f in findings] == [("warn", "clearance_number")]
    assert "IMDRF category IV" in findings[0].message


@pytest.mark.django_db
def test_a_device_without_clearance_can_be_approved_but_blocks_the_final_decision(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = approve(gate_of(initiative, KEY), pm, compliance, device())

    assert gate.status == GateStatus.APPROVED
    assert [f.message for f in GATE.final_findings(gate.data, ctx(TODAY)) if f.blocks] == [
        "the software is a device (IMDRF category IV) and no clearance or authorization number is recorded."]
    problems = final_decision_blockers(initiative, [gate], meaning=Signature.Meaning.APPROVED)
    assert problems == ["“Regulatory classification”: the software is a device (IMDRF category IV) and no "
                        "clearance or authorization number is recorded."]
    # Rejecting the launch is not held up by a missing clearance.
    assert final_decision_blockers(initiative, [gate], meaning=Signature.Meaning.REJECTED) == []


@pytest.mark.django_db
def test_a_device_with_a_clearance_number_does_not_block_the_final_decision(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = approve(gate_of(initiative, KEY), pm, compliance, device(clearance_number="K241234"))

    assert GATE.final_findings(gate.data, ctx(TODAY)) == []
    assert final_decision_blockers(initiative, [gate], meaning=Signature.Meaning.APPROVED) == []


# --- PCCP for an adaptive device ------------------------------------------------------------
@pytest.mark.django_db
def test_an_adaptive_device_requires_a_pccp(pm):
    from healthpm.gates.services import gate_save_data

    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    add_pdf(gate, pm, "counsel-memo")

    gate_save_data(gate=fresh(gate), by=pm, data=device(adaptive=False))
    assert fresh(gate).blockers(context()) == []

    gate_save_data(gate=fresh(gate), by=pm, data=device(adaptive=True))
    gate = fresh(gate)
    assert [item.key for item in gate.missing_items(context())] == ["pccp"]
    [message] = gate.blockers(context())
    assert "Predetermined Change Control Plan (PCCP)" in message

    add_pdf(gate, pm, "pccp")
    assert fresh(gate).blockers(context()) == []


def test_an_adaptive_non_device_needs_no_pccp():
    answers = data(KEY, adaptive=True)

    assert "pccp" not in [item.key for item in GATE.required_items(answers)]
