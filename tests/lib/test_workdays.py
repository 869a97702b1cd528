"""Working days for the review SLA, worked by hand on a calendar of December 2026
(Wed 2 · Thu 3 · Fri 4 · Sat 5 · Sun 6 · Mon 7 … Mon 14 · Wed 16)."""

from datetime import date, timedelta

import pytest

from healthpm.lib.workdays import add_working_days, is_working_day, working_days_between

WED, THU, FRI, SAT, SUN, MON = (date(2026, 12, d) for d in (2, 3, 4, 5, 6, 7))


def test_the_calendar_is_the_one_worked_by_hand():
    assert [d.strftime("%a") for d in (WED, THU, FRI, SAT, SUN, MON)] == ["Wed", "Thu", "Fri", "Sat", "Sun", "Mon"]
    assert [is_working_day(d) for d in (WED, THU, FRI, SAT, SUN, MON)] == [True, True, True, False, False, True]


@pytest.mark.parametrize("start, days, due", [
    (WED, 5, date(2026, 12, 9)),   # Thu Fri | Mon Tue Wed
    (FRI, 1, MON),                 # the weekend does not count
    (SAT, 1, MON),                 # a weekend submission: Monday is the first working day after it
    (SAT, 5, date(2026, 12, 11)),  # Mon … Fri of the next week
    (FRI, 5, date(2026, 12, 11)),  # Mon Tue Wed Thu Fri
    (THU, 0, THU),
    (WED, 10, date(2026, 12, 16)), # two whole weeks
])
def test_adding_working_days(start, days, due):
    assert add_working_days(start, days) == due


@pytest.mark.parametrize("start, end, worked", [
    (FRI, MON, 1),
    (MON, date(2026, 12, 14), 5),
    (SAT, SUN, 0),
    (WED, FRI, 2),
    (WED, date(2026, 12, 16), 10),
    (date(2026, 12, 9), WED, 0),   # an end before the start counts nothing
    (WED, WED, 0),
])
def test_counting_working_days_between(start, end, worked):
    assert working_days_between(start, end) == worked


def test_counting_undoes_adding_from_any_weekday():
    for offset in range(7):
        start = WED + timedelta(days=offset)
        for days in range(13):
            assert working_days_between(start, add_working_days(start, days)) == days, (start, days)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(WED, -1)
