import pytest

from healthpm.lib.cognitive import ROLE_CHOICES, ROLE_TRAINING_RANK, moves_to_less_trained, net_load


def test_ai_that_saves_time_has_negative_net_load():
    # (4.5 − 6.0) = −1.5 min; 3 clicks × 2 s = 6 s = 0.1 min; net −1.5 + 0.1 = −1.4 min/case
    # × 40 cases/day = −56 min/day
    r = net_load(before_minutes=6.0, after_minutes=4.5, added_interactions=3, seconds_per_interaction=2,
                 cases_per_day=40)
    assert r.added_interaction_seconds_per_case == 6
    assert r.net_minutes_per_case == pytest.approx(-1.4)
    assert r.net_minutes_per_day == pytest.approx(-56)
    assert [s.substituted for s in r.steps] == ["2 s × 3", "4.5 min − 6 min", "−1.5 + 6 ÷ 60", "−1.4 × 40"]


def test_small_interactions_add_up_over_a_session():
    # 0.4 s × 200 images = 80 s a session; same reading time otherwise
    # net 80 ÷ 60 = 1.3333 min/case; × 12 sessions/day = 16 min/day
    r = net_load(before_minutes=20, after_minutes=20, added_interactions=200, seconds_per_interaction=0.4,
                 cases_per_day=12)
    first = r.steps[0]
    assert (first.substituted, first.value, first.unit) == ("0.4 s × 200", 80, "s/case")
    assert r.added_interaction_seconds_per_case == 80
    assert r.net_minutes_per_case == pytest.approx(80 / 60)
    assert r.net_minutes_per_day == pytest.approx(16)
    assert r.net_minutes_per_case > 0  # more work: the gate blocks


def test_time_saved_on_task_can_be_eaten_by_clicks():
    # (9 − 10) = −1 min; 30 clicks × 3 s = 90 s = 1.5 min; net +0.5 min/case × 50 = 25 min/day
    r = net_load(before_minutes=10, after_minutes=9, added_interactions=30, seconds_per_interaction=3,
                 cases_per_day=50)
    assert r.net_minutes_per_case == pytest.approx(0.5)
    assert r.net_minutes_per_day == pytest.approx(25)


@pytest.mark.parametrize(
    "field", ["before_minutes", "after_minutes", "added_interactions", "seconds_per_interaction", "cases_per_day"]
)
def test_negative_inputs_are_refused(field):
    kwargs = dict(before_minutes=6, after_minutes=4.5, added_interactions=3, seconds_per_interaction=2,
                  cases_per_day=40)
    kwargs[field] = -1
    with pytest.raises(ValueError, match="cannot be negative"):
        net_load(**kwargs)


@pytest.mark.parametrize(("field", "value", "says"), [
    ("after_minutes", 1441, "Minutes per case after must be at most 1,440 (a whole day) (got 1,441)"),
    ("cases_per_day", 1e308, "Cases per day must be at most 1,000,000 for one team (got 1.0E+308)"),
    ("added_interactions", 10_001, "Added interactions per case must be at most 10,000 per case"),
    ("seconds_per_interaction", 3_601, "Seconds per interaction must be at most 3,600 (an hour)"),
])
def test_a_value_beyond_any_real_task_is_refused_as_a_typo(field, value, says):
    """Found by the form fuzzer: 1e308 minutes × 1e308 cases could not be rounded for the working (a 500)."""
    kwargs = dict(before_minutes=6, after_minutes=4.5, added_interactions=3, seconds_per_interaction=2,
                  cases_per_day=40)
    kwargs[field] = value
    with pytest.raises(ValueError) as refused:
        net_load(**kwargs)
    assert str(refused.value).startswith(says) and str(refused.value).endswith("check for an extra digit")


def test_the_largest_bounded_inputs_still_compute():
    r = net_load(before_minutes=0, after_minutes=1440, added_interactions=10_000, seconds_per_interaction=3_600,
                 cases_per_day=1_000_000)
    assert r.net_minutes_per_case == 1440 + 600_000


def test_roles_are_ranked_by_clinical_training():
    assert set(ROLE_TRAINING_RANK) == {key for key, _ in ROLE_CHOICES}
    rank = ROLE_TRAINING_RANK
    assert rank["physician"] > rank["nurse_practitioner"] > rank["registered_nurse"]
    assert rank["registered_nurse"] > rank["licensed_practical_nurse"] > rank["medical_assistant"]
    assert rank["medical_assistant"] > rank["scheduler"]
    assert rank["pharmacist"] == rank["physician_assistant"] == 4


def test_work_moving_from_nurses_to_medical_assistants_is_flagged():
    assert moves_to_less_trained(["registered_nurse"], ["registered_nurse", "medical_assistant"]) == [
        "Medical assistant"
    ]


def test_work_moving_to_more_or_equally_trained_roles_is_not_flagged():
    assert moves_to_less_trained(["registered_nurse"], ["physician"]) == []
    assert moves_to_less_trained(["nurse_practitioner"], ["physician_assistant"]) == []
    # an LPN already did this work before, so an LPN after is not a move
    assert moves_to_less_trained(["physician", "licensed_practical_nurse"], ["licensed_practical_nurse"]) == []


def test_only_roles_below_the_least_trained_before_are_flagged():
    # before: physician (5) and RN (3) → floor 3; after adds LPN (2) and pharmacist (4)
    moved = moves_to_less_trained(
        ["physician", "registered_nurse"], ["pharmacist", "licensed_practical_nurse", "scheduler", "scheduler"]
    )
    assert moved == ["Licensed practical nurse", "Scheduler / clerk"]


def test_no_roles_before_means_nothing_to_compare():
    assert moves_to_less_trained([], ["scheduler"]) == []


def test_unknown_role_is_refused():
    with pytest.raises(ValueError, match="Unknown role"):
        moves_to_less_trained(["registered_nurse"], ["robot"])
