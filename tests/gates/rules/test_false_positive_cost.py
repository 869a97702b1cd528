"""Gate 2 — false-positive cost (SPEC §4.2): the $5,000 threshold to the cent, the message that
says by how much and what would pass, the shown working, and impossible numbers refused."""

from datetime import date
from decimal import Decimal

import pytest

from healthpm.gates.definitions.false_positive_cost import GATE, compute
from healthpm.gates.services import gate_save_data
from tests.factories import context, InitiativeFactory, fresh, gate_of
from tests.gates.rules.helpers import ctx, add_pdf, data, form_for

TODAY = date(2026, 6, 15)
KEY = "false-positive-cost"

# SPEC §4.2's worked example: 300 patient-days a day, π 0.02, Se 0.80, Sp 0.90, 10 min at $50/h.
WORKED = data(
    KEY, mode="derived", alerts_per_day=None, ppv=None, evaluated_per_day=300.0, sensitivity=0.8,
    specificity=0.9, prevalence=0.02, minutes_per_false_alert=10.0, hourly_rate="50.00", days_per_month=30,
)
WORKED_MESSAGE = (
    "False alerts cost $7,350.00 a month, $2,350.00 over the $5,000.00 threshold. To pass, keep alerts at or "
    "below 23.3 a day at PPV 14.0%, or raise PPV to at least 41.5% at 34.2 alerts a day."
)


def measured(rate: str, **changes) -> dict:
    """40 alerts/day at PPV 0.5 → 20 false alerts × 10 min × 30 days = 6,000 min = $5,000 at $50/h."""
    return data(KEY, **{"mode": "measured", "alerts_per_day": 40.0, "ppv": 0.5, "minutes_per_false_alert": 10.0,
                        "hourly_rate": rate, "days_per_month": 30, **changes})


def blocking(answers) -> list[str]:
    return [f.message for f in GATE.findings(answers, ctx(TODAY)) if f.blocks]


# --- the threshold, to the cent -------------------------------------------------------------
def test_a_cost_exactly_at_the_threshold_passes():
    assert compute(measured("50")).cost_per_month == Decimal("5000.00")
    assert blocking(measured("50")) == []


def test_a_cost_one_cent_over_the_threshold_blocks_saying_by_how_much():
    answers = measured("50.0001")

    assert compute(answers).cost_per_month == Decimal("5000.01")
    [message] = blocking(answers)
    assert message.startswith("False alerts cost $5,000.01 a month, $0.01 over the $5,000.00 threshold.")


def test_the_worked_example_is_blocked_with_the_excess_and_what_would_pass():
    result = compute(WORKED)

    assert round(result.alerts_per_day, 1) == 34.2
    assert round(result.ppv, 3) == 0.140
    assert round(result.nne, 1) == 7.1
    assert round(result.false_alerts_per_day, 1) == 29.4
    assert result.cost_per_month == Decimal("7350.00")
    assert blocking(WORKED) == [WORKED_MESSAGE]
    assert GATE.findings(WORKED, ctx(TODAY))[0].field == "cost"


def test_the_threshold_is_a_setting(settings):
    settings.HEALTHPM_FP_COST_THRESHOLD_USD = 8000
    assert blocking(WORKED) == []

    settings.HEALTHPM_FP_COST_THRESHOLD_USD = 7349
    [message] = blocking(WORKED)
    assert "$1.00 over the $7,349.00 threshold" in message


def test_a_cheap_alert_load_passes_and_the_working_says_so():
    answers = data(KEY)  # 10 alerts/day, PPV 0.5, 5 min at $60/h → $750

    assert blocking(answers) == []
    assert GATE.working(answers, ctx()).verdict == "$750.00 a month against a threshold of $5,000.00: within the threshold."


# --- through the gate -----------------------------------------------------------------------
@pytest.mark.django_db
def test_gate_blockers_follow_the_threshold_on_both_sides(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    add_pdf(gate, pm, "alert-volume-source")
    add_pdf(gate, pm, "time-motion-study")

    gate_save_data(gate=fresh(gate), by=pm, data=measured("50.00"))
    assert fresh(gate).blockers(context()) == []

    gate_save_data(gate=fresh(gate), by=pm, data=WORKED)
    assert fresh(gate).blockers(context()) == [WORKED_MESSAGE]


@pytest.mark.django_db
def test_the_gate_page_shows_the_working_of_the_worked_example(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    gate_save_data(gate=gate, by=pm, data=WORKED)

    response = login(pm).get(gate.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    # Each step with its numbers: alerts/day, PPV, false alerts, minutes a day, hours a month, cost, FTE, NNE.
    for shown in ("300 × (0.8 × 0.02 + (1 − 0.9) × (1 − 0.02))", "34.2", "0.1404", "34.2 × (1 − 0.1404)", "29.4",
                  "29.4 × 10", "294 × 30 ÷ 60", "147 × $50.00", "$7,350.00", "294 ÷ (8 × 60)", "0.61",
                  "1 ÷ 0.1404", "7.1", "alerts per true case", "min/day", "h/month"):
        assert shown in page, shown
    assert "7.125" not in page and "0.6125" not in page and "patients</span>" not in page
    assert WORKED_MESSAGE in page


# --- impossible numbers refused by the form --------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"ppv": 1.5}, "ppv", "PPV must be in (0, 1]"),
    ({"ppv": 0}, "ppv", "PPV must be in (0, 1]"),
    ({"minutes_per_false_alert": -3}, "minutes_per_false_alert", "Minutes per false alert cannot be negative"),
    ({"hourly_rate": "-50"}, "hourly_rate", "Hourly rate cannot be negative"),
    ({"days_per_month": 40}, "days_per_month", "Days per month must be between 1 and 31"),
    ({"shift_hours": 0}, "shift_hours", "Shift hours must be more than 0"),
    ({"days_per_month": 0}, "days_per_month", "Days per month must be between 1 and 31"),
    ({"alerts_per_day": -1}, "alerts_per_day", "greater than or equal to 0"),
    ({"alerts_per_day": None}, "alerts_per_day", "Required for the chosen way of giving the alert volume."),
    # Found by the form fuzzer: each of these was a server error on save.
    ({"alerts_per_day": "1e308", "minutes_per_false_alert": "1e308"}, "minutes_per_false_alert",
     "Minutes per false alert must be at most 1,440 (a whole day) (got 1.0E+308): check for an extra digit"),
    ({"alerts_per_day": "1e12"}, "alerts_per_day", "Alerts per day must be at most 10,000,000 for one model"),
    ({"alerts_per_day": "1e7", "minutes_per_false_alert": "1440"}, "minutes_per_false_alert",
     "Cost per month comes to more than $1,000,000,000.00, beyond any real alerting system"),
])
def test_the_form_refuses_impossible_measured_numbers_naming_the_field(pm, changes, field, says):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, measured("50", **changes))

    assert not form.is_valid()
    assert list(form.main.errors) == [field]
    assert says in form.main.errors[field][0]


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"prevalence": 0}, "prevalence", "Prevalence must be in (0, 1)"),
    ({"prevalence": 1}, "prevalence", "Prevalence must be in (0, 1)"),
    ({"sensitivity": 1.2}, "sensitivity", "Sensitivity must be in [0, 1]"),
    ({"specificity": -0.1}, "specificity", "Specificity must be in [0, 1]"),
    ({"evaluated_per_day": None}, "evaluated_per_day", "Required for the chosen way"),
])
def test_the_form_refuses_impossible_derived_numbers_naming_the_field(pm, changes, field, says):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, {**WORKED, **changes})

    assert not form.is_valid()
    assert list(form.main.errors) == [field]
    assert says in form.main.errors[field][0]


def test_a_zero_shift_or_month_is_not_silently_replaced_by_the_default():
    # "0 or 8" would quietly compute with 8-hour shifts; a saved 0 is not a usable answer.
    assert compute(data(KEY, shift_hours=0)) is None
    assert compute(data(KEY, days_per_month=0)) is None
    assert compute(data(KEY, shift_hours=None)).fte == compute(data(KEY, shift_hours=8.0)).fte


@pytest.mark.django_db
def test_the_form_accepts_the_worked_example_and_saves_it_as_entered(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, WORKED)

    assert form.is_valid(), form.error_messages()
    assert form.to_data() == WORKED


# --- floors: typos refused as the ceilings are, each saying why ------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"hourly_rate": "0"}, "hourly_rate", "$0.00 an hour is below the US federal minimum wage of $7.25"),
    ({"hourly_rate": "7.24"}, "hourly_rate", "$7.24 an hour is below the US federal minimum wage of $7.25"),
    ({"alerts_per_day": 0.0001}, "alerts_per_day", "0.0001 alerts a day is fewer than 0.01 (one in 100 days)"),
    ({"alerts_per_day": 0}, "alerts_per_day", "0 alerts a day is fewer than 0.01"),
    ({"minutes_per_false_alert": 0}, "minutes_per_false_alert", "A false alert takes some of a responder's time"),
    ({"volume_source": "x"}, "volume_source", "Too short to find the source (1 character): say in at least 3 words"),
    ({"volume_source": "silent-mode-run-2026-q1"}, "volume_source", "at least 3 words and 20 characters"),
    ({"volume_source": "see the doc"}, "volume_source", "Too short to find the source (11 characters)"),
])
def test_the_form_refuses_typos_below_the_floors_naming_the_field_and_why(pm, changes, field, says):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, measured("50", **changes))

    assert not form.is_valid()
    assert list(form.main.errors) == [field]
    assert says in form.main.errors[field][0]
    label = str(form.main.fields[field].label)
    assert any(m.startswith(f"{label}: ") and says in m for m in form.error_messages())


@pytest.mark.django_db
def test_the_floors_are_settings_and_the_edge_passes(pm, settings):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    at_floor = measured("7.25", alerts_per_day=0.01, volume_source="Replay of 2025 admissions")
    assert form_for(gate, at_floor).is_valid(), form_for(gate, at_floor).main.errors

    settings.HEALTHPM_MIN_HOURLY_RATE_USD = "15.00"
    settings.HEALTHPM_MIN_ALERTS_PER_DAY = 0.1
    form = form_for(gate, at_floor)
    assert not form.is_valid()
    assert "below the US federal minimum wage of $15.00" in form.main.errors["hourly_rate"][0]
    assert "fewer than 0.1 (one in 10 days)" in form.main.errors["alerts_per_day"][0]


@pytest.mark.django_db
def test_derived_volume_below_the_floor_and_a_missing_unit_are_refused(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    form = form_for(gate, {**WORKED, "evaluated_per_day": 0.001, "population_unit": ""})

    assert not form.is_valid()
    assert "fewer than 0.01" in form.main.errors["evaluated_per_day"][0]
    assert form.main.errors["population_unit"] == ["Choose what N counts (patient-days, encounters, patients or studies)."]
