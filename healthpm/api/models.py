"""API tokens, service accounts and the idempotency keys of API writes (issue 16, item 1)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    READ = "read", "read: initiatives, gates, dossiers"
    EVIDENCE_WRITE = "evidence:write", "evidence:write: upload evidence"
    METRICS_WRITE = "metrics:write", "metrics:write: send monitoring samples"


class ServiceAccount(models.Model):
    """Marks a user as a machine (the model registry, a data team's job), not a person.

    It holds a role group like anyone, so access.py answers for it unchanged; it has no usable
    password and the login form refuses it: it only ever acts through its API tokens.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_account")
    description = models.CharField(max_length=255, help_text="What calls the API with it, and who looks after it.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    def __str__(self) -> str:
        return f"{self.user.get_username()} (service account)"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token. Only the SHA-256 of the secret is kept; the secret is shown once."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses the token, e.g. “model registry nightly job”.")
    # The public part of the token (hpm_<prefix>_…): what lists show and what a lookup starts from.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    # Empty: every initiative the owner may see. Otherwise only these (others answer 404).
    initiatives = models.ManyToManyField("initiatives.Initiative", blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} (hpm_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an Idempotency-Key, replayed to its retries."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # What was asked (method, path and a digest of the body): a key reused for another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="one_idempotency_key_per_token")]
