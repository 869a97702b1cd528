from celery import shared_task
from django.conf import settings

from . import services

_LIMIT = settings.HEALTHPM_WEBHOOK_TIMEOUT + 30


@shared_task(acks_late=True, time_limit=_LIMIT, soft_time_limit=_LIMIT - 10)
def deliver_webhook(delivery_id: int) -> bool | None:
    """Send one delivery; a failure schedules its retry in the row (the sweeper sends it when due)."""
    return services.deliver(delivery_id)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def send_due_webhooks(limit: int = 25) -> int:
    """Beat sweeper, every minute: deliveries a broker outage left pending and retries now due."""
    sent = 0
    for pk in list(services.due().order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        sent += bool(services.deliver(pk))
    return sent
