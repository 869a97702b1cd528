"""Sending the outbox (healthpm/notifications/models.py): at least once, never "sent" unsent.

A run claims a row (healthpm/core/claims.py: a token and a lease), sends it, and marks it
sent only after the mail server accepted it and only while it still holds the claim. A
worker killed between the two leaves the row claimed and unsent; once the lease
(HEALTHPM_OUTBOX_LEASE_SECONDS) has expired the beat sweeper sends it again. The price is a
rare duplicate — the first send got through, its worker died before recording it — which
carries the same Message-ID as the first (Notification.message_id).
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from healthpm.core import claims

from .models import MAX_ATTEMPTS, Notification

log = logging.getLogger(__name__)

_CLAIMS = claims.Claimable(
    free=Q(sent_at__isnull=True, failed_at__isnull=True, claim=""),
    held=Q(sent_at__isnull=True, failed_at__isnull=True) & ~Q(claim=""),
    max_attempts=MAX_ATTEMPTS,
)


def _time_limit(cap: int) -> int:
    """A sending task's hard time limit: at most half the lease, so a run still alive always
    holds a lease that has not expired, and a takeover only ever replaces a dead run."""
    return max(2, min(cap, settings.HEALTHPM_OUTBOX_LEASE_SECONDS // 2))


SEND_TIME_LIMIT = _time_limit(60)
SWEEP_TIME_LIMIT = _time_limit(300)


def lease() -> timedelta:
    return timedelta(seconds=settings.HEALTHPM_OUTBOX_LEASE_SECONDS)


def _claim(notification_id: int) -> claims.Claim | None:
    return claims.claim(Notification.objects.all(), notification_id, _CLAIMS, lease=lease(), exhausted=_give_up)


def _give_up(row: Notification, holder: Q) -> None:
    """The row's workers died MAX_ATTEMPTS times before the mail server answered: stop."""
    error = (f"Not sent: the worker sending it stopped {row.attempts} times before the mail server answered "
             f"(last error: {row.last_error or 'none'})")[:500]
    if Notification.objects.filter(holder, pk=row.pk).update(failed_at=timezone.now(), claim="", last_error=error):
        log.error("notification %s failed: %s", row.pk, error)


def message_for(note: Notification) -> EmailMultiAlternatives:
    # The Message-ID is the row's, not a fresh one: a re-send after a lost acknowledgement
    # is then recognisably the same message to the recipient's mail system and to a person.
    message = EmailMultiAlternatives(note.subject, note.body_text, to=[note.recipient.email],
                                     headers={"Message-ID": note.message_id})
    if note.body_html:
        message.attach_alternative(note.body_html, "text/html")
    return message


def deliver(notification_id: int) -> bool:
    """Send one outbox row if no live run holds it; True when this run sent it.

    1. Claim it (_claim): unsent and unclaimed, or claimed by a run whose lease expired.
       False when it is sent, failed, or held by a live run.
    2. Send it with its own Message-ID.
    3. Accepted: sent_at is set — only if this run still holds the claim.
    4. Refused: the claim is released with last_error, for the task's retry or the
       sweeper; at MAX_ATTEMPTS the row is failed instead. The error is raised.
    """
    claimed = _claim(notification_id)
    if claimed is None:
        return False
    ours = Q(claims.held_by(_CLAIMS, claimed.token), pk=notification_id)
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    if claimed.taken_over is not None:
        log.warning("notification %s: its lease expired (worker stopped); sending it again as %s",
                    notification_id, note.message_id)
    try:
        message_for(note).send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        fields = {"claim": "", "last_error": error}
        if note.attempts >= MAX_ATTEMPTS:
            fields["failed_at"] = timezone.now()
        if Notification.objects.filter(ours).update(**fields) and "failed_at" in fields:
            log.error("notification %s failed after %s attempts: %s", notification_id, note.attempts, error)
        raise
    if not Notification.objects.filter(ours).update(sent_at=timezone.now(), last_error=""):
        # Slower than its lease: another run may have sent it too, with the same Message-ID.
        log.warning("notification %s: sent, but its claim was taken over meanwhile", notification_id)
    return True


@shared_task(bind=True, acks_late=True, time_limit=SEND_TIME_LIMIT,
             soft_time_limit=SEND_TIME_LIMIT - max(1, SEND_TIME_LIMIT // 6),
             max_retries=5, default_retry_delay=60)
def send_notification(self, notification_id: int) -> bool:
    """Send one row; a failure retries. No reject_on_worker_lost: a delivery redelivered after
    its worker died would find the dead run's lease still live and step back; the lease's
    expiry and the beat sweeper are what resend it."""
    try:
        return deliver(notification_id)
    except Exception as exc:
        raise self.retry(exc=exc)


@shared_task(acks_late=True, time_limit=SWEEP_TIME_LIMIT,
             soft_time_limit=SWEEP_TIME_LIMIT - max(1, SWEEP_TIME_LIMIT // 6))
def send_pending_notifications(limit: int = 500) -> int:
    """Beat sweeper: send what a broker or mail outage left unsent, and what a dead worker
    left claimed (its lease expired). Returns how many it sent."""
    due = Notification.objects.filter(_CLAIMS.free | claims.lease_expired(_CLAIMS, lease()))
    sent = 0
    for pk in list(due.order_by("pk").values_list("pk", flat=True)[:limit]):
        try:
            sent += deliver(pk)
        except SoftTimeLimitExceeded:
            log.warning("send_pending_notifications: time limit reached; the next sweep goes on")
            break
        except Exception as exc:
            log.warning("notification %s still pending: %s", pk, exc)
    return sent


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def send_daily_reminders() -> dict:
    """Beat, daily: expiring evidence and what the gates say has lapsed (healthpm.notifications.reminders).

    Safe to run twice or to be re-delivered: each reminder has a unique dedupe key.
    """
    from .reminders import send_reminders

    return send_reminders().as_dict()
