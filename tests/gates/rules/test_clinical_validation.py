"""Gate 7 — clinical validation and subgroup performance (SPEC §4.7, checklist v2): the
pre-registered bar, the subgroup gap rule with its Wilson bound, required dimensions from the
admin's reference data, too-small subgroups, and the form's errors naming the row.

Numbers, worked by hand from the gate's own examples: overall TP 168, FP 312, FN 32, TN 3,488,
so sensitivity 168 ÷ 200 = 0.84 (Wilson 0.7829–0.8843) and PPV 168 ÷ 480 = 0.35. In the blocking
example the 75+ band catches 17 of 34 = 0.50 (Wilson 0.3407–0.6593): it trails by 0.34 > 0.05
and its upper bound 0.6593 < 0.84 − 0.05 = 0.79.
"""

from datetime import date, timedelta

import pytest

from healthpm.gates.definitions.clinical_validation import GATE, margin_of
from healthpm.gates.models import SubgroupDimension
from tests.factories import InitiativeFactory, context, example_data, gate_of
from tests.gates.rules.helpers import ctx, form_for

TODAY = date(2026, 6, 15)
KEY = "clinical-validation"

GAP_75 = ("Subgroup “Age band 75+”: sensitivity 0.5000 (17 ÷ (17 + 17); 95% CI 0.3407–0.6593) trails overall "
          "0.8400 by 0.3400, more than the margin of 0.05, and even its upper bound 0.6593 is below overall − "
          "margin = 0.7900.")


def passing(**changes) -> dict:
    return {**GATE.examples(ctx(TODAY)).passing, **changes}


def blocking_example(**changes) -> dict:
    return {**GATE.examples(ctx(TODAY)).blocking, **changes}


def row(dimension, value, tp, fp, fn, tn, justification="", mitigation=""):
    return {"dimension": dimension, "value": value, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "justification": justification, "mitigation": mitigation}


def with_row(data: dict, index: int, **changes) -> dict:
    rows = [dict(r) for r in data["subgroups"]]
    rows[index].update(changes)
    return {**data, "subgroups": rows}


def messages(data, context_=None, level=None) -> list[str]:
    found = GATE.findings(data, context_ or ctx(TODAY))
    return [f.message for f in found if level is None or f.level == level]


def blockers(data, context_=None) -> list[str]:
    return messages(data, context_, "block")


def warnings(data, context_=None) -> list[str]:
    return messages(data, context_, "warn")


# --- the examples ---------------------------------------------------------------------------
def test_the_passing_example_raises_nothing():
    assert messages(passing()) == []


def test_the_blocking_example_blocks_on_the_75_plus_gap_only():
    assert messages(blocking_example()) == [
        GAP_75 + " Write a justification and a mitigation for this subgroup, or improve the model for it."]


def test_the_examples_use_the_seeded_dimension_names():
    dimensions = {r["dimension"] for r in passing()["subgroups"]}
    assert {"Age band", "Sex", "Race/ethnicity"} <= dimensions


# --- the pre-registered bar -------------------------------------------------------------------
def test_overall_sensitivity_below_the_bar_blocks():
    # 150 of 200 = 0.75 < 0.8. Wilson: 0.6857–0.8049.
    data = passing(tp=150, fn=50, subgroups=[], bar_date="2026-01-10")
    assert blockers(data, _no_dimensions()) == [
        "Overall sensitivity 0.7500 (150 ÷ (150 + 50); 95% CI 0.6857–0.8049) is below the minimum sensitivity of "
        "0.8 the committee set on 2026-01-10: improve the model or validate it again; the bar stands."]


def test_a_sensitivity_exactly_at_the_bar_passes():
    # 160 of 200 is exactly 0.80 (compared as fractions, not floats).
    assert blockers(passing(tp=160, fn=40, fp=312, subgroups=[]), _no_dimensions()) == []


def test_overall_ppv_below_the_bar_blocks():
    # 168 of 168 + 500 = 0.2515 < 0.3. Wilson: 0.2201–0.2858.
    data = passing(fp=500, tn=3300, subgroups=[], bar_date="2026-01-10")
    assert blockers(data, _no_dimensions()) == [
        "Overall PPV 0.2515 (168 ÷ (168 + 500); 95% CI 0.2201–0.2858) is below the minimum PPV of 0.3 the committee "
        "set on 2026-01-10: improve the model or validate it again; the bar stands."]


def test_a_bar_on_specificity_is_judged_on_specificity_not_ppv():
    # Specificity 3,488 ÷ 3,800 = 0.9179: a bar of 0.95 blocks, while PPV 0.35 would pass 0.3.
    data = passing(bar_metric="specificity", min_bar_metric=0.95, subgroups=[], bar_date="2026-01-10")
    assert blockers(data, _no_dimensions()) == [
        "Overall specificity 0.9179 (3,488 ÷ (3,488 + 312); 95% CI 0.9087–0.9262) is below the minimum specificity "
        "of 0.95 the committee set on 2026-01-10: improve the model or validate it again; the bar stands."]
    assert blockers({**data, "min_bar_metric": 0.9}, _no_dimensions()) == []


def test_a_model_that_flags_nobody_has_no_ppv_and_blocks_on_both_counts():
    data = passing(tp=0, fp=0, fn=200, tn=3800, subgroups=[], bar_date="2026-01-10")
    assert blockers(data, _no_dimensions()) == [
        "Overall sensitivity 0.0000 (0 ÷ (0 + 200); 95% CI 0.0000–0.0188) is below the minimum sensitivity of 0.8 "
        "the committee set on 2026-01-10: improve the model or validate it again; the bar stands.",
        "Overall PPV cannot be computed: the model flagged no patient (TP + FP = 0), so the minimum PPV of 0.3 is "
        "not shown to be met.",
    ]


@pytest.mark.parametrize(("bar_date", "results_date"), [("2026-04-02", "2026-04-02"), ("2026-05-01", "2026-04-02")])
def test_a_bar_not_set_before_the_results_warns_that_it_is_not_preregistered(bar_date, results_date):
    data = passing(bar_date=bar_date, results_date=results_date)
    assert blockers(data) == []
    assert warnings(data) == [
        f"The quality bar was set on {bar_date}, not before the results of {results_date}: it is not "
        "pre-registered. Say in the validation report why, since a bar set knowing the results proves less."]


def test_a_bar_set_a_day_before_the_results_is_preregistered():
    assert warnings(passing(bar_date="2026-04-01", results_date="2026-04-02")) == []
    facts = dict(GATE.working(passing(bar_date="2026-04-01", results_date="2026-04-02"), ctx(TODAY)).facts)
    assert facts["Pre-registered"] == "yes: bar set 2026-04-01, results 2026-04-02"


# --- required dimensions ----------------------------------------------------------------------------
def test_a_required_dimension_without_rows_blocks_by_name():
    data = passing(subgroups=[r for r in passing()["subgroups"] if r["dimension"] != "Race/ethnicity"])
    assert blockers(data) == [
        "No subgroup rows for “Race/ethnicity”, a required dimension: add a confusion matrix for each of its "
        "subgroups."]


def test_no_subgroups_at_all_blocks_for_each_required_dimension():
    assert blockers(passing(subgroups=[])) == [
        f"No subgroup rows for “{name}”, a required dimension: add a confusion matrix for each of its subgroups."
        for name in ("Age band", "Sex", "Race/ethnicity")]


@pytest.mark.django_db
def test_the_administrator_decides_which_dimensions_are_required():
    without_race = passing(subgroups=[r for r in passing()["subgroups"] if r["dimension"] != "Race/ethnicity"])
    assert len(blockers(without_race, context(today=TODAY))) == 1

    SubgroupDimension.objects.filter(name="Race/ethnicity").update(required=False)
    assert blockers(without_race, context(today=TODAY)) == []

    SubgroupDimension.objects.filter(name="Comorbidity").update(required=True)
    assert blockers(without_race, context(today=TODAY)) == [
        "No subgroup rows for “Comorbidity”, a required dimension: add a confusion matrix for each of its subgroups."]

    SubgroupDimension.objects.create(name="Insurance status", required=True)
    assert len(blockers(passing(), context(today=TODAY))) == 2


# --- the subgroup gap rule --------------------------------------------------------------------------
def test_a_justification_alone_does_not_lift_the_gap_block():
    data = with_row(blocking_example(), 2, justification="Few 75+ patients in the training data.")
    assert blockers(data) == [GAP_75 + " Write a mitigation for this subgroup, or improve the model for it."]


def test_a_mitigation_alone_does_not_lift_the_gap_block():
    data = with_row(blocking_example(), 2, mitigation="Lower alert threshold for patients 75 and over.")
    assert blockers(data) == [GAP_75 + " Write a justification for this subgroup, or improve the model for it."]


def test_a_justification_and_a_mitigation_turn_the_gap_into_a_warning_quoting_both():
    data = with_row(blocking_example(), 2, justification="  Few 75+ patients in the training data. ",
                    mitigation="Lower alert threshold for patients 75 and over.")
    assert blockers(data) == []
    assert warnings(data) == [
        GAP_75 + " Accepted with the justification “Few 75+ patients in the training data.” and the mitigation "
        "“Lower alert threshold for patients 75 and over.”."]


def test_a_gap_beyond_the_margin_that_chance_may_explain_does_not_block():
    # 17 of 24 = 0.7083 trails 0.84 by 0.1317, but its Wilson upper bound 0.8509 is above 0.79.
    data = with_row(passing(), 2, tp=17, fn=7)
    assert messages(data) == []
    steps = {s.label: s for s in GATE.working(data, ctx(TODAY)).steps}
    sensitivity = steps["Sensitivity, Age band 75+"]
    assert (sensitivity.formula, sensitivity.substituted, round(sensitivity.value, 4), sensitivity.unit) == (
        "TP ÷ (TP + FN)", "17 ÷ (17 + 7)", 0.7083, "(95% CI 0.5083–0.8509)")
    floor = steps["Overall − margin, Age band 75+"]
    assert (floor.substituted, floor.value, floor.unit) == ("0.8400 − 0.05", 0.79, "(upper bound 0.8509 is not below)")


def test_a_gap_exactly_at_the_margin_is_within_it():
    # Overall 170 of 200 = 0.85; the subgroup 40 of 50 = 0.80 trails by exactly 0.05.
    data = passing(tp=170, fn=30, subgroups=[row("Age band", "75+", 40, 10, 10, 400), *passing()["subgroups"][3:]])
    assert blockers(data, _no_dimensions()) == []


def test_the_bar_margin_overrides_the_setting(settings):
    # With a margin of 0.40 the 75+ band's 0.34 gap is within it.
    assert blockers(blocking_example(margin=0.4)) == []
    settings.HEALTHPM_SUBGROUP_MARGIN = 0.40
    assert margin_of({"margin": None}, ctx(TODAY)) == 0.40
    assert blockers({**blocking_example(), "margin": None}, ctx(TODAY)) == []


def test_a_subgroup_with_too_few_positives_warns_and_is_not_judged():
    # 0 of 9 would trail by 0.84, but 9 positives are too few to judge.
    data = {**passing(), "subgroups": [*passing()["subgroups"], row("Race/ethnicity", "Asian", 0, 20, 9, 300)]}
    assert blockers(data) == []
    assert warnings(data) == [
        "Subgroup “Race/ethnicity Asian”: only 9 positives (TP + FN), fewer than the 10 needed to judge it, so it is "
        "not judged against the margin."]
    assert GATE.portfolio_facts(data, ctx(TODAY)) == {"worst_subgroup_gap": 0.0165}


def test_the_minimum_positives_is_a_setting(settings):
    settings.HEALTHPM_SUBGROUP_MIN_POSITIVES = 40
    # 75+ (34 positives) and Hispanic or Latino (34) are now too small to judge.
    assert len(warnings(passing())) == 2
    assert blockers(blocking_example()) == []


def test_a_subgroup_without_positives_says_sensitivity_cannot_be_computed():
    data = {**passing(), "subgroups": [*passing()["subgroups"], row("Site", "North ED", 0, 12, 0, 400)]}
    assert warnings(data) == [
        "Subgroup “Site North ED”: no positives (TP + FN = 0), so its sensitivity cannot be computed and it is not "
        "judged against the margin."]
    assert "Sensitivity, Site North ED" not in {s.label for s in GATE.working(data, ctx(TODAY)).steps}


def test_calibration_not_reported_warns():
    data = passing(calibration_slope=None, calibration_intercept=None)
    assert warnings(data) == [
        "Calibration is not reported: give observed and expected events by risk decile, or the calibration slope "
        "and intercept."]
    decile = {"decile": 1, "n": 400, "expected": 2.5, "observed": 3}
    assert warnings({**data, "calibration": [decile]}) == []


# --- working, tables, facts ---------------------------------------------------------------------------
def test_the_working_shows_the_arithmetic_of_the_blocking_subgroup():
    working = GATE.working(blocking_example(), ctx(TODAY))
    steps = {s.label: (s.formula, s.substituted, round(float(s.value), 4), s.unit) for s in working.steps}
    assert steps["Sensitivity, overall"] == ("TP ÷ (TP + FN)", "168 ÷ (168 + 32)", 0.84, "(95% CI 0.7829–0.8843)")
    assert steps["PPV, overall"] == ("TP ÷ (TP + FP)", "168 ÷ (168 + 312)", 0.35, "(95% CI 0.3087–0.3937)")
    assert steps["Prevalence, overall"] == (
        "(TP + FN) ÷ (TP + FP + FN + TN)", "(168 + 32) ÷ (168 + 312 + 32 + 3,488)", 0.05, "(95% CI 0.0437–0.0572)")
    assert steps["Sensitivity, Age band 75+"] == ("TP ÷ (TP + FN)", "17 ÷ (17 + 17)", 0.5, "(95% CI 0.3407–0.6593)")
    assert steps["Gap to overall sensitivity, Age band 75+"] == (
        "overall sensitivity − subgroup sensitivity", "0.8400 − 0.5000", 0.34, "(more than the margin 0.05)")
    assert steps["Overall − margin, Age band 75+"] == (
        "overall sensitivity − margin", "0.8400 − 0.05", 0.79, "(upper bound 0.6593 is below)")
    assert steps["Gap to overall sensitivity, Age band 18–64"][3] == "(does not trail overall)"
    assert dict(working.facts)["Worst subgroup gap"] == "0.3400 (Age band 75+)"
    assert working.verdict == ("Overall sensitivity 0.8400 against a bar of 0.8; 8 subgroups judged against a "
                               "margin of 0.05: blocks.")


HEADERS = ("Subgroup", "Cases (n)", "Positives (TP+FN)", "Sensitivity (95% CI)", "Specificity (95% CI)",
           "PPV (95% CI)", "NPV (95% CI)", "Gap to overall sensitivity", "Judged")


def performance(data: dict) -> dict[str, tuple[str, ...]]:
    """The comparison table's rows by subgroup name."""
    table = GATE.tables(data, ctx(TODAY))[0]
    assert table.title == "Performance by subgroup" and table.headers == HEADERS
    return {r[0]: r[1:] for r in table.rows}


def test_one_comparison_table_for_overall_and_every_subgroup():
    tables = GATE.tables(blocking_example(), ctx(TODAY))
    assert [t.title for t in tables] == ["Performance by subgroup", "Subgroup confusion matrices"]
    rows = performance(blocking_example())
    assert list(rows) == ["Overall", "Age band 18–64", "Age band 65–74", "Age band 75+", "Sex Female", "Sex Male",
                          "Race/ethnicity Black", "Race/ethnicity White", "Race/ethnicity Hispanic or Latino"]
    # Overall: 4,000 cases, 200 positives; sensitivity 168 ÷ 200, specificity 3,488 ÷ 3,800 = 0.9179,
    # PPV 168 ÷ 480, NPV 3,488 ÷ 3,520 = 0.9909, each with its 95% Wilson interval.
    assert rows["Overall"] == ("4,000", "200", "0.8400 (0.7829–0.8843)", "0.9179 (0.9087–0.9262)",
                               "0.3500 (0.3087–0.3937)", "0.9909 (0.9872–0.9936)", "—", "the reference")
    # 75+: 674 cases, 17 ÷ 34 = 0.50, PPV 17 ÷ 69 = 0.2464, NPV 588 ÷ 605 = 0.9719; gap 0.84 − 0.50.
    assert rows["Age band 75+"] == ("674", "34", "0.5000 (0.3407–0.6593)", "0.9187 (0.8950–0.9375)",
                                    "0.2464 (0.1599–0.3596)", "0.9719 (0.9555–0.9824)", "0.3400", "yes: blocks")
    # 18–64 catches 108 of 118 = 0.9153, above overall: a negative gap, judged and within the rule.
    assert rows["Age band 18–64"][2] == "0.9153 (0.8510–0.9533)"
    assert rows["Age band 18–64"][-2:] == ("−0.0753", "yes")


def test_the_comparison_table_says_why_a_subgroup_is_not_judged_or_is_justified():
    small = row("Age band", "90+", 6, 10, 3, 200)  # 9 positives, fewer than 10
    none = row("Sex", "Other", 0, 4, 0, 40)
    justified = row("Age band", "75+", 17, 52, 17, 588, "Few 75+ in the cohort", "Lower threshold for 75+")
    rows = performance(passing(subgroups=[small, none, justified, {"dimension": "Sex", "value": "X", "tp": 1}]))
    # 6 ÷ 9 = 0.6667 is still shown, with its gap 0.84 − 0.6667 = 0.1733, but not judged.
    assert rows["Age band 90+"] == ("219", "9", "0.6667 (0.3542–0.8794)", "0.9524 (0.9146–0.9739)",
                                    "0.3750 (0.1848–0.6136)", "0.9852 (0.9575–0.9950)", "0.1733",
                                    "not judged: 9 positives, fewer than 10")
    assert rows["Sex Other"] == ("44", "0", "—", "0.9091 (0.7884–0.9641)", "0.0000 (0.0000–0.4899)",
                                 "1.0000 (0.9124–1.0000)", "—", "not judged: no positives")
    assert rows["Age band 75+"][-1] == "justified"
    assert rows["Sex X"] == ("—",) * 7 + ("not judged: counts incomplete",)


def test_the_calibration_table_shows_observed_over_expected_by_decile():
    deciles = [{"decile": 10, "n": 400, "expected": 60.0, "observed": 48},
               {"decile": 1, "n": 400, "expected": 2.5, "observed": 3},
               {"decile": 2, "n": 400, "expected": 0.0, "observed": 0}]
    data = passing(calibration=deciles)
    table = next(t for t in GATE.tables(data, ctx(TODAY)) if t.title == "Calibration by risk decile")
    # 3 ÷ 2.5 = 1.2 (under-predicts); 48 ÷ 60 = 0.8 (over-predicts); nothing expected: no ratio.
    assert table.rows == (("1", "400", "2.5", "3", "1.2000"), ("2", "400", "0", "0", "—"),
                          ("10", "400", "60", "48", "0.8000"))
    steps = {s.label: (s.substituted, s.value) for s in GATE.working(data, ctx(TODAY)).steps}
    assert steps["Observed ÷ expected, decile 1"] == ("3 ÷ 2.5", 1.2)
    assert "Observed ÷ expected, decile 2" not in steps


def test_the_worst_subgroup_gap_fact():
    assert GATE.portfolio_facts(passing(), ctx(TODAY)) == {"worst_subgroup_gap": 0.0165}  # 0.84 − 28/34
    assert GATE.portfolio_facts(blocking_example(), ctx(TODAY)) == {"worst_subgroup_gap": 0.34}
    assert GATE.portfolio_facts(passing(subgroups=[]), ctx(TODAY)) == {"worst_subgroup_gap": None}
    assert GATE.portfolio_facts({}, ctx(TODAY)) == {"worst_subgroup_gap": None}
    # Every subgroup above overall: no subgroup trails, a gap of 0.
    better = passing(subgroups=[row("Age band", "18–64", 108, 180, 10, 2000)])
    assert GATE.portfolio_facts(better, ctx(TODAY)) == {"worst_subgroup_gap": 0.0}


def test_an_unfilled_gate_says_nothing():
    assert GATE.findings({}, ctx(TODAY)) == [] and not GATE.working({}, ctx(TODAY))
    assert not GATE.structured_complete({})


# --- the form -------------------------------------------------------------------------------------
@pytest.fixture
def gate(pm):
    return gate_of(InitiativeFactory(owner=pm, checklist_version=2), KEY)


def errors(gate, answers) -> list[str]:
    form = form_for(gate, answers)
    assert not form.is_valid()
    return form.error_messages()


@pytest.mark.django_db
def test_the_form_saves_the_examples_as_given(gate):
    for kind in ("passing", "blocking"):
        form = form_for(gate, example_data(KEY, kind))
        assert form.is_valid(), form.error_messages()
        assert form.to_data() == example_data(KEY, kind)


@pytest.mark.django_db
def test_two_rows_for_the_same_subgroup_are_refused_by_name(gate):
    valid = example_data(KEY)
    answers = {**valid, "subgroups": [*valid["subgroups"], {**valid["subgroups"][2], "value": " 75+ "}]}
    assert errors(gate, answers) == [
        "Subgroups (one confusion matrix each): Rows 3 and 9 are both “Age band 75+”. Each subgroup must appear once: "
        "merge or rename them."]
    # The same value under another dimension is another subgroup.
    other = {**valid, "subgroups": [*valid["subgroups"], {**valid["subgroups"][2], "dimension": "Comorbidity"}]}
    assert form_for(gate, other).is_valid()


@pytest.mark.django_db
def test_row_errors_name_the_row(gate):
    valid = example_data(KEY)
    rows = [dict(r) for r in valid["subgroups"]]
    rows[1].update(tp=0, fp=0, fn=0, tn=0)
    rows[3]["fn"] = -2
    rows[4]["tn"] = 10_000_001
    assert errors(gate, {**valid, "subgroups": rows}) == [
        "Subgroup 2, TP: “Age band 65–74” has no cases: all four counts are 0. Enter its confusion matrix or remove "
        "the row.",
        "Subgroup 4, FN: Ensure this value is greater than or equal to 0.",
        "Subgroup 5, TN: Ensure this value is less than or equal to 10000000.",
    ]


@pytest.mark.django_db
def test_an_overall_matrix_without_positives_or_negatives_is_refused(gate):
    valid = example_data(KEY)
    assert errors(gate, {**valid, "tp": 0, "fn": 0}) == [
        "Overall true positives (TP): The overall matrix has no positives (TP + FN = 0), so sensitivity cannot be "
        "computed: a validation study needs patients with the condition."]
    assert errors(gate, {**valid, "fp": 0, "tn": 0}) == [
        "Overall true negatives (TN): The overall matrix has no negatives (FP + TN = 0), so specificity cannot be "
        "computed: a validation study needs patients without the condition."]
    assert errors(gate, {**valid, "tp": 1.5}) == ["Overall true positives (TP): Enter a whole number."]


@pytest.mark.django_db
def test_dates_and_conditional_answers_are_checked(gate):
    valid = example_data(KEY)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert errors(gate, {**valid, "results_date": tomorrow}) == [
        f"Date of the results: The results cannot be dated in the future ({tomorrow})."]
    assert errors(gate, {**valid, "period_end": "2020-01-01"}) == [
        "Study period to: The study period ends before it starts; check the dates."]
    assert errors(gate, {**valid, "design": "other"}) == ["Design details: Describe the study design."]
    assert errors(gate, {**valid, "uncertainty_display": "other", "uncertainty_description": ""}) == [
        "How it looks to the user: Describe how a low-confidence output is shown to the user."]
    assert errors(gate, {**valid, "calibration_intercept": None}) == [
        "Calibration intercept: Give the calibration slope and intercept together, or neither."]
    assert errors(gate, {**valid, "min_sensitivity": 80}) == [
        "Minimum sensitivity (the bar): Ensure this value is less than or equal to 1."]


@pytest.mark.django_db
def test_an_empty_margin_takes_the_setting_in_force(gate, settings):
    settings.HEALTHPM_SUBGROUP_MARGIN = 0.08
    form = form_for(gate, {**example_data(KEY), "margin": None})
    assert form.is_valid(), form.error_messages()
    assert form.to_data()["margin"] == 0.08
    assert form_for(gate, example_data(KEY)).main.fields["margin"].initial == 0.08


@pytest.mark.django_db
def test_a_dimension_no_longer_listed_is_kept_on_a_saved_row(gate, pm):
    from healthpm.gates.services import gate_save_data
    from tests.factories import fresh

    data = example_data(KEY)
    data["subgroups"] = [*data["subgroups"], {**data["subgroups"][0], "dimension": "Site", "value": "North"}]
    gate_save_data(gate=gate, by=pm, data=data)
    SubgroupDimension.objects.filter(name="Site").delete()
    gate = fresh(gate)

    form = gate.definition.form_class(initial=gate.data, gate=gate, context=context())
    kept = form.formsets["subgroups"].forms[-1].fields["dimension"].choices
    assert ("Site", "Site (no longer listed)") in kept
    assert ("Site", "Site") not in form.formsets["subgroups"].forms[0].fields["dimension"].choices
    posted = form_for(gate, gate.data)
    assert posted.is_valid(), posted.error_messages()
    assert posted.to_data()["subgroups"][-1]["dimension"] == "Site"


@pytest.mark.django_db
def test_calibration_rows_are_checked(gate):
    valid = example_data(KEY)
    decile = {"decile": 3, "n": 400, "expected": 10.5, "observed": 12}
    assert errors(gate, {**valid, "calibration": [{**decile, "observed": 401}]}) == [
        "Risk decile 1, Observed events: More observed events (401) than patients (400)."]
    assert errors(gate, {**valid, "calibration": [decile, {**decile, "decile": 3}]}) == [
        "Calibration by risk decile (optional): Rows 1 and 2 are both “Decile 3”. Each risk decile must appear once: "
        "merge or rename them."]
    assert errors(gate, {**valid, "calibration": [{**decile, "decile": 11}]}) == [
        "Risk decile 1, Risk decile: Ensure this value is less than or equal to 10."]


def _no_dimensions():
    """A context without reference data: the rules on the overall matrix alone."""
    base = ctx(TODAY)
    return base.__class__(today=TODAY, thresholds=base.thresholds)


@pytest.mark.parametrize(("counts", "message"), [
    ({"tp": 0, "fn": 0, "bar_metric": "ppv", "min_bar_metric": 0.0},
     "Overall sensitivity cannot be computed: the study has no patients with the condition (TP + FN = 0), so the "
     "minimum sensitivity of 0.8 is not shown to be met."),
    ({"fp": 0, "tn": 0, "bar_metric": "specificity"},
     "Overall specificity cannot be computed: the study has no patients without the condition (FP + TN = 0), so the "
     "minimum specificity of 0.3 is not shown to be met."),
])
def test_saved_counts_the_form_would_refuse_still_block_rather_than_pass(counts, message):
    # The form refuses these; answers saved another way (an import, an old version) must not pass.
    data = passing(subgroups=[], **counts)
    assert message in blockers(data, _no_dimensions())
    assert not GATE.structured_complete(data)
