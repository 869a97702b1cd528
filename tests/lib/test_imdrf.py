import pytest

from healthpm.lib.imdrf import (
    SIGNIFICANCE_LABELS,
    SIGNIFICANCES,
    SITUATION_LABELS,
    SITUATIONS,
    imdrf_category,
)


@pytest.mark.parametrize(
    "situation, significance, category",
    [
        ("critical", "treat_or_diagnose", "IV"),
        ("critical", "drive", "III"),
        ("critical", "inform", "II"),
        ("serious", "treat_or_diagnose", "III"),
        ("serious", "drive", "II"),
        ("serious", "inform", "I"),
        ("non_serious", "treat_or_diagnose", "II"),
        ("non_serious", "drive", "I"),
        ("non_serious", "inform", "I"),
    ],
)
def test_every_cell_of_the_imdrf_table(situation, significance, category):
    assert imdrf_category(situation, significance) == category


@pytest.mark.parametrize(
    "situation, significance",
    [
        ("catastrophic", "inform"),  # unknown situation
        ("critical", "monitor"),  # unknown significance
        ("non-serious", "inform"),  # the key is non_serious, not the label
    ],
)
def test_unknown_keys_are_refused(situation, significance):
    with pytest.raises(ValueError, match="Unknown"):
        imdrf_category(situation, significance)


def test_every_key_has_a_label_and_a_category():
    assert set(SITUATION_LABELS) == set(SITUATIONS)
    assert set(SIGNIFICANCE_LABELS) == set(SIGNIFICANCES)
    assert SITUATION_LABELS["non_serious"] == "Non-serious"
    for situation in SITUATIONS:
        for significance in SIGNIFICANCES:
            assert imdrf_category(situation, significance) in {"I", "II", "III", "IV"}
