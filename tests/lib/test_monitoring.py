"""Pause thresholds (healthpm.lib.monitoring), worked by hand."""

from decimal import Decimal

import pytest

from healthpm.lib.monitoring import (
    ABOVE,
    BELOW,
    PauseThreshold,
    ThresholdError,
    breaches,
    headroom,
    parse_number,
    parse_threshold,
    threshold_of,
)

PPV_FLOOR = PauseThreshold(BELOW, Decimal("0.10"))
VOLUME_CAP = PauseThreshold(ABOVE, Decimal("60"))


# --- breaches: strictly beyond, never at the threshold ------------------------------------------
def test_a_ppv_below_its_floor_breaches_and_the_floor_itself_does_not():
    assert breaches(PPV_FLOOR, "0.09") is True
    assert breaches(PPV_FLOOR, "0.10") is False
    assert breaches(PPV_FLOOR, "0.100") is False
    assert breaches(PPV_FLOOR, "0.11") is False


def test_an_alert_volume_above_its_cap_breaches_and_the_cap_itself_does_not():
    assert breaches(VOLUME_CAP, 61) is True
    assert breaches(VOLUME_CAP, 60) is False
    assert breaches(VOLUME_CAP, "60.0001") is True
    assert breaches(VOLUME_CAP, 59.5) is False


def test_a_float_is_read_as_written_not_as_its_binary_expansion():
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point: above a 0.3 cap, by a hair.
    cap = PauseThreshold(ABOVE, Decimal("0.3"))
    assert breaches(cap, 0.3) is False
    assert breaches(cap, 0.1 + 0.2) is True
    assert parse_number(0.1) == Decimal("0.1")


def test_breaches_refuses_a_missing_or_non_numeric_observation():
    for bad in (None, "", "NaN", "Infinity", "twelve", True):
        with pytest.raises(ThresholdError):
            breaches(PPV_FLOOR, bad)


# --- headroom -------------------------------------------------------------------------------------
def test_headroom_is_the_distance_on_the_safe_side():
    # below 0.10, expected 0.18: 0.18 − 0.10 = 0.08 to spare
    assert headroom(PPV_FLOOR, "0.18") == Decimal("0.08")
    # above 60, expected 42: 60 − 42 = 18 alerts a day to spare
    assert headroom(VOLUME_CAP, "42") == Decimal("18")
    # below 0.10, expected 0.07: 0.07 − 0.10 = −0.03: it would pause on day one
    assert headroom(PPV_FLOOR, "0.07") == Decimal("-0.03")
    assert headroom(PPV_FLOOR, "0.10") == 0


# --- parsing the stored shape --------------------------------------------------------------------
def test_a_stored_row_gives_its_threshold():
    assert threshold_of({"pause_direction": "below", "pause_value": "0.10"}) == PPV_FLOOR
    assert threshold_of({"pause_direction": "above", "pause_value": "60"}) == VOLUME_CAP
    assert str(threshold_of({"pause_direction": "above", "pause_value": "1E+2"})) == "above 1E+2"


def test_a_row_without_a_threshold_has_none():
    assert threshold_of({}) is None
    assert threshold_of({"pause_direction": "", "pause_value": None}) is None
    assert threshold_of({"pause_direction": "", "pause_value": "  "}) is None


def test_half_a_threshold_is_refused_saying_which_half_is_missing():
    with pytest.raises(ThresholdError, match="no value is given"):
        parse_threshold("below", None)
    with pytest.raises(ThresholdError, match="without a direction"):
        parse_threshold("", "0.10")


def test_an_unknown_direction_or_a_non_finite_value_is_refused():
    with pytest.raises(ThresholdError, match="not a direction"):
        parse_threshold("sideways", "1")
    with pytest.raises(ThresholdError):
        parse_threshold("above", "NaN")
    with pytest.raises(ThresholdError):
        PauseThreshold(ABOVE, Decimal("Infinity"))


def test_parse_number_keeps_the_digits_as_written():
    assert parse_number("0.150") == Decimal("0.150") and str(parse_number("0.150")) == "0.150"
    assert parse_number(" -2.5 ") == Decimal("-2.5")
    assert parse_number(7) == Decimal(7)
    assert parse_number(None) is None and parse_number("") is None
