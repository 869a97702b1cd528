"""Gate 11 — transparency (SPEC §4.11): the 31 HTI-1 source attributes, each answered or not
applicable with a reason, the checklist acknowledgement, and the prefill from the other gates."""

import html
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthpm.gates.definitions.transparency import GATE, status_field
from healthpm.gates.services import gate_save_data
from healthpm.lib import hti1
from tests.factories import InitiativeFactory, fresh, gate_of, valid_data
from tests.gates.rules.helpers import ctx, data, form_for, input_row, page_post

TODAY = date(2026, 6, 15)


def blocking(answers) -> list[str]:
    return [f.message for f in GATE.findings(answers, ctx(TODAY)) if f.blocks]


def unanswered(*keys, **changes) -> dict:
    return data("transparency", **{key: "" for key in keys}, **changes)


# --- rules ---------------------------------------------------------------------------------
def test_all_31_answered_some_not_applicable_with_a_reason_passes():
    answers = valid_data("transparency")
    assert [a.key for a in hti1.ATTRIBUTES if answers[status_field(a.key)] == "not_applicable"]

    assert blocking(answers) == []
    assert GATE.structured_complete(answers)


def test_an_unanswered_attribute_blocks_naming_its_group_label_and_reference():
    assert blocking(unanswered("funding_source")) == [
        "Details and output of the intervention (B)(1): 1 of its 4 attributes is unanswered — “Funding source of the "
        "technical implementation for the intervention(s) development” (B)(1)(ii). Answer each, or mark it not "
        "applicable and say why."
    ]
    finding = GATE.findings(unanswered("funding_source"), ctx(TODAY))[0]
    assert finding.field == "funding_source"


def test_several_unanswered_in_one_group_are_all_listed():
    assert blocking(unanswered("external_tester", "external_process")) == [
        "External validation process (B)(6): 2 of its 4 attributes are unanswered — “Party that conducted the external "
        "testing” (B)(6)(ii); “Description of external validation process” (B)(6)(iv). Answer each, or mark it not "
        "applicable and say why."
    ]


def test_an_empty_form_names_every_one_of_the_31_attributes():
    messages = blocking({"treated_as_checklist": True, **{status_field(k): "answered" for k in hti1.KEYS}})

    assert len(messages) == 9
    text = " ".join(messages)
    for a in hti1.ATTRIBUTES:
        assert f"“{a.label}” {a.reference}" in text
    for g in hti1.GROUPS:
        assert any(m.startswith(f"{g.label} {g.reference}:") for m in messages)


def test_whitespace_is_no_answer():
    assert blocking(data("transparency", intended_users="   \n "))


def test_not_applicable_without_a_reason_blocks():
    answers = unanswered("local_fairness", **{status_field("local_fairness"): "not_applicable"})

    assert blocking(answers) == [
        "Ongoing maintenance of intervention implementation and use: “Fairness of intervention in local data” (B)(8)(iv) "
        "is marked not applicable without a reason — say why it does not apply to this model."
    ]


def test_not_applicable_with_a_reason_passes():
    answers = data("transparency", local_fairness="No subgroup large enough locally; see the developer's figures.",
                   **{status_field("local_fairness"): "not_applicable"})

    assert blocking(answers) == []


def test_the_checklist_acknowledgement_must_be_yes():
    assert blocking(data("transparency", treated_as_checklist=False)) == [
        "The committee has not recorded that it treats the HTI-1 source attributes as a transparency checklist: answer "
        "yes (HTI-5 proposed removing the legal requirement, so healthpm asks for them as a checklist)."
    ]


def test_the_blocking_example_blocks_on_what_it_leaves_out():
    messages = blocking(GATE.examples(ctx(TODAY)).blocking)

    assert len(messages) == 3
    assert "Funding source" in messages[0] and "Party that conducted the external testing" in messages[1]
    assert "Fairness of intervention in local data" in messages[2] and "without a reason" in messages[2]


def test_an_unsaved_gate_has_no_findings():
    assert GATE.findings({}, ctx(TODAY)) == [] and not GATE.structured_complete({})


# --- working, answers and the dossier table -------------------------------------------------------
def test_the_working_counts_answers_overall_and_per_group():
    facts = dict(GATE.working(unanswered("funding_source", "external_tester", "external_process"), ctx(TODAY)).facts)

    assert facts["Attributes answered"] == "28 of 31 (2 not applicable, with a reason)"
    assert facts["(B)(1) Details and output of the intervention"] == "3 of 4"
    assert facts["(B)(6) External validation process"] == "2 of 4"
    assert facts["(B)(7) Quantitative measures of performance"] == "5 of 5 (1 not applicable)"
    assert len(facts) == 10


def test_the_table_lists_the_31_attributes_with_answers_for_the_dossier():
    answers = unanswered("funding_source")
    [table] = GATE.tables(answers, ctx(TODAY))

    assert table.headers == ("Group", "Attribute", "Answer")
    assert len(table.rows) == 31
    assert table.rows[0] == ("Details and output of the intervention",
                             "Name and contact information for the intervention developer (B)(1)(i)",
                             answers["developer_contact"])
    assert table.rows[1][2] == "Unanswered"
    outcomes = next(r for r in table.rows if r[1].endswith("(B)(7)(v)"))
    assert outcomes[2] == f"Not applicable — {answers['outcome_evaluations']}"


def test_the_answers_in_plain_words():
    assert GATE.describe(unanswered("funding_source"), ctx(TODAY)) == [
        ("Treated as a transparency checklist", "Yes — HTI-5 (2025) proposed removing the legal requirement; the "
                                                "committee asks for the attributes anyway"),
        ("HTI-1 source attributes answered", "30 of 31"),
    ]


# --- the form ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_form_saves_a_partial_answer_so_the_pm_can_come_back(pm):
    gate = gate_of(InitiativeFactory(owner=pm, checklist_version=2), "transparency")
    answers = unanswered(*hti1.KEYS[:20])
    form = form_for(gate, answers)

    assert form.is_valid(), form.error_messages()
    assert form.to_data() == answers


@pytest.mark.django_db
def test_the_form_refuses_an_answer_longer_than_4000_characters_naming_it(pm):
    gate = gate_of(InitiativeFactory(owner=pm, checklist_version=2), "transparency")
    form = form_for(gate, data("transparency", intended_use="x" * 4001))

    assert not form.is_valid()
    assert any(m.startswith("(B)(2)(i) Intended use of the intervention:") for m in form.error_messages())


@pytest.mark.django_db
def test_the_form_groups_the_attributes_under_the_nine_headings(pm, login):
    initiative = InitiativeFactory(owner=pm, checklist_version=2)
    page = html.unescape(login(pm).get(reverse("gates:detail", args=[initiative.slug, "transparency"])).content.decode())

    for g in hti1.GROUPS:
        assert f"{g.reference} {g.label}</h3>" in page
    assert page.count("</h3>") >= 9
    for a in hti1.ATTRIBUTES:
        assert f"{a.reference} {a.label}" in page


# --- prefill ------------------------------------------------------------------------------------
def offered(others: dict) -> dict[str, tuple[str, str]]:
    return {name: (p.value, p.source) for name, p in GATE.prefill(others, ctx(TODAY)).items()}


def test_prefill_lists_the_input_features_and_their_sources():
    inputs = {"inputs": [input_row(), input_row("patient_zip5", source_system="EHR")]}

    value, source = offered({"auditable-inputs": inputs})["demographic_inputs"]

    assert value.startswith("Input features (2): lactate_last_6h (LIS), patient_zip5 (EHR).")
    assert "Known proxies among them: patient_zip5 (ZIP / postal code)." in value
    assert source == "Auditable inputs — input inventory"


def test_prefill_adds_the_phi_identifiers_that_bear_on_demographics():
    value, source = offered({"auditable-inputs": {"inputs": [input_row()]},
                             "baa-phi": {"identifiers": ["names", "dates"], "vendors": []}})["demographic_inputs"]

    assert "All elements of dates (except year)" in value and "Names" not in value
    assert source == "Auditable inputs — input inventory; BAA and PHI — identifiers"


def test_prefill_names_the_model_api_vendor_as_the_developer():
    vendors = [{"name": "Acme Predictive", "service": "model_api"}, {"name": "Cloudy", "service": "hosting"}]

    assert offered({"baa-phi": {"vendors": vendors}})["developer_contact"] == (
        "Model API vendor: Acme Predictive — add the developer's contact details.", "BAA and PHI — vendor table")


def test_prefill_takes_alert_volume_and_ppv_as_local_validity():
    value, source = offered({"false-positive-cost": valid_data("false-positive-cost")})["local_validity"]

    assert value == "Alert volume: 10 alerts a day at PPV 0.5 (90-day silent-mode run on 4 medical wards)."
    assert source == "False-positive cost — alert volume and PPV"


# Clinical validation's saved answers (its form's shape: the overall counts on the main form).
VALIDATION = {"design": "silent_prospective", "sites": "Main campus: 4 medical wards", "period_start": "2026-01-05",
              "period_end": "2026-05-30", "tp": 80, "fp": 120, "fn": 20, "tn": 780,
              "subgroups": [{"dimension": "Age band", "value": "75+", "tp": 30, "fp": 40, "fn": 15, "tn": 200},
                            {"dimension": "Sex", "value": "Female", "tp": 40, "fp": 60, "fn": 10, "tn": 390}]}


def test_prefill_computes_local_validity_and_subgroups_from_the_confusion_matrices():
    found = offered({"clinical-validation": VALIDATION, "false-positive-cost": valid_data("false-positive-cost")})

    value, source = found["local_validity"]
    # Se = 80/100, Sp = 780/900, PPV = 80/200.
    assert value.splitlines() == [
        "Alert volume: 10 alerts a day at PPV 0.5 (90-day silent-mode run on 4 medical wards).",
        "Local validation (silent-mode prospective, Main campus: 4 medical wards, 2026-01-05 to 2026-05-30): TP 80, "
        "FP 120, FN 20, TN 780 — sensitivity 0.80, specificity 0.87, PPV 0.40.",
    ]
    assert source == "False-positive cost — alert volume and PPV; Clinical validation — overall confusion matrix"
    # 75+: 30/45 = 0.67; female: 40/50 = 0.80.
    assert found["local_fairness"] == (
        "Subgroup sensitivity against 0.80 overall: Age band 75+: sensitivity 0.67 (45 positives); Sex Female: "
        "sensitivity 0.80 (50 positives).", "Clinical validation — subgroups")


def test_prefill_reads_a_nested_overall_matrix_too():
    value, _ = offered({"clinical-validation": {"overall": {"tp": 1, "fp": 1, "fn": 3, "tn": 5}}})["local_validity"]

    assert value == "Local validation: TP 1, FP 1, FN 3, TN 5 — sensitivity 0.25, specificity 0.83, PPV 0.50."


def test_prefill_reads_the_decision_role_from_the_classification():
    device = data("regulatory-classification", no_image_or_signal=False, situation="serious", significance="drive")

    assert offered({"regulatory-classification": device})["decision_role"] == (
        "Significance of the information to the decision (IMDRF): Drive clinical management.", "Regulatory classification")
    assert offered({"regulatory-classification": valid_data("regulatory-classification")})["decision_role"][0].startswith(
        "Informs:")


def test_prefill_lists_failure_modes_and_the_edge_cases_to_caution_about():
    found = offered({"failure-modes": {
        "unusual_patients": "A patient on ECMO\nPediatric weights under 10 kg\n",
        "modes": [{"name": "Stale lactate scored as current", "worst_harm": "Could delay a sepsis diagnosis by 6 hours",
                   "severity": "major"}, {"name": ""}],
        "edge_cases": [{"name": "6-hour EHR outage", "outcome": "handled_with_findings", "notes": "3 alerts fired late."},
                       {"name": "Vitals missing for 4 hours", "outcome": "handled"}],
    }})

    assert found["known_risks"] == (
        "Failure modes: Stale lactate scored as current — Could delay a sepsis diagnosis by 6 hours (major).",
        "Failure modes — register")
    assert found["cautioned_uses"] == (
        "Unusual patients considered: A patient on ECMO; Pediatric weights under 10 kg. Edge cases that failed or raised "
        "findings: 6-hour EHR outage — handled with findings (3 alerts fired late.).", "Failure modes — edge cases")


def test_prefill_lists_the_monitored_metrics_with_cadence_and_pause_threshold():
    metrics = [
        {"metric": "ppv", "name": "PPV", "cadence": "weekly", "owner_name": "Priya Patel", "pause_direction": "below",
         "pause_value": "0.10"},
        {"metric": "override_rate", "name": "", "cadence": "weekly", "pause_direction": "", "pause_value": None},
        {"metric": "subgroup_sensitivity_ratio", "name": "75+ vs overall", "cadence": "monthly"},
    ]
    found = offered({"monitoring-plan": {"metrics": metrics}})

    assert found["validity_monitoring"] == (
        "Monitored after launch: PPV, weekly, Priya Patel, pauses when below 0.10; override rate, weekly.",
        "Monitoring plan — metrics")
    assert found["fairness_monitoring"] == ("Monitored after launch: 75+ vs overall, monthly.",
                                            "Monitoring plan — metrics")


def test_prefill_copes_with_every_registered_gates_own_examples():
    """Whatever gates the checklist holds (the v2 gates arrive on other branches), their example
    answers give offers for known attributes only."""
    from healthpm.gates import registry

    for kind in ("passing", "blocking"):
        others = {d.key: getattr(d.examples(ctx(TODAY)), kind) for d in registry.checklist(2).gates if d is not GATE}
        offers = GATE.prefill(others, ctx(TODAY))
        assert set(offers) <= set(hti1.KEYS)
        assert all(p.value.strip() and p.source for p in offers.values())
        assert {"demographic_inputs", "local_validity", "decision_role"} <= set(offers)


def test_a_long_offer_is_clipped_to_what_the_form_saves():
    inputs = {"inputs": [input_row(f"feature_{n:04d}_" + "x" * 80) for n in range(60)]}

    value = offered({"auditable-inputs": inputs})["demographic_inputs"][0]

    assert len(value) == 4000 and value.endswith("…")


@pytest.mark.parametrize("junk", [None, [], "text", {"inputs": "x"}, {"inputs": [None, 3, {"name": None}]},
                                  {"overall": {"tp": "x"}}, {"overall": {"tp": True, "fp": 1, "fn": 1, "tn": 1}},
                                  {"mode": "measured", "alerts_per_day": "1e9999", "ppv": 0.5},
                                  {"mode": "derived", "sensitivity": "nan", "specificity": 1, "prevalence": 1},
                                  {"subgroups": [{"dimension": "Sex", "tp": 1, "fp": 1, "fn": -5, "tn": 1}]},
                                  {"metrics": [{"name": ["x"]}]}, {"modes": {"a": 1}}])
def test_prefill_offers_nothing_for_data_it_does_not_understand(junk):
    others = {key: junk for key in ("auditable-inputs", "false-positive-cost", "clinical-validation", "failure-modes",
                                     "monitoring-plan", "regulatory-classification", "baa-phi")}

    assert set(GATE.prefill(others, ctx(TODAY))) <= set(hti1.KEYS)
    assert GATE.prefill({}, ctx(TODAY)) == {}


# --- the prefill on the gate page -----------------------------------------------------------
@pytest.fixture
def initiative(pm):
    initiative = InitiativeFactory(owner=pm, checklist_version=2)
    gate_save_data(gate=gate_of(initiative, "auditable-inputs"), by=pm,
                   data={"inputs": [input_row(), input_row("heart_rate", source_system="EHR")]})
    return initiative


def page(client, initiative) -> str:
    response = client.get(reverse("gates:detail", args=[initiative.slug, "transparency"]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_the_gate_page_offers_the_input_features_with_their_source(initiative, pm, login):
    shown = page(login(pm), initiative)

    assert "Input features (2): lactate_last_6h (LIS), heart_rate (EHR)." in shown
    assert "Prefilled from Auditable inputs — input inventory — check and save." in shown


@pytest.mark.django_db
def test_a_saved_answer_is_not_replaced_by_the_prefill(initiative, pm, login):
    gate_save_data(gate=gate_of(initiative, "transparency"), by=pm, data=valid_data("transparency"))

    shown = page(login(pm), initiative)

    assert valid_data("transparency")["demographic_inputs"] in shown
    assert "Input features (2)" not in shown and "Prefilled from" not in shown


@pytest.mark.django_db
def test_saving_stores_what_the_form_posted_not_the_offer(initiative, pm, login):
    gate = gate_of(initiative, "transparency")
    answers = data("transparency", demographic_inputs="Age only.")

    response = login(pm).post(reverse("gates:detail", args=[initiative.slug, "transparency"]), page_post(gate, answers))

    assert response.status_code == 302
    assert fresh(gate).data == answers


@pytest.mark.django_db
def test_the_prefill_costs_the_gate_page_at_most_one_query(initiative, pm, login):
    client = login(pm)
    client.get(reverse("gates:detail", args=[initiative.slug, "paper-fallback"]))  # stamps the session

    def queries(key: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("gates:detail", args=[initiative.slug, key])).status_code == 200
        return len(captured)

    plain = queries("paper-fallback")  # a main form with no prefill
    assert queries("transparency") <= plain + 1
    for key in ("false-positive-cost", "regulatory-classification"):
        gate_save_data(gate=gate_of(initiative, key), by=pm, data=valid_data(key))
    assert queries("transparency") <= plain + 1
