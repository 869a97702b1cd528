"""Emit webhook events into the outbox, and deliver them (Standard Webhooks, signed with `standardwebhooks`).

How another app emits an event
------------------------------
    from healthpm.webhooks.services import emit
    emit("monitoring.breach", data, initiative=initiative)

Call it inside your transaction: one WebhookDelivery row per active endpoint subscribed to the
event is written there (rolled back with you), and each is queued after commit. A broker that
is down loses nothing: the beat sweeper `send_due_webhooks` sends due rows every minute.

What a receiver gets
--------------------
The body (JSON, Content-Type application/json) is the Standard Webhooks envelope:

    {"type": "gate.submitted", "timestamp": "2026-12-03T09:00:00+00:00", "data": {...}}

with the headers `webhook-id` (msg_<uuid>, the same on every retry: de-duplicate on it),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature` ("v1,<base64
HMAC-SHA256>" over "<id>.<timestamp>.<body>" with the endpoint's whsec_ secret).

`data` per event type (receivers.py builds them from the domain signals; links are absolute, from SITE_URL):

gate.submitted
    {"initiative": {"slug", "title", "status", "url"},
     "gate": {"key", "title", "status", "url"},
     "by": "Priya Patel", "at": "<ISO 8601>"}
gate.decided
    the same, plus "decision": {"id", "decision": "approved"|"rejected", "reason", "by", "at",
    "submitted_at"}; "by"/"at" name the decider.
initiative.final_decision
    {"initiative": {...}, "signature": {"id", "meaning": "approved"|"rejected", "statement",
     "signed_by", "signed_at", "digest"}, "url"}
monitoring.breach (one per breach: a pause threshold crossed, or the live false-positive cost)
    {"initiative": {...}, "kind": "pause_threshold"|"fp_cost", "metric": {"key"},
     "sample": {"id", "period_start", "period_end", "value", "subgroup"},
     "threshold": {"value", "direction": "above"|"below"}, "working": "<the calculation>",
     "gate": {"key", "title", "status", "url"} (the gate re-opened), "paper_fallback": "<text>", "url"}
monitoring.stale (once a metric a day, with the owner's reminder)
    {"initiative": {...}, "metric": {"key", "title", "unit"}, "cadence": "daily"|…,
     "last_sample_at": "<ISO 8601>"|null, "due_at": "<ISO 8601>", "url"}
webhook.test
    {"endpoint": {"id", "url"}, "by": "<administrator>", "at": "<ISO 8601>"}

Use initiative_ref() for the "initiative" object so every event describes it the same way.
"""

import base64
import json
import logging
import secrets
from datetime import timedelta

import requests
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from healthpm.audit.services import record
from healthpm.core.tasks import enqueue_on_commit

from .models import EVENTS, WebhookDelivery, WebhookEndpoint
from .targets import target_problem

log = logging.getLogger(__name__)

# Seconds to wait after the n-th failed attempt; after the last, the delivery is given up.
BACKOFF = (60, 5 * 60, 30 * 60, 2 * 3600, 8 * 3600, 24 * 3600)


def lease() -> timedelta:
    """How long a claim holds: a run that died mid-POST frees its row after this."""
    return timedelta(seconds=max(60, 2 * settings.HEALTHPM_WEBHOOK_TIMEOUT + 30))


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, the format standardwebhooks' Webhook() takes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def initiative_ref(initiative) -> dict:
    return {"slug": initiative.slug, "title": initiative.title, "status": initiative.status,
            "url": absolute(reverse("initiatives:overview", args=[initiative.slug]))}


def emit(event_type: str, data: dict, *, initiative=None) -> list[WebhookDelivery]:
    """Queue `event_type` with `data` for every active endpoint subscribed to it; see the module docstring."""
    if event_type not in EVENTS:
        raise ValueError(f"Unknown webhook event type {event_type!r}; the catalogue is {sorted(EVENTS)}")
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if event_type in (e.events or [])]
    return _queue(endpoints, event_type, data, initiative=initiative)


def _queue(endpoints, event_type: str, data: dict, *, initiative=None) -> list[WebhookDelivery]:
    envelope = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}
    # Round-trip now: data that is not JSON fails the caller here, not the worker later.
    envelope = json.loads(json.dumps(envelope, default=str))
    now = timezone.now()
    created = [WebhookDelivery.objects.create(endpoint=endpoint, event_type=event_type, payload=envelope,
                                              initiative=initiative, next_attempt_at=now)
               for endpoint in endpoints]
    for delivery in created:
        enqueue_on_commit("healthpm.webhooks.tasks.deliver_webhook", delivery.pk,
                          pending=f"webhook delivery {delivery.pk} left pending",
                          catch_up="the beat sweeper send_due_webhooks sends it")
    return created


def send_test(endpoints, *, by) -> list[WebhookDelivery]:
    """The admin's "Send test event": webhook.test to each endpoint, subscribed to it or not."""
    created = []
    with transaction.atomic():
        for endpoint in endpoints:
            data = {"endpoint": {"id": endpoint.pk, "url": endpoint.url},
                    "by": by.get_username(), "at": timezone.now().isoformat()}
            delivery, = _queue([endpoint], "webhook.test", data)
            record("webhook_test_sent", actor=by, obj=endpoint, after={"url": endpoint.url,
                                                                       "message_id": delivery.message_id})
            created.append(delivery)
    return created


def retry_now(deliveries, *, by) -> int:
    """The delivery log's "Retry now": undelivered rows become due at once (given-up ones too)."""
    count = 0
    with transaction.atomic():
        for delivery in deliveries:
            if delivery.delivered_at:
                continue
            WebhookDelivery.objects.filter(pk=delivery.pk, delivered_at__isnull=True).update(
                next_attempt_at=timezone.now(), given_up_at=None)
            record("webhook_retried", actor=by, obj=delivery.endpoint,
                   after={"message_id": delivery.message_id, "event": delivery.event_type,
                          "attempts": delivery.attempts})
            enqueue_on_commit("healthpm.webhooks.tasks.deliver_webhook", delivery.pk,
                              pending=f"webhook delivery {delivery.pk} left pending",
                              catch_up="the beat sweeper send_due_webhooks sends it")
            count += 1
    return count


# What the attempt log says of a run whose lease expired without an answer recorded.
DEAD_RUN = "The worker sending it stopped before recording an answer (its lease expired)."


def due() -> QuerySet:
    now = timezone.now()
    return WebhookDelivery.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease()),
        delivered_at__isnull=True, given_up_at__isnull=True, next_attempt_at__lte=now,
    )


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the row's lease, or None when it is not due, done, or another run holds it.

    The row lock is skip_locked: two runs racing never wait on each other, the loser returns.
    A lease that expired was held by a run that died before recording its answer (a worker
    killed mid-send): that counts as an attempt, so a delivery that kills its worker every time
    is given up after the backoff's attempts instead of being retried once per lease for ever.
    """
    with transaction.atomic():
        row = due().select_for_update(skip_locked=True).filter(pk=delivery_id).first()
        if row is None:
            return None
        now = timezone.now()
        fields = ["claimed_at"]
        if row.claimed_at is not None:
            row.attempts += 1
            row.attempt_log = [*row.attempt_log, {"at": now.isoformat(), "status": None, "retry_at": None,
                                                  "error": DEAD_RUN}][-20:]
            fields += ["attempts", "attempt_log"]
            if row.attempts > len(BACKOFF):
                row.claimed_at, row.given_up_at, row.next_attempt_at = None, now, None
                row.last_error = DEAD_RUN
                row.save(update_fields=[*fields, "given_up_at", "next_attempt_at", "last_error"])
                log.warning("webhook delivery %s given up: %s (%s attempts)", row.pk, DEAD_RUN, row.attempts)
                return None
        row.claimed_at = now
        row.save(update_fields=fields)
    return row


def deliver(delivery_id: int) -> bool | None:
    """Send one due delivery once. True: delivered; False: failed (retry scheduled or given up);
    None: not ours to send (not due, already sent, or claimed by another run)."""
    row = _claim(delivery_id)
    if row is None:
        return None
    endpoint = row.endpoint
    status, error = None, ""
    problem = None if endpoint.active else "The endpoint was deactivated."
    problem = problem or target_problem(endpoint.url, resolve=True)
    if problem:
        error = f"Not sent: {problem}"
    else:
        try:
            status, error = _post(endpoint, row)
        except (InvalidToken, ImproperlyConfigured) as exc:  # the key changed or is missing: say so in the log
            error = f"Not sent: the endpoint's secret cannot be decrypted with HEALTHPM_WEBHOOK_KEY ({exc!r})."
    return _finish(row, status, error)


def _post(endpoint: WebhookEndpoint, row: WebhookDelivery) -> tuple[int | None, str]:
    body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False)
    sent_at = timezone.now()
    headers = {
        "webhook-id": row.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(row.message_id, sent_at, body),
        "Content-Type": "application/json",
        "User-Agent": "healthpm-webhooks",
    }
    try:
        # No redirects: a 3xx could point the signed payload at an address target_problem refuses.
        response = requests.post(endpoint.url, data=body.encode(), headers=headers,
                                 timeout=settings.HEALTHPM_WEBHOOK_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


def _finish(row: WebhookDelivery, status: int | None, error: str) -> bool:
    now = timezone.now()
    attempts = row.attempts + 1
    ok = not error
    fields = {"attempts": attempts, "claimed_at": None, "last_status_code": status, "last_error": error[:500]}
    retry_at = None
    if ok:
        fields.update(delivered_at=now, next_attempt_at=None)
    elif attempts > len(BACKOFF):
        fields.update(given_up_at=now, next_attempt_at=None)
    else:
        retry_at = now + timedelta(seconds=BACKOFF[attempts - 1])
        fields["next_attempt_at"] = retry_at
    entry = {"at": now.isoformat(), "status": status, "error": error[:200],
             "retry_at": retry_at.isoformat() if retry_at else None}
    fields["attempt_log"] = [*row.attempt_log, entry][-20:]
    # Only while we still hold the lease: a run that outlived it does not overwrite its successor.
    if not WebhookDelivery.objects.filter(pk=row.pk, claimed_at=row.claimed_at).update(**fields):
        log.warning("webhook delivery %s: lease lost before recording attempt %s", row.pk, attempts)
    if not ok:
        log.warning("webhook delivery %s to %s failed (attempt %s): %s", row.pk, row.endpoint.url, attempts, error)
    return ok
