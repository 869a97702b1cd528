"""Small constructors, so the demo initiatives read like a story."""

from healthpm.gates import registry

# The stories were written for the six gates of checklist v1, in its order. A gate a story does
# not mention is filled by seed_demo from the gate's own examples hook (approved where every
# gate the story tells of ends approved), so a new gate shows in the demo without touching this package.
INPUTS, COST, FALLBACK, LOAD, REGULATORY, PHI = registry.checklist(1).keys

# --- small constructors, so the initiatives below read like a story ---------------------
def doc(item, builder, name, *, days_ago, title, expires_in=None, by=None, **facts):
    """A generated file for `item`, effective `days_ago` days before today."""
    return {"item": item, "builder": builder, "name": name, "title": title, "days_ago": days_ago,
            "expires_in": expires_in, "by": by, "facts": facts}


def link(item, url, *, title, days_ago, expires_in=None, by=None):
    return {"item": item, "url": url, "title": title, "days_ago": days_ago, "expires_in": expires_in, "by": by}


def submit(note="", by=None, response="", days_ago=0):
    """Submit for review; after a rejection `response` is the team's written answer to the reviewer.
    `days_ago`: how long a submission still waiting has waited (the review queue's age and SLA)."""
    return ("submit", {"note": note, "by": by, "response": response, "days_ago": days_ago})


def approve(by, reason=""):
    return ("decide", {"by": by, "decision": "approved", "reason": reason})


def reject(by, reason):
    return ("decide", {"by": by, "decision": "rejected", "reason": reason})


def comment(by, body):
    """A comment on the gate's thread (an @username mention notifies that person)."""
    return ("comment", {"by": by, "body": body})


def assign(to=None, reviewer=None):
    """The owner gives the gate to a team member and may ask a compliance officer to review it."""
    return ("assign", {"to": to, "reviewer": reviewer})


def replace(evidence):
    """Supersede the current evidence of the same item with a new version."""
    return ("replace", evidence)


def save(data):
    """Save new structured answers (e.g. after a rejection)."""
    return ("save", data)


def input_row(name, desc, system, table, field, unit, ts="yes", avail="yes", phi="yes", notes="", justification=""):
    """One model input: a row of the data dictionary CSV and of the gate's input inventory."""
    return {"name": name, "description": desc, "source_system": system, "source_table": table,
            "source_field": field, "unit": unit, "timestamped": ts, "available": avail, "phi": phi,
            "notes": notes, "justification": justification}


def inventory(rows):
    """The auditable-inputs gate answers, from the same rows as the data dictionary."""
    return {"inputs": [{
        "name": r["name"], "source_system": r["source_system"], "source_field": f"{r['source_table']}.{r['source_field']}",
        "timestamped": r["timestamped"] == "yes", "available_at_prediction": r["available"] == "yes",
        "contains_phi": r["phi"] == "yes", "justification": r["justification"], "notes": r["notes"] or r["description"],
    } for r in rows]}


class DaysAgo(int):
    """In gate data: the ISO date that many days before the seeding day."""


class BaaOf(str):
    """In a vendor row of the BAA gate: the uploaded BAA file of that name (its id and dates)."""


def burden(*, alerts_per_day, ppv, minutes_per_alert, hourly_rate, source, responder):
    """The false-positive-cost gate answers, measured mode."""
    return {"mode": "measured", "alerts_per_day": alerts_per_day, "ppv": ppv, "evaluated_per_day": None,
            "population_unit": "patient-days", "sensitivity": None, "specificity": None, "prevalence": None,
            "volume_source": source, "minutes_per_false_alert": minutes_per_alert, "responder_role": responder,
            "hourly_rate": f"{hourly_rate:.2f}", "days_per_month": 30, "shift_hours": 8.0}


def fallback(*, owner, notification, drill_days_ago, outcome="passed", notes="", replay_ref=""):
    return {"procedure_owner": owner, "notification_path": notification, "checklist_covers_all_decisions": True,
            "last_drill_date": DaysAgo(drill_days_ago), "drill_outcome": outcome, "drill_notes": notes,
            "outage_replay": bool(replay_ref), "outage_replay_reference": replay_ref}


def workload(*, task, before, after, cases, method, clicks, seconds, per_day, roles_before, roles_after=None):
    return {"task": task, "before_minutes": before, "after_minutes": after, "cases_measured": cases, "method": method,
            "added_interactions": clicks, "seconds_per_interaction": seconds, "cases_per_day": per_day,
            "roles_before": roles_before, "roles_after": roles_after or roles_before}


CDS_KEYS = ("no_image_or_signal", "medical_information", "supports_hcp", "independent_review")


def cds(answers, rationales, *, situation="", significance="", pathway="", predicate="", clearance="", adaptive=None):
    """Regulatory-classification answers: the four criteria (yes/no + rationale) and, for a device, its path."""
    return {**dict(zip(CDS_KEYS, answers)), **{f"{k}_rationale": r for k, r in zip(CDS_KEYS, rationales)},
            "guidance_edition": "2026-01", "situation": situation, "significance": significance, "pathway": pathway,
            "predicate_number": predicate, "clearance_number": clearance, "adaptive": adaptive}


def phi(*, identifiers, deid, minimum_necessary, retention, vendors=()):
    """BAA-and-PHI answers; each vendor is (name, service, touches PHI, BaaOf(file) or None)."""
    return {"identifiers": list(identifiers), "deidentification": deid, "minimum_necessary": minimum_necessary,
            "retention": retention, "vendor_may_train": False,
            "vendors": [{"name": n, "service": s, "touches_phi": t, "baa_evidence": b} for n, s, t, b in vendors]}


DETECTION = [
    "Epic downtime banner and overhead page \"Code Grey — EHR downtime\" from the IT command centre.",
    "Integration engine heartbeat: no score for more than 30 minutes opens a P1 ticket and pages the on-call analyst.",
    "Unit charge nurse receives an automated Vocera broadcast when the model service is unavailable.",
]


def baa_doc(name, vendor, service, *, days_ago, expires_in, title=None):
    return doc("baa-agreements", "baa", name, title=title or f"BAA — {vendor}", days_ago=days_ago,
               expires_in=expires_in, vendor=vendor, service=service,
               hospital_signer="R. Castillo, VP Supply Chain", vendor_signer="Authorised signatory")


def drill_doc(name, *, days_ago, units, scenario, edge_cases):
    return doc("drill-record", "drill_record", name, title="Downtime drill report", days_ago=days_ago,
               expires_in=365 - days_ago, facilitator="Emergency Management (K. Duarte)", units=units,
               participants="Unit staff and the product team", outcome="Passed", scenario=scenario,
               timeline=[("09:00", "Model service stopped by IT"), ("09:05", "Downtime announced"),
                         ("09:10", "Staff switch to the paper form"), ("11:00", "Service restored, backlog reconciled")],
               edge_cases=edge_cases, actions=[("Laminate the form for each workstation", "Unit manager", "Done")])
