"""False-positive cost ("clinical burden math") of an alerting model.

The inputs come in one of two modes:

A. alerts per day and precision (PPV), as measured in a silent-mode run;
B. patients (encounters, patient-days) evaluated per day N with sensitivity Se,
   specificity Sp and prevalence π, from which

       alerts/day = N · (Se·π + (1 − Sp)(1 − π))
       PPV        = Se·π / (Se·π + (1 − Sp)(1 − π))

Then, with m minutes spent on one false alert, hourly rate r, d days a month and
shift length h hours:

    false alerts/day     = alerts/day × (1 − PPV)
    false-alert min/day  = false alerts/day × m
    hours/month          = false-alert min/day × d ÷ 60
    cost/month           = hours/month × r                    (USD, to the cent, half up)
    FTE consumed         = false-alert min/day ÷ (h × 60)
    number needed to evaluate (NNE) = 1 / PPV  (alerts a responder works per true case)

(labor minutes/month = false-alert min/day × d is kept on the result for the dossier.)

Arithmetic is done in Decimal on the numbers as entered (0.1 is one tenth, not the
nearest binary float), so a cost that should land on a cent boundary does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# Far beyond any real alerting system, these bounds catch a typed extra digit (or ten) and keep
# every figure of the working exact: Decimal keeps 28 digits, so 1e308 alerts × 1e308 minutes
# could not even be rounded to the cent, and the dashboard stores the cost to 12 digits.
MAX_ALERTS_PER_DAY = Decimal(10_000_000)
MAX_EVALUATED_PER_DAY = Decimal(100_000_000)
MAX_MINUTES_PER_FALSE_ALERT = Decimal(24 * 60)
MAX_HOURLY_RATE = Decimal(100_000)
MAX_COST_PER_MONTH = Decimal(1_000_000_000)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_SIXTY = Decimal(60)


@dataclass(frozen=True)
class Step:
    """One line of shown working: `label: formula = substituted = value unit`."""

    label: str  # "False alerts per day"
    formula: str  # "alerts/day × (1 − PPV)"
    substituted: str  # "34.2 × (1 − 0.1404)"
    value: float | Decimal
    unit: str  # "alerts/day", "min/day", "h/month", "USD/month", "FTE", "alerts per true case"
    # Decimals the result is shown to; None keeps `format_number`'s default (4, small values to
    # four significant figures) for the gates that set none.
    places: int | None = None

    @property
    def shown(self) -> str:
        """The result as the working prints it: money to the cent, others to `places` decimals,
        a small non-zero value as "< 0.01" rather than a string of zeros."""
        if self.unit == "USD/month":
            return format_money(self.value)
        if self.places is None:
            return format_number(self.value)
        return format_number(self.value, self.places, small="below")


@dataclass(frozen=True)
class BurdenInputs:
    minutes_per_false_alert: float
    hourly_rate: Decimal  # loaded hourly rate of the responder, USD
    alerts_per_day: float | None = None  # mode A: given directly with ppv
    ppv: float | None = None
    evaluated_per_day: float | None = None  # mode B: N with sensitivity/specificity/prevalence
    sensitivity: float | None = None
    specificity: float | None = None
    prevalence: float | None = None
    days_per_month: int = 30
    shift_hours: float = 8


@dataclass(frozen=True)
class BurdenResult:
    alerts_per_day: float
    ppv: float
    false_alerts_per_day: float
    labor_minutes_per_month: float
    minutes_per_day: float
    hours_per_month: float
    cost_per_month: Decimal  # quantized to 0.01, ROUND_HALF_UP
    fte: float
    nne: float
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class PassingTargets:
    max_alerts_per_day: float | None  # None: any volume passes (PPV is 1, or a false alert costs nothing)
    min_ppv: float | None  # 0.0: any PPV passes
    excess: Decimal  # cost − threshold; > 0 when over


# --- formatting -------------------------------------------------------------------


def format_number(value: float | Decimal | int, places: int | None = 4, *, small: str = "significant") -> str:
    """A number for shown working: thousands separators, no trailing zeros, "−" for minus.

    places=None shows the value exactly as entered; otherwise it is rounded half up to
    `places` decimals. A small non-zero value that would round to 0 keeps four significant
    figures (small="significant") or is shown as "< 0.01" (small="below", for quantities with
    a fixed precision such as FTE).
    """
    d = _dec(value, "value")
    if places is not None:
        q = d.quantize(_ONE.scaleb(-places), rounding=ROUND_HALF_UP)
        if q == 0 and d != 0:
            if small == "below":
                return ("< " if d > 0 else "> −") + format_number(_ONE.scaleb(-places), places)
            q = d.quantize(_ONE.scaleb(d.adjusted() - 3), rounding=ROUND_HALF_UP)
        d = q
    text = f"{d:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", "−")


def format_money(value: Decimal | float | int | str) -> str:
    """US dollars to the cent with grouped thousands: $7,350.00."""
    return f"${Decimal(str(value)):,.2f}"


# --- validation -------------------------------------------------------------------


def _dec(value: float | Decimal | int | str, name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, (int, float, str)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, not {value!r}")
        d = Decimal(str(value))  # str(0.1) == "0.1": the value the person typed
    else:
        raise ValueError(f"{name} must be a number, not {value!r}")
    if not d.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return d


def _non_negative(value, name: str) -> Decimal:
    d = _dec(value, name)
    if d < 0:
        raise ValueError(f"{name} cannot be negative (got {format_number(d, None)})")
    return d


def _bounded(value, name: str, limit: Decimal, why: str) -> Decimal:
    d = _non_negative(value, name)
    if d > limit:
        got = format_number(d, None) if d < 10**15 else f"{d:.1E}"
        raise ValueError(f"{name} must be at most {format_number(limit, None)} {why} (got {got}): check for an extra digit")
    return d


def _probability(value, name: str, *, low_open: bool, high_open: bool) -> Decimal:
    d = _dec(value, name)
    too_low = d <= 0 if low_open else d < 0
    too_high = d >= 1 if high_open else d > 1
    if too_low or too_high:
        interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
        raise ValueError(
            f"{name} must be in {interval} as a fraction, e.g. 0.14 for 14% (got {format_number(d, None)})"
        )
    return d


def _derive(n: Decimal, se: Decimal, sp: Decimal, prev: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(alerts/day, PPV, false alerts/day) from N, Se, Sp, π, all validated."""
    true_rate = se * prev  # Se·π: share of evaluated patients who alert correctly
    false_rate = (_ONE - sp) * (_ONE - prev)  # (1 − Sp)(1 − π): share who alert falsely
    if true_rate == 0:
        raise ValueError(
            "PPV is 0: sensitivity × prevalence is 0, so the model raises no true alerts — "
            "check the sensitivity and prevalence"
        )
    positive_rate = true_rate + false_rate
    # N·(1 − Sp)(1 − π) is exactly alerts/day × (1 − PPV), without PPV's repeating decimal.
    return n * positive_rate, true_rate / positive_rate, n * false_rate


def _validate_mode_b(n, se, sp, prev) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (
        _bounded(n, "Patients evaluated per day", MAX_EVALUATED_PER_DAY, "for one model"),
        _probability(se, "Sensitivity", low_open=False, high_open=False),
        _probability(sp, "Specificity", low_open=False, high_open=False),
        _probability(prev, "Prevalence", low_open=True, high_open=True),
    )


@dataclass(frozen=True)
class _Core:
    mode: str  # "A" or "B"
    alerts: Decimal
    ppv: Decimal
    false_per_day: Decimal
    minutes: Decimal
    rate: Decimal
    days: Decimal
    shift: Decimal


def _core(inputs: BurdenInputs) -> _Core:
    minutes = _bounded(inputs.minutes_per_false_alert, "Minutes per false alert", MAX_MINUTES_PER_FALSE_ALERT,
                       "(a whole day)")
    rate = _bounded(inputs.hourly_rate, "Hourly rate", MAX_HOURLY_RATE, "dollars")
    if isinstance(inputs.days_per_month, bool) or not isinstance(inputs.days_per_month, int):
        raise ValueError(f"Days per month must be a whole number (got {inputs.days_per_month!r})")
    if not 1 <= inputs.days_per_month <= 31:
        raise ValueError(f"Days per month must be between 1 and 31 (got {inputs.days_per_month})")
    shift = _dec(inputs.shift_hours, "Shift hours")
    if not 0 < shift <= 24:
        raise ValueError(f"Shift hours must be more than 0 and at most 24 (got {format_number(shift, None)})")

    mode_a = (inputs.alerts_per_day, inputs.ppv)
    mode_b = (inputs.evaluated_per_day, inputs.sensitivity, inputs.specificity, inputs.prevalence)
    a_given = any(v is not None for v in mode_a)
    b_given = any(v is not None for v in mode_b)
    if a_given and b_given:
        raise ValueError(
            "Give either alerts per day with PPV, or patients evaluated per day with "
            "sensitivity, specificity and prevalence — not a mix of both"
        )
    if a_given and all(v is not None for v in mode_a):
        alerts = _bounded(inputs.alerts_per_day, "Alerts per day", MAX_ALERTS_PER_DAY, "for one model")
        ppv = _probability(inputs.ppv, "PPV", low_open=True, high_open=False)
        return _Core("A", alerts, ppv, alerts * (_ONE - ppv), minutes, rate, Decimal(inputs.days_per_month), shift)
    if b_given and all(v is not None for v in mode_b):
        alerts, ppv, false_per_day = _derive(*_validate_mode_b(*mode_b))
        return _Core("B", alerts, ppv, false_per_day, minutes, rate, Decimal(inputs.days_per_month), shift)
    raise ValueError(
        "Incomplete inputs: give alerts per day and PPV, or patients evaluated per day "
        "with sensitivity, specificity and prevalence"
    )


# --- public API -------------------------------------------------------------------


def derive_alerts(
    evaluated_per_day: float, sensitivity: float, specificity: float, prevalence: float
) -> tuple[float, float]:
    """(alerts/day, PPV) from N patients a day, Se, Sp and π.

    alerts/day = N·(Se·π + (1 − Sp)(1 − π));  PPV = Se·π / (Se·π + (1 − Sp)(1 − π)).
    Raises ValueError when Se·π = 0 (PPV would be 0: no true alerts).
    """
    alerts, ppv, _ = _derive(*_validate_mode_b(evaluated_per_day, sensitivity, specificity, prevalence))
    return float(alerts), float(ppv)


def burden(inputs: BurdenInputs) -> BurdenResult:
    """Cost of false alerts, with the working shown step by step.

    1. (mode B only) alerts/day = N·(Se·π + (1 − Sp)(1 − π)), PPV = Se·π / (Se·π + (1 − Sp)(1 − π))
    2. false alerts/day = alerts/day × (1 − PPV)
    3. false-alert minutes/day = false alerts/day × minutes per false alert
    4. hours/month = false-alert minutes/day × days/month ÷ 60
    5. cost/month = hours/month × hourly rate, rounded half up to the cent
    6. FTE = false-alert minutes/day ÷ (shift hours × 60)
    7. NNE = 1 / PPV, in alerts per true case

    Shown to a fixed precision each (alerts 2 decimals, minutes 1, hours 2, money to the cent,
    FTE 2, NNE 1); the figures computed stay exact until the cost is rounded to the cent.
    """
    c = _core(inputs)
    per_day = c.false_per_day * c.minutes
    labor = per_day * c.days
    hours = labor / _SIXTY
    cost = hours * c.rate
    if cost > MAX_COST_PER_MONTH:
        raise ValueError(f"Cost per month comes to more than {format_money(MAX_COST_PER_MONTH)}, beyond any real "
                         "alerting system: check the minutes per false alert, alerts per day and hourly rate "
                         "for an extra digit")
    cost = cost.quantize(CENT, rounding=ROUND_HALF_UP)
    fte = per_day / (c.shift * _SIXTY)
    nne = _ONE / c.ppv

    f = format_number
    exact = lambda v: format_number(v, None)  # noqa: E731 — inputs shown as entered
    steps: list[Step] = []
    if c.mode == "B":
        n, se, sp, prev = (exact(v) for v in (
            inputs.evaluated_per_day, inputs.sensitivity, inputs.specificity, inputs.prevalence))
        steps.append(Step(
            "Alerts per day", "N × (Se × π + (1 − Sp) × (1 − π))",
            f"{n} × ({se} × {prev} + (1 − {sp}) × (1 − {prev}))", float(c.alerts), "alerts/day", 2))
        steps.append(Step(
            "Positive predictive value (PPV)", "Se × π ÷ (Se × π + (1 − Sp) × (1 − π))",
            f"{se} × {prev} ÷ ({se} × {prev} + (1 − {sp}) × (1 − {prev}))", float(c.ppv), "", 4))
        alerts_text, ppv_text = f(c.alerts), f(c.ppv)
    else:
        alerts_text, ppv_text = exact(c.alerts), exact(c.ppv)
    steps += [
        Step("False alerts per day", "alerts/day × (1 − PPV)",
             f"{alerts_text} × (1 − {ppv_text})", float(c.false_per_day), "alerts/day", 2),
        Step("False-alert minutes per day", "false alerts/day × minutes per false alert",
             f"{f(c.false_per_day)} × {exact(c.minutes)}", float(per_day), "min/day", 1),
        Step("Hours per month", "false-alert minutes/day × days/month ÷ 60",
             f"{f(per_day)} × {exact(c.days)} ÷ 60", float(hours), "h/month", 2),
        Step("Cost per month", "hours/month × hourly rate",
             f"{f(hours)} × {format_money(c.rate)}", cost, "USD/month", 2),
        Step("Staff time consumed", "false-alert minutes/day ÷ (shift hours × 60)",
             f"{f(per_day)} ÷ ({exact(c.shift)} × 60)", float(fte), "FTE", 2),
        Step("Number needed to evaluate (NNE)", "1 ÷ PPV", f"1 ÷ {ppv_text}", float(nne), "alerts per true case", 1),
    ]
    return BurdenResult(
        alerts_per_day=float(c.alerts),
        ppv=float(c.ppv),
        false_alerts_per_day=float(c.false_per_day),
        labor_minutes_per_month=float(labor),
        minutes_per_day=float(per_day),
        hours_per_month=float(hours),
        cost_per_month=cost,
        fte=float(fte),
        nne=float(nne),
        steps=tuple(steps),
    )


def passing_targets(result: BurdenResult, inputs: BurdenInputs, threshold: Decimal) -> PassingTargets:
    """What would pass: the most alerts/day at the current PPV, the least PPV at the current volume.

    max false alerts/day F = threshold × 60 ÷ (minutes per false alert × days/month × rate)
    max alerts/day       = F ÷ (1 − PPV)        (None when PPV = 1: no false alerts at any volume)
    min PPV              = 1 − F ÷ alerts/day   (floored at 0.0, meaning any PPV passes)
    excess               = cost/month − threshold (> 0 when over)

    When a false alert costs nothing (0 minutes or a rate of 0) every volume and PPV
    passes: max alerts is None and min PPV is 0.0.
    """
    t = _non_negative(threshold, "Threshold")
    c = _core(inputs)
    excess = (result.cost_per_month - t).quantize(CENT, rounding=ROUND_HALF_UP)
    if c.minutes == 0 or c.rate == 0:
        return PassingTargets(max_alerts_per_day=None, min_ppv=0.0, excess=excess)
    max_false = t * _SIXTY / (c.minutes * c.days * c.rate)
    max_alerts = None if c.ppv == 1 else float(max_false / (_ONE - c.ppv))
    min_ppv = 0.0 if c.alerts == 0 else float(max(_ZERO, _ONE - max_false / c.alerts))
    return PassingTargets(max_alerts_per_day=max_alerts, min_ppv=min_ppv, excess=excess)


def exceeds(result: BurdenResult, threshold: Decimal) -> bool:
    """True when cost/month is over the threshold: exactly at it passes, one cent over blocks."""
    return result.cost_per_month > _dec(threshold, "Threshold")
