"""Wilson intervals and confusion-matrix metrics, against numbers worked by hand.

The published example is Newcombe RG (1998), "Two-sided confidence intervals for the single
proportion: comparison of seven methods", Stat Med 17:857–872, Table I, method 3 (score
interval without continuity correction). Each was also worked with the docstring's formula:
for 0 of 20, p = 0, so the centre is (z²/40) ÷ (1 + z²/20) and the half-width
z ÷ (1 + z²/20) × √(z²/1600); the upper end is z² ÷ (20 + z²) = 3.8415 ÷ 23.8415 = 0.1611.
"""

from fractions import Fraction

import pytest

from healthpm.lib.validation import (
    MAX_COUNT,
    Z_95,
    ConfusionMatrix,
    below,
    fmt,
    gap,
    judge_gap,
    observed_over_expected,
    wilson_interval,
)


def rounded(interval):
    return tuple(round(end, 4) for end in interval)


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_table_one(successes, n, low, high):
    assert rounded(wilson_interval(successes, n)) == (low, high)


def test_zero_of_n_upper_end_is_z_squared_over_n_plus_z_squared():
    # With p = 0 the two terms meet: centre + half-width = z² ÷ (n + z²).
    assert wilson_interval(0, 20)[1] == pytest.approx(Z_95**2 / (20 + Z_95**2), abs=1e-12)


def test_the_ends_are_exact_at_none_and_all():
    assert wilson_interval(0, 20)[0] == 0.0
    assert wilson_interval(29, 29)[1] == 1.0
    # n of n mirrors 0 of n: 1 − z² ÷ (29 + z²) = 1 − 3.8415 ÷ 32.8415 = 0.8830.
    assert rounded(wilson_interval(29, 29)) == (0.8830, 1.0)


def test_one_case_gives_a_wide_interval_not_a_point():
    low, high = wilson_interval(1, 1)
    assert high == 1.0 and round(low, 4) == 0.2065  # 1 − 3.8415 ÷ 4.8415


@pytest.mark.parametrize(("successes", "n", "message"), [
    (0, 0, r"No cases \(n = 0\)"),
    (5, 0, r"No cases \(n = 0\)"),
    (21, 20, "cannot exceed n"),
    (-1, 20, "cannot be negative"),
    (1.5, 20, "whole number"),
    (True, 20, "whole number"),
])
def test_wilson_refuses_what_has_no_interval(successes, n, message):
    with pytest.raises(ValueError, match=message):
        wilson_interval(successes, n)


def test_wilson_refuses_a_non_positive_z():
    with pytest.raises(ValueError, match="z must be a positive number"):
        wilson_interval(5, 10, z=0)


def test_metrics_of_a_small_study():
    # TP 17, FP 3, FN 7, TN 73 (n = 100).
    matrix = ConfusionMatrix(tp=17, fp=3, fn=7, tn=73)
    shown = {m.key: (m.substituted, fmt(m.value), m.ci_text()) for m in matrix.metrics()}
    assert shown == {
        "sensitivity": ("17 ÷ (17 + 7)", "0.7083", "95% CI 0.5083–0.8509"),   # 17/24
        "specificity": ("73 ÷ (73 + 3)", "0.9605", "95% CI 0.8903–0.9865"),   # 73/76
        "ppv": ("17 ÷ (17 + 3)", "0.8500", "95% CI 0.6396–0.9476"),           # 17/20
        "npv": ("73 ÷ (73 + 7)", "0.9125", "95% CI 0.8302–0.9570"),           # 73/80
        "prevalence": ("(17 + 7) ÷ (17 + 3 + 7 + 73)", "0.2400", "95% CI 0.1669–0.3323"),  # 24/100
    }
    assert (matrix.positives, matrix.negatives, matrix.n) == (24, 76, 100)


def test_a_matrix_without_positives_has_no_sensitivity():
    matrix = ConfusionMatrix(tp=0, fp=4, fn=0, tn=96)
    assert not matrix.sensitivity.defined
    assert matrix.sensitivity.value is None and matrix.sensitivity.interval is None
    assert matrix.sensitivity.ci_text() == "not computable (denominator 0)"
    assert matrix.specificity.value == 0.96
    with pytest.raises(ValueError, match="Sensitivity is not computable"):
        below(matrix.sensitivity, 0.8)


@pytest.mark.parametrize(("counts", "message"), [
    ({"tp": -1, "fp": 0, "fn": 0, "tn": 0}, "TP cannot be negative"),
    ({"tp": 0, "fp": MAX_COUNT + 1, "fn": 0, "tn": 0}, "FP must be at most 10,000,000"),
    ({"tp": 0, "fp": 0, "fn": 2.0, "tn": 0}, "FN must be a whole number"),
])
def test_counts_are_bounded_whole_numbers(counts, message):
    with pytest.raises(ValueError, match=message):
        ConfusionMatrix(**counts)


def test_the_bar_is_compared_exactly():
    # 80 of 100 is exactly 0.80: it meets a bar of 0.80 however the float 0.8 is stored.
    assert not below(ConfusionMatrix(tp=80, fp=0, fn=20, tn=0).sensitivity, 0.8)
    assert below(ConfusionMatrix(tp=79, fp=0, fn=21, tn=0).sensitivity, "0.80")


def test_a_gap_exactly_at_the_margin_does_not_exceed_it():
    # 0.85 − 0.80 is 0.05000000000000004 in floats; exactly it is 1/20, the margin itself.
    overall = ConfusionMatrix(tp=85, fp=0, fn=15, tn=0)
    subgroup = ConfusionMatrix(tp=8, fp=0, fn=2, tn=0)
    assert gap(overall, subgroup) == Fraction(1, 20)
    assert not judge_gap(overall, subgroup, 0.05).beyond_margin


def test_the_gap_rule_needs_the_whole_interval_below():
    overall = ConfusionMatrix(tp=168, fp=312, fn=32, tn=3488)  # sensitivity 0.84
    # 17 of 24 = 0.7083 trails by 0.1317, but its upper end 0.8509 is above 0.84 − 0.05 = 0.79.
    small = judge_gap(overall, ConfusionMatrix(tp=17, fp=3, fn=7, tn=73), 0.05)
    assert small.beyond_margin and not small.upper_below_floor and not small.fails
    assert fmt(small.gap) == "0.1317" and fmt(small.upper) == "0.8509" and small.floor == Fraction(79, 100)
    # 17 of 34 = 0.50 trails by 0.34 and its upper end 0.6593 is below 0.79: it fails.
    large = judge_gap(overall, ConfusionMatrix(tp=17, fp=52, fn=17, tn=588), 0.05)
    assert large.fails and fmt(large.gap) == "0.3400" and fmt(large.upper) == "0.6593"
    # A subgroup doing better than overall has a negative gap.
    assert fmt(gap(overall, ConfusionMatrix(tp=108, fp=0, fn=10, tn=0))) == "−0.0753"


def test_the_gap_needs_positives_on_both_sides():
    with pytest.raises(ValueError, match="at least one positive"):
        gap(ConfusionMatrix(tp=5, fp=0, fn=5, tn=0), ConfusionMatrix(tp=0, fp=3, fn=0, tn=10))


def test_observed_over_expected():
    assert observed_over_expected(12, "10.5") == pytest.approx(12 / 10.5)  # 1.1429: under-predicts
    assert fmt(observed_over_expected(12, 10.5)) == "1.1429"
    assert observed_over_expected(3, 0) is None
    with pytest.raises(ValueError, match="cannot be negative"):
        observed_over_expected(3, -1)


def test_fmt():
    assert fmt(None) == "—"
    assert fmt(Fraction(-3, 250)) == "−0.0120"
    assert fmt(-0.00001) == "0.0000"
