from django.conf import settings
from django.db import models


class Signature(models.Model):
    """A final, signed launch decision (SPEC §5). Never deleted; a reopening voids it."""

    class Meaning(models.TextChoices):
        APPROVED = "approved", "Approved for launch"
        REJECTED = "rejected", "Rejected for launch"

    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=255)
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=8, choices=Meaning.choices)
    statement = models.TextField(blank=True, help_text="The officer's comment or grounds for the decision.")
    # SHA-256 of the whole initiative (facts, gate digests, decisions) at signing.
    digest = models.CharField(max_length=64)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return self.manifestation

    @property
    def signed_at_utc(self) -> str:
        return self.signed_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def manifestation(self) -> str:
        """Printed name, UTC time and meaning — the same words on screen and in the dossier."""
        return f"{self.printed_name} — {self.signed_at_utc} — {self.get_meaning_display()}"
