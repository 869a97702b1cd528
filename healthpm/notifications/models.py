from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An e-mail waiting to be sent or sent (an outbox).

    Rows are written in the same transaction as the change they announce, so a broker
    outage can delay a notification but never lose it or the user's save.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Identical reminders share a key so the same one is never sent twice.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
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
