from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from healthpm.accounts import roles
from healthpm.core.errors import WorkflowError


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    READY = "ready", "Ready for final decision"
    APPROVED = "approved", "Approved for launch"
    REJECTED = "rejected", "Rejected"


FINAL_STATUSES = {Status.APPROVED, Status.REJECTED}


class ClinicalArea(models.TextChoices):
    CRITICAL_CARE = "critical_care", "Critical care / inpatient deterioration"
    RADIOLOGY = "radiology", "Radiology and imaging"
    DERMATOLOGY = "dermatology", "Dermatology"
    PRIMARY_CARE = "primary_care", "Primary care"
    ONCOLOGY = "oncology", "Oncology"
    CARDIOLOGY = "cardiology", "Cardiology"
    REVENUE_CYCLE = "revenue_cycle", "Revenue cycle / utilisation management"
    OPERATIONS = "operations", "Access and operations"
    DOCUMENTATION = "documentation", "Clinical documentation"
    NURSING = "nursing", "Nursing"
    OTHER = "other", "Other"


class CareSetting(models.TextChoices):
    INPATIENT = "inpatient", "Inpatient wards"
    ICU = "icu", "Intensive care"
    EMERGENCY = "emergency", "Emergency department"
    OUTPATIENT = "outpatient", "Outpatient clinics"
    HOME = "home", "Home / remote monitoring"
    BACK_OFFICE = "back_office", "Back office (no direct patient contact)"


class InitiativeQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InitiativeQuerySet":
        """What SPEC §1 lets the user see. PMs see their own and others' non-drafts."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or roles.is_compliance(user) or roles.is_leader(user):
            return self
        if roles.is_pm(user):
            return self.filter(
                Q(owner=user) | Q(collaborators=user) | ~Q(status=Status.DRAFT)
            ).distinct()
        return self.none()

    def involving(self, user) -> "InitiativeQuerySet":
        return self.filter(Q(owner=user) | Q(collaborators=user)).distinct()


class Initiative(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="What the AI does, in two or three sentences a clinician would understand.")
    clinical_area = models.CharField(max_length=32, choices=ClinicalArea.choices)
    intended_use = models.TextField(help_text="The decision or task the output supports, and what it must not be used for.")
    intended_users = models.CharField(max_length=255, help_text="Who sees the output, e.g. rapid-response nurses, coders.")
    care_setting = models.CharField(max_length=32, choices=CareSetting.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_initiatives")
    collaborators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="collaborations")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True)
    checklist_version = models.PositiveSmallIntegerField(default=1)
    # Paused — review required (issue 16): a live metric crossed what a gate approved. Not a
    # status: the launch decision stands and keeps the initiative locked; the pause is lifted
    # when compliance approves every re-opened gate again (healthpm.monitoring).
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("initiatives:overview", args=[self.slug])

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_locked(self) -> bool:
        """A final decision freezes the initiative until a compliance officer reopens it."""
        return self.status in FINAL_STATUSES

    def require_open(self) -> None:
        """Refuse a change while a final decision locks the initiative."""
        if self.is_locked:
            raise WorkflowError(
                f"“{self.title}” has a final decision and is locked. A compliance officer must reopen it first."
            )

    def team_ids(self) -> set[int]:
        return {self.owner_id, *self.collaborators.values_list("id", flat=True)}

    def snapshot(self) -> dict:
        """The editable facts, for audit before/after and the initiative digest."""
        return {
            "title": self.title,
            "summary": self.summary,
            "clinical_area": self.clinical_area,
            "intended_use": self.intended_use,
            "intended_users": self.intended_users,
            "care_setting": self.care_setting,
            "owner": self.owner.get_username(),
            "collaborators": sorted(self.collaborators.values_list("username", flat=True)) if self.pk else [],
            "checklist_version": self.checklist_version,
        }
