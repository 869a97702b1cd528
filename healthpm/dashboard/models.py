"""Denormalised portfolio facts (SPEC §7).

The numbers leadership sees live inside each gate's JSON `data` and need the gate
calculators to read (burden math, IMDRF table, vendor rows). Computing them per request
would cost one Python pass over every gate of every initiative, so they are copied here
when a gate's data is saved (`healthpm.dashboard.facts.refresh_facts`) and every
dashboard number becomes a SQL aggregate.

Nothing here depends on today's date: dates are stored and "expired" or "overdue" is
decided in the query, so the facts never go stale just because time passes.
"""

from django.db import models


class RegulatoryClass(models.TextChoices):
    NON_DEVICE = "non-device", "Non-device CDS"
    I = "I", "IMDRF I"  # noqa: E741 - the category's name
    II = "II", "IMDRF II"
    III = "III", "IMDRF III"
    IV = "IV", "IMDRF IV"
    DEVICE = "device", "Device, category not set"
    UNCLASSIFIED = "unclassified", "Not classified"


# The burden of clinical validation a class implies, easiest first (rank 1) — the order
# "back the most defensible ideas first" sorts by. IMDRF SaMD N41: categories III and IV
# need independent review of the clinical evaluation; non-device CDS needs local evidence.
VALIDATION_BURDEN: dict[str, tuple[int, str]] = {
    RegulatoryClass.NON_DEVICE: (1, "Low: local retrospective and silent-mode validation"),
    RegulatoryClass.I: (2, "Modest: analytical validation and valid clinical association"),
    RegulatoryClass.II: (3, "Moderate: analytical and clinical validation"),
    RegulatoryClass.III: (4, "High: clinical validation with independent review"),
    RegulatoryClass.IV: (5, "Highest: prospective clinical evidence, independent review"),
    RegulatoryClass.DEVICE: (5, "High until the IMDRF category is set"),
    RegulatoryClass.UNCLASSIFIED: (6, "Unknown: not classified yet"),
}
UNKNOWN_RANK = VALIDATION_BURDEN[RegulatoryClass.UNCLASSIFIED][0]


class PortfolioFacts(models.Model):
    """One row per initiative with the gate facts the dashboard aggregates."""

    initiative = models.OneToOneField(
        "initiatives.Initiative", on_delete=models.CASCADE, primary_key=True, related_name="facts"
    )
    fp_cost_per_month = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, db_index=True,
                                            help_text="Monthly cost of false alerts (gate 2); empty until computable.")
    regulatory_class = models.CharField(max_length=16, choices=RegulatoryClass.choices,
                                        default=RegulatoryClass.UNCLASSIFIED, db_index=True)
    validation_rank = models.PositiveSmallIntegerField(default=UNKNOWN_RANK)
    baa_next_expiry = models.DateField(null=True, blank=True,
                                       help_text="Earliest expiry among the BAAs of PHI-touching vendors.")
    drill_date = models.DateField(null=True, blank=True, db_index=True)
    drill_failed = models.BooleanField(default=False)
    inputs_total = models.PositiveIntegerField(default=0)
    inputs_good = models.PositiveIntegerField(default=0, help_text="Inputs with an approved, timestamped source.")
    inputs_share = models.FloatField(null=True, blank=True, help_text="inputs_good ÷ inputs_total; empty without inputs.")
    # Checklist v2's gates; empty (or 0 / False) while the gate is unfilled or not in the checklist.
    worst_subgroup_gap = models.FloatField(null=True, blank=True,
                                           help_text="Overall sensitivity minus the lowest subgroup's (clinical validation).")
    open_severe_modes = models.PositiveIntegerField(
        default=0, help_text="Catastrophic or major failure modes without detection or mitigation.")
    pause_thresholds = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="Monitored metrics with a pause threshold; empty without a plan.")
    harm_engine = models.BooleanField(default=False, help_text="Revenue grows with alerts or positives, no exception.")
    training_date = models.DateField(null=True, blank=True, help_text="The last peer-led training session.")
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "portfolio facts"

    def __str__(self) -> str:
        return f"Facts of initiative #{self.initiative_id}"

    @property
    def validation_burden(self) -> str:
        return VALIDATION_BURDEN[self.regulatory_class][1]


class BaaFact(models.Model):
    """A PHI-touching vendor's BAA expiry, one row per vendor (gate 6's vendor table)."""

    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.CASCADE, related_name="baa_facts")
    vendor = models.CharField(max_length=120)
    expiry = models.DateField(db_index=True)

    class Meta:
        ordering = ["expiry", "vendor"]

    def __str__(self) -> str:
        return f"{self.vendor} BAA expires {self.expiry}"


class ReviewTime(models.Model):
    """How long compliance took to decide one submission (for the median on the dashboard).

    A gate's `submitted_at` is overwritten by the next submission, so the pair is kept
    here at the moment of the decision.
    """

    decision = models.OneToOneField("gates.GateDecision", on_delete=models.CASCADE, primary_key=True,
                                    related_name="review_time")
    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.CASCADE, related_name="review_times")
    gate_key = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField()
    days = models.FloatField()

    def __str__(self) -> str:
        return f"{self.gate_key}: {self.days:.1f} days"
