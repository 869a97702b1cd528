"""Monitoring plan (checklist v2, issue 12 item 9): pause thresholds as data, alert volume and
PPV for an alerting model, owners, the paper-fallback handover."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from healthpm.accounts import roles
from healthpm.gates.definitions.monitoring_plan import GATE
from healthpm.gates.services import gate_save_data
from healthpm.lib.monitoring import breaches, threshold_of
from tests.factories import InitiativeFactory, UserFactory, fresh, gate_of
from tests.gates.rules.helpers import ctx, data, form_for

TODAY = date(2026, 6, 15)
KEY = "monitoring-plan"


def blocking(answers) -> list[str]:
    return [f.message for f in GATE.findings(answers, ctx(TODAY)) if f.blocks]


def warnings(answers) -> list[str]:
    return [f.message for f in GATE.findings(answers, ctx(TODAY)) if not f.blocks]


def metric(code: str, **changes) -> dict:
    """A row of the passing plan; a metric it does not watch as a copy of its override-rate row."""
    rows = data(KEY)["metrics"]
    row = next((r for r in rows if r["metric"] == code), None)
    if row is None:
        row = {**next(r for r in rows if r["metric"] == "override_rate"), "metric": code, "name": ""}
    return {**row, **changes}


def plan(*rows, **changes) -> dict:
    return data(KEY, metrics=list(rows), **changes)


PPV = metric("ppv")
VOLUME = metric("alert_volume")


def test_the_passing_plan_passes_and_counts_its_pause_thresholds():
    answers = data(KEY)
    assert blocking(answers) == []
    assert GATE.portfolio_facts(answers, ctx(TODAY)) == {"pause_thresholds": 2}


# --- a pause threshold ------------------------------------------------------------------------
def test_a_plan_without_any_pause_threshold_blocks():
    answers = plan(metric("alert_volume", pause_direction="", pause_value=None),
                   metric("ppv", pause_direction="", pause_value=None))
    assert blocking(answers) == [
        "No metric has a pause threshold: give at least one metric the direction and value that pause the model and "
        "reopen review."
    ]
    assert GATE.portfolio_facts(answers, ctx(TODAY)) == {"pause_thresholds": 0}


def test_the_stored_threshold_is_structured_and_the_live_check_reads_it():
    threshold = threshold_of(PPV)
    assert (threshold.direction, threshold.value) == ("below", Decimal("0.10"))
    assert breaches(threshold, "0.09") and not breaches(threshold, "0.10")


def test_half_a_threshold_blocks_naming_the_metric():
    answers = plan(VOLUME, metric("ppv", pause_value=None))
    assert blocking(answers) == [
        "Metric “PPV”: The pause direction is “below” but no value is given. Complete the pause threshold or clear it."
    ]


def test_an_expected_value_already_past_the_threshold_blocks():
    # PPV expected 0.08 with a pause below 0.10: the model would pause at once.
    answers = plan(VOLUME, metric("ppv", expected="0.08"))
    assert blocking(answers) == [
        "Metric “PPV”: the expected value 0.08 is already below the pause threshold 0.10, so the model would pause the "
        "day it launches. Check the direction and the value."
    ]


def test_an_expected_value_at_the_threshold_does_not_block():
    assert blocking(plan(VOLUME, metric("ppv", expected="0.10"))) == []


# --- alerting model: alert volume and PPV --------------------------------------------------------
def test_an_alerting_model_without_ppv_blocks_and_says_why():
    assert blocking(plan(VOLUME, metric("override_rate"))) == [
        "The model raises alerts, but the plan does not monitor PPV: alert volume and PPV drive the false-positive "
        "cost (false alerts a day = alerts a day × (1 − PPV)), so watch both."
    ]


def test_an_alerting_model_without_either_names_both():
    answers = plan(metric("turnaround_time", pause_direction="above", pause_value="30", expected="12"))
    assert "does not monitor alert volume per day and PPV" in blocking(answers)[0]


def test_a_model_that_raises_no_alerts_need_not_watch_alert_volume():
    answers = plan(metric("turnaround_time", pause_direction="above", pause_value="30", expected="12"),
                   alerting_model=False)
    assert blocking(answers) == []


# --- owner, expected value, handover -------------------------------------------------------------
def test_a_metric_without_an_owner_blocks_by_name():
    answers = plan(VOLUME, metric("ppv", owner="", owner_name=""))
    assert blocking(answers) == ["Metric “PPV”: no owner. Choose who watches it and acts on it."]


def test_a_metric_without_an_expected_value_warns_only():
    answers = plan(VOLUME, PPV, metric("other", name="Sepsis bundle started within 3 h", expected=None,
                                       pause_direction="", pause_value=None))
    assert blocking(answers) == []
    assert warnings(answers) == [
        "Metric “Sepsis bundle started within 3 h”: no expected value, so nobody can tell a drift from normal. Give "
        "the value expected at launch."
    ]


def test_a_pause_that_does_not_hand_over_to_the_paper_fallback_blocks():
    assert blocking(data(KEY, fallback_is_paper=False)) == [
        "A pause does not hand over to the paper fallback: when the model is paused, staff need the downtime "
        "procedure of the “Paper fallback” gate. Confirm it takes over, or extend that procedure first."
    ]


def test_the_working_shows_the_headroom_of_each_threshold():
    steps = GATE.working(data(KEY), ctx(TODAY)).steps
    assert [(s.formula, s.substituted, s.value) for s in steps] == [
        ("threshold − expected", "60 − 34", Decimal("26")),
        ("expected − threshold", "0.18 − 0.10", Decimal("0.08")),
    ]


def test_the_paper_fallback_owner_is_offered_as_the_reference():
    offered = GATE.prefill({"paper-fallback": {"procedure_owner": "Nurse manager, 5 West"}}, ctx(TODAY))
    assert offered["fallback_reference"].value == "Downtime procedure owned by Nurse manager, 5 West"


# --- the form: owners are active PM / compliance users --------------------------------------------
@pytest.fixture
def v2_gate(pm):
    return gate_of(InitiativeFactory(owner=pm, checklist_version=2), KEY)


@pytest.mark.django_db
def test_the_owner_is_stored_with_the_display_name(v2_gate, compliance):
    answers = data(KEY)
    answers["metrics"][1] = {**PPV, "owner": "grace", "owner_name": "ignored: the form sets it"}
    form = form_for(v2_gate, answers)
    assert form.is_valid(), form.error_messages()
    assert form.to_data()["metrics"][1]["owner_name"] == "Grace Okafor"


@pytest.mark.django_db
def test_only_active_pm_and_compliance_users_may_own_a_metric(v2_gate, leader):
    UserFactory(username="gone", first_name="Gone", last_name="Away", is_active=False).groups.add(
        Group.objects.get_or_create(name=roles.PRODUCT_MANAGER)[0])
    for username in ("lena", "gone", "nobody"):
        answers = data(KEY)
        answers["metrics"][0] = {**VOLUME, "owner": username}
        form = form_for(v2_gate, answers)
        assert not form.is_valid(), username
        assert any(m.startswith("Metric 1, Owner: Select a valid choice.") for m in form.error_messages())


@pytest.mark.django_db
def test_a_saved_owner_who_left_is_kept_and_marked(v2_gate, pm):
    answers = data(KEY)
    answers["metrics"][0] = {**VOLUME, "owner": "olu", "owner_name": "Olu Adeyemi"}
    gate_save_data(gate=v2_gate, by=pm, data=answers)
    gate = fresh(v2_gate)

    form = form_for(gate, gate.data)
    assert form.is_valid(), form.error_messages()
    assert form.to_data()["metrics"][0]["owner_name"] == "Olu Adeyemi"
    shown = dict(form.formsets["metrics"].forms[0].fields["owner"].choices)
    assert shown["olu"] == "Olu Adeyemi (no longer active)"


@pytest.mark.django_db
def test_the_form_refuses_half_a_threshold_and_names_the_row(v2_gate):
    answers = plan(VOLUME, metric("ppv", pause_value=None))
    form = form_for(v2_gate, answers)
    assert not form.is_valid()
    assert "Metric 2, Pause threshold: Give the value that pauses the model, or clear “Pause when”." in form.error_messages()

    answers = plan(VOLUME, metric("ppv", pause_direction=""))
    form = form_for(v2_gate, answers)
    assert "Metric 2, Pause when: Say whether the model pauses above or below 0.10." in form.error_messages()


@pytest.mark.django_db
def test_the_form_refuses_an_absurd_number_and_an_unnamed_other_metric(v2_gate):
    form = form_for(v2_gate, plan(metric("alert_volume", pause_value="1e308"), PPV))
    assert not form.is_valid()
    form = form_for(v2_gate, plan(VOLUME, PPV, metric("other", name="")))
    assert "Metric 3, Name: Name the metric." in form.error_messages()


@pytest.mark.django_db
def test_the_owner_choices_are_queried_once_for_the_whole_table(v2_gate):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(answers) -> int:
        with CaptureQueriesContext(connection) as captured:
            form_for(v2_gate, answers).is_valid()
        return len(captured)

    assert queries(plan(VOLUME, PPV)) == queries(plan(*[metric("other", name=f"Metric {n}") for n in range(20)],
                                                      VOLUME, PPV))
