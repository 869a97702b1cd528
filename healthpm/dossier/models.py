import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


def dossier_upload_to(instance: "Dossier", filename: str) -> str:
    """Named after the run's claim token (random, so never guessed), so a run that takes over
    from a dead one knows which file, if any, the dead one left behind."""
    return stored_name(instance, instance.claim or uuid.uuid4().hex)


def stored_name(dossier: "Dossier", claim: str) -> str:
    return f"dossiers/{dossier.initiative_id}/v{dossier.version}-{claim}.pdf"


class Dossier(models.Model):
    """One exported version of an initiative's dossier (SPEC §6). Rows are never deleted."""

    class State(models.TextChoices):
        PENDING = "pending", "Queued"
        RUNNING = "running", "Generating"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        DRAFT = "draft", "Draft (unsigned)"
        FINAL = "final", "Final (digitally signed)"

    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.PROTECT, related_name="dossiers")
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    # Decided when the PDF is rendered: the initiative may be approved between request and render.
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DRAFT)
    file = models.FileField(upload_to=dossier_upload_to, blank=True, max_length=255)
    # SHA-256 of the stored file exactly as downloaded; verification looks dossiers up by it.
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The run that holds the row (services._claim): a random token per attempt, so a run
    # whose row was taken over cannot mark it done, and the run taking over knows its file.
    claim = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["initiative_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "version"], name="one_dossier_per_version"),
        ]

    def __str__(self) -> str:
        return f"Dossier v{self.version} of {self.initiative}"

    @property
    def in_progress(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING)

    @property
    def download_name(self) -> str:
        suffix = "signed" if self.kind == self.Kind.FINAL else "draft"
        return f"{self.initiative.slug}-dossier-v{self.version}-{suffix}.pdf"

    def get_download_url(self) -> str:
        return reverse("dossier:download", args=[self.initiative.slug, self.version])
