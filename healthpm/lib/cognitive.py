"""Cognitive load: does the AI add or save time on task, and who absorbs the work?

"after" is the measured time on task per case excluding the added AI interactions,
which are counted separately:

    added seconds per case   = added interactions × seconds per interaction
    net minutes per case     = (after − before) + added seconds per case ÷ 60
    net minutes per day      = net minutes per case × cases per day

A positive net is more work. The arithmetic is shown the way a clinician would check
it: "0.4 s × 200 = 80 s".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from healthpm.lib.burden import Step, _bounded, format_number

_SIXTY = Decimal(60)

# Each input's name in messages, and an upper bound far beyond any real task: it catches a
# typed extra digit and keeps the working exact (Decimal keeps 28 digits, so 1e308 minutes
# could not even be rounded for display).
INPUTS: dict[str, tuple[str, Decimal, str]] = {
    "before_minutes": ("Minutes per case before", Decimal(24 * 60), "(a whole day)"),
    "after_minutes": ("Minutes per case after", Decimal(24 * 60), "(a whole day)"),
    "added_interactions": ("Added interactions per case", Decimal(10_000), "per case"),
    "seconds_per_interaction": ("Seconds per interaction", Decimal(3_600), "(an hour)"),
    "cases_per_day": ("Cases per day", Decimal(1_000_000), "for one team"),
}


@dataclass(frozen=True)
class LoadResult:
    net_minutes_per_case: float
    net_minutes_per_day: float
    added_interaction_seconds_per_case: float
    steps: tuple[Step, ...]


def net_load(
    *,
    before_minutes: float,
    after_minutes: float,
    added_interactions: float,
    seconds_per_interaction: float,
    cases_per_day: float,
) -> LoadResult:
    """Net change in time on task per case and per day, with the working.

    1. added seconds/case = added interactions × seconds per interaction
    2. change in time on task = after − before (minutes per case)
    3. net minutes/case = (after − before) + added seconds/case ÷ 60
    4. net minutes/day = net minutes/case × cases/day
    """
    given = {"before_minutes": before_minutes, "after_minutes": after_minutes, "added_interactions": added_interactions,
             "seconds_per_interaction": seconds_per_interaction, "cases_per_day": cases_per_day}
    before, after, clicks, seconds, cases = (_bounded(given[key], *INPUTS[key]) for key in INPUTS)

    added_seconds = clicks * seconds
    change = after - before
    per_case = change + added_seconds / _SIXTY
    per_day = per_case * cases

    f = format_number
    exact = lambda v: format_number(v, None)  # noqa: E731 — inputs shown as entered
    steps = (
        Step("Added interaction time per case", "seconds per interaction × interactions",
             f"{exact(seconds)} s × {exact(clicks)}", float(added_seconds), "s/case"),
        Step("Change in time on task per case", "after − before",
             f"{exact(after)} min − {exact(before)} min", float(change), "min/case"),
        Step("Net minutes per case", "(after − before) + added seconds ÷ 60",
             f"{f(change)} + {f(added_seconds)} ÷ 60", float(per_case), "min/case"),
        Step("Net minutes per day", "net minutes per case × cases/day",
             f"{f(per_case)} × {exact(cases)}", float(per_day), "min/day"),
    )
    return LoadResult(
        net_minutes_per_case=float(per_case),
        net_minutes_per_day=float(per_day),
        added_interaction_seconds_per_case=float(added_seconds),
        steps=steps,
    )


# Clinical training, most to least. Roles with equal rank are peers.
ROLE_CHOICES: tuple[tuple[str, str], ...] = (
    ("physician", "Physician"),
    ("nurse_practitioner", "Nurse practitioner"),
    ("physician_assistant", "Physician assistant"),
    ("pharmacist", "Pharmacist"),
    ("registered_nurse", "Registered nurse"),
    ("licensed_practical_nurse", "Licensed practical nurse"),
    ("medical_assistant", "Medical assistant"),
    ("coder", "Medical coder"),
    ("scheduler", "Scheduler / clerk"),
)

ROLE_TRAINING_RANK: dict[str, int] = {
    "physician": 5,
    "nurse_practitioner": 4,
    "physician_assistant": 4,
    "pharmacist": 4,
    "registered_nurse": 3,
    "licensed_practical_nurse": 2,
    "medical_assistant": 1,
    "coder": 1,
    "scheduler": 0,
}

_ROLE_LABELS = dict(ROLE_CHOICES)


def moves_to_less_trained(before_roles: list[str], after_roles: list[str]) -> list[str]:
    """Labels of roles newly absorbing work that have less clinical training than anyone before.

    A role counts when it is in after_roles, not in before_roles, and its rank is below
    the lowest rank in before_roles. With no roles before there is nothing to compare
    against, so nothing is returned. ValueError on an unknown role key.
    """
    for role in [*before_roles, *after_roles]:
        if role not in ROLE_TRAINING_RANK:
            raise ValueError(f"Unknown role {role!r}: choose one of {', '.join(ROLE_TRAINING_RANK)}")
    if not before_roles:
        return []
    floor = min(ROLE_TRAINING_RANK[r] for r in before_roles)
    moved: list[str] = []
    for role in dict.fromkeys(after_roles):  # keep order, drop repeats
        if role not in before_roles and ROLE_TRAINING_RANK[role] < floor:
            moved.append(_ROLE_LABELS[role])
    return moved
