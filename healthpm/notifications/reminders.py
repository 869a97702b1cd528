"""Daily reminders (SPEC §3, §9): evidence about to expire, expired BAAs, overdue drills.

`send_reminders()` is a service the beat task calls once a day; it is safe to run any
number of times: every reminder has a dedupe key (`Notification.dedupe_key`, unique), so
a second run the same day — or a re-delivered task — sends nothing new.

Evidence is reminded 30, 7 and 1 days before its expiry date. A run that was missed
(a worker down for a day) still sends the reminder of the tightest window the evidence
is now in, once: a piece with 5 days left gets its "7 days" reminder.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from healthpm.accounts import roles
from healthpm.dashboard.models import BaaFact, PortfolioFacts
from healthpm.dashboard.portfolio import drill_cutoff
from healthpm.gates.models import Evidence
from healthpm.initiatives.models import Status

from .services import notify

REMIND_DAYS_BEFORE = (30, 7, 1)


@dataclass
class ReminderReport:
    evidence_expiring: int = 0
    baa_expired: int = 0
    drill_overdue: int = 0

    @property
    def total(self) -> int:
        return self.evidence_expiring + self.baa_expired + self.drill_overdue


def window(days_left: int) -> int | None:
    """The reminder window a piece with `days_left` days to expiry is in (30, 7 or 1), if any."""
    inside = [d for d in REMIND_DAYS_BEFORE if 0 <= days_left <= d]
    return min(inside) if inside else None


def live_for(prefix: str) -> Q:
    """Initiatives still worth reminding about: all but those finally rejected."""
    return ~Q(**{f"{prefix}status": Status.REJECTED})


def _compliance() -> list:
    return list(get_user_model().objects.filter(groups__name=roles.COMPLIANCE, is_active=True).distinct())


def send_reminders(*, today: date | None = None) -> ReminderReport:
    """Queue every reminder due today to the initiative's owner and the compliance officers."""
    today = today or timezone.localdate()
    officers = _compliance()
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
                context={"evidence": evidence, "gate": evidence.gate, "initiative": initiative,
                         "days_left": days_left},
            )
        report.evidence_expiring += bool(sent)

    for baa in BaaFact.objects.filter(live_for("initiative__"), expiry__lt=today).select_related("initiative__owner"):
        initiative = baa.initiative
        with transaction.atomic():
            sent = notify(
                [initiative.owner, *officers],
                subject=f"BAA expired: {baa.vendor} ({baa.expiry.isoformat()}) — {initiative.title}",
                template="reminder_baa_expired",
                dedupe_key=f"baa-expired:{initiative.pk}:{baa.vendor[:80]}:{baa.expiry.isoformat()}",
                context={"baa": baa, "initiative": initiative},
            )
        report.baa_expired += bool(sent)

    overdue = PortfolioFacts.objects.filter(live_for("initiative__"), drill_date__lt=drill_cutoff(today))
    for facts in overdue.select_related("initiative__owner"):
        initiative = facts.initiative
        with transaction.atomic():
            sent = notify(
                [initiative.owner, *officers],
                subject=f"Downtime drill overdue (last {facts.drill_date.isoformat()}) — {initiative.title}",
                template="reminder_drill_overdue",
                dedupe_key=f"drill-overdue:{initiative.pk}:{facts.drill_date.isoformat()}",
                context={"initiative": initiative, "drill_date": facts.drill_date,
                         "age_days": (today - facts.drill_date).days, "max_age": settings.HEALTHPM_DRILL_MAX_AGE_DAYS},
            )
        report.drill_overdue += bool(sent)
    return report
