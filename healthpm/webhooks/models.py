import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from . import crypto
from .targets import target_problem

# The fixed catalogue: an endpoint subscribes to some of these (services.py documents the payloads).
EVENTS = {
    "gate.submitted": "A gate was submitted for review",
    "gate.decided": "A gate was approved or rejected",
    "initiative.final_decision": "An initiative's final decision was signed",
    "monitoring.breach": "A live metric crossed its pause threshold",
    "monitoring.stale": "A live metric's cadence passed without a sample",
    "webhook.test": "A test event sent from the admin",
}


def new_message_id() -> str:
    return f"msg_{uuid.uuid4()}"


class WebhookEndpoint(models.Model):
    """A receiver an administrator registered, with the events it wants and its signing secret.

    The secret is stored encrypted (crypto.py); it is shown once, when the endpoint is added.
    """

    url = models.URLField("URL", max_length=500, help_text="https:// address that receives the POSTs.")
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    active = models.BooleanField(default=True)
    secret_encrypted = models.TextField(editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   editable=False, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.description or self.url

    def clean(self):
        errors = {}
        problem = target_problem(self.url or "")
        if problem:
            errors["url"] = problem
        unknown = [e for e in (self.events or []) if e not in EVENTS]
        if not isinstance(self.events, list) or unknown:
            errors["events"] = f"Unknown event types: {', '.join(map(str, unknown)) or self.events!r}."
        if errors:
            raise ValidationError(errors)

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret)


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, and its delivery log.

    Written in the transaction of the change it announces; sent after commit by a task, or by
    the beat sweeper when the broker was down or a retry is due. `message_id` is the
    webhook-id header and stays the same across retries, so receivers de-duplicate on it.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    message_id = models.CharField(max_length=60, unique=True, default=new_message_id, editable=False)
    payload = models.JSONField()
    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due (the sweeper sends rows past it); None once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The lease of the run sending it (services._claim): a run that died frees it when it expires.
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    # Each attempt: {"at", "status", "error", "retry_at"}: the backoff as it happened.
    attempt_log = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint} ({self.message_id})"

    @property
    def state(self) -> str:
        if self.delivered_at:
            return "delivered"
        if self.given_up_at:
            return "given up"
        return "retrying" if self.attempts else "pending"
