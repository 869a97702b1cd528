from itertools import product

import pytest

from healthpm.lib.cds import CRITERIA, GUIDANCE_EDITIONS, failed_criteria, is_non_device

KEYS = [key for key, _ in CRITERIA]
TEXTS = dict(CRITERIA)


def test_the_four_criteria_in_statute_order():
    assert KEYS == ["no_image_or_signal", "medical_information", "supports_hcp", "independent_review"]
    assert "medical image" in TEXTS["no_image_or_signal"]
    assert "independently review" in TEXTS["independent_review"]


@pytest.mark.parametrize("values", list(product([True, False], repeat=4)))
def test_all_sixteen_combinations(values):
    answers = dict(zip(KEYS, values))
    assert is_non_device(answers) is all(values)
    assert failed_criteria(answers) == [TEXTS[k] for k, v in zip(KEYS, values) if not v]


def test_a_missing_answer_is_refused():
    answers = dict.fromkeys(KEYS, True)
    del answers["supports_hcp"]
    with pytest.raises(KeyError, match="supports_hcp"):
        is_non_device(answers)
    with pytest.raises(KeyError, match="supports_hcp"):
        failed_criteria(answers)


def test_an_answer_that_is_not_yes_or_no_is_refused():
    answers = {**dict.fromkeys(KEYS, True), "independent_review": None}
    with pytest.raises(ValueError, match="independent_review"):
        is_non_device(answers)


def test_guidance_editions_newest_first():
    assert [key for key, _ in GUIDANCE_EDITIONS] == ["2026-01", "2022-09"]
    assert "superseded" in dict(GUIDANCE_EDITIONS)["2022-09"]
