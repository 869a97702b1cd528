"""Live numbers after launch (issue 16): samples of the approved monitoring plan's metrics, and
the breaches they caused."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from healthpm.lib.monitoring import plain


class MetricSample(models.Model):
    """One value of one metric over one period, as the API or a CSV upload sent it."""

    class Source(models.TextChoices):
        API = "api", "API"
        CSV = "csv", "CSV upload"

    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.CASCADE, related_name="metric_samples")
    metric = models.CharField(max_length=80)  # the plan's metric key (WatchedMetric.key)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=6)
    subgroup = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    # A retry with the same key returns the first sample and stores nothing.
    idempotency_key = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_end", "id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="metric_sample_idempotency_key"),
        ]
        indexes = [models.Index(fields=["initiative", "metric", "period_end"], name="metric_sample_series")]
        # Held by a service account the API may record samples with (healthpm.access).
        permissions = [("record_metrics", "Can record live monitoring samples for any launched initiative")]

    def __str__(self) -> str:
        return f"{self.metric} {self.value_text} ({self.period_start}–{self.period_end})"

    @property
    def value_text(self) -> str:
        return plain(self.value)


class Breach(models.Model):
    """A sample past what a gate approved: the gate was re-opened and the initiative paused.

    Cleared when compliance approves the re-opened gate again (healthpm.monitoring.receivers).
    """

    class Kind(models.TextChoices):
        PAUSE_THRESHOLD = "pause_threshold", "Pause threshold crossed"
        FP_COST = "fp_cost", "False-positive cost over the threshold"

    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.CASCADE, related_name="breaches")
    sample = models.ForeignKey(MetricSample, on_delete=models.PROTECT, related_name="breaches")
    metric = models.CharField(max_length=80)
    direction = models.CharField(max_length=8)
    threshold = models.DecimalField(max_digits=18, decimal_places=6)
    observed = models.DecimalField(max_digits=18, decimal_places=6)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    working = models.TextField()
    gate = models.ForeignKey("gates.Gate", on_delete=models.PROTECT, related_name="breaches")
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    clear_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.metric} {self.observed}"

    @property
    def observed_text(self) -> str:
        return plain(self.observed)

    @property
    def threshold_text(self) -> str:
        return plain(self.threshold)

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
