"""Daily reminders (SPEC §3, §9): evidence about to expire, and what the gates say has lapsed.

`send_reminders()` is a service the beat task calls once a day; it is safe to run any
number of times: every reminder has a dedupe key (`Notification.dedupe_key`, unique), so
a second run the same day — or a re-delivered task — sends nothing new.

Evidence is reminded 30, 7 and 1 days before its expiry date. A run that was missed
(a worker down for a day) still sends the reminder of the tightest window the evidence
is now in, once: a piece with 5 days left gets its "7 days" reminder.

Lapsed things (an expired BAA, an overdue drill) are the gates' own `deadlines` hook: this
module names no gate, and a new gate's dated facts are reminded without touching it.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from healthpm.accounts import roles
from healthpm.gates import registry
from healthpm.gates.context import evaluation_context
from healthpm.gates.definitions.base import GateDefinition
from healthpm.gates.models import Evidence, Gate
from healthpm.initiatives.models import Status

from .services import notify

REMIND_DAYS_BEFORE = (30, 7, 1)


@dataclass
class ReminderReport:
    evidence_expiring: int = 0
    # Deadline kind ("baa-expired", "drill-overdue") → reminders queued.
    lapsed: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.evidence_expiring + sum(self.lapsed.values())

    def as_dict(self) -> dict:
        return {"evidence_expiring": self.evidence_expiring, "lapsed": dict(self.lapsed)}


def window(days_left: int) -> int | None:
    """The reminder window a piece with `days_left` days to expiry is in (30, 7 or 1), if any."""
    inside = [d for d in REMIND_DAYS_BEFORE if 0 <= days_left <= d]
    return min(inside) if inside else None


def live_for(prefix: str) -> Q:
    """Initiatives still worth reminding about: all but those finally rejected."""
    return ~Q(**{f"{prefix}status": Status.REJECTED})


def _with_deadlines() -> list[str]:
    """Keys of the registered gates that declare dated things (they override `deadlines`)."""
    return [d.key for d in registry.all_gates() if type(d).deadlines is not GateDefinition.deadlines]


def send_reminders(*, today: date | None = None) -> ReminderReport:
    """Queue every reminder due today to the initiative's owner and the compliance officers."""
    ctx = evaluation_context(today=today)
    today = ctx.today
    officers = list(roles.active_members(roles.COMPLIANCE))
    report = ReminderReport()

    expiring = (
        Evidence.objects.filter(superseded_at__isnull=True, expiry_date__gte=today,
                                expiry_date__lte=today + timedelta(days=max(REMIND_DAYS_BEFORE)))
        .filter(live_for("gate__initiative__"))
        .select_related("gate__initiative__owner")
    )
    for evidence in expiring:
        days_left = (evidence.expiry_date - today).days
        bucket = window(days_left)
        if bucket is None:
            continue
        initiative = evidence.gate.initiative
        with transaction.atomic():
            sent = notify(
                [initiative.owner, *officers],
                subject=f"Evidence expires in {days_left} day{'s' if days_left != 1 else ''}: "
                        f"{evidence.display_name} — {initiative.title}",
                template="reminder_evidence_expiring", dedupe_key=f"expiry:{evidence.pk}:{bucket}",
                link=f"{evidence.gate.get_absolute_url()}#evidence-{evidence.pk}",
                context={"evidence": evidence, "gate": evidence.gate, "initiative": initiative,
                         "days_left": days_left},
            )
        report.evidence_expiring += bool(sent)

    gates = (Gate.objects.filter(live_for("initiative__"), key__in=_with_deadlines()).exclude(data={})
             .select_related("initiative__owner").order_by("pk"))
    for gate in gates.iterator(chunk_size=500):
        initiative = gate.initiative
        try:
            definition = gate.definition
        except LookupError:
            continue  # a key this initiative's checklist does not have (system check reports it)
        for deadline in definition.deadlines(gate.data, ctx):
            if deadline.due >= today:
                continue
            with transaction.atomic():
                sent = notify(
                    [initiative.owner, *officers],
                    subject=f"{deadline.subject} — {initiative.title}",
                    template="reminder_lapsed", link=gate.get_absolute_url(),
                    dedupe_key=f"{deadline.kind}:{initiative.pk}:{deadline.ref}",
                    context={"deadline": deadline, "gate": gate, "initiative": initiative},
                )
            report.lapsed[deadline.kind] += bool(sent)
    return report
