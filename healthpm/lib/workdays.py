"""Working days (Monday to Friday) for the review SLA. No holidays: a hospital calendar differs
from site to site, and an SLA counted in weekdays errs on the side of reminding early.
"""

from datetime import date, timedelta

SATURDAY = 5  # date.weekday(): Monday 0 … Sunday 6


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (which need not be a working day).

    Counting starts the day after `start`: Wednesday + 5 = next Wednesday; Friday + 1 =
    Monday; Saturday + 1 = Monday. `days` = 0 gives `start` itself.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day, rest = start, days
    while rest:
        day += timedelta(days=1)
        if is_working_day(day):
            rest -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; 0 when `end` is not after `start`.

    Friday → Monday is 1; Monday → Monday a week later is 5; Saturday → Sunday is 0.
    Formula: full weeks × 5, plus the working days among the remaining (< 7) days.
    """
    if end <= start:
        return 0
    total = (end - start).days
    weeks, rest = divmod(total, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if is_working_day(start + timedelta(days=weeks * 7 + offset)):
            count += 1
    return count
