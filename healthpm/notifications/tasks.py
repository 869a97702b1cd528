import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.utils import timezone

from .models import Notification

log = logging.getLogger(__name__)


def deliver(notification_id: int) -> bool:
    """Send one outbox row exactly once: the conditional UPDATE claims it first.

    Returns False when another run already sent it; raises when the mail server fails,
    after releasing the claim so a later attempt can send it.
    """
    claimed = Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    message = EmailMultiAlternatives(note.subject, note.body_text, to=[note.recipient.email])
    if note.body_html:
        message.attach_alternative(note.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(sent_at=None, last_error=str(exc)[:500])
        raise
    return True


@shared_task(bind=True, acks_late=True, time_limit=60, soft_time_limit=50, max_retries=5, default_retry_delay=60)
def send_notification(self, notification_id: int) -> bool:
    try:
        return deliver(notification_id)
    except Exception as exc:
        raise self.retry(exc=exc)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def send_pending_notifications() -> int:
    """Beat sweeper: send what a broker or mail outage left pending."""
    sent = 0
    pending = Notification.objects.filter(sent_at__isnull=True, attempts__lt=10).values_list("pk", flat=True)[:500]
    for pk in list(pending):
        try:
            sent += deliver(pk)
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
