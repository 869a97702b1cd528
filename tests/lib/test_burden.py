"""Clinical burden math against numbers worked by hand."""

from dataclasses import replace
from decimal import Decimal

import pytest

from healthpm.lib.burden import (
    BurdenInputs,
    burden,
    derive_alerts,
    exceeds,
    format_number,
    passing_targets,
)

THRESHOLD = Decimal("5000")

# The worked example: 300 patient-days a day, prevalence 2%, Se 0.80, Sp 0.90,
# 10 minutes per false alert at $50/h, 30 days a month, 8-hour shifts.
WORKED = BurdenInputs(
    minutes_per_false_alert=10,
    hourly_rate=Decimal("50"),
    evaluated_per_day=300,
    sensitivity=0.80,
    specificity=0.90,
    prevalence=0.02,
)


def mode_a(alerts: float, ppv: float, **kw) -> BurdenInputs:
    return BurdenInputs(
        minutes_per_false_alert=kw.pop("minutes", 10),
        hourly_rate=kw.pop("rate", Decimal("50")),
        alerts_per_day=alerts,
        ppv=ppv,
        **kw,
    )


# --- derivation (mode B) -------------------------------------------------------------


def test_derive_alerts_from_sensitivity_specificity_and_prevalence():
    # Se·π = 0.80 × 0.02 = 0.016; (1 − Sp)(1 − π) = 0.10 × 0.98 = 0.098; sum 0.114
    # alerts/day = 300 × 0.114 = 34.2; PPV = 0.016 / 0.114 = 0.140350877…
    alerts, ppv = derive_alerts(300, 0.80, 0.90, 0.02)
    assert alerts == pytest.approx(34.2)
    assert ppv == pytest.approx(0.016 / 0.114)
    assert round(ppv, 4) == 0.1404


def test_derived_ppv_of_zero_is_refused_as_no_true_alerts():
    # Se = 0 → Se·π = 0 → PPV 0: every alert is false and NNE is infinite.
    with pytest.raises(ValueError, match="PPV is 0.*no true alerts"):
        derive_alerts(300, 0.0, 0.90, 0.02)
    with pytest.raises(ValueError, match="PPV is 0.*no true alerts"):
        burden(replace(WORKED, sensitivity=0.0))


# --- the worked example end to end -----------------------------------------------------


def test_worked_example_numbers():
    r = burden(WORKED)
    assert r.alerts_per_day == pytest.approx(34.2)
    assert r.ppv == pytest.approx(0.1403508772)  # 0.016 / 0.114, shown as 14.0%
    assert r.nne == pytest.approx(7.125)  # 0.114 / 0.016
    assert r.false_alerts_per_day == pytest.approx(29.4)  # 34.2 × (1 − 0.14035) = 300 × 0.098
    assert r.labor_minutes_per_month == pytest.approx(8820)  # 29.4 × 10 × 30
    assert r.cost_per_month == Decimal("7350.00")  # 8820 ÷ 60 = 147 h × $50
    assert r.fte == pytest.approx(0.6125)  # 29.4 × 10 = 294 min ÷ (8 × 60 = 480)


def test_worked_example_exceeds_the_default_threshold_and_says_what_would_pass():
    r = burden(WORKED)
    assert exceeds(r, THRESHOLD)
    targets = passing_targets(r, WORKED, THRESHOLD)
    assert targets.excess == Decimal("2350.00")  # 7350 − 5000
    # max false alerts/day = 5000 × 60 / (10 × 30 × 50) = 300000 / 15000 = 20
    # max alerts/day at PPV 0.14035 = 20 / (1 − 0.14035) = 20 / 0.85965 ≈ 23.27
    assert targets.max_alerts_per_day == pytest.approx(20 / (1 - 0.016 / 0.114))
    assert round(targets.max_alerts_per_day, 2) == 23.27
    # min PPV at 34.2 alerts/day = 1 − 20 / 34.2 = 1 − 0.58480 ≈ 0.4152
    assert targets.min_ppv == pytest.approx(1 - 20 / 34.2)
    assert round(targets.min_ppv, 4) == 0.4152


def test_the_passing_targets_do_pass_at_the_threshold():
    r = burden(WORKED)
    targets = passing_targets(r, WORKED, THRESHOLD)
    # 23.2653 alerts × (1 − 0.14035) = 20 false/day → exactly $5,000 (within a cent)
    at_max_volume = burden(mode_a(targets.max_alerts_per_day, r.ppv))
    assert abs(at_max_volume.cost_per_month - THRESHOLD) <= Decimal("0.01")
    # 34.2 × (1 − 0.415205) = 20 false/day
    at_min_ppv = burden(mode_a(34.2, targets.min_ppv))
    assert abs(at_min_ppv.cost_per_month - THRESHOLD) <= Decimal("0.01")


def test_worked_example_shows_its_working_with_numbers_substituted():
    steps = burden(WORKED).steps
    assert [s.label for s in steps] == [
        "Alerts per day",
        "Positive predictive value (PPV)",
        "False alerts per day",
        "False-alert minutes per day",
        "Hours per month",
        "Cost per month",
        "Staff time consumed",
        "Number needed to evaluate (NNE)",
    ]
    by_label = {s.label: s for s in steps}
    assert by_label["Alerts per day"].substituted == "300 × (0.8 × 0.02 + (1 − 0.9) × (1 − 0.02))"
    assert by_label["False alerts per day"].formula == "alerts/day × (1 − PPV)"
    assert by_label["False alerts per day"].substituted == "34.2 × (1 − 0.1404)"
    assert by_label["False-alert minutes per day"].substituted == "29.4 × 10"
    assert by_label["Hours per month"].substituted == "294 × 30 ÷ 60"
    assert by_label["Cost per month"].substituted == "147 × $50.00"
    assert by_label["Cost per month"].value == Decimal("7350.00")
    assert by_label["Cost per month"].unit == "USD/month"
    assert by_label["Staff time consumed"].substituted == "294 ÷ (8 × 60)"
    assert by_label["Staff time consumed"].unit == "FTE"
    assert by_label["Number needed to evaluate (NNE)"].substituted == "1 ÷ 0.1404"
    assert by_label["Number needed to evaluate (NNE)"].unit == "alerts per true case"


def test_mode_a_shows_no_derivation_steps():
    steps = burden(mode_a(40, 0.5)).steps
    assert steps[0].label == "False alerts per day"
    assert steps[0].substituted == "40 × (1 − 0.5)"
    assert len(steps) == 6


def test_the_issue_example_is_shown_step_by_step_with_units_and_fixed_precision():
    """40 alerts/day at PPV 0.25, 6 minutes each, $62.50/h, 30-day month, 8 h shifts, by hand:
    30 false alerts/day; 30 × 6 = 180 min/day; 180 × 30 ÷ 60 = 90 h/month; 90 × $62.50 =
    $5,625.00/month; 180 ÷ 480 = 0.375 → 0.38 FTE; 1 ÷ 0.25 = 4 alerts per true case."""
    r = burden(BurdenInputs(minutes_per_false_alert=6, hourly_rate=Decimal("62.50"), alerts_per_day=40, ppv=0.25))
    shown = [(s.label, s.substituted, s.shown, s.unit) for s in r.steps]
    assert shown == [
        ("False alerts per day", "40 × (1 − 0.25)", "30", "alerts/day"),
        ("False-alert minutes per day", "30 × 6", "180", "min/day"),
        ("Hours per month", "180 × 30 ÷ 60", "90", "h/month"),
        ("Cost per month", "90 × $62.50", "$5,625.00", "USD/month"),
        ("Staff time consumed", "180 ÷ (8 × 60)", "0.38", "FTE"),
        ("Number needed to evaluate (NNE)", "1 ÷ 0.25", "4", "alerts per true case"),
    ]
    assert (r.minutes_per_day, r.hours_per_month, r.cost_per_month) == (180, 90, Decimal("5625.00"))


@pytest.mark.parametrize(("inputs", "label", "shown"), [
    # PPV 0.35 → NNE 2.857142… shown to one decimal, not "2.8571 patients".
    (dict(alerts_per_day=10, ppv=0.35), "Number needed to evaluate (NNE)", "2.9"),
    # 0.01 alerts/day × 0.045 min ÷ 480 = 0.0000009375 FTE: "< 0.01", not a string of zeros.
    (dict(alerts_per_day=0.01, ppv=0.1, minutes_per_false_alert=0.05), "Staff time consumed", "< 0.01"),
])
def test_small_and_repeating_results_are_shown_to_their_fixed_precision(inputs, label, shown):
    values = {"minutes_per_false_alert": 6, "hourly_rate": Decimal("60"), **inputs}
    step = {s.label: s for s in burden(BurdenInputs(**values)).steps}[label]
    assert step.shown == shown


# --- threshold boundary ---------------------------------------------------------------


def test_cost_exactly_at_the_threshold_passes():
    # 40 alerts × (1 − 0.5) = 20 false/day × 10 min × 30 days = 6000 min = 100 h × $50 = $5,000.00
    r = burden(mode_a(40, 0.5))
    assert r.cost_per_month == Decimal("5000.00")
    assert not exceeds(r, THRESHOLD)
    assert passing_targets(r, mode_a(40, 0.5), THRESHOLD).excess == Decimal("0.00")


def test_one_cent_over_the_threshold_blocks():
    # same 100 h at $50.0001/h = $5,000.01
    inputs = mode_a(40, 0.5, rate=Decimal("50.0001"))
    r = burden(inputs)
    assert r.cost_per_month == Decimal("5000.01")
    assert exceeds(r, THRESHOLD)
    assert passing_targets(r, inputs, THRESHOLD).excess == Decimal("0.01")


def test_cost_rounds_half_up_to_the_cent():
    # 100 h × $50.00005 = $5,000.005 → $5,000.01 (half up) → blocks
    assert burden(mode_a(40, 0.5, rate=Decimal("50.00005"))).cost_per_month == Decimal("5000.01")
    # 100 h × $50.000049 = $5,000.0049 → $5,000.00 → passes
    r = burden(mode_a(40, 0.5, rate=Decimal("50.000049")))
    assert r.cost_per_month == Decimal("5000.00")
    assert not exceeds(r, THRESHOLD)


def test_decimal_inputs_are_taken_as_typed_not_as_binary_floats():
    # 0.1 and 0.7 are inexact in binary; 30 × (1 − 0.7) = 9 false/day
    # 9 × 10 × 30 = 2700 min = 45 h × $50 = $2,250.00
    r = burden(mode_a(30, 0.7))
    assert r.false_alerts_per_day == 9.0
    assert r.cost_per_month == Decimal("2250.00")


# --- other settings ------------------------------------------------------------------


def test_days_per_month_and_shift_hours_are_used():
    # 20 false/day × 10 min × 22 days = 4400 min ÷ 60 × $60 = $4,400.00
    # FTE: 200 min/day ÷ (12 × 60 = 720) = 0.2778
    r = burden(mode_a(40, 0.5, rate=Decimal("60"), days_per_month=22, shift_hours=12))
    assert r.labor_minutes_per_month == 4400
    assert r.cost_per_month == Decimal("4400.00")
    assert r.fte == pytest.approx(200 / 720)


def test_perfect_ppv_costs_nothing_and_has_no_volume_limit():
    inputs = mode_a(100, 1)
    r = burden(inputs)
    assert r.false_alerts_per_day == 0
    assert r.cost_per_month == Decimal("0.00")
    assert r.nne == 1
    targets = passing_targets(r, inputs, THRESHOLD)
    assert targets.max_alerts_per_day is None
    # at 100 alerts/day at most 20 may be false: min PPV = 1 − 20/100 = 0.8
    assert targets.min_ppv == pytest.approx(0.8)


def test_min_ppv_is_floored_at_zero_when_any_ppv_passes():
    # 10 alerts/day: even with PPV → 0 that is 10 false/day < 20 allowed
    inputs = mode_a(10, 0.5)
    targets = passing_targets(burden(inputs), inputs, THRESHOLD)
    assert targets.min_ppv == 0.0
    # max alerts/day = 20 / (1 − 0.5) = 40
    assert targets.max_alerts_per_day == pytest.approx(40)
    assert targets.excess == Decimal("-3750.00")  # 5 false/day → 1500 min → 25 h × $50 = $1,250


def test_free_false_alerts_put_no_limit_on_volume():
    inputs = mode_a(40, 0.5, minutes=0)
    targets = passing_targets(burden(inputs), inputs, THRESHOLD)
    assert targets.max_alerts_per_day is None
    assert targets.min_ppv == 0.0


def test_format_number():
    assert format_number(8820.0) == "8,820"
    assert format_number(0.14035087) == "0.1404"
    assert format_number(-1.4) == "−1.4"
    assert format_number(0.00001) == "0.00001"
    assert format_number(Decimal("0.000123456"), None) == "0.000123456"


# --- refused inputs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"ppv": 0}, "PPV must be in \\(0, 1\\]"),
        ({"ppv": 1.2}, "PPV must be in \\(0, 1\\]"),
        ({"ppv": -0.1}, "PPV"),
        ({"alerts_per_day": -1}, "Alerts per day cannot be negative"),
        ({"minutes_per_false_alert": -1}, "Minutes per false alert cannot be negative"),
        ({"hourly_rate": Decimal("-0.01")}, "Hourly rate cannot be negative"),
        ({"days_per_month": 0}, "Days per month must be between 1 and 31"),
        ({"days_per_month": 32}, "Days per month must be between 1 and 31"),
        ({"shift_hours": 0}, "Shift hours"),
        ({"shift_hours": 24.5}, "Shift hours"),
        ({"ppv": None}, "Incomplete inputs"),
        ({"alerts_per_day": float("nan")}, "finite"),
        # Found by the form fuzzer: 1e308 × 1e308 could not be rounded to the cent (a 500).
        ({"alerts_per_day": 1e308, "minutes_per_false_alert": 1e308}, "Minutes per false alert must be at most 1,440 "
                                                                      "\\(a whole day\\) \\(got 1.0E\\+308\\)"),
        ({"alerts_per_day": 1e12}, "Alerts per day must be at most 10,000,000 for one model"),
        ({"minutes_per_false_alert": 1441}, "Minutes per false alert must be at most 1,440 \\(a whole day\\)"),
        ({"hourly_rate": Decimal("100000.01")}, "Hourly rate must be at most 100,000 dollars"),
        ({"sensitivity": 0.8}, "not a mix"),
    ],
)
def test_impossible_mode_a_inputs_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        burden(replace(mode_a(40, 0.5), **changes))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"sensitivity": 1.01}, "Sensitivity must be in \\[0, 1\\]"),
        ({"sensitivity": -0.01}, "Sensitivity"),
        ({"specificity": 1.5}, "Specificity must be in \\[0, 1\\]"),
        ({"prevalence": 0}, "Prevalence must be in \\(0, 1\\)"),
        ({"prevalence": 1}, "Prevalence must be in \\(0, 1\\)"),
        ({"evaluated_per_day": -300}, "Patients evaluated per day cannot be negative"),
        ({"evaluated_per_day": 100_000_001}, "Patients evaluated per day must be at most 100,000,000"),
        ({"prevalence": None}, "Incomplete inputs"),
    ],
)
def test_impossible_mode_b_inputs_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        burden(replace(WORKED, **changes))


def test_the_largest_bounded_inputs_still_compute_exactly():
    result = burden(mode_a(10_000_000, 0.999_99, minutes=1440, rate=Decimal("10000")))

    assert result.cost_per_month == Decimal("720000000.00")  # 100 false alerts × 1440 min × 30 ÷ 60 × $10,000


def test_a_cost_beyond_any_real_alerting_system_is_refused_as_a_typo():
    """Found by the form fuzzer: within every bound, 1e7 false alerts a day still came to $7e14 a month,
    more than the dashboard stores, and the save was a server error."""
    with pytest.raises(ValueError, match="Cost per month comes to more than \\$1,000,000,000.00"):
        burden(mode_a(10_000_000, 0.5, minutes=1440, rate=Decimal("100000")))


def test_no_inputs_at_all_are_refused():
    with pytest.raises(ValueError, match="Incomplete inputs"):
        burden(BurdenInputs(minutes_per_false_alert=10, hourly_rate=Decimal("50")))


def test_negative_threshold_is_refused():
    with pytest.raises(ValueError, match="Threshold cannot be negative"):
        passing_targets(burden(WORKED), WORKED, Decimal("-1"))
