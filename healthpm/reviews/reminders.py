"""The daily reminder of overdue reviews (issue 13): one digest per compliance officer listing
the submitted gates they may decide that waited past the review SLA
(HEALTHPM_REVIEW_SLA_WORKING_DAYS working days). Gates an officer may not decide (separation
of duties) are not theirs to chase and are left out of their digest.

Celery beat runs it daily (healthpm.reviews.tasks.send_overdue_review_reminders, five minutes
after the other daily reminders of healthpm.notifications) and it is idempotent per day: each digest's dedupe key names the officer and the day, so a second
run the same day, or a re-delivered task, sends nothing new; the next day's digest is new.
"""

from datetime import date, datetime, time

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from healthpm.accounts import roles
from healthpm.notifications.services import notify

from .queue import review_queue, sla_working_days


def send_overdue_review_digests(*, today: date | None = None) -> int:
    """Queue today's digest for every officer with overdue reviews; returns how many were queued."""
    today = today or timezone.localdate()
    # The queue is judged at the end of `today`, the day the reminder is for.
    now = timezone.make_aware(datetime.combine(today, time(23, 59)))
    queued = 0
    for officer in roles.active_members(roles.COMPLIANCE).order_by("pk"):
        overdue = review_queue(officer, now=now).overdue
        if not overdue:
            continue
        with transaction.atomic():
            sent = notify(
                [officer],
                subject=f"{len(overdue)} review{'s' if len(overdue) != 1 else ''} overdue — decide within "
                        f"{sla_working_days()} working days",
                template="reminder_overdue_reviews", link=reverse("reviews:queue"), dedupe_key=f"overdue-reviews:{today.isoformat()}",
                context={"rows": overdue, "sla_days": sla_working_days(), "today": today},
            )
        queued += len(sent)
    return queued
