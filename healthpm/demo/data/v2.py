"""Demo initiatives held to checklist v2 (eleven gates): one approved and signed with its CHAI
model card, one blocked on a subgroup gap, one blocked as a harm engine.

The first two deploy the same cleared sepsis model as the v1 story in approved.py at new sites,
so they carry its six core gates' evidence over; the five v2 gates are told from the gates' own
example answers (`"example"`), which are written for a sepsis model, or by hand where the story
needs it. Gates a story leaves out are filled from their passing example and approved by
`untold_approved_by` (the officer who reviewed the rest).
"""

from copy import deepcopy

from healthpm.initiatives.models import CareSetting, ClinicalArea

from .approved import SEPSIS
from .builders import approve, submit

CLINICAL, HARM, ADOPTION, MONITORING, TRANSPARENCY = (
    "clinical-validation", "failure-modes", "adoption-incentives", "monitoring-plan", "transparency")


def monitoring(owner: str, owner_name: str) -> dict:
    """The monitoring plan of an alerting sepsis model, its metrics owned by a demo user."""
    who = {"owner": owner, "owner_name": owner_name}
    return {
        "alerting_model": True, "who_is_told": "CMIO, the ward nurse managers and the rapid-response team",
        "who_can_pause": "CMIO or the on-call clinical informaticist", "fallback_is_paper": True,
        "fallback_reference": "Downtime procedure NUR-DT-014, form SEP-7",
        "metrics": [
            {"metric": "alert_volume", "name": "Alert volume per day", "measured_how": "Alerts fired a day, EHR audit log",
             **who, "cadence": "daily", "unit": "alerts/day", "expected": "14", "pause_direction": "above",
             "pause_value": "30"},
            {"metric": "ppv", "name": "PPV", "measured_how": "Confirmed sepsis ÷ alerts, weekly chart review of 50 alerts",
             **who, "cadence": "weekly", "unit": "", "expected": "0.31", "pause_direction": "below", "pause_value": "0.15"},
            {"metric": "override_rate", "name": "Override rate", "measured_how": "Alerts dismissed without action ÷ alerts",
             **who, "cadence": "weekly", "unit": "%", "expected": "35", "pause_direction": "above", "pause_value": "70"},
            {"metric": "input_drift_psi", "name": "Input drift (PSI), lactate and vitals",
             "measured_how": "Population stability index against the validation month", **who, "cadence": "monthly",
             "unit": "PSI", "expected": "0.05", "pause_direction": "above", "pause_value": "0.25"},
        ],
    }


def daily(metric: str, values: list, *, last_ago: int = 1) -> list[tuple]:
    """One sample a day, the last for the day `last_ago` days ago: (metric, ends days ago, days long, value)."""
    return [(metric, last_ago + len(values) - 1 - i, 1, str(v)) for i, v in enumerate(values)]


def weekly(metric: str, values: list, *, last_ago: int = 1) -> list[tuple]:
    return [(metric, last_ago + 7 * (len(values) - 1 - i), 7, str(v)) for i, v in enumerate(values)]


def _site(slug: str, title: str, summary: str, use: str) -> dict:
    """The v1 sepsis story's six gates (same model, same evidence) at another site."""
    return {
        "slug": slug, "checklist": 2, "owner": "pm", "collaborators": ["pm2"],
        "fields": {**SEPSIS["fields"], "title": title, "summary": summary, "intended_use": use},
        "facts": dict(SEPSIS["facts"]), "gates": deepcopy(SEPSIS["gates"]),
        "untold_approved_by": "compliance",
    }


# --- 1. approved on all eleven gates, signed: the dossier carries the CHAI model card ------------
COMMUNITY = _site(
    "sepsis-riverside-rollout", "Sepsis early warning — Riverside Community Hospital rollout",
    "Extends the cleared Northbeam Vigil sepsis score from the main campus to Riverside's 3 medical wards and "
    "its ICU, under checklist v2: a silent-mode validation on Riverside patients by age, sex and race/ethnicity, "
    "a failure-mode register, a monitoring plan that pauses the model, and its HTI-1 source attributes.",
    "Prompts a bedside reassessment by the rapid-response team for adults on Riverside's medical wards and ICU. "
    "It does not diagnose sepsis or order treatment. Not for patients under 18, obstetrics or comfort care.",
)
COMMUNITY["gates"].update({
    CLINICAL: {"example": "passing",
               "flow": [submit("Silent-mode validation on Riverside patients, bar set before the results."),
                        approve("compliance", "Sensitivity 0.84 and PPV 0.35 meet the pre-registered bar; every "
                                              "subgroup within 0.05.")]},
    MONITORING: {"data": monitoring("pm", "Priya Raman"),
                 "flow": [submit(), approve("compliance", "Volume, PPV, overrides and drift each pause the model.")]},
    # The example's HTI-1 answers, with what is this vendor's and this site's own.
    TRANSPARENCY: {"example": "passing", "changes": {
        "developer_contact": "Northbeam Health AI, Inc., clinical-safety@northbeam.example, +1 555 0142",
        "funding_source": "Developed with Northbeam's own funds; the hospital pays a fixed annual licence.",
        "intended_use": "Prompts a bedside sepsis reassessment by the rapid-response team; never a diagnosis or order.",
        "intended_population": "Adults (18+) on Riverside's medical wards and ICU.",
        "intended_users": "Rapid-response nurses, charge nurses and hospitalists.",
        "cautioned_uses": "Not for the emergency department, obstetrics, comfort care or patients under 18.",
    }, "flow": [submit(), approve("compliance", "All 31 source attributes answered; the card matches the vendor's.")]},
})
COMMUNITY["final"] = {
    "by": "compliance", "meaning": "approved",
    "statement": "All eleven gates of checklist v2 approved. Launch approved for Riverside's medical wards and ICU; "
                 "the monitoring plan's pause thresholds apply from day one.",
}

# Live monitoring after launch (issue 16): three weeks of daily alert volumes under the plan's
# pause threshold (30 a day), weekly PPV and overrides, a monthly drift check: every metric healthy.
COMMUNITY["monitoring"] = [
    *daily("alert_volume", [12, 15, 14, 11, 16, 13, 14, 17, 15, 12, 13, 18, 16, 14, 12, 15, 19, 14, 13, 16, 15]),
    *weekly("ppv", ["0.33", "0.30", "0.31"]),
    *weekly("override_rate", [36, 33, 34]),
    ("input_drift_psi", 3, 30, "0.04"),
]

# --- 1b. the same launch at Northgate, paused: day 6 of its first week crossed the threshold ------
NORTHGATE = _site(
    "sepsis-northgate-rollout", "Sepsis early warning — Northgate General rollout",
    "The cleared Northbeam Vigil sepsis score at Northgate General's two medical wards, launched under checklist "
    "v2 with the same monitoring plan as Riverside. In its first week a flu surge pushed alerts to 34 a day.",
    "Prompts a bedside reassessment by the rapid-response team for adults on Northgate's medical wards. "
    "It does not diagnose sepsis or order treatment. Not for patients under 18, obstetrics or comfort care.",
)
NORTHGATE["gates"].update({
    CLINICAL: COMMUNITY["gates"][CLINICAL],
    MONITORING: {"data": monitoring("pm2", "Marcus Oyelaran"),
                 "flow": [submit(), approve("compliance", "Volume, PPV, overrides and drift each pause the model.")]},
    TRANSPARENCY: COMMUNITY["gates"][TRANSPARENCY],
})
NORTHGATE["final"] = {
    "by": "compliance", "meaning": "approved",
    "statement": "All eleven gates of checklist v2 approved. Launch approved for Northgate's medical wards; the "
                 "monitoring plan's pause thresholds apply from day one.",
}
# 34 alerts on day 6 is above the pause threshold of 30, and at the approved PPV of 0.31 it costs
# 34 × 0.69 × 6.5 min × 30 days = 4,574.7 min = 76.2 h × $68 = $5,184.66 a month, over $5,000: the
# monitoring plan and the false-positive cost gates are both re-opened.
NORTHGATE["monitoring"] = [*weekly("ppv", ["0.31"], last_ago=8),
                           *daily("alert_volume", [13, 15, 14, 17, 16, 34, 19])]

# --- 2. blocked on a subgroup gap: the 75+ band catches half the sepsis cases -----------------
GERIATRIC = _site(
    "sepsis-geriatric-wards", "Sepsis early warning — geriatric and acute-elderly wards",
    "The same sepsis score on the two acute-elderly wards. The silent-mode validation found it misses half "
    "the sepsis cases in patients aged 75 and over (17 of 34), against 84% overall.",
    "Prompts a bedside reassessment for patients on the acute-elderly wards. Not a diagnosis.",
)
GERIATRIC["gates"].update({CLINICAL: {"example": "blocking"}})

# --- 3. blocked as a harm engine: the vendor is paid per alert ---------------------------------
PAY_PER_ALERT = {
    "slug": "deterioration-pay-per-alert",
    "checklist": 2,
    "owner": "pm2",
    "fields": {
        "title": "Acuvia deterioration alerts (pay-per-alert pilot)",
        "summary": "A vendor's deterioration score for the step-down unit, offered at $1.20 for every alert it "
                   "fires. Clinically promising, but the more it alerts, the more the vendor earns.",
        "clinical_area": ClinicalArea.CRITICAL_CARE,
        "intended_use": "Flags step-down patients at risk of deterioration in the next 12 hours for a nurse review.",
        "intended_users": "Step-down charge nurses and the rapid-response team",
        "care_setting": CareSetting.INPATIENT,
    },
    "facts": {"system": "Acuvia Deterioration Index 2.1", "dept": "Critical Care"},
    "gates": {ADOPTION: {"example": "blocking"}, MONITORING: {"data": monitoring("pm2", "Marcus Oyelaran")}},
    "untold_approved_by": "compliance2",
}
