"""A small portfolio whose dashboard numbers are worked out by hand.

sepsis  (Priya, critical care, in review): 10 alerts/day at PPV 0.5, 5 min at $60/h → $750/month;
        non-device; 1 of 1 inputs approved and timestamped; drill 30 days ago; gate 1 approved.
cxr     (Marco, radiology, draft): 100 alerts/day at PPV 0.1 → 90 false × 5 min × 30 = 13,500 min
        = $13,500/month (over the $5,000 threshold); IMDRF II (serious × drive); 1 of 2 inputs
        good (one not timestamped); drill 400 days ago (overdue); BAAs: Acme expired 5 days ago,
        Cloudy expires in 20 days, Later in 200 days.
ranking (Priya, nursing, draft): nothing filled in.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from healthpm.initiatives.models import ClinicalArea
from tests.factories import CDS_KEYS, InitiativeFactory, approved_gate, fill_gate, gate_of, valid_data


def device_data() -> dict:
    data = valid_data("regulatory-classification")
    data.update({CDS_KEYS[0]: False, "situation": "serious", "significance": "drive", "pathway": "510k",
                 "predicate_number": "K213456", "adaptive": False})
    return data


def vendor(name: str, expiry_in_days: int) -> dict:
    today = timezone.localdate()
    return {"name": name, "service": "hosting", "touches_phi": True, "baa_evidence": "1",
            "baa_effective": (today - timedelta(days=400)).isoformat(),
            "baa_expiry": (today + timedelta(days=expiry_in_days)).isoformat()}


@pytest.fixture
def portfolio(pm, pm2, compliance):
    today = timezone.localdate()
    sepsis = InitiativeFactory(owner=pm, title="Sepsis early warning", clinical_area=ClinicalArea.CRITICAL_CARE)
    for key in ("false-positive-cost", "regulatory-classification", "paper-fallback"):
        fill_gate(gate_of(sepsis, key), pm)
    approved_gate(sepsis, pm, compliance, "auditable-inputs")

    cxr = InitiativeFactory(owner=pm2, title="Chest X-ray triage", clinical_area=ClinicalArea.RADIOLOGY)
    fill_gate(gate_of(cxr, "false-positive-cost"), pm2,
              {**valid_data("false-positive-cost"), "alerts_per_day": 100.0, "ppv": 0.1})
    fill_gate(gate_of(cxr, "regulatory-classification"), pm2, device_data())
    inputs = valid_data("auditable-inputs")["inputs"]
    fill_gate(gate_of(cxr, "auditable-inputs"), pm2,
              {"inputs": [*inputs, {**inputs[0], "name": "prior_read", "timestamped": False}]})
    fill_gate(gate_of(cxr, "paper-fallback"), pm2,
              {**valid_data("paper-fallback"), "last_drill_date": (today - timedelta(days=400)).isoformat()})
    fill_gate(gate_of(cxr, "baa-phi"), pm2, {
        **valid_data("baa-phi"), "identifiers": ["names"], "deidentification": "none",
        "minimum_necessary": "Names to match reports.",
        "vendors": [vendor("Acme Transcribe", -5), vendor("Cloudy Hosting", 20), vendor("Later Labs", 200)]})

    ranking = InitiativeFactory(owner=pm, title="Alert ranking", clinical_area=ClinicalArea.NURSING)
    for initiative in (sepsis, cxr, ranking):
        initiative.refresh_from_db()
    return {"sepsis": sepsis, "cxr": cxr, "ranking": ranking}
