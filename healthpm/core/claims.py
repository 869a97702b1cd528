"""Claiming a row of background work: a conditional UPDATE, a token per run, a lease that expires.

The dossier renderer (healthpm/dossier/services.py) and the e-mail outbox
(healthpm/notifications/tasks.py) both hand one row to one run at a time, and both must
survive a worker killed half-way (SIGKILL, out of memory, a host that reboots). One rule
for both:

1. A free row is claimed with `UPDATE … SET token=<new>, <at>=now, attempts=attempts+1
   WHERE pk=… AND <free>`. One run wins; the others see 0 rows updated and step back.
2. A held row is only taken over when the run holding it is dead: the broker says so
   (`take_over`, a redelivery after the worker died) or its lease has expired. The lease
   must outlast the longest a live run can hold the row (its task's hard time limit), so
   an expired lease always belongs to a dead run. The takeover UPDATE names the dead
   run's token, so two runs taking over race like in 1.
3. A row taken over `max_attempts` times is handed to `exhausted` (the caller marks it
   failed) instead of being claimed again: work that kills its worker must not loop.
4. Every later write of the run names its own token (`held_by`), so a run whose row was
   taken over (it was slow, not dead) changes nothing.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class Claimable:
    """How the rows of one table are claimed: which are free, which held, and the fields that say so."""

    free: Q  # claimable outright (a pending dossier; an unsent, unclaimed notification)
    held: Q  # held by a run, claimable only from a dead one (a running dossier; an unsent, claimed notification)
    max_attempts: int
    token_field: str = "claim"
    at_field: str = "claimed_at"
    attempts_field: str = "attempts"


@dataclass(frozen=True)
class Claim:
    token: str
    at: datetime
    taken_over: Model | None  # the row as the dead run left it, when this claim took it over


def new_token() -> str:
    return uuid.uuid4().hex


def held_by(rule: Claimable, token: str) -> Q:
    """The filter of every later UPDATE of the run holding `token` (rule 4)."""
    return rule.held & Q(**{rule.token_field: token})


def lease_expired(rule: Claimable, lease: timedelta, *, now: datetime | None = None) -> Q:
    """Held rows whose run is dead by the clock (a sweeper's filter)."""
    cutoff = (now or timezone.now()) - lease
    return rule.held & (Q(**{f"{rule.at_field}__isnull": True}) | Q(**{f"{rule.at_field}__lt": cutoff}))


def claim(rows: QuerySet, pk: Any, rule: Claimable, *, lease: timedelta, take_over: bool = False,
          exhausted: Callable[[Model, Q], None] | None = None, **fields: Any) -> Claim | None:
    """Claim row `pk` for this run (see the module docstring); None when it is not ours.

    `fields` are set in the same UPDATE (a dossier's state becomes running). `rows` may
    carry select_related: the taken-over row is read through it. `exhausted(row, holder)`
    gets the row and the filter naming the dead run's hold, to mark it failed (rule 3).
    """
    now = timezone.now()
    token = new_token()
    values = {rule.token_field: token, rule.at_field: now,
              rule.attempts_field: F(rule.attempts_field) + 1, **fields}
    if rows.filter(rule.free, pk=pk).update(**values):
        return Claim(token, now, None)
    row = rows.filter(rule.held, pk=pk).first()
    if row is None:
        return None  # done, failed, never existed, or claimed by a run that just beat us to it
    started = getattr(row, rule.at_field)
    if not (take_over or started is None or started < now - lease):
        return None  # its run is alive as far as we can tell
    holder = held_by(rule, getattr(row, rule.token_field))
    if getattr(row, rule.attempts_field) >= rule.max_attempts:
        if exhausted is not None:
            exhausted(row, holder)
        return None
    if not rows.filter(holder, pk=pk).update(**values):
        return None  # another run took it over between our read and our UPDATE
    return Claim(token, now, row)
