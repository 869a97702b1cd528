"""Gate 4 — cognitive load (SPEC §4.4): net load must not increase; work moving down the
training ladder warns."""

from datetime import date

import pytest

from healthpm.gates.definitions.cognitive_load import GATE, compute
from healthpm.gates.services import gate_save_data
from tests.factories import context, InitiativeFactory, fresh, gate_of
from tests.gates.rules.helpers import ctx, add_pdf, data, form_for

TODAY = date(2026, 6, 15)
KEY = "cognitive-load"


def load(before, after, clicks, seconds, cases=20.0, **changes) -> dict:
    return data(KEY, before_minutes=before, after_minutes=after, added_interactions=clicks,
                seconds_per_interaction=seconds, cases_per_day=cases, **changes)


def blocking(answers) -> list[str]:
    return [f.message for f in GATE.findings(answers, ctx(TODAY)) if f.blocks]


def test_one_added_second_per_case_is_a_net_increase_and_blocks():
    answers = load(6.0, 6.0, 1.0, 1.0, cases=60.0)

    assert round(compute(answers).net_minutes_per_case, 4) == 0.0167
    assert blocking(answers) == [
        "Net load increases by 0.02 minutes per case (1 minutes a day at 60 cases): "
        "remove interactions or show a measured saving that outweighs them."
    ]
    assert GATE.findings(answers, ctx(TODAY))[0].field == "after_minutes"


def test_no_change_in_load_passes():
    assert compute(load(6.0, 6.0, 0.0, 3.0)).net_minutes_per_case == 0
    assert blocking(load(6.0, 6.0, 0.0, 3.0)) == []


def test_a_saving_that_outweighs_the_added_clicks_passes():
    # 6 → 5.5 min, plus 10 clicks × 3 s = 0.5 min: exactly even.
    assert blocking(load(6.0, 5.5, 10.0, 3.0)) == []
    # One more click tips it over.
    assert blocking(load(6.0, 5.5, 11.0, 3.0))


def test_a_net_saving_passes_and_the_working_shows_the_arithmetic():
    answers = load(6.0, 4.0, 200.0, 0.4, cases=10.0)  # −2 min + 0.4 s × 200 (80 s) = −0.67 min a case

    assert blocking(answers) == []
    working = GATE.working(answers, ctx())
    assert working.steps[0].substituted == "0.4 s × 200"
    assert working.steps[0].value == 80.0
    assert working.verdict == "Net −0.67 min per case, −7 min a day: saves or keeps time per case."


def test_work_moving_from_a_nurse_to_a_medical_assistant_warns():
    answers = load(6.0, 5.0, 0.0, 0.0, roles_before=["registered_nurse"], roles_after=["medical_assistant"])

    findings = GATE.findings(answers, ctx(TODAY))

    assert [(f.level, f.field) for f in findings] == [("warn", "roles_after")]
    assert findings[0].message == (
        "Work moves to a role with less clinical training: Medical assistant. "
        "Confirm training, supervision and scope of practice."
    )


def test_work_moving_to_an_equally_or_better_trained_role_does_not_warn():
    assert GATE.findings(load(6.0, 5.0, 0.0, 0.0, roles_before=["registered_nurse"],
                              roles_after=["pharmacist", "registered_nurse"]), ctx(TODAY)) == []


@pytest.mark.django_db
def test_gate_blockers_on_both_sides_of_zero(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    add_pdf(gate, pm, "time-on-task-study")

    gate_save_data(gate=fresh(gate), by=pm, data=load(6.0, 6.0, 0.0, 1.0))
    assert fresh(gate).blockers(context()) == []

    gate_save_data(gate=fresh(gate), by=pm, data=load(6.0, 6.0, 1.0, 1.0))
    [message] = fresh(gate).blockers(context())
    assert message.startswith("Net load increases by 0.02 minutes per case")


# --- the form -------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), [
    ({"before_minutes": -1.0}, "before_minutes"),
    ({"after_minutes": -0.5}, "after_minutes"),
    ({"seconds_per_interaction": -3.0}, "seconds_per_interaction"),
    ({"cases_measured": 0}, "cases_measured"),
    ({"roles_after": ["chief_vibes_officer"]}, "roles_after"),
    ({"method": "guess"}, "method"),
])
def test_the_form_refuses_impossible_answers_naming_the_field(pm, changes, field):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, data(KEY, **changes))

    assert not form.is_valid()
    assert list(form.main.errors) == [field]


@pytest.mark.django_db
def test_the_form_refuses_a_number_beyond_any_real_task_naming_the_field(pm):
    """Found by the form fuzzer: 1e308 was saved, then the gate page and the live preview failed (a 500)."""
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, data(KEY, after_minutes=1e308, cases_per_day=1e308))

    assert not form.is_valid()
    assert list(form.main.errors) == ["after_minutes"]
    assert form.main.errors["after_minutes"][0].startswith("Minutes per case after must be at most 1,440 (a whole day)")


@pytest.mark.django_db
def test_the_form_saves_what_it_was_given(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    form = form_for(gate, data(KEY))

    assert form.is_valid(), form.error_messages()
    assert form.to_data() == data(KEY)


# --- floors: typos that would hide the load, refused naming the field ------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"cases_per_day": 0.0}, "cases_per_day", "A tool in use sees some cases a day"),
    ({"seconds_per_interaction": 0.0}, "seconds_per_interaction", "Each added click or interaction takes some time"),
])
def test_a_zero_that_would_hide_the_added_load_is_refused(pm, changes, field, says):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, {**load(6.0, 6.5, 4.0, 15.0), **changes})

    assert not form.is_valid()
    assert list(form.main.errors) == [field]
    assert form.main.errors[field][0].startswith(says)


@pytest.mark.django_db
def test_no_added_interactions_need_no_seconds(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    assert form_for(gate, load(6.0, 5.0, 0.0, 0.0)).is_valid()
