import uuid
from datetime import date
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from healthpm.lib.hashing import digest

from . import registry
from .definitions.base import EvaluationContext, Finding, GateDefinition, Item
from .report import blocker_messages, grouped


class GateStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# A gate's status as a symbol and words (initiative list chips, gate tabs): never colour alone.
GATE_STATUS_SIGNS = {
    GateStatus.APPROVED: ("✔", "approved"),
    GateStatus.SUBMITTED: ("…", "submitted, waiting for review"),
    GateStatus.REJECTED: ("✘", "rejected"),
    GateStatus.IN_PROGRESS: ("◐", "in progress"),
    GateStatus.NOT_STARTED: ("○", "not started"),
}


class GateQuerySet(models.QuerySet):
    def of_initiative(self, initiative) -> list["Gate"]:
        """The initiative's gates in order, with evidence and decisions loaded and the
        initiative attached, so evaluating all of them costs a fixed number of queries."""
        gates = list(
            self.filter(initiative=initiative).order_by("order").select_related("submitted_by", "assignee").prefetch_related(
                models.Prefetch("evidence", queryset=Evidence.objects.select_related("author")),
                models.Prefetch("decisions", queryset=GateDecision.objects.select_related("decided_by")),
            )
        )
        for gate in gates:
            gate.initiative = initiative
        return gates


class Gate(models.Model):
    """One gate of one initiative: its answers (`data`), status, evidence and decisions.

    What the gate asks and how it is judged is its definition's (`definition`), from the
    initiative's checklist version; `order` is its position there, copied for SQL ordering.
    """

    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.CASCADE, related_name="gates")
    key = models.CharField(max_length=64)
    order = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=GateStatus.choices, default=GateStatus.NOT_STARTED, db_index=True)
    # The gate's structured answers (its form's cleaned data, JSON-safe).
    data = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submission_note = models.TextField(blank=True)
    # The team's written answer to the rejection this submission follows (empty for a first one).
    rejection_response = models.TextField(blank=True)
    # The last time the team took a submitted gate back from review before a decision.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    # Who on the team fills the gate, and which compliance officer the owner asks to review it
    # (a request: any officer without a conflict may still decide). healthpm.collaboration sets them.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_gates")
    requested_reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="requested_reviews")
    updated_at = models.DateTimeField(auto_now=True)

    objects = GateQuerySet.as_manager()

    class Meta:
        ordering = ["initiative_id", "order"]
        constraints = [models.UniqueConstraint(fields=["initiative", "key"], name="one_gate_per_key")]
        # The portfolio dashboard counts gates per (key, status): an index-only scan, not the JSON-heavy heap.
        indexes = [models.Index(fields=["key", "status"], name="gate_key_status")]

    def __str__(self) -> str:
        return f"{self.initiative} — {self.title}"

    @property
    def checklist(self) -> "registry.Checklist":
        return registry.checklist(self.initiative.checklist_version)

    @property
    def definition(self) -> GateDefinition:
        """Raises UnknownGate for a key its checklist does not have."""
        return self.checklist.gate(self.key)

    @property
    def position(self) -> int:
        return self.checklist.position(self.key)

    @property
    def title(self) -> str:
        return self.definition.title

    def get_absolute_url(self) -> str:
        return reverse("gates:detail", args=[self.initiative.slug, self.key])

    # --- evidence ------------------------------------------------------------------------
    def current_evidence(self, *, today: date | None = None) -> list["Evidence"]:
        """Pieces not superseded and not expired. Uses prefetched evidence when present."""
        today = today or timezone.localdate()
        return [e for e in self.evidence.all() if e.is_current(today)]

    def item_status(self, ctx: EvaluationContext) -> list[tuple[Item, bool, list["Evidence"]]]:
        """Each required item with whether it is evidenced and by what."""
        current = self.current_evidence(today=ctx.today)
        definition = self.definition
        rows = []
        for item in definition.required_items(self.data):
            pieces = [e for e in current if e.item_key == item.key]
            evidenced = definition.structured_complete(self.data) if item.structured else bool(pieces)
            rows.append((item, evidenced, pieces))
        return rows

    def missing_items(self, ctx: EvaluationContext) -> list[Item]:
        return [item for item, evidenced, _ in self.item_status(ctx) if not evidenced]

    def findings(self, ctx: EvaluationContext) -> list[Finding]:
        return self.definition.findings(self.data, ctx)

    def blockers(self, ctx: EvaluationContext) -> list[str]:
        """Everything that stops submission, in plain words naming the item or field."""
        return blocker_messages(self.item_status(ctx), grouped(self.definition, self.findings(ctx)))

    # --- approval ------------------------------------------------------------------------
    def compute_digest(self, *, today: date | None = None) -> str:
        """SHA-256 over the gate's data and its current evidence (SPEC §2), bound to the rules
        it was judged by: the checklist version that introduced this gate's definition."""
        current = sorted(self.current_evidence(today=today), key=lambda e: e.pk)
        return digest(
            {
                "gate": self.key,
                "checklist_version": registry.introduced_in(self.definition),
                "data": self.data,
                "evidence": [e.digest_facts() for e in current],
            }
        )

    def current_approval(self) -> "GateDecision | None":
        """The standing approval: the latest decision, when it approved and is not voided."""
        latest = max(self.decisions.all(), key=lambda d: d.pk, default=None)
        if latest and latest.decision == GateDecision.Decision.APPROVED and latest.voided_at is None:
            return latest
        return None

    def latest_decision(self) -> "GateDecision | None":
        """Uses prefetched decisions when present."""
        return max(self.decisions.all(), key=lambda d: d.pk, default=None)

    def rejection_to_answer(self) -> "GateDecision | None":
        """The rejection a (re)submission must answer in writing: the latest decision, when it rejected."""
        latest = self.latest_decision()
        return latest if latest is not None and latest.decision == GateDecision.Decision.REJECTED else None

    def approval_matches(self, *, today: date | None = None) -> bool:
        approval = self.current_approval()
        return approval is not None and approval.digest == self.compute_digest(today=today)


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    # Stored names are generated; the uploader's name is kept only as data.
    suffix = PurePosixPath(filename).suffix.lower()[:6]
    return f"evidence/{instance.gate.initiative_id}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", "File"
        LINK = "link", "Link"

    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="evidence")
    item_key = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to=evidence_upload_to, blank=True, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    title = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    effective_date = models.DateField(help_text="When the fact it proves was true: the drill day, the BAA signature.")
    expiry_date = models.DateField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item_key", "-version", "-id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.display_name} v{self.version}"

    @property
    def display_name(self) -> str:
        return self.title or self.original_name or self.url

    def is_current(self, today: date) -> bool:
        return self.superseded_at is None and (self.expiry_date is None or self.expiry_date >= today)

    @property
    def expired_at_upload(self) -> bool:
        """Its expiry date had already passed when it was uploaded: kept, but it never counted as current."""
        return self.expiry_date is not None and self.expiry_date < timezone.localtime(self.created_at).date()

    def state(self, today: date) -> str:
        if self.superseded_at is not None:
            return "superseded"
        if self.expiry_date is not None and self.expiry_date < today:
            return "expired"
        return "current"

    def digest_facts(self) -> dict:
        return {
            "id": self.pk,
            "item": self.item_key,
            "sha256": self.sha256,
            "version": self.version,
            "effective_date": self.effective_date.isoformat(),
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
        }

    def snapshot(self) -> dict:
        return {
            "item": self.item_key,
            "kind": self.kind,
            "name": self.display_name,
            "version": self.version,
            "size": self.size,
            "sha256": self.sha256,
            "effective_date": self.effective_date.isoformat(),
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
        }


class GateDecision(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    # Digest of the gate's data and evidence at the moment of decision.
    digest = models.CharField(max_length=64)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, blank=True)
    # What the officer decided on, kept so the next submission shows an exact diff against it:
    # the gate's data and the ids of its current evidence at that moment (None for decisions
    # recorded before these were kept).
    data_snapshot = models.JSONField(null=True, blank=True)
    evidence_ids = models.JSONField(null=True, blank=True)
    # The team's response to the previous rejection that came with the submission decided here.
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by} on {self.decided_at:%Y-%m-%d}"


# --- reference data the administrator maintains (SPEC §1, §4.1) ---------------------------
class SourceSystem(models.Model):
    """A system model inputs may come from. Only approved systems satisfy gate 1."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    approved = models.BooleanField(default=True, help_text="Untick to stop accepting inputs from this system.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubgroupDimension(models.Model):
    """A way of dividing patients (age band, sex, race/ethnicity…) that clinical validation
    reports performance by. A required dimension with no subgroup rows blocks the gate."""

    name = models.CharField(max_length=60, unique=True)
    required = models.BooleanField(default=False, help_text="Tick to block clinical validation without rows for it.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProxyVariable(models.Model):
    """A known proxy for a protected class or for wealth; inputs matching it need a justification."""

    label = models.CharField(max_length=100, unique=True)
    match_terms = models.CharField(
        max_length=255, help_text="Comma-separated words that identify the proxy in an input's name, e.g. zip, postal."
    )

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


def split_terms(text: str) -> list[str]:
    """"zip, Postal" → ["zip", "postal"]."""
    return [t.strip().lower() for t in text.split(",") if t.strip()]


class PendingImport(models.Model):
    """A spreadsheet a team member uploaded into one of a gate's tables, read and checked but not
    applied: the dry-run preview shows it, and only a confirm by the same person applies it.

    The server keeps what the preview showed (the cleaned rows, the problems, the file and its
    SHA-256) so the confirm trusts nothing the browser sends; `base_digest` is the digest of the
    gate's data the rows were compared with, and a confirm after the data changed is refused.
    """

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="pending_imports")
    table_key = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    rows = models.JSONField(default=list)
    problems = models.JSONField(default=list)
    ignored_headers = models.JSONField(default=list)
    base_digest = models.CharField(max_length=64)
    # What the table's row form accepted when the file was read (its choices, the day): a confirm
    # with the same choices and the same saved data would read the file the same way.
    reading_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.gate} / {self.table_key}"
