"""Recording live numbers against the approved plan, and what a breach does (issue 16).

`metric_sample_record` is the one way a sample comes in: the web's CSV upload calls it per
row, the REST API's `POST …/metrics/` calls it per request. A breach is decided by the gates'
own `live_breaches` hooks (the monitoring plan's pause thresholds, the false-positive cost
re-run with live numbers); this module names no gate.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from healthpm import access
from healthpm.accounts import roles
from healthpm.audit.services import record
from healthpm.core.errors import WorkflowError
from healthpm.gates import registry
from healthpm.gates.context import evaluation_context
from healthpm.gates.definitions.base import GateDefinition, LiveBreach
from healthpm.gates.models import Gate, GateStatus
from healthpm.initiatives.models import Initiative
from healthpm.lib.monitoring import ThresholdError, parse_number
from healthpm.notifications.services import notify

from .models import Breach, MetricSample
from .plan import Plan, approved_data, approved_plan, downtime_procedure, is_launched
from .signals import initiative_unpaused, metric_breached

# The sample's value column: 12 digits before the point, 6 after (MetricSample.value).
MAX_ABS = Decimal(10) ** 12
PLACES = 6


class SampleRefused(WorkflowError):
    """A sample that cannot be stored; `field` names the input at fault (for a form or problem+json)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CheckedSample:
    metric: str
    period_start: date
    period_end: date
    value: Decimal
    subgroup: str


def _date(field: str, value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise SampleRefused(field, f"{field}: “{value}” is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01.") from None


def check_sample(plan: Plan, *, metric, period_start, period_end, value, subgroup="") -> CheckedSample:
    """The sample as it would be stored, or SampleRefused naming the field (nothing is written)."""
    key = str(metric or "").strip()
    if not key:
        raise SampleRefused("metric", "metric: give the metric's key from the monitoring plan, e.g. "
                                      f"{', '.join(plan.keys) or 'alert_volume'}.")
    if plan.metric(key) is None:
        raise SampleRefused("metric", f"metric: “{key[:80]}” is not a metric of the approved monitoring plan; "
                                      f"use one of {', '.join(plan.keys)}.")
    start, end = _date("period_start", period_start), _date("period_end", period_end)
    if end < start:
        raise SampleRefused("period_end", f"period_end: {end.isoformat()} is before period_start {start.isoformat()}; "
                                          "the period ends on or after the day it starts.")
    if end > timezone.localdate() + timedelta(days=1):  # a day's grace for a sender east of us
        raise SampleRefused("period_end", f"period_end: {end.isoformat()} is in the future; send a period once it "
                                          "has ended.")
    try:
        number = parse_number(value)
    except ThresholdError as exc:
        raise SampleRefused("value", f"value: {exc} Give the measured value as a number, e.g. 34 or 0.18.") from None
    if number is None:
        raise SampleRefused("value", "value: give the measured value as a number, e.g. 34 or 0.18.")
    if abs(number) >= MAX_ABS:
        raise SampleRefused("value", f"value: {number} is too large; a monitored value is below {MAX_ABS:,}.")
    if number.as_tuple().exponent < -PLACES and number != number.quantize(Decimal(1).scaleb(-PLACES)):
        raise SampleRefused("value", f"value: {number} has more than {PLACES} decimals; round it to {PLACES}.")
    subgroup = str(subgroup or "").strip()
    if len(subgroup) > 120:
        raise SampleRefused("subgroup", "subgroup: at most 120 characters, e.g. “age 75+”.")
    return CheckedSample(key, start, end, number.quantize(Decimal(1).scaleb(-PLACES)), subgroup)


def _plan_or_refuse(initiative: Initiative) -> Plan:
    if not is_launched(initiative):
        raise WorkflowError(f"“{initiative.title}” is not approved for launch ({initiative.get_status_display()}): "
                            "live samples are recorded only once the launch decision is signed.")
    plan = approved_plan(initiative)
    if plan is None:
        raise WorkflowError(f"“{initiative.title}” has no approved monitoring plan to check samples against.")
    return plan


def metric_sample_record(*, initiative: Initiative, by, metric: str, period_start, period_end, value,
                         subgroup: str = "", idempotency_key: str = "", source: str) -> MetricSample:
    """Record one sample of a launched initiative's metric and act on what it breaks.

    1. Authorise: the metric's owner in the approved plan, the team, compliance or a service
       account (access.require_record_metrics); the initiative must be approved for launch.
    2. A retry with an idempotency key already used for this initiative returns that first
       sample and stores nothing (the initiative's row lock makes the check race-free).
    3. Validate (SampleRefused names the field), store, audit.
    4. Every gate judges the sample against its approved answers (`live_breaches`). Each breach
       is stored, its gate re-opened (approval voided with the breach as the reason, back in
       compliance's queue), the initiative paused and the metric's owner, compliance and
       leadership told, naming the paper fallback. One transaction: all of it or nothing.
    """
    if source not in MetricSample.Source.values:
        raise SampleRefused("source", f"source: “{source}” is not one of {', '.join(MetricSample.Source.values)}.")
    idempotency_key = str(idempotency_key or "").strip()
    if len(idempotency_key) > 200:
        raise SampleRefused("idempotency_key", "idempotency_key: at most 200 characters.")
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().select_related("owner").get(pk=initiative.pk)
        plan = approved_plan(initiative)
        access.require_record_metrics(by, initiative, owners=plan.owners_of(str(metric or "").strip()) if plan else ())
        if idempotency_key:
            first = MetricSample.objects.filter(initiative=initiative, idempotency_key=idempotency_key).first()
            if first is not None:
                return first
        plan = _plan_or_refuse(initiative)
        checked = check_sample(plan, metric=metric, period_start=period_start, period_end=period_end, value=value,
                               subgroup=subgroup)
        sample = MetricSample.objects.create(
            initiative=initiative, metric=checked.metric, period_start=checked.period_start,
            period_end=checked.period_end, value=checked.value, subgroup=checked.subgroup, source=source,
            idempotency_key=idempotency_key, recorded_by=by)
        record("metric_sample_recorded", actor=by, obj=sample, initiative=initiative,
               after={"metric": sample.metric, "period_start": sample.period_start.isoformat(),
                      "period_end": sample.period_end.isoformat(), "value": str(sample.value),
                      "subgroup": sample.subgroup, "source": source, "idempotency_key": idempotency_key})
        _judge(initiative, plan, sample, by=by)
    return sample


def metric_samples_import(*, initiative: Initiative, by, rows: list[dict]) -> list[MetricSample]:
    """Record the rows of a checked CSV upload, all or none (one transaction)."""
    with transaction.atomic():
        return [metric_sample_record(initiative=initiative, by=by, source=MetricSample.Source.CSV, **row)
                for row in rows]


def latest_values(initiative: Initiative, keys: Iterable[str]) -> dict[str, Decimal]:
    """The latest whole-population value of each metric (by period end, then arrival)."""
    latest = {}
    for key in keys:
        value = (MetricSample.objects.filter(initiative=initiative, metric=key, subgroup="")
                 .order_by("-period_end", "-id").values_list("value", flat=True).first())
        if value is not None:
            latest[key] = value
    return latest


def _judge(initiative: Initiative, plan: Plan, sample: MetricSample, *, by) -> list[Breach]:
    checklist = registry.checklist(initiative.checklist_version)
    # Lock order: the initiative (already), then its gates.
    gates = {g.key: g for g in Gate.objects.select_for_update().filter(initiative=initiative)}
    latest = {} if sample.subgroup else latest_values(initiative, plan.keys)
    ctx = evaluation_context()
    found: list[Breach] = []
    for definition in checklist.gates:
        if type(definition).live_breaches is GateDefinition.live_breaches or definition.key not in gates:
            continue
        gate = gates[definition.key]
        data = approved_data(gate)
        if data is None:
            continue
        for live in definition.live_breaches(data, metric=sample.metric, value=sample.value, latest=latest, ctx=ctx):
            found.append(_breach(initiative, gate, sample, live, by=by))
    if found:
        _pause(initiative, found, by=by)
        _tell(initiative, plan, sample, found)
    return found


def _breach(initiative: Initiative, gate: Gate, sample: MetricSample, live: LiveBreach, *, by) -> Breach:
    breach = Breach.objects.create(
        initiative=initiative, sample=sample, metric=live.metric, direction=live.direction, threshold=live.limit,
        observed=live.observed, kind=live.kind, working=live.working, gate=gate)
    gate.initiative = initiative
    reopened = _reopen(gate, breach, by=by)
    record("monitoring_breach", actor=by, obj=breach, initiative=initiative,
           after={"gate": gate.key, "kind": live.kind, "metric": live.metric, "direction": live.direction,
                  "threshold": str(live.limit), "observed": str(live.observed), "working": live.working,
                  "sample": sample.pk, "gate_reopened": reopened})
    metric_breached.send(sender=Breach, breach=breach, initiative=initiative)
    return breach


def _reopen(gate: Gate, breach: Breach, *, by) -> bool:
    """Void the gate's standing approval with the breach as the reason and put it back in
    compliance's queue. False when it stands re-opened already (an earlier breach)."""
    approval = gate.current_approval()
    if approval is None or gate.status != GateStatus.APPROVED:
        return False
    now = timezone.now()
    why = f"Monitoring breach #{breach.pk}: {breach.working}"
    approval.voided_at = now
    approval.void_reason = why[:255]
    approval.save(update_fields=["voided_at", "void_reason"])
    # Submitted, not in progress: the launch decision keeps the initiative locked, so the team
    # cannot edit; the re-opened gate waits for a compliance decision (gate_decide, with its
    # separation of duties). Who submitted it last stays on record.
    gate.status = GateStatus.SUBMITTED
    gate.submitted_at = now
    gate.submission_note = f"Re-opened by live monitoring: {breach.working}"
    gate.save(update_fields=["status", "submitted_at", "submission_note"])
    record("gate_approval_voided", actor=by, obj=gate, initiative=gate.initiative,
           before={"status": GateStatus.APPROVED, "digest": approval.digest},
           after={"status": GateStatus.SUBMITTED, "reason": why, "breach": breach.pk})
    return True


def _pause(initiative: Initiative, breaches: list[Breach], *, by) -> None:
    if initiative.paused_at is not None:
        return
    initiative.paused_at = timezone.now()
    initiative.save(update_fields=["paused_at", "updated_at"])
    record("initiative_paused", actor=by, obj=initiative, initiative=initiative, before={"paused": False},
           after={"paused": True, "breaches": [b.pk for b in breaches]})


def _tell(initiative: Initiative, plan: Plan, sample: MetricSample, breaches: list[Breach]) -> None:
    owners = list(get_user_model().objects.filter(username__in=plan.owners_of(sample.metric), is_active=True))
    recipients = [*owners, *roles.active_members(roles.COMPLIANCE), *roles.active_members(roles.LEADERSHIP)]
    watched = plan.metric(sample.metric)
    notify(recipients, subject=f"Paused — review required: {initiative.title} ({watched.name if watched else sample.metric})",
           template="monitoring_breach",
           context={"initiative": initiative, "sample": sample, "metric_name": watched.name if watched else sample.metric,
                    "breaches": breaches, "fallback": downtime_procedure(initiative),
                    "monitoring_url": monitoring_url(initiative)},
           link=monitoring_url(initiative))


def monitoring_url(initiative: Initiative) -> str:
    return reverse("monitoring:page", args=[initiative.slug])


# --- clearing: a new approval of each re-opened gate (receivers.py) ----------------------------
def breaches_clear(*, gate: Gate, initiative: Initiative, decision) -> list[Breach]:
    """Compliance approved a gate a breach re-opened: clear its breaches with the decision's
    reason, and lift the pause once no breach is open. Runs inside gate_decide's transaction."""
    open_breaches = list(Breach.objects.select_for_update().filter(gate=gate, cleared_at__isnull=True))
    if not open_breaches:
        return []
    reason = (decision.reason or "").strip()
    if not reason:
        # Raised inside gate_decide's transaction: the approval is refused and nothing is kept.
        raise WorkflowError(f"“{gate.title}” was re-opened by a monitoring breach: give the reason it may resume "
                            "(what was found and what was done), so the pause can be lifted on the record.")
    by = decision.decided_by
    now = timezone.now()
    for breach in open_breaches:
        breach.cleared_at, breach.cleared_by, breach.clear_reason = now, by, reason
        breach.save(update_fields=["cleared_at", "cleared_by", "clear_reason"])
        record("monitoring_breach_cleared", actor=by, obj=breach, initiative=initiative,
               after={"gate": gate.key, "decision": decision.pk, "reason": reason})
    still_open = Breach.objects.filter(initiative=initiative, cleared_at__isnull=True).exists()
    locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
    if not still_open and locked.paused_at is not None:
        locked.paused_at = None
        locked.save(update_fields=["paused_at", "updated_at"])
        initiative.paused_at = None
        record("initiative_unpaused", actor=by, obj=locked, initiative=locked, before={"paused": True},
               after={"paused": False, "reason": reason})
        initiative_unpaused.send(sender=Initiative, initiative=locked, by=by)
    return open_breaches
