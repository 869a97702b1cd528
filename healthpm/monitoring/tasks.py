from celery import shared_task


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570, serializer="json")
def send_stale_metric_reminders() -> int:
    """Beat, daily: remind owners of metrics whose cadence passed without a sample (healthpm.monitoring.status).

    Safe to run twice or to be re-delivered: each reminder has a per-day dedupe key.
    """
    from .status import stale_reminders_send

    return stale_reminders_send()
