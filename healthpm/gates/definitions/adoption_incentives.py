"""Gate — Adoption and incentives (checklist v2, SPEC §4 gate 10; issue 12 item 10).

Business model: blocks when revenue grows with the number of alerts or positive findings —
the source checklist's "if revenue increases when more alerts fire, you've built a harm
engine" — unless a compliance officer has recorded a written exception for exactly the
business model now answered (`services.gate_record_exception`; a changed model needs a new
one), and when the answers contradict each other (paid per alert, yet revenue said not to
grow with alerts).

Peer-led training: blocks without at least one session on record that frontline staff ran
without the vendor; the latest such session is a dated thing (reminder once it is older than
HEALTHPM_TRAINING_MAX_AGE_DAYS, 365).

Go-to-market realism warns: no clinical champion, no reference site, EHR integration not
assessed, the hospital IT security review not done.
"""

from datetime import date, timedelta
from typing import Any

from django import forms

from healthpm.lib.cognitive import ROLE_CHOICES

from .base import Deadline, EvaluationContext, Examples, Finding, GateDefinition, Item, Level, Table, Working
from .forms_base import DataForm, DateInput, GateForm, RowForm, RowTable, iso_date, with_choose, yes_no_field

PER_ALERT, PER_POSITIVE, OTHER = "per_alert", "per_positive", "other"
PAYMENT_MODELS = [
    ("per_seat", "Per seat (licensed user)"),
    (PER_ALERT, "Per alert"),
    (PER_POSITIVE, "Per positive finding"),
    ("per_encounter", "Per encounter or study"),
    ("shared_savings", "Share of savings"),
    ("fixed_fee", "Fixed fee"),
    (OTHER, "Other"),
]
# Payment that rises with every alert or positive by construction.
VOLUME_PAID = (PER_ALERT, PER_POSITIVE)
SECURITY_STATUS = [("not_started", "Not started"), ("in_progress", "In progress"), ("done", "Done")]

EXCEPTION = "harm_engine_exception"
# The answers a harm-engine exception excuses: any change to them needs a new exception.
BUSINESS_MODEL = ("payment_model", "payment_other", "payment_terms", "revenue_grows_with_alerts")
HARM_ENGINE = "“if revenue increases when more alerts fire, you've built a harm engine”"

MAX_AGE = "HEALTHPM_TRAINING_MAX_AGE_DAYS"
_PAYMENT_LABELS = dict(PAYMENT_MODELS)
_ROLE_LABELS = dict(ROLE_CHOICES)


def max_training_age(ctx: EvaluationContext) -> int:
    return int(ctx.threshold(MAX_AGE))


def business_model(data: dict[str, Any]) -> dict[str, Any]:
    """The answers that decide whether revenue grows with alerts, as an exception records them."""
    return {key: data.get(key) for key in BUSINESS_MODEL}


def payment_label(data: dict[str, Any]) -> str:
    model = data.get("payment_model")
    if model == OTHER and (data.get("payment_other") or "").strip():
        return data["payment_other"].strip()
    return _PAYMENT_LABELS.get(model, "?").lower()


def revenue_grows(data: dict[str, Any]) -> bool:
    """Revenue grows with alerts or positives: so answered, or paid per alert or per positive."""
    return data.get("revenue_grows_with_alerts") is True or data.get("payment_model") in VOLUME_PAID


def valid_exception(data: dict[str, Any]) -> dict[str, Any] | None:
    """The recorded exception, while it still excuses the business model now answered."""
    exception = data.get(EXCEPTION)
    if isinstance(exception, dict) and exception.get("for") == business_model(data):
        return exception
    return None


def peer_led(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Training sessions run without the vendor, with a date."""
    return [row for row in data.get("training") or []
            if row.get("vendor_involved") is False and iso_date(row.get("date")) is not None]


def latest_peer_led(data: dict[str, Any]) -> date | None:
    return max((iso_date(row["date"]) for row in peer_led(data)), default=None)


def _on(at: Any) -> str:
    """The day of an ISO timestamp (“2026-11-30T14:02:11+00:00” → 2026-11-30)."""
    return str(at or "")[:10] or "?"


class TrainingRowForm(RowForm):
    name = forms.CharField(max_length=120, label="Session or programme",
                           help_text="e.g. Super-user huddles, 5 West.")
    date = forms.DateField(widget=DateInput, label="Date (latest session)")
    sessions = forms.IntegerField(min_value=1, max_value=10_000, label="Sessions")
    trainer_roles = forms.MultipleChoiceField(choices=ROLE_CHOICES, label="Trainers' roles",
                                              widget=forms.SelectMultiple(attrs={"size": 3}))
    attendance = forms.IntegerField(min_value=0, max_value=1_000_000, label="Attendance (people)")
    vendor_involved = yes_no_field("Vendor involved")

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > self.context.today:
            raise forms.ValidationError("The session date is in the future; record sessions that have happened.")
        return value


class AdoptionMainForm(DataForm):
    columns = {"payment_terms": "col-12", "ehr_integration_notes": "col-12", "reference_sites": "col-12"}
    payment_model = forms.ChoiceField(choices=with_choose(PAYMENT_MODELS), label="How the vendor or department is paid")
    payment_other = forms.CharField(required=False, max_length=200, label="Other payment model",
                                    help_text="Required when the payment model is “Other”.")
    payment_terms = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                                    label="Payment terms", help_text="e.g. $42,000 a year for the unit, no per-use fees "
                                                                     "(contract §7.2).")
    revenue_grows_with_alerts = yes_no_field("Revenue grows with the number of alerts or positive findings")
    champions = forms.CharField(required=False, max_length=300, label="Clinical champion(s)",
                                help_text="Named clinicians who own adoption, e.g. Dr. A. Chen (ICU), RN J. Ortiz (5 West).")
    ehr_integration_assessed = yes_no_field("EHR integration requirements assessed")
    ehr_integration_notes = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                                            label="EHR integration notes",
                                            help_text="e.g. Epic BPA + FHIR R4 feed; interface build 6 weeks.")
    it_security_status = forms.ChoiceField(choices=with_choose(SECURITY_STATUS), label="Hospital IT security review")
    it_security_expected = forms.DateField(required=False, widget=DateInput, label="IT security review expected (or done) on")
    reference_sites = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                                      label="Reference sites", help_text="Hospitals running it that we have spoken to.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("payment_model") == OTHER and not (cleaned.get("payment_other") or "").strip():
            self.add_error("payment_other", "Describe how the vendor or department is paid.")
        return cleaned


class AdoptionIncentivesForm(GateForm):
    main_form_class = AdoptionMainForm
    tables = (RowTable("training", TrainingRowForm, "Peer-led training", noun="training session"),)


class AdoptionIncentives(GateDefinition):
    form_class = AdoptionIncentivesForm
    model_card_role = "adoption"
    thresholds = {MAX_AGE: 365}
    contributes = ("harm_engine", "training_date")
    officer_keys = (EXCEPTION,)

    def structured_complete(self, data: dict[str, Any]) -> bool:
        return bool(data.get("payment_model") and data.get("revenue_grows_with_alerts") is not None
                    and data.get("it_security_status"))

    def exception_basis(self, key: str, data: dict[str, Any]) -> dict[str, Any]:
        return business_model(data) if key == EXCEPTION else {}

    def findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        if not data:
            return []
        return [*self._business_findings(data), *self._training_findings(data, ctx), *self._market_findings(data)]

    @staticmethod
    def _business_findings(data: dict[str, Any]) -> list[Finding]:
        paid = payment_label(data)
        model = data.get("payment_model")
        if data.get("revenue_grows_with_alerts") is False and model in VOLUME_PAID:
            noun = "alerts" if model == PER_ALERT else "positive findings"
            return [Finding(Level.BLOCK, f"The business model is paid {paid}, so revenue does grow with the number of "
                                     f"{noun}, yet “Revenue grows with the number of alerts or positive findings” is "
                                     "answered no. Correct the answer (or the payment model) and save.",
                            "revenue_grows_with_alerts")]
        if data.get("revenue_grows_with_alerts") is not True:
            return []
        exception = valid_exception(data)
        if exception is not None:
            return [Finding(Level.WARN, f"Revenue grows with alerts or positives (paid {paid}), allowed by the written "
                                    f"exception {exception.get('by', '?')} recorded on {_on(exception.get('at'))}: "
                                    f"“{exception.get('text', '')}”.", EXCEPTION)]
        recorded = data.get(EXCEPTION)
        stale = ""
        if isinstance(recorded, dict):
            old = recorded.get("for") or {}
            terms = (old.get("payment_terms") or "").strip()
            stale = (f" The written exception {recorded.get('by', '?')} recorded on {_on(recorded.get('at'))} was for "
                     f"another business model (paid {payment_label(old)}{f', “{terms}”' if terms else ''}); the "
                     "business model has changed since, so a compliance officer must record a new exception.")
        return [Finding(Level.BLOCK, f"Revenue grows with the number of alerts or positive findings (paid {paid}): "
                                 f"{HARM_ENGINE}. Change the contract so payment does not rise with alerts or "
                                 f"positives, or ask a compliance officer to record a written exception.{stale}",
                        EXCEPTION)]

    def _training_findings(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Finding]:
        rows = data.get("training") or []
        latest = latest_peer_led(data)
        if latest is None:
            with_vendor = ", ".join(f"“{r.get('name', '?')}”" for r in rows)
            already = f" Every session on record involved the vendor ({with_vendor})." if rows else ""
            return [Finding(Level.BLOCK, "No peer-led training is on record: record at least one session that frontline "
                                     f"staff ran for their colleagues without vendor support.{already}", "training")]
        age, limit = (ctx.today - latest).days, max_training_age(ctx)
        if age > limit:
            return [Finding(Level.WARN, f"The latest peer-led training ({latest.isoformat()}) is {age} days old; "
                                    f"refresh it at least every {limit} days.", "training")]
        return []

    @staticmethod
    def _market_findings(data: dict[str, Any]) -> list[Finding]:
        found = []
        if not (data.get("champions") or "").strip():
            found.append(Finding(Level.WARN, "No clinical champion is named: name the clinicians who own adoption on "
                                         "the units.", "champions"))
        if data.get("ehr_integration_assessed") is False:
            found.append(Finding(Level.WARN, "EHR integration requirements have not been assessed: interface build and "
                                         "testing often set the launch date.", "ehr_integration_assessed"))
        status = data.get("it_security_status")
        if status and status != "done":
            expected = data.get("it_security_expected")
            when = f"expected by {expected}" if expected else "with no expected date: give one"
            found.append(Finding(Level.WARN, f"The hospital IT security review is "
                                         f"{dict(SECURITY_STATUS)[status].lower()}, {when}.", "it_security_status"))
        if not (data.get("reference_sites") or "").strip():
            found.append(Finding(Level.WARN, "No reference sites are listed: name hospitals that run it and that you "
                                         "have spoken to.", "reference_sites"))
        return found

    def working(self, data: dict[str, Any], ctx: EvaluationContext) -> Working:
        if not data:
            return Working()
        latest = latest_peer_led(data)
        peer = peer_led(data)
        facts = [
            ("Revenue grows with alerts or positives", "yes" if revenue_grows(data) else "no"),
            ("Written exception", "valid" if valid_exception(data) else
             ("recorded for another business model" if data.get(EXCEPTION) else "none")),
            ("Peer-led sessions on record", f"{sum(int(r.get('sessions') or 0) for r in peer)} "
                                            f"({sum(int(r.get('attendance') or 0) for r in peer)} attendees)"),
        ]
        if latest is not None:
            facts += [
                ("Latest peer-led training age", f"{ctx.today.isoformat()} − {latest.isoformat()} = "
                                                 f"{(ctx.today - latest).days} days (limit {max_training_age(ctx)})"),
                ("Refresher due by", (latest + timedelta(days=max_training_age(ctx))).isoformat()),
            ]
        return Working(facts=tuple(facts))

    def describe(self, data: dict[str, Any], ctx: EvaluationContext) -> list[tuple[str, str]]:
        if not data:
            return []
        yn = {True: "yes", False: "no"}
        exception = data.get(EXCEPTION)
        described = [
            ("Payment model", payment_label(data)),
            ("Payment terms", data.get("payment_terms") or "—"),
            ("Revenue grows with alerts or positives", yn.get(data.get("revenue_grows_with_alerts"), "?")),
            ("Clinical champions", data.get("champions") or "none named"),
            ("EHR integration assessed", f"{yn.get(data.get('ehr_integration_assessed'), '?')} "
                                         f"{data.get('ehr_integration_notes') or ''}".strip()),
            ("IT security review", f"{dict(SECURITY_STATUS).get(data.get('it_security_status'), '?')}"
                                   f"{', ' + data['it_security_expected'] if data.get('it_security_expected') else ''}"),
            ("Reference sites", data.get("reference_sites") or "none listed"),
        ]
        if isinstance(exception, dict):
            state = "" if valid_exception(data) else " (for another business model: no longer applies)"
            described.append(("Written exception", f"{exception.get('by', '?')}, {_on(exception.get('at'))}: "
                                                   f"“{exception.get('text', '')}”{state}"))
        return described

    def tables(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Table]:
        yn = {True: "yes", False: "no"}
        rows = tuple(
            (r.get("name", ""), r.get("date") or "", str(r.get("sessions") or ""),
             ", ".join(_ROLE_LABELS.get(role, role) for role in r.get("trainer_roles") or []),
             str(r.get("attendance") if r.get("attendance") is not None else ""), yn.get(r.get("vendor_involved"), "?"))
            for r in data.get("training") or []
        )
        headers = ("Session", "Date", "Sessions", "Trainers", "Attendance", "Vendor involved")
        return [Table("Peer-led training", headers, rows)] if rows else []

    def portfolio_facts(self, data: dict[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
        return {"harm_engine": revenue_grows(data) and valid_exception(data) is None,
                "training_date": latest_peer_led(data)}

    def deadlines(self, data: dict[str, Any], ctx: EvaluationContext) -> list[Deadline]:
        latest = latest_peer_led(data)
        if latest is None:
            return []
        limit = max_training_age(ctx)
        return [Deadline(
            kind="training-stale", ref=latest.isoformat(), due=latest + timedelta(days=limit),
            subject=f"Peer-led training is over a year old (last {latest.isoformat()})",
            message=f"The latest peer-led training session was on {latest.isoformat()}, "
                    f"{(ctx.today - latest).days} days ago; sessions may be at most {limit} days old. Have frontline "
                    "staff run a refresher without the vendor and record it on the gate.",
        )]

    def examples(self, ctx: EvaluationContext) -> Examples:
        training = {"name": "Super-user huddles, 5 West", "date": (ctx.today - timedelta(days=40)).isoformat(),
                    "sessions": 6, "trainer_roles": ["registered_nurse"], "attendance": 48, "vendor_involved": False}
        passing = {
            "payment_model": "fixed_fee", "payment_other": "", "payment_terms": "$42,000 a year, no per-use fees",
            "revenue_grows_with_alerts": False, "champions": "Dr. A. Chen (ICU), RN J. Ortiz (5 West)",
            "ehr_integration_assessed": True, "ehr_integration_notes": "Epic BPA and FHIR R4 feed",
            "it_security_status": "done", "it_security_expected": (ctx.today - timedelta(days=20)).isoformat(),
            "reference_sites": "Mercy General, St. Luke's", "training": [training],
        }
        # Paid per alert: a harm engine, with no exception recorded.
        blocking = {**passing, "payment_model": PER_ALERT, "payment_terms": "$1.20 per alert fired",
                    "revenue_grows_with_alerts": True}
        return Examples(passing=passing, blocking=blocking)


GATE = AdoptionIncentives(
    key="adoption-incentives",
    title="Adoption and incentives",
    purpose=(
        "Nobody is paid more when more alerts fire, frontline staff have trained their colleagues "
        "without the vendor, and a clinical champion, EHR integration and the IT security review make "
        "the launch date real."
    ),
    items=(
        Item("adoption-plan", "Business model, training and go-to-market", "Payment, peer-led training, champions "
             "and reviews, in the form above.", structured=True),
        Item("attendance-sheet", "Training attendance sheet",
             "Sign-in sheets of the peer-led sessions, with the trainers named."),
    ),
)
