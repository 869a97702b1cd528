"""Where each launched initiative's metrics stand: healthy, breached or stale (issue 16).

A metric is **stale** when its cadence has passed without a sample: more than 1 day (daily),
7 days (weekly) or 31 days (monthly) between today and the end of its latest period, or the
launch day (the signed approval) when no sample has come yet. A day exactly at the limit is
not stale yet: a daily metric whose last period ended yesterday is on time.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from healthpm.approvals.models import Signature
from healthpm.gates.definitions.base import WatchedMetric
from healthpm.gates.models import GateDecision
from healthpm.initiatives.models import Initiative, Status
from healthpm.notifications.services import notify

from .models import Breach, MetricSample
from .plan import approved_plan, plan_definition
from .services import monitoring_url
from .signals import metric_stale

CADENCE_DAYS = {"daily": 1, "weekly": 7, "monthly": 31}


@dataclass(frozen=True)
class MetricState:
    metric: WatchedMetric
    last_end: date | None
    since: date | None  # the last period's end, else the launch day
    stale: bool

    @property
    def days_since(self) -> int | None:
        return None if self.since is None else (timezone.localdate() - self.since).days


def is_stale(cadence: str, since: date | None, today: date) -> bool:
    limit = CADENCE_DAYS.get(cadence)
    return limit is not None and since is not None and (today - since).days > limit


def launch_day(initiative: Initiative) -> date | None:
    signed = (Signature.objects.filter(initiative=initiative, meaning=Signature.Meaning.APPROVED, voided_at__isnull=True)
              .order_by("-signed_at").values_list("signed_at", flat=True).first())
    return timezone.localdate(signed) if signed else None


def metric_states(initiative: Initiative, metrics: list[WatchedMetric], *, today: date) -> list[MetricState]:
    ends = dict(MetricSample.objects.filter(initiative=initiative).values("metric").annotate(last=Max("period_end"))
                .values_list("metric", "last"))
    launched = launch_day(initiative)
    states, seen = [], set()
    for metric in metrics:
        if metric.key in seen:  # two plan rows for one metric ("PPV" and "PPV, ICU only") share its samples
            continue
        seen.add(metric.key)
        last = ends.get(metric.key)
        since = last or launched
        states.append(MetricState(metric, last, since, is_stale(metric.cadence, since, today)))
    return states


# --- the daily reminder -------------------------------------------------------------------------
def stale_reminders_send(*, today: date | None = None) -> int:
    """Remind each stale metric's owner, once a metric a day (the outbox's dedupe key); safe to rerun."""
    today = today or timezone.localdate()
    users = {u.get_username(): u for u in get_user_model().objects.filter(is_active=True)}
    sent = 0
    for initiative in Initiative.objects.filter(status=Status.APPROVED).select_related("owner"):
        plan = approved_plan(initiative)
        if plan is None:
            continue
        for state in metric_states(initiative, plan.metrics, today=today):
            if not state.stale:
                continue
            owner = users.get(state.metric.owner) or initiative.owner
            limit = CADENCE_DAYS[state.metric.cadence]

            reminded = notify(
                [owner], subject=f"Monitoring sample overdue: {state.metric.name} — {initiative.title}",
                template="monitoring_stale",
                context={"initiative": initiative, "metric": state.metric, "since": state.since,
                         "days": (today - state.since).days, "limit": limit, "has_samples": state.last_end is not None,
                         "monitoring_url": monitoring_url(initiative)},
                link=monitoring_url(initiative),
                dedupe_key=f"metric-stale:{initiative.pk}:{state.metric.key}:{today.isoformat()}")
            if reminded:  # the first run today: tell the integrations once too
                metric_stale.send(sender=Initiative, initiative=initiative, metric=state.metric,
                                  last_end=state.last_end, since=state.since, due=state.since + timedelta(days=limit))
            sent += len(reminded)
    return sent


# --- the dashboard's post-launch panel ------------------------------------------------------------
@dataclass
class PostLaunch:
    healthy: int = 0
    breach: int = 0
    stale: int = 0
    paused: list = None  # [(initiative, open breaches)]
    stale_list: list = None  # [(initiative, [metric names])]

    @property
    def total(self) -> int:
        return self.healthy + self.breach + self.stale


def post_launch_summary(initiatives, *, today: date, launched: int | None = None) -> PostLaunch:
    """Launched initiatives with an approved monitoring plan, each counted once: breach (paused),
    else stale (a metric overdue), else healthy. Four queries whatever their number; none when
    the caller already knows that `launched` (approved initiatives) is 0."""
    if launched == 0:
        return PostLaunch(paused=[], stale_list=[])
    open_breach = Breach.objects.filter(initiative_id=OuterRef("pk"), cleared_at__isnull=True)
    launched = list(initiatives.filter(status=Status.APPROVED).annotate(open_breach=Exists(open_breach))
                    .order_by("title"))
    summary = PostLaunch(paused=[], stale_list=[])
    if not launched:
        return summary
    ids = [i.pk for i in launched]
    plan_keys = {i.pk: d.key for i in launched if (d := plan_definition(i)) is not None}
    snapshots = {}
    for initiative_id, key, data in (
            GateDecision.objects.filter(gate__initiative_id__in=ids, gate__key__in=set(plan_keys.values()),
                                        decision=GateDecision.Decision.APPROVED)
            .order_by("pk").values_list("gate__initiative_id", "gate__key", "data_snapshot")):
        if plan_keys.get(initiative_id) == key:
            snapshots[initiative_id] = data  # the latest approval wins
    ends = {}
    for initiative_id, metric, last in (MetricSample.objects.filter(initiative_id__in=ids).values("initiative_id", "metric")
                                        .annotate(last=Max("period_end")).values_list("initiative_id", "metric", "last")):
        ends[(initiative_id, metric)] = last
    signed = {}
    for initiative_id, at in (Signature.objects.filter(initiative_id__in=ids, meaning=Signature.Meaning.APPROVED,
                                                       voided_at__isnull=True)
                              .order_by("signed_at").values_list("initiative_id", "signed_at")):
        signed[initiative_id] = timezone.localdate(at)
    for initiative in launched:
        data = snapshots.get(initiative.pk)
        if data is None:
            continue
        if initiative.paused_at is not None or initiative.open_breach:
            summary.breach += 1
            summary.paused.append(initiative)
            continue
        metrics = plan_definition(initiative).watched_metrics(data)
        overdue = sorted({m.name for m in metrics
                          if is_stale(m.cadence, ends.get((initiative.pk, m.key)) or signed.get(initiative.pk), today)})
        if overdue:
            summary.stale += 1
            summary.stale_list.append((initiative, overdue))
        else:
            summary.healthy += 1
    return summary
