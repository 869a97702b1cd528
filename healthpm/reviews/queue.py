"""The review queue (SPEC §10, issue 13): every submitted gate a compliance officer may see,
oldest submission first, split by separation of duties into what they may decide and what
they may not (with the reason), each with its waiting time, SLA due date and what changed
since the last decision.

`review_queue(user, …)` costs a fixed number of queries whatever the number of rows: one for
the gates (annotated with the officer's stakes through `access.stake_annotations`, the one
separation-of-duties rule), one for their decisions, one for their evidence.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from healthpm import access
from healthpm.gates.definitions.base import UnknownGate
from healthpm.gates.diff import gate_diff
from healthpm.gates.models import Evidence, Gate, GateDecision, GateStatus
from healthpm.initiatives.models import Initiative
from healthpm.lib.workdays import add_working_days, working_days_between


@dataclass(frozen=True)
class QueueRow:
    gate: Gate
    submitted_at: datetime
    waiting: str          # "3 days (2 working)", "5 h"
    working_days: int     # working days waited so far
    due: date             # submission day + the SLA in working days
    overdue: bool
    change: str           # "first submission", "resubmitted after rejection: 2 fields, 1 evidence added"
    conflict: str | None  # why this officer may not decide it (separation of duties), if so

    @property
    def initiative(self) -> Initiative:
        return self.gate.initiative


@dataclass(frozen=True)
class ReviewQueue:
    decidable: list[QueueRow]
    barred: list[QueueRow]  # separation of duties: listed apart with the reason

    @property
    def overdue(self) -> list[QueueRow]:
        return [r for r in self.decidable if r.overdue]


def sla_working_days() -> int:
    return settings.HEALTHPM_REVIEW_SLA_WORKING_DAYS


def waiting_words(since: datetime, now: datetime, working_days: int) -> str:
    """How long a submission has waited, in words a reviewer scans: "under an hour", "5 h",
    "1 day (1 working)", "4 days (2 working)"."""
    seconds = max((now - since).total_seconds(), 0)
    if seconds < 3600:
        return "under an hour"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ({working_days} working)"


def change_words(gate: Gate, today: date) -> str:
    """What changed since the gate's last decision, in one line for the queue."""
    latest = gate.latest_decision()
    if latest is None:
        return "first submission"
    after = ("resubmitted after rejection" if latest.decision == GateDecision.Decision.REJECTED
             else "resubmitted after its approval was voided")
    changes = gate_diff(gate, latest, today)
    if changes is None:
        return f"{after} (the decided version was not kept, so no comparison)"
    return f"{after}: {changes.summary()}"


def submitted_gates(user):
    """Submitted gates of the initiatives `user` may see, oldest submission first, with the
    owner, the submitter, decisions and evidence loaded and `user`'s stakes annotated."""
    return (
        Gate.objects.filter(status=GateStatus.SUBMITTED, initiative__in=Initiative.objects.visible_to(user))
        .select_related("initiative__owner", "submitted_by")
        .prefetch_related(
            Prefetch("decisions", queryset=GateDecision.objects.select_related("decided_by")),
            Prefetch("evidence", queryset=Evidence.objects.all()),
        )
        .annotate(**access.stake_annotations(user, "initiative_id"))
        .order_by("submitted_at", "pk")
    )


def review_queue(user, *, clinical_area: str = "", gate_key: str = "", mine: bool = False,
                 now: datetime | None = None) -> ReviewQueue:
    now = now or timezone.now()
    today = timezone.localdate(now)
    sla = sla_working_days()
    gates = submitted_gates(user)
    if clinical_area:
        gates = gates.filter(initiative__clinical_area=clinical_area)
    if gate_key:
        gates = gates.filter(key=gate_key)
    if mine:
        gates = gates.filter(requested_reviewer=user)
    decidable, barred = [], []
    for gate in gates:
        try:
            gate.definition  # noqa: B018 - a gate its checklist does not define is not listed
        except UnknownGate:
            continue
        submitted_on = timezone.localdate(gate.submitted_at)
        worked = working_days_between(submitted_on, today)
        due = add_working_days(submitted_on, sla)
        row = QueueRow(
            gate=gate, submitted_at=gate.submitted_at, waiting=waiting_words(gate.submitted_at, now, worked),
            working_days=worked, due=due, overdue=today > due, change=change_words(gate, today),
            conflict=access.conflict_from({name: getattr(gate, name) for name, *_ in access.STAKES}),
        )
        (barred if row.conflict else decidable).append(row)
    return ReviewQueue(decidable=decidable, barred=barred)


def waiting_count(user) -> int:
    """Gates waiting for `user`'s decision (the navigation's badge): one COUNT query."""
    return Gate.objects.filter(*access.without_stake(user), status=GateStatus.SUBMITTED).count()
