"""Pause thresholds of a post-launch monitoring plan: the rule that pauses a model.

A monitoring plan stores each threshold as data — a direction code and a number kept as a
decimal string — so the live monitoring can check incoming numbers against the very rule
the committee approved. With threshold value t and an observed value x:

    above t:  x breaches when x > t      (alert volume, override rate, drift)
    below t:  x breaches when x < t      (PPV, sensitivity from chart review)

A value exactly at the threshold does not breach it: the committee writes the last value
it still accepts. The headroom of an expected value e is how far it sits on the safe side:

    above t:  headroom = t − e
    below t:  headroom = e − t

so a negative headroom means the expected value itself breaches: the model would pause the
day it launches. Arithmetic is in Decimal on the numbers as stored ("0.1" is one tenth).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

ABOVE = "above"
BELOW = "below"
DIRECTIONS: tuple[tuple[str, str], ...] = ((ABOVE, "above"), (BELOW, "below"))


class ThresholdError(ValueError):
    """A threshold that is not one: half given, an unknown direction or not a number."""


def parse_number(value: Any) -> Decimal | None:
    """A stored or incoming number as a finite Decimal; None when empty.

    Strings and Decimals are taken as written; ints exactly; floats through their shortest
    repr (0.1 → Decimal("0.1"), not the binary expansion). Booleans, NaN, infinities and
    anything else raise ThresholdError.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ThresholdError(f"{value!r} is not a number.")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ThresholdError(f"“{value}” is not a number.") from None
    if not number.is_finite():
        raise ThresholdError(f"“{value}” is not a finite number.")
    return number


@dataclass(frozen=True)
class PauseThreshold:
    """Pause the model when an observed value is `direction` (above / below) `value`."""

    direction: str
    value: Decimal

    def __post_init__(self) -> None:
        if self.direction not in (ABOVE, BELOW):
            raise ThresholdError(f"“{self.direction}” is not a direction: use “{ABOVE}” or “{BELOW}”.")
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise ThresholdError(f"{self.value!r} is not a finite Decimal.")

    def __str__(self) -> str:
        return f"{self.direction} {self.value}"


def parse_threshold(direction: Any, value: Any) -> PauseThreshold | None:
    """The threshold a direction and a value make; None when neither is given.

    ThresholdError when only one of the two is given, the direction is not a code of
    DIRECTIONS or the value is not a finite number.
    """
    direction = (direction or "").strip() if isinstance(direction, str) else direction
    number = parse_number(value)
    if not direction and number is None:
        return None
    if not direction:
        raise ThresholdError(f"A pause value ({number}) is given without a direction: say above or below.")
    if number is None:
        raise ThresholdError(f"The pause direction is “{direction}” but no value is given.")
    return PauseThreshold(direction, number)


def threshold_of(row: Mapping[str, Any]) -> PauseThreshold | None:
    """The pause threshold of a stored metric row (`pause_direction`, `pause_value`)."""
    return parse_threshold(row.get("pause_direction"), row.get("pause_value"))


def breaches(threshold: PauseThreshold, value: Any) -> bool:
    """True when the observed `value` is beyond the threshold (strictly; equal does not breach)."""
    number = parse_number(value)
    if number is None:
        raise ThresholdError("No observed value to check against the threshold.")
    return number > threshold.value if threshold.direction == ABOVE else number < threshold.value


def plain(number: Decimal) -> str:
    """A stored decimal as people write it: 61.000000 → "61", 0.300000 → "0.3", 1E+1 → "10"."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def headroom(threshold: PauseThreshold, expected: Any) -> Decimal:
    """How far the expected value sits on the safe side of the threshold (negative: it breaches)."""
    number = parse_number(expected)
    if number is None:
        raise ThresholdError("No expected value to compare with the threshold.")
    return threshold.value - number if threshold.direction == ABOVE else number - threshold.value
