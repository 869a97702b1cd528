from celery import shared_task

from .facts import refresh_all


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def refresh_portfolio_facts() -> int:
    """Recompute every initiative's facts; idempotent, so a redelivery only repeats the work."""
    return refresh_all()
