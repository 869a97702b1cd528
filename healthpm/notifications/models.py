from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

# After this many claims (sends that failed or whose worker died) a row is failed, not retried.
MAX_ATTEMPTS = 10


class Notification(models.Model):
    """An e-mail waiting to be sent or sent (an outbox).

    Rows are written in the same transaction as the change they announce, so a broker
    outage can delay a notification but never lose it or the user's save. Delivery is at
    least once (healthpm/notifications/tasks.py): a run claims the row (claim, claimed_at: a
    lease that expires) and sets sent_at only after the mail server accepted the message,
    so a worker killed in between leaves the row to be sent again once the lease expires.
    Every send of one row carries the same Message-ID, so a rare duplicate is recognisable.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Identical reminders share a key so the same one is never sent twice.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set only once the mail server accepted the message, by the run holding the claim.
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The run sending it: a random token per attempt and when it claimed the row. A claim
    # older than HEALTHPM_OUTBOX_LEASE_SECONDS belongs to a dead run and is taken over.
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Claims so far; at MAX_ATTEMPTS the row is failed (failed_at) and no longer retried.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # The in-app inbox: where the entry leads (a site path: the gate, the decision, the comment)
    # and when its recipient marked it read.
    link = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The unread badge on every page counts (recipient, read_at IS NULL): an index, not a scan.
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"

    @property
    def message_id(self) -> str:
        """The Message-ID header of every send of this row: a duplicate shows the same one."""
        domain = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"<notification-{self.pk}@{domain}>"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        if self.claim:
            lease = settings.HEALTHPM_OUTBOX_LEASE_SECONDS
            if self.claimed_at and (timezone.now() - self.claimed_at).total_seconds() < lease:
                return "sending"
            return "lease expired"  # its worker died; the sweeper sends it again
        return "retrying" if self.attempts else "pending"
