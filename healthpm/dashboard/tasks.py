import logging

from celery import shared_task

from .facts import refresh_all

log = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def refresh_portfolio_facts() -> int:
    """Recompute every initiative's facts; idempotent, so a redelivery only repeats the work."""
    return refresh_all()


def queue_refresh() -> None:
    """Ask a worker to refresh the facts; with the broker down, the nightly beat run catches up."""
    try:
        refresh_portfolio_facts.delay()
    except Exception as exc:  # broker unreachable: the admin's change is saved all the same
        log.warning("portfolio facts not refreshed now, broker unavailable (the nightly run will): %s", exc)
