from celery import shared_task


@shared_task(acks_late=True, time_limit=600, soft_time_limit=560)
def send_overdue_review_reminders() -> int:
    """Beat, daily, beside the other daily reminders: each compliance officer's digest of the
    reviews they may decide that are past the SLA (healthpm.reviews.reminders).

    Safe to run twice or to be re-delivered the same day: each digest has a per-day dedupe key.
    """
    from .reminders import send_overdue_review_digests

    return send_overdue_review_digests()
