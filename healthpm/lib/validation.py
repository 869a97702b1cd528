"""Clinical validation: confusion-matrix metrics with 95% Wilson score intervals.

A validation study's results are four counts: true positives TP, false positives FP,
false negatives FN and true negatives TN (n = TP + FP + FN + TN). From them

    sensitivity = TP ÷ (TP + FN)          (of the patients with the condition, flagged)
    specificity = TN ÷ (TN + FP)          (of the patients without it, not flagged)
    PPV         = TP ÷ (TP + FP)          (of the flagged patients, with the condition)
    NPV         = TN ÷ (TN + FN)          (of the unflagged patients, without it)
    prevalence  = (TP + FN) ÷ n

Each is a proportion x ÷ m, given with its 95% Wilson score interval (Wilson 1927;
Newcombe 1998, method 3), with p = x ÷ m and z = 1.959963984540054 (the 97.5th
percentile of the standard normal):

    centre     = (p + z² ÷ 2m) ÷ (1 + z² ÷ m)
    half-width = z ÷ (1 + z² ÷ m) × √(p(1 − p) ÷ m + z² ÷ 4m²)
    interval   = centre ± half-width

Unlike the simple p ± z√(p(1 − p)/m) it never leaves [0, 1] and does not collapse to a
point at 0 of m or m of m: 0 of 20 gives 0.0000 to 0.1611.

A subgroup's gap is overall sensitivity − the subgroup's sensitivity. Comparisons against
a bar or a margin are made exactly, on fractions of the counts and on the decimal as typed
(80 of 100 meets a bar of 0.80; 0.85 − 0.80 does not exceed a margin of 0.05), never on
binary floats that land a hair either side.

Calibration by risk decile: observed ÷ expected events (O/E); 1 is perfect, above 1 the
model under-predicts risk, below 1 it over-predicts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

Z_95 = 1.959963984540054
# Far beyond any validation study (a national registry has a few million patients): it catches
# a typed extra digit and keeps every sum exact.
MAX_COUNT = 10_000_000

METRICS = ("sensitivity", "specificity", "ppv", "npv", "prevalence")


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of `successes` out of `n` (formula in the module docstring).

    Raises ValueError for n = 0 (no cases: the proportion does not exist), for negative
    counts or successes > n, and for z ≤ 0. The ends are exactly 0 at 0 successes and
    exactly 1 at n of n (the formula gives them only up to rounding).
    """
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
        if value < 0:
            raise ValueError(f"{name} cannot be negative (got {value})")
    if n == 0:
        raise ValueError("No cases (n = 0): a proportion of nothing has no interval")
    if successes > n:
        raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
    if not (isinstance(z, (int, float)) and math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive number, not {z!r}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Proportion:
    """One metric: numerator ÷ denominator with its interval (None when the denominator is 0)."""

    key: str  # "sensitivity"
    name: str  # "Sensitivity"
    formula: str  # "TP ÷ (TP + FN)"
    substituted: str  # "17 ÷ (17 + 7)"
    numerator: int
    denominator: int

    @property
    def defined(self) -> bool:
        return self.denominator > 0

    @property
    def exact(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.defined else None

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.defined else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.numerator, self.denominator) if self.defined else None

    def ci_text(self) -> str:
        """"95% CI 0.5083–0.8509", or why there is none."""
        if not self.defined:
            return "not computable (denominator 0)"
        low, high = self.interval
        return f"95% CI {fmt(low)}–{fmt(high)}"


@dataclass(frozen=True)
class ConfusionMatrix:
    tp: int
    fp: int
    fn: int
    tn: int

    def __post_init__(self) -> None:
        for name in ("tp", "fp", "fn", "tn"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name.upper()} must be a whole number, not {value!r}")
            if value < 0:
                raise ValueError(f"{name.upper()} cannot be negative (got {value})")
            if value > MAX_COUNT:
                raise ValueError(f"{name.upper()} must be at most {MAX_COUNT:,} (got {value:,}): check for an extra digit")

    @property
    def positives(self) -> int:
        """Cases with the condition by the reference standard: TP + FN."""
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        return self.fp + self.tn

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def sensitivity(self) -> Proportion:
        return Proportion("sensitivity", "Sensitivity", "TP ÷ (TP + FN)", f"{self.tp:,} ÷ ({self.tp:,} + {self.fn:,})",
                          self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> Proportion:
        return Proportion("specificity", "Specificity", "TN ÷ (TN + FP)", f"{self.tn:,} ÷ ({self.tn:,} + {self.fp:,})",
                          self.tn, self.tn + self.fp)

    @property
    def ppv(self) -> Proportion:
        return Proportion("ppv", "PPV", "TP ÷ (TP + FP)", f"{self.tp:,} ÷ ({self.tp:,} + {self.fp:,})",
                          self.tp, self.tp + self.fp)

    @property
    def npv(self) -> Proportion:
        return Proportion("npv", "NPV", "TN ÷ (TN + FN)", f"{self.tn:,} ÷ ({self.tn:,} + {self.fn:,})",
                          self.tn, self.tn + self.fn)

    @property
    def prevalence(self) -> Proportion:
        return Proportion("prevalence", "Prevalence", "(TP + FN) ÷ (TP + FP + FN + TN)",
                          f"({self.tp:,} + {self.fn:,}) ÷ ({self.tp:,} + {self.fp:,} + {self.fn:,} + {self.tn:,})",
                          self.tp + self.fn, self.n)

    def metrics(self) -> tuple[Proportion, ...]:
        """Sensitivity, specificity, PPV, NPV and prevalence, in that order."""
        return tuple(getattr(self, key) for key in METRICS)


def exact(value: float | Decimal | str | int) -> Fraction:
    """A typed bar or margin as an exact fraction of what was typed (0.05 is 1/20, not the float)."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    return Fraction(Decimal(str(value)))


def below(metric: Proportion, bar: float | Decimal | str) -> bool:
    """metric < bar, exactly. Raises ValueError when the metric is not computable."""
    if not metric.defined:
        raise ValueError(f"{metric.name} is not computable: its denominator is 0")
    return metric.exact < exact(bar)


def gap(overall: ConfusionMatrix, subgroup: ConfusionMatrix) -> Fraction:
    """Overall sensitivity − subgroup sensitivity, exactly (positive: the subgroup trails)."""
    if not overall.positives or not subgroup.positives:
        raise ValueError("Sensitivity needs at least one positive (TP + FN > 0)")
    return overall.sensitivity.exact - subgroup.sensitivity.exact


@dataclass(frozen=True)
class GapJudgement:
    """Whether a subgroup trails overall sensitivity beyond the margin, and by the interval too."""

    gap: Fraction  # overall − subgroup sensitivity
    margin: Fraction
    floor: Fraction  # overall sensitivity − margin
    upper: float  # the subgroup's Wilson upper bound
    beyond_margin: bool  # gap > margin
    upper_below_floor: bool  # upper < overall − margin

    @property
    def fails(self) -> bool:
        """Both: the point estimate trails by more than the margin and the whole interval lies below."""
        return self.beyond_margin and self.upper_below_floor


def judge_gap(overall: ConfusionMatrix, subgroup: ConfusionMatrix, margin: float | Decimal | str) -> GapJudgement:
    """The subgroup gap rule:

    1. gap = overall sensitivity − subgroup sensitivity; it fails the margin when gap > margin;
    2. floor = overall sensitivity − margin; the interval is below it when the subgroup's
       Wilson upper bound < floor (so chance alone, at 95%, does not explain the gap);
    3. the subgroup fails when both hold.
    """
    m = exact(margin)
    if m < 0:
        raise ValueError(f"The margin cannot be negative (got {margin})")
    difference = gap(overall, subgroup)
    floor = overall.sensitivity.exact - m
    upper = subgroup.sensitivity.interval[1]
    return GapJudgement(gap=difference, margin=m, floor=floor, upper=upper, beyond_margin=difference > m,
                        upper_below_floor=upper < floor)


def observed_over_expected(observed: int, expected: float | Decimal | str) -> float | None:
    """O/E of one risk decile; None when no event was expected (the ratio does not exist)."""
    e = exact(expected)
    if e < 0 or observed < 0:
        raise ValueError("Observed and expected events cannot be negative")
    return None if e == 0 else float(Fraction(observed) / e)


def fmt(value: float | Fraction | None, places: int = 4) -> str:
    """A metric to fixed places with a true minus sign ("0.7083", "−0.0120"); "—" for None."""
    if value is None:
        return "—"
    text = f"{float(value):.{places}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text.replace("-", "−")
