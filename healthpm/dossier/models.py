import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


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
    # "PAdES B-B" or "PAdES B-LTA" for a signed version (signing.LEVEL_*); blank for a draft.
    signature_level = models.CharField(max_length=16, blank=True)
    signing_certificate = models.ForeignKey("SigningCertificate", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="dossiers")

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

    @property
    def long_term(self) -> bool:
        return self.signature_level == "PAdES B-LTA"


class SigningCertificate(models.Model):
    """Every certificate this deployment has signed a dossier with (SPEC §6, rotation).

    Verification accepts a signature made with any of them, so dossiers signed before the
    PKCS#12 was replaced stay verifiable. Recorded by services.build_pdf when it signs; rows are
    never changed but for last_used_at, and never deleted.
    """

    fingerprint = models.CharField(max_length=64, unique=True)  # SHA-256 of the DER, hex
    subject = models.CharField(max_length=500)
    issuer = models.CharField(max_length=500)
    serial = models.CharField(max_length=80)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    der = models.BinaryField()
    first_used_at = models.DateTimeField()
    last_used_at = models.DateTimeField()

    class Meta:
        ordering = ["-first_used_at"]

    def __str__(self) -> str:
        return f"{self.subject} (SHA-256 {self.fingerprint[:16]}…, valid until {self.not_after:%Y-%m-%d})"

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    @classmethod
    def record(cls, cert, *, at=None) -> "SigningCertificate":
        """Remember cert (an asn1crypto x509.Certificate) as one this deployment signs with."""
        at = at or timezone.now()
        fingerprint = hashlib.sha256(cert.dump()).hexdigest()
        validity = cert["tbs_certificate"]["validity"]
        row, created = cls.objects.get_or_create(fingerprint=fingerprint, defaults={
            "subject": cert.subject.human_friendly[:500], "issuer": cert.issuer.human_friendly[:500],
            "serial": format(cert.serial_number, "x")[:80], "not_before": validity["not_before"].native,
            "not_after": validity["not_after"].native, "der": cert.dump(), "first_used_at": at, "last_used_at": at,
        })
        if not created:
            cls.objects.filter(pk=row.pk, last_used_at__lt=at).update(last_used_at=at)
        return row

    def certificate(self):
        from asn1crypto import x509

        return x509.Certificate.load(bytes(self.der))
