"""The demo's people and initiatives, as data the `seed_demo` command plays through the services.

Every initiative is a dict: its facts, its team, and per gate key a dict with
`evidence` (files and links to attach), `data` (the gate form's structured answers, saved
with `gate_save_data` after the evidence) and `flow` (what happens next: submit, approve,
reject, replace evidence, save new answers). Dates are days relative to the day the
command runs, so a fresh demo always has a recent drill and a current BAA.
All names, numbers and documents are fictitious.
"""

from healthpm.initiatives.models import CareSetting, ClinicalArea

PASSWORD = "healthpm-demo-2026"
EMAIL_DOMAIN = "demo-hospital.org"

# username, first name, last name, role (a name in healthpm.accounts.roles; None: superuser), who they are
USERS = [
    ("pm", "Priya", "Raman", "PRODUCT_MANAGER", "Priya Raman, AI product manager (Digital Health)"),
    ("pm2", "Marcus", "Oyelaran", "PRODUCT_MANAGER", "Marcus Oyelaran, AI product manager (Revenue Cycle & Access)"),
    ("compliance", "Elena", "Fischer", "COMPLIANCE", "Dr. Elena Fischer, compliance officer (Clinical AI Governance)"),
    ("compliance2", "James", "Whitaker", "COMPLIANCE", "James Whitaker, compliance officer (Privacy & Regulatory)"),
    ("leader", "Aisha", "Karim", "LEADERSHIP", "Dr. Aisha Karim, Chief Medical Officer (leadership)"),
    ("admin", "Sam", "Okafor", None, "Sam Okafor, IT administrator (superuser, Django admin)"),
]


# --- small constructors, so the initiatives below read like a story ---------------------
def doc(item, builder, name, *, days_ago, title, expires_in=None, by=None, **facts):
    """A generated file for `item`, effective `days_ago` days before today."""
    return {"item": item, "builder": builder, "name": name, "title": title, "days_ago": days_ago,
            "expires_in": expires_in, "by": by, "facts": facts}


def link(item, url, *, title, days_ago, expires_in=None, by=None):
    return {"item": item, "url": url, "title": title, "days_ago": days_ago, "expires_in": expires_in, "by": by}


def submit(note="", by=None):
    return ("submit", {"note": note, "by": by})


def approve(by, reason=""):
    return ("decide", {"by": by, "decision": "approved", "reason": reason})


def reject(by, reason):
    return ("decide", {"by": by, "decision": "rejected", "reason": reason})


def replace(evidence):
    """Supersede the current evidence of the same item with a new version."""
    return ("replace", evidence)


def save(data):
    """Save new structured answers (e.g. after a rejection)."""
    return ("save", data)


def _row(name, desc, system, table, field, unit, ts="yes", avail="yes", phi="yes", notes="", justification=""):
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


SEPSIS_INPUTS = [
    _row("heart_rate", "Heart rate, latest and 6 h slope", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 8)", "beats/min", notes="Nurse-validated values only"),
    _row("resp_rate", "Respiratory rate", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 9)", "breaths/min"),
    _row("temperature", "Temperature, max in 6 h", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 6)", "°C"),
    _row("systolic_bp", "Systolic blood pressure, min in 6 h", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 5)", "mmHg"),
    _row("spo2", "Peripheral oxygen saturation", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 10)", "%"),
    _row("gcs_total", "Glasgow Coma Scale total", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 1570)", "points"),
    _row("lactate", "Serum lactate, latest verified", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 2524-7)", "mmol/L", notes="Verification time used; pending results excluded"),
    _row("wbc", "White blood cell count", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 6690-2)", "10^9/L"),
    _row("creatinine", "Serum creatinine", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 2160-0)", "mg/dL"),
    _row("platelets", "Platelet count", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 777-3)", "10^9/L"),
    _row("age_years", "Age at admission", "EHR", "PATIENT", "BIRTH_DATE", "years"),
    _row("hours_since_admission", "Hours since inpatient admission", "EHR", "PAT_ENC_HSP", "HOSP_ADMSN_TIME", "hours"),
]

# --- 1. sepsis: every gate approved, final launch approval signed -------------------------
SEPSIS = {
    "slug": "sepsis-early-warning",
    "owner": "pm",
    "collaborators": ["pm2"],
    "fields": {
        "title": "Sepsis early warning for adult inpatients",
        "summary": "Scores every adult inpatient every 15 minutes from vital signs, nursing assessments and "
                   "laboratory results, and pages the rapid-response nurse when the 6-hour risk of sepsis "
                   "crosses the alerting threshold. Uses Northbeam Vigil, a 510(k)-cleared model, integrated "
                   "into the EHR.",
        "clinical_area": ClinicalArea.CRITICAL_CARE,
        "intended_use": "Prompts a bedside reassessment by the rapid-response team for adults on medical-surgical "
                        "wards. It does not diagnose sepsis, order antibiotics or replace the SEP-1 bundle. Not for "
                        "patients under 18, obstetric units, comfort-care orders or the emergency department.",
        "intended_users": "Rapid-response nurses, charge nurses and hospitalists",
        "care_setting": CareSetting.INPATIENT,
    },
    "facts": {"system": "Sepsis early warning (Northbeam Vigil 3.2)", "dept": "Nursing Informatics"},
    "gates": {
        "auditable-inputs": {
            "evidence": [
                doc("data-dictionary", "data_dictionary", "sepsis-ews-data-dictionary-v3.csv",
                    title="Sepsis EWS data dictionary v3", days_ago=38, inputs=SEPSIS_INPUTS),
                link("data-dictionary", "https://wiki.demo-hospital.org/data-governance/lineage/sepsis-ews",
                     title="Lineage diagram (data governance wiki)", days_ago=30),
            ],
            "data": inventory(SEPSIS_INPUTS),
            "flow": [submit("All 12 inputs are nurse-validated flowsheet rows or verified LIS results."),
                     approve("compliance", "Every input is timestamped at source and available at scoring time.")],
        },
        "false-positive-cost": {
            "evidence": [
                doc("alert-volume-source", "silent_mode_report", "sepsis-silent-mode-report.pdf",
                    title="Silent-mode run, 90 days, 4 wards", days_ago=60, author="Clinical Analytics (R. Osei)",
                    window="90 days on 4 West, 5 East, 6 North and 7 South", population="11,482 adult admissions",
                    threshold="risk score ≥ 0.62", reference="Sepsis-3 criteria within 6 hours, chart-reviewed",
                    alerts_per_day=14.2, ppv=0.31, minutes_per_alert=6.5, hourly_rate=68.0,
                    extra_results=[("Sensitivity at threshold", "0.78"), ("Median lead time before antibiotics", "3.1 h")],
                    interpretation="Volume is about 3.5 alerts per ward per day, within the rapid-response team's "
                                   "capacity. PPV is in line with the vendor's 510(k) performance summary."),
                doc("time-motion-study", "time_motion_study", "sepsis-rrt-time-motion.pdf",
                    title="Time-motion study, rapid-response nurses", days_ago=52, alert_noun="sepsis alerts",
                    observer="Performance Improvement (L. Brandt)", responder="Rapid-response RN",
                    observations=212, units="4 medical-surgical wards", iqr="4.0–8.5",
                    alerts_per_day=14.2, ppv=0.31, minutes_per_alert=6.5, hourly_rate=68.0,
                    notes="A false alert is usually closed after a focused bedside assessment and a note; "
                          "no false alert led to a transfer."),
            ],
            "data": burden(alerts_per_day=14.2, ppv=0.31, minutes_per_alert=6.5, hourly_rate=68.0,
                           source="90-day silent-mode run on 4 medical-surgical wards", responder="Rapid-response RN"),
            "flow": [submit("About $2,200 a month of RRT time on false alerts, well under the threshold."),
                     approve("compliance", "Cost and volume sourced from a 90-day silent run and a 212-alert time-motion study.")],
        },
        "paper-fallback": {
            "evidence": [
                doc("downtime-procedure", "downtime_procedure", "sepsis-downtime-procedure.pdf",
                    title="Downtime procedure NUR-DT-014", days_ago=200, policy="NUR-DT-014",
                    owner="Director of Nursing Informatics", detection=DETECTION,
                    steps=["Charge nurse announces the downtime and prints the unit census.",
                           "Bedside RNs complete downtime form SEP-7 for every patient at each vital-signs round (at least every 4 hours).",
                           "Any patient meeting two or more criteria on SEP-7 is called to the rapid-response nurse at ext. 4-7777.",
                           "RRT documents assessments on paper; orders follow the paper sepsis order set.",
                           "After recovery, forms are scanned and back-entered within 4 hours."],
                    recovery="The integration engine replays queued flowsheet and lab messages; scores resume "
                             "within 30 minutes. The RRT reviews any patient scored above threshold during replay."),
                link("downtime-procedure", "https://policies.demo-hospital.org/downtime/sepsis",
                     title="Policy portal: NUR-DT-014", days_ago=200),
                doc("paper-checklist", "paper_checklist", "sepsis-downtime-form-SEP-7.pdf",
                    title="Downtime form SEP-7", days_ago=200, form="SEP-7",
                    intro="Complete for every adult inpatient at each vital-signs round while the sepsis score is unavailable.",
                    items=["Temperature > 38.3 °C or < 36.0 °C", "Heart rate > 90/min", "Respiratory rate ≥ 22/min",
                           "Systolic BP ≤ 100 mmHg", "New confusion or GCS drop of 2 or more",
                           "Lactate > 2 mmol/L (if resulted)", "Two or more boxes ticked → call RRT at ext. 4-7777"]),
                doc("drill-record", "drill_record", "sepsis-downtime-drill-report.pdf",
                    title="Downtime drill, 5 East", days_ago=122, expires_in=243,
                    facilitator="Emergency Management (K. Duarte)", units="5 East, 6 North",
                    participants="14 RNs, 2 RRT nurses, 1 hospitalist", outcome="Passed — all at-risk patients escalated",
                    scenario="Unplanned EHR downtime at 02:10 on a night shift; model scores and pages stop.",
                    timeline=[("02:10", "EHR and scoring service unavailable"), ("02:14", "Code Grey announced, census printed"),
                              ("02:40", "SEP-7 completed for 31 patients"), ("02:52", "2 patients escalated to RRT"),
                              ("04:30", "Systems restored, replay complete, forms back-entered by 08:10")],
                    edge_cases=["Patient transferred between wards during the downtime (outage log 2024-11)",
                                "Lab results available on paper only, lactate pending (outage log 2025-03)"],
                    actions=[("Add SEP-7 pads to the 7 South downtime box", "Nurse manager 7 South", "Done")]),
            ],
            "data": fallback(owner="Director of Nursing Informatics", notification="Code Grey overhead page, EHR downtime "
                             "banner, integration-engine heartbeat page and Vocera broadcast to charge nurses",
                             drill_days_ago=122, replay_ref="Outage logs 2024-11 and 2025-03"),
            "flow": [submit(), approve("compliance", "Procedure, form SEP-7 and a passed drill four months ago.")],
        },
        "cognitive-load": {
            "evidence": [
                doc("time-on-task-study", "cognitive_load_study", "sepsis-time-on-task.pdf",
                    title="Time on task, pilot on 5 East", days_ago=45, method="Time-motion study plus EHR audit log",
                    units="5 East pilot, 6 weeks", cases_before=164, cases_after=181,
                    rows=[("Bedside RN, sepsis screen per patient per shift", 6.0, 2.5),
                          ("Rapid-response RN, per flagged patient", 14.2, 11.6)],
                    interactions="One acknowledgement click in the alert (about 4 s) replaces the manual SIRS "
                                 "screen of 12 fields per shift.",
                    roles="Work stays with registered nurses; no task moves to unlicensed staff."),
            ],
            "data": workload(task="Sepsis screening and rapid-response assessment per flagged patient", before=14.2,
                             after=11.6, cases=181, method="time_motion", clicks=1, seconds=4, per_day=14.2,
                             roles_before=["registered_nurse"]),
            "flow": [submit(), approve("compliance", "Net time per patient falls for both roles.")],
        },
        "regulatory-classification": {
            "evidence": [
                doc("counsel-memo", "counsel_memo", "sepsis-fda-status-memo.pdf",
                    title="Counsel memo: FDA status", days_ago=75, counsel="A. Lindqvist, Associate General Counsel",
                    to="Priya Raman; Clinical AI Governance Committee",
                    guidance="FDA Clinical Decision Support Software guidance, January 2026 edition",
                    criteria=[("1. No image or signal analysis", "Yes", "Uses discrete flowsheet and lab values, not waveforms."),
                              ("2. Displays or analyses medical information", "Yes", "Vital signs and lab results."),
                              ("3. Supports an HCP's recommendation", "No", "Time-critical alert directing a specific response."),
                              ("4. HCP can review the basis independently", "No", "Clinicians cannot practically review the model's basis in time.")],
                    conclusion="Device software function (SaMD). IMDRF category III: critical situation, drives clinical "
                               "management. Northbeam Vigil 3.2 is marketed under 510(k) K243187 (fictitious); the hospital "
                               "deploys the cleared, locked version unchanged, so no PCCP is needed."),
            ],
            "data": cds((True, True, False, False),
                        ("Discrete flowsheet and lab values, not waveforms.", "Vital signs and laboratory results.",
                         "A time-critical alert that directs a specific response.",
                         "The basis cannot practically be reviewed in the time available."),
                        situation="critical", significance="drive", pathway="510k", predicate="K231062",
                        clearance="K243187", adaptive=False),
            "flow": [submit(), approve("compliance", "Cleared device deployed as labelled.")],
        },
        "baa-phi": {
            "evidence": [
                doc("phi-data-flow", "phi_data_flow", "sepsis-phi-data-flow.pdf", title="PHI data flow", days_ago=40,
                    privacy_officer="J. Whitaker", deid="None (treatment use); minimum necessary applies",
                    retention="Scores and inputs kept 7 years with the medical record",
                    flows=[("EHR (HL7 feed)", "Northbeam inference API", "MRN, dates, vitals, labs", "TLS 1.3 VPN", "Scoring"),
                           ("Northbeam", "EHR BPA", "MRN, score", "TLS 1.3", "Alert display")],
                    minimum_necessary="Names, addresses and contact details are stripped by the integration engine; "
                                      "only MRN and dates remain for matching.",
                    secondary_use="The BAA forbids Northbeam from training on hospital data."),
                doc("baa-agreements", "baa", "baa-northbeam-health-ai.pdf", title="BAA — Northbeam Health AI",
                    days_ago=365, expires_in=366, vendor="Northbeam Health AI, Inc.",
                    service="Hosting and inference for the Vigil sepsis model",
                    hospital_signer="R. Castillo, VP Supply Chain", vendor_signer="D. Mehta, General Counsel"),
            ],
            "data": phi(identifiers=["mrn", "dates"], deid="none",
                        minimum_necessary="MRN and dates are needed to match results to the encounter; names and "
                                          "contact details are stripped before data leave the EHR.",
                        retention="Scores and inputs kept 7 years with the medical record",
                        vendors=[("Northbeam Health AI, Inc.", "model_api", True, BaaOf("baa-northbeam-health-ai.pdf"))]),
            "flow": [submit(), approve("compliance", "BAA current until next year; no vendor training on data.")],
        },
    },
    "final": {"by": "compliance", "meaning": "approved",
              "statement": "All six gates approved. Launch approved for 4 West, 5 East, 6 North and 7 South. The Sepsis "
                           "Committee reviews PPV and override rate monthly for the first six months."},
}


def _baa(name, vendor, service, *, days_ago, expires_in, title=None):
    return doc("baa-agreements", "baa", name, title=title or f"BAA — {vendor}", days_ago=days_ago,
               expires_in=expires_in, vendor=vendor, service=service,
               hospital_signer="R. Castillo, VP Supply Chain", vendor_signer="Authorised signatory")


def _drill(name, *, days_ago, units, scenario, edge_cases):
    return doc("drill-record", "drill_record", name, title="Downtime drill report", days_ago=days_ago,
               expires_in=365 - days_ago, facilitator="Emergency Management (K. Duarte)", units=units,
               participants="Unit staff and the product team", outcome="Passed", scenario=scenario,
               timeline=[("09:00", "Model service stopped by IT"), ("09:05", "Downtime announced"),
                         ("09:10", "Staff switch to the paper form"), ("11:00", "Service restored, backlog reconciled")],
               edge_cases=edge_cases, actions=[("Laminate the form for each workstation", "Unit manager", "Done")])


PRIOR_AUTH_INPUTS = [
    _row("payer_id", "Payer and plan", "Claims", "PA_REQUEST", "PAYER_PLAN_ID", "code", phi="no",
         justification="Prior-auth rules differ by payer; used only to match the payer's policy, never to rank patients across payers."),
    _row("cpt_hcpcs", "Requested procedure codes", "EHR", "ORDER_PROC", "PROC_CODE", "CPT/HCPCS", phi="no"),
    _row("icd10_codes", "Diagnosis codes on the order", "EHR", "ORDER_DX", "DX_CODE", "ICD-10-CM"),
    _row("attached_documents", "Number and type of attached clinical documents", "EHR", "PA_ATTACHMENT", "DOC_TYPE", "count"),
    _row("medical_policy_rule", "Matching payer medical policy", "Approved external feed", "PAYER_POLICY_LIBRARY", "POLICY_ID", "code", phi="no", notes="Weekly licensed feed, version-stamped"),
    _row("days_to_service", "Days from request to scheduled service", "EHR", "ORDER_PROC", "SCHED_DATE", "days"),
]

# --- 2. prior authorisation: some gates approved by compliance2, others waiting ------------
PRIOR_AUTH = {
    "slug": "prior-auth-triage",
    "owner": "pm2",
    "fields": {
        "title": "Prior authorization request triage",
        "summary": "Reads incoming prior authorization requests (orders, diagnosis codes, attached notes) and flags "
                   "those likely to be denied for missing documentation, so utilisation-management nurses fix them "
                   "before submission to the payer.",
        "clinical_area": ClinicalArea.REVENUE_CYCLE,
        "intended_use": "Work-queue prioritisation for utilisation-management staff. It never denies, approves or "
                        "delays a request on its own and is not used for medical-necessity decisions.",
        "intended_users": "Utilisation-management nurses and prior-authorization coordinators",
        "care_setting": CareSetting.BACK_OFFICE,
    },
    "facts": {"system": "Prior authorization triage", "dept": "Revenue Cycle — Utilisation Management"},
    "gates": {
        "auditable-inputs": {
            "evidence": [doc("data-dictionary", "data_dictionary", "prior-auth-data-dictionary.csv",
                             title="Prior-auth triage data dictionary", days_ago=64, inputs=PRIOR_AUTH_INPUTS)],
            "data": inventory(PRIOR_AUTH_INPUTS),
            "flow": [submit(), approve("compliance2", "Inputs traced to EHR, claims and the licensed payer-policy feed.")],
        },
        "false-positive-cost": {
            "evidence": [
                doc("alert-volume-source", "silent_mode_report", "prior-auth-retrospective-replay.pdf",
                    title="Retrospective replay, 6 months", days_ago=58, author="Revenue Cycle Analytics",
                    window="6 months of requests (41,260)", population="Outpatient imaging, infusion and surgery requests",
                    threshold="denial risk ≥ 0.45", reference="Payer denial or pend for missing documentation",
                    alerts_per_day=96.0, ppv=0.74, minutes_per_alert=3.0, hourly_rate=58.0,
                    interpretation="About a quarter of flagged requests were complete; each costs a short check."),
                doc("time-motion-study", "time_motion_study", "prior-auth-um-time-motion.pdf",
                    title="Time-motion study, UM nurses", days_ago=50, alert_noun="flagged prior-auth requests",
                    observer="Revenue Cycle PI team", responder="Utilisation-management RN", observations=340,
                    units="central UM office", iqr="2.0–4.0", alerts_per_day=96.0, ppv=0.74,
                    minutes_per_alert=3.0, hourly_rate=58.0, notes="A complete request is confirmed from the checklist in the work queue."),
            ],
            "data": burden(alerts_per_day=96.0, ppv=0.74, minutes_per_alert=3.0, hourly_rate=58.0,
                           source="6-month retrospective replay of 41,260 requests", responder="Utilisation-management RN"),
            "flow": [submit(), approve("compliance2", "About $2,200 a month, under the threshold.")],
        },
        "paper-fallback": {
            "evidence": [
                doc("downtime-procedure", "downtime_procedure", "prior-auth-downtime-procedure.pdf",
                    title="Downtime procedure RC-DT-03", days_ago=150, policy="RC-DT-03", owner="Director of Utilisation Management",
                    detection=DETECTION[1:], steps=["Work the queue in order of scheduled service date.",
                                                     "Use payer checklist binder PA-1 for each request.",
                                                     "Flag urgent requests (service within 72 h) to the UM lead by phone."],
                    recovery="Requests received during downtime are re-scored on recovery; none is re-sent automatically."),
                doc("paper-checklist", "paper_checklist", "prior-auth-checklist-PA-1.pdf", title="Payer checklist PA-1",
                    days_ago=150, form="PA-1", intro="Use for each request while the triage score is unavailable.",
                    items=["Order signed and dated", "Diagnosis supports requested service per payer policy",
                           "Conservative therapy documented where policy requires", "Imaging/lab results attached",
                           "Service within 72 h → call UM lead"]),
                _drill("prior-auth-drill-report.pdf", days_ago=150, units="Central UM office",
                       scenario="Triage service down for a full morning.",
                       edge_cases=["Payer portal outage at the same time (outage log 2025-06)"]),
            ],
            "data": fallback(owner="Director of Utilisation Management", notification="Integration-engine heartbeat page "
                             "and a Teams message to the UM lead", drill_days_ago=150, replay_ref="Payer portal outage 2025-06"),
            "flow": [submit("Drill passed five months ago; waiting for compliance.")],
        },
        "cognitive-load": {
            "evidence": [doc("time-on-task-study", "cognitive_load_study", "prior-auth-um-survey.pdf",
                             title="UM nurse survey", days_ago=40, method="Survey (self-reported)", units="UM office",
                             cases_before=6, cases_after=6, rows=[("UM RN, per request", 9.0, 7.0)],
                             interactions="Two extra clicks to open the triage panel.",
                             roles="No change of role.")],
            "data": workload(task="Preparing one prior-auth request for submission", before=9.0, after=7.0, cases=6,
                             method="survey", clicks=2, seconds=3, per_day=180, roles_before=["registered_nurse"]),
            "flow": [submit(),
                     reject("compliance2", "A self-reported survey of six nurses is not a measurement of time on task. "
                                           "Provide time-motion or EHR audit-log data before and after, with case counts."),
                     replace(doc("time-on-task-study", "cognitive_load_study", "prior-auth-time-on-task-v2.pdf",
                                 title="Time on task, audit-log study v2", days_ago=12, method="EHR audit log",
                                 units="UM office, 4 weeks each period", cases_before=2210, cases_after=2348,
                                 rows=[("UM RN, per request", 8.4, 7.1), ("PA coordinator, per request", 3.2, 3.3)],
                                 interactions="Two clicks (about 3 s) to open the triage panel.",
                                 roles="Work stays with UM nurses; coordinators' time is unchanged.")),
                     save(workload(task="Preparing one prior-auth request for submission", before=8.4, after=7.1,
                                   cases=2348, method="ehr_audit_log", clicks=2, seconds=1.5, per_day=180,
                                   roles_before=["registered_nurse"])),
                     submit("Replaced the survey with an audit-log study (2,210 / 2,348 requests).")],
        },
        "regulatory-classification": {
            "evidence": [doc("counsel-memo", "counsel_memo", "prior-auth-fda-status-memo.pdf", title="Counsel memo: FDA status",
                             days_ago=70, counsel="A. Lindqvist, Associate General Counsel", to="Marcus Oyelaran",
                             guidance="FDA Clinical Decision Support Software guidance, January 2026 edition",
                             criteria=[("1. No image or signal analysis", "Yes", "Codes and documents only."),
                                       ("2. Displays or analyses medical information", "Yes", "Order and diagnosis data."),
                                       ("3. Supports an HCP", "Yes", "Nurses decide what to add."),
                                       ("4. Basis reviewable", "Yes", "Shows the missing policy elements.")],
                             conclusion="Administrative support function excluded by section 520(o)(1)(A); in any event "
                                        "non-device. No FDA pathway required.")],
            "data": cds((True, True, True, True), ("Codes and documents only.", "Order and diagnosis data.",
                                                   "UM nurses decide what to add.", "Shows the missing policy elements.")),
            "flow": [submit(), approve("compliance2", "Administrative function, not a device.")],
        },
        "baa-phi": {
            "evidence": [
                doc("phi-data-flow", "phi_data_flow", "prior-auth-phi-data-flow.pdf", title="PHI data flow", days_ago=44,
                    privacy_officer="J. Whitaker", deid="None (payment operations)", retention="10 years with the payer file",
                    flows=[("EHR", "Clearwell Document AI", "Name, MRN, DOB, notes", "SFTP over TLS", "Extract documentation")],
                    minimum_necessary="Only the order and the notes attached to it are sent.",
                    secondary_use="Clearwell may not train on hospital documents (BAA §5)."),
                _baa("baa-clearwell-document-ai.pdf", "Clearwell Document AI, Inc.", "Document extraction for prior-auth requests",
                     days_ago=300, expires_in=430),
            ],
            "data": phi(identifiers=["names", "dates", "mrn", "health_plan"], deid="none",
                        minimum_necessary="The payer requires name, date of birth, member number and the supporting "
                                          "notes; nothing else is sent.",
                        retention="10 years with the payer file",
                        vendors=[("Clearwell Document AI, Inc.", "other", True, BaaOf("baa-clearwell-document-ai.pdf"))]),
            "flow": [submit()],
        },
    },
}


NO_SHOW_INPUTS = [
    _row("prior_no_shows_24m", "No-shows in the last 24 months", "EHR", "PAT_ENC", "APPT_STATUS_C", "count"),
    _row("lead_time_days", "Days between booking and appointment", "EHR", "PAT_ENC", "APPT_MADE_DATE", "days"),
    _row("appointment_type", "Visit type and department", "EHR", "PAT_ENC", "ENC_TYPE_C", "code", phi="no"),
    _row("portal_active", "Patient portal activated", "EHR", "PATIENT_MYC", "STATUS_C", "yes/no"),
    _row("zip_code", "Home ZIP code (5 digits)", "EHR", "PATIENT", "ZIP", "code", justification="Used only to offer free transport to patients who live more than 20 miles away; outreach rates audited quarterly by ZIP."),
    _row("insurance_type", "Payer class", "Claims", "COVERAGE", "FIN_CLASS_C", "code", justification="Used only to add a Medicaid ride benefit reminder; outreach rates audited quarterly by payer class."),
]

# --- 3. no-show prediction: paper fallback rejected -> changes requested; FP cost blocks -------------
_NO_SHOW_FP = dict(alerts_per_day=220.0, ppv=0.28, minutes_per_alert=4.5, hourly_rate=32.0)
NO_SHOW = {
    "slug": "no-show-prediction",
    "owner": "pm",
    "fields": {
        "title": "Outpatient no-show prediction and reminder outreach",
        "summary": "Predicts which booked outpatient appointments are likely to be missed and puts them on a "
                   "scheduler call list for a personal reminder, transport offer or rebooking.",
        "clinical_area": ClinicalArea.OPERATIONS,
        "intended_use": "Prioritises reminder calls by schedulers. It must never be used to overbook, double-book "
                        "or refuse appointments to a patient.",
        "intended_users": "Central scheduling and patient access staff",
        "care_setting": CareSetting.OUTPATIENT,
    },
    "facts": {"system": "Outpatient no-show prediction", "dept": "Patient Access"},
    "gates": {
        "auditable-inputs": {
            "evidence": [doc("data-dictionary", "data_dictionary", "no-show-data-dictionary.csv",
                             title="No-show model data dictionary", days_ago=80, inputs=NO_SHOW_INPUTS)],
            "data": inventory(NO_SHOW_INPUTS),
            "flow": [submit("ZIP code and payer class are used only to offer transport; see justification."),
                     approve("compliance", "Proxies justified: used only to route free transport offers, with a quarterly "
                                           "disparity audit of outreach rates by ZIP and payer class.")],
        },
        "false-positive-cost": {
            "evidence": [
                doc("alert-volume-source", "silent_mode_report", "no-show-silent-mode-report.pdf",
                    title="Silent-mode run, 8 weeks", days_ago=35, author="Patient Access Analytics",
                    window="8 weeks, all adult clinics", population="61,600 booked appointments",
                    threshold="no-show risk ≥ 0.20", reference="Appointment status no-show", **_NO_SHOW_FP,
                    interpretation="The list is long: most flagged patients attend anyway."),
                doc("time-motion-study", "time_motion_study", "no-show-scheduler-time-motion.pdf",
                    title="Time-motion study, schedulers", days_ago=30, alert_noun="reminder calls",
                    observer="Patient Access PI team", responder="Scheduler", observations=410,
                    units="central scheduling", iqr="3.0–6.0", **_NO_SHOW_FP,
                    notes="Includes dialling, voicemail, documentation and rebooking offers."),
            ],
            # Saved with the 4.5 minutes the time-motion study measured: about $11,400 a month, over
            # the $5,000 threshold, so the gate blocks and cannot be submitted until volume or PPV change.
            "data": burden(**_NO_SHOW_FP, source="8-week silent-mode run, all adult clinics", responder="Scheduler"),
        },
        "paper-fallback": {
            "evidence": [
                doc("downtime-procedure", "downtime_procedure", "no-show-downtime-procedure.pdf",
                    title="Downtime procedure PA-DT-09 (draft)", days_ago=20, policy="PA-DT-09",
                    owner="Manager, Central Scheduling", detection=DETECTION[1:],
                    steps=["Schedulers revert to the standard 48-hour automated reminders only.",
                           "No call list is worked until scores resume."],
                    recovery="The call list is regenerated for appointments in the next 72 hours."),
                doc("paper-checklist", "paper_checklist", "no-show-call-list-checklist.pdf",
                    title="Paper call-list checklist PA-7", days_ago=20, form="PA-7",
                    intro="Use while the no-show score is unavailable.",
                    items=["Print tomorrow's clinic schedules", "Call patients with two or more prior no-shows",
                           "Log the outcome of each call on the sheet"]),
                _drill("no-show-tabletop-drill.pdf", days_ago=18, units="Central scheduling (tabletop only)",
                       scenario="Tabletop walk-through of a scoring-service outage; no calls were made.",
                       edge_cases=["None replayed"]),
            ],
            "data": fallback(owner="Manager, Central Scheduling", notification="Epic downtime banner and a Teams "
                             "message from the scheduling supervisor", drill_days_ago=18,
                             notes="Tabletop only: the paper call list was not worked with live patients."),
            "flow": [submit(),
                     reject("compliance", "The procedure is still a draft (PA-DT-09) and the drill was a tabletop "
                                          "walk-through only: no one worked the paper call list with live patients. The "
                                          "paper checklist also omits the transport-offer decision the model drives for "
                                          "patients flagged by ZIP code. Approve the procedure, add the transport decision "
                                          "to PA-7 and run a live drill on one clinic day.")],
        },
        "cognitive-load": {
            "evidence": [doc("time-on-task-study", "cognitive_load_study", "no-show-time-on-task.pdf",
                             title="Scheduler time on task", days_ago=28, method="Time-motion study", units="Central scheduling",
                             cases_before=300, cases_after=410,
                             rows=[("Scheduler, per rebooked no-show", 11.0, 6.5)],
                             interactions="Call list opens from the work queue; one click to log the outcome.",
                             roles="Work stays with schedulers.")],
            "data": workload(task="Working one no-show risk call", before=11.0, after=6.5, cases=410, method="time_motion",
                             clicks=1, seconds=3, per_day=60, roles_before=["scheduler"]),
            "flow": [submit()],
        },
        "regulatory-classification": {
            "evidence": [doc("counsel-memo", "counsel_memo", "no-show-fda-status-memo.pdf", title="Counsel memo: FDA status",
                             days_ago=90, counsel="A. Lindqvist, Associate General Counsel", to="Priya Raman",
                             guidance="FDA Clinical Decision Support Software guidance, January 2026 edition",
                             criteria=[("1. No image or signal analysis", "Yes", "Scheduling data only."),
                                       ("2. Medical information", "Yes", "Appointment history."),
                                       ("3. Supports an HCP", "Yes", "Schedulers decide whom to call."),
                                       ("4. Basis reviewable", "Yes", "Top factors shown.")],
                             conclusion="Administrative scheduling function excluded by section 520(o)(1)(A).")],
            "data": cds((True, True, True, True), ("Scheduling data only.", "Appointment history.",
                                                   "Schedulers decide whom to call.", "Top factors are shown.")),
            "flow": [submit(), approve("compliance", "Not a device.")],
        },
    },
}


ALERT_RANKING_INPUTS = [
    _row("bpa_id", "Advisory that fired", "EHR", "ALT_HISTORY", "BPA_LOCATOR_ID", "code", phi="no"),
    _row("prior_action_rate", "Unit's action rate on this BPA, 90 days", "EHR", "ALT_HISTORY", "ACTION_TAKEN_C", "%", phi="no"),
    _row("nurse_workload", "Patients assigned to the nurse", "EHR", "CL_ASSIGN", "PAT_COUNT", "count", phi="no"),
    _row("patient_acuity", "Acuity score at firing time", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 3040)", "points"),
]

# --- 4. alert ranking: draft, partly evidenced, nothing submitted --------------------------
ALERT_RANKING = {
    "slug": "alert-ranking",
    "owner": "pm",
    "fields": {
        "title": "Interruptive alert ranking for inpatient nurses",
        "summary": "Ranks interruptive EHR alerts (best-practice advisories) by how likely the nurse is to act on "
                   "them and moves low-value ones to a passive list, to reduce alert fatigue.",
        "clinical_area": ClinicalArea.NURSING,
        "intended_use": "Orders and suppresses nursing BPAs. Safety-critical alerts (allergy, high-alert medication, "
                        "fall risk) are never suppressed.",
        "intended_users": "Bedside registered nurses on adult inpatient units",
        "care_setting": CareSetting.INPATIENT,
    },
    "facts": {"system": "Interruptive alert ranking", "dept": "Nursing Informatics"},
    "gates": {
        "auditable-inputs": {
            "evidence": [doc("data-dictionary", "data_dictionary", "alert-ranking-data-dictionary.csv",
                             title="Alert ranking data dictionary (draft)", days_ago=9, inputs=ALERT_RANKING_INPUTS)],
            "data": inventory(ALERT_RANKING_INPUTS),
        },
        "false-positive-cost": {
            "evidence": [doc("alert-volume-source", "silent_mode_report", "alert-ranking-replay.pdf",
                             title="Retrospective replay, 30 days", days_ago=6, author="Nursing Informatics",
                             window="30 days, 3 units", population="48,900 BPA firings",
                             threshold="actionability ≥ 0.30", reference="Nurse action within 15 minutes",
                             alerts_per_day=410.0, ppv=0.41, minutes_per_alert=0.5, hourly_rate=68.0,
                             interpretation="Preliminary; time per alert not yet measured.")],
        },
    },
}


VISIT_NOTE_INPUTS = [
    _row("visit_audio", "Consented visit audio (deleted after 30 days)", "Approved external feed", "Scribewell capture app", "audio stream", "audio", notes="Consent recorded in the EHR first"),
    _row("problem_list", "Active problem list", "EHR", "PROBLEM_LIST", "DX_ID", "ICD-10-CM"),
    _row("medications", "Active medications", "EHR", "ORDER_MED", "MEDICATION_ID", "RxNorm"),
    _row("vitals", "Vital signs of the visit", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE", "various"),
    _row("visit_reason", "Chief complaint", "EHR", "PAT_ENC_RSN_VISIT", "ENC_REASON_ID", "text"),
]

# --- 5. visit-note summarization: two gates waiting for compliance, two in progress --------
VISIT_NOTE = {
    "slug": "visit-note-summarization",
    "owner": "pm2",
    "fields": {
        "title": "Ambient visit note drafting in primary care",
        "summary": "Records the consented conversation of a primary-care visit and drafts the history, exam and "
                   "plan sections of the note for the clinician to edit and sign.",
        "clinical_area": ClinicalArea.DOCUMENTATION,
        "intended_use": "Drafts documentation only; the clinician reviews and signs every note. Not used for "
                        "behavioural-health visits, minors or visits where the patient declines recording.",
        "intended_users": "Primary-care physicians, nurse practitioners and physician assistants",
        "care_setting": CareSetting.OUTPATIENT,
    },
    "facts": {"system": "Ambient visit note drafting", "dept": "Ambulatory Informatics"},
    "gates": {
        "auditable-inputs": {
            "evidence": [doc("data-dictionary", "data_dictionary", "visit-note-data-dictionary.csv",
                             title="Ambient note data dictionary", days_ago=21, inputs=VISIT_NOTE_INPUTS)],
            "data": inventory(VISIT_NOTE_INPUTS),
            "flow": [submit("Audio is the only non-EHR input; consent is checked before capture.")],
        },
        "cognitive-load": {
            "evidence": [doc("time-on-task-study", "cognitive_load_study", "visit-note-pilot-time-on-task.pdf",
                             title="Pilot: documentation time", days_ago=18, method="EHR audit log",
                             units="2 clinics, 14 clinicians, 6 weeks", cases_before=1480, cases_after=1512,
                             rows=[("Clinician, documentation per visit", 16.4, 9.8), ("Clinician, after-hours notes per day", 52.0, 31.0)],
                             interactions="Review and edit of the draft: median 2.1 minutes.",
                             roles="No work moves to medical assistants.")],
            "data": workload(task="Documenting one primary-care visit", before=16.4, after=9.8, cases=1512,
                             method="ehr_audit_log", clicks=3, seconds=5, per_day=20, roles_before=["physician"]),
        },
        "regulatory-classification": {
            "evidence": [doc("counsel-memo", "counsel_memo", "visit-note-fda-status-memo.pdf", title="Counsel memo: FDA status",
                             days_ago=15, counsel="A. Lindqvist, Associate General Counsel", to="Marcus Oyelaran",
                             guidance="FDA Clinical Decision Support Software guidance, January 2026 edition",
                             criteria=[("1. No image or signal analysis", "Yes", "Speech is transcribed, not analysed as a physiological signal."),
                                       ("2. Medical information", "Yes", "Visit content."),
                                       ("3. Supports an HCP", "Yes", "Clinician edits and signs."),
                                       ("4. Basis reviewable", "Yes", "Draft shows the transcript excerpt behind each sentence.")],
                             conclusion="Documentation tool; not a device function. Re-assess if it starts suggesting diagnoses.")],
            "data": cds((True, True, True, True), ("Speech is transcribed, not analysed as a physiological signal.",
                                                   "Visit content.", "The clinician edits and signs.",
                                                   "Each sentence links to the transcript excerpt behind it.")),
        },
        "baa-phi": {
            "evidence": [
                doc("phi-data-flow", "phi_data_flow", "visit-note-phi-data-flow.pdf", title="PHI data flow", days_ago=20,
                    privacy_officer="J. Whitaker", deid="None (treatment); audio deleted after 30 days",
                    retention="Audio 30 days; transcript 1 year; signed note with the medical record",
                    flows=[("Capture app", "Scribewell AI", "Audio, name, DOB", "TLS 1.3", "Transcription and drafting"),
                           ("Scribewell AI", "Cirrus Cloud LLM endpoint", "Transcript", "Private link", "Summarisation")],
                    minimum_necessary="Only the consented visit audio and the problem and medication lists are shared.",
                    secondary_use="Neither vendor may train models on the audio or transcripts."),
                _baa("baa-scribewell-ai.pdf", "Scribewell AI, Inc.", "Ambient capture and note drafting", days_ago=320, expires_in=45),
                _baa("baa-cirrus-cloud.pdf", "Cirrus Cloud Services LLC", "Hosted large-language-model endpoint (subprocessor)",
                     days_ago=400, expires_in=695),
            ],
            "data": phi(identifiers=["names", "dates", "mrn", "biometric"], deid="none",
                        minimum_necessary="Voice is needed to transcribe the visit; name, date of birth and MRN file the "
                                          "draft to the right chart. Audio is deleted after 30 days.",
                        retention="Audio 30 days; transcript 1 year; signed note with the medical record",
                        vendors=[("Scribewell AI, Inc.", "model_api", True, BaaOf("baa-scribewell-ai.pdf")),
                                 ("Cirrus Cloud Services LLC", "hosting", True, BaaOf("baa-cirrus-cloud.pdf"))]),
            "flow": [submit("Scribewell BAA renewal is in legal review; it expires in 45 days.")],
        },
    },
}


DERM_INPUTS = [
    _row("dermoscopic_image", "Dermoscopic photo of the lesion", "PACS", "Dermatology VNA", "DICOM object", "image"),
    _row("body_site", "Anatomic site", "EHR", "REFERRAL", "BODY_SITE_C", "code"),
    _row("lesion_duration", "Reported duration and change", "EHR", "REFERRAL", "QUESTION_ANSWERS", "text"),
    _row("age_years", "Age at referral", "EHR", "PATIENT", "BIRTH_DATE", "years"),
]

# --- 6. derm referral triage: device, submitted for review; vendor BAA expired --------------
DERM = {
    "slug": "derm-referral-triage",
    "owner": "pm",
    "fields": {
        "title": "Dermatology referral triage from primary-care photos",
        "summary": "Analyses dermoscopic photos taken in primary care and sorts referrals into urgent (possible "
                   "melanoma or squamous cell carcinoma), routine and advice-only, to shorten waits for urgent cases.",
        "clinical_area": ClinicalArea.DERMATOLOGY,
        "intended_use": "Orders the dermatology referral queue; a dermatologist reviews every photo. Not for "
                        "patients under 18 or for lesions on mucosa, nails or genitals.",
        "intended_users": "Dermatologists triaging referrals; primary-care clinicians taking the photos",
        "care_setting": CareSetting.OUTPATIENT,
    },
    "facts": {"system": "Dermatology referral triage (Lumen Derm)", "dept": "Dermatology"},
    "gates": {
        "auditable-inputs": {
            "evidence": [doc("data-dictionary", "data_dictionary", "derm-triage-data-dictionary.csv",
                             title="Derm triage data dictionary", days_ago=26, inputs=DERM_INPUTS)],
            "data": inventory(DERM_INPUTS),
        },
        "regulatory-classification": {
            "evidence": [doc("counsel-memo", "counsel_memo", "derm-fda-status-memo.pdf", title="Counsel memo: FDA status",
                             days_ago=33, counsel="A. Lindqvist, Associate General Counsel", to="Priya Raman",
                             guidance="FDA Clinical Decision Support Software guidance, January 2026 edition",
                             criteria=[("1. No image or signal analysis", "No", "It analyses medical images."),
                                       ("2. Medical information", "Yes", "Referral data."),
                                       ("3. Supports an HCP", "Yes", "Dermatologist decides."),
                                       ("4. Basis reviewable", "Partly", "Heat map only.")],
                             conclusion="Device software function (SaMD). IMDRF category II: serious situation, drives "
                                        "clinical management. Lumen Derm has a 510(k) pending; no launch before clearance.")],
            "data": cds((False, True, True, False),
                        ("It analyses medical images.", "Referral data.", "The dermatologist decides.",
                         "Only a heat map is shown; the basis cannot be independently reviewed."),
                        situation="serious", significance="drive", pathway="510k", predicate="K231830", adaptive=False),
            "flow": [submit("Device; launch waits for the vendor's 510(k).")],
        },
        "baa-phi": {
            "evidence": [
                doc("phi-data-flow", "phi_data_flow", "derm-phi-data-flow.pdf", title="PHI data flow", days_ago=26,
                    privacy_officer="J. Whitaker", deid="None; full-face photos excluded",
                    retention="Images kept with the medical record",
                    flows=[("PACS", "Lumen Derm", "Image, MRN, age", "DICOMweb over TLS", "Triage score")],
                    minimum_necessary="Only the lesion image and age leave the hospital.",
                    secondary_use="Lumen Derm may not train on hospital images."),
                _baa("baa-lumen-derm.pdf", "Lumen Derm Ltd.", "Image analysis for referral triage",
                     days_ago=1115, expires_in=-20, title="BAA — Lumen Derm (expired)"),
            ],
            "data": phi(identifiers=["mrn", "dates"], deid="none",
                        minimum_necessary="Only the lesion image, MRN and age leave the hospital; full-face photos are excluded.",
                        retention="Images kept with the medical record",
                        vendors=[("Lumen Derm Ltd.", "model_api", True, BaaOf("baa-lumen-derm.pdf"))]),
        },
    },
}


HF_INPUTS = [
    _row("ejection_fraction", "Latest LVEF", "EHR", "ECHO_RESULTS", "LVEF_PCT", "%"),
    _row("bnp", "NT-proBNP at discharge", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 33762-6)", "pg/mL"),
    _row("sodium", "Serum sodium", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 2951-2)", "mmol/L"),
    _row("prior_admissions_12m", "HF admissions in 12 months", "EHR", "PAT_ENC_HSP", "HOSP_ADMSN_TIME", "count"),
    _row("length_of_stay", "Length of stay", "EHR", "PAT_ENC_HSP", "HOSP_ADMSN_TIME", "days"),
]

# --- 7. heart-failure readmission: every gate approved, waiting for the signed decision ----
_HF_FP = dict(alerts_per_day=9.0, ppv=0.38, minutes_per_alert=12.0, hourly_rate=61.0)
READMISSION = {
    "slug": "hf-readmission-risk",
    "owner": "pm2",
    "fields": {
        "title": "Heart-failure 30-day readmission risk at discharge",
        "summary": "Estimates, on the day of discharge, each heart-failure patient's risk of readmission within 30 "
                   "days and adds high-risk patients to the transitional-care nurse's follow-up list.",
        "clinical_area": ClinicalArea.CARDIOLOGY,
        "intended_use": "Prioritises a 48-hour follow-up call and a 7-day clinic visit. It never delays a discharge "
                        "or changes treatment.",
        "intended_users": "Transitional-care nurses and heart-failure nurse practitioners",
        "care_setting": CareSetting.INPATIENT,
    },
    "facts": {"system": "Heart-failure readmission risk", "dept": "Cardiology — Transitional Care"},
    "gates": {
        "auditable-inputs": {
            "evidence": [doc("data-dictionary", "data_dictionary", "hf-readmission-data-dictionary.csv",
                             title="HF readmission data dictionary", days_ago=95, inputs=HF_INPUTS)],
            "data": inventory(HF_INPUTS),
            "flow": [submit(), approve("compliance2", "All inputs timestamped and available on the discharge day.")],
        },
        "false-positive-cost": {
            "evidence": [
                doc("alert-volume-source", "silent_mode_report", "hf-readmission-silent-mode.pdf",
                    title="Silent-mode run, 12 weeks", days_ago=88, author="Cardiology Analytics", window="12 weeks",
                    population="1,512 HF discharges", threshold="risk ≥ 0.25", reference="Readmission within 30 days",
                    interpretation="Manageable volume for two transitional-care nurses.", **_HF_FP),
                doc("time-motion-study", "time_motion_study", "hf-readmission-time-motion.pdf",
                    title="Time-motion study, transitional-care nurses", days_ago=80, alert_noun="follow-up list entries",
                    observer="Cardiology PI team", responder="Transitional-care RN", observations=150,
                    units="cardiology step-down", iqr="9–15", notes="Includes chart review and the follow-up call.", **_HF_FP),
            ],
            "data": burden(**_HF_FP, source="12-week silent-mode run, 1,512 HF discharges", responder="Transitional-care RN"),
            "flow": [submit(), approve("compliance2", "About $2,050 a month.")],
        },
        "paper-fallback": {
            "evidence": [
                doc("downtime-procedure", "downtime_procedure", "hf-readmission-downtime.pdf", title="Downtime procedure CARD-DT-02",
                    days_ago=110, policy="CARD-DT-02", owner="Manager, Transitional Care", detection=DETECTION,
                    steps=["Call every HF discharge within 48 hours, highest LACE score first.", "Use form HF-3 per call."],
                    recovery="Scores are back-filled; missed patients are called the same day."),
                doc("paper-checklist", "paper_checklist", "hf-readmission-form-HF-3.pdf", title="Downtime form HF-3",
                    days_ago=110, form="HF-3", intro="Use for each heart-failure discharge during downtime.",
                    items=["Weight today vs discharge weight", "Breathlessness worse?", "Taking diuretic as prescribed?",
                           "7-day clinic visit booked", "Red flags → same-day HF clinic"]),
                _drill("hf-readmission-drill.pdf", days_ago=64, units="Transitional-care office",
                       scenario="Score unavailable for a full discharge day.",
                       edge_cases=["Weekend discharges queued during an interface outage (outage log 2025-01)"]),
            ],
            "data": fallback(owner="Manager, Transitional Care", notification="EHR downtime banner and integration-engine "
                             "heartbeat page", drill_days_ago=64, replay_ref="Interface outage 2025-01"),
            "flow": [submit(), approve("compliance2", "Drilled two months ago.")],
        },
        "cognitive-load": {
            "evidence": [doc("time-on-task-study", "cognitive_load_study", "hf-readmission-time-on-task.pdf",
                             title="Time on task before and after", days_ago=70, method="Time-motion study",
                             units="Transitional care, 4 weeks each", cases_before=120, cases_after=131,
                             rows=[("Transitional-care RN, per discharge", 18.0, 13.5)],
                             interactions="List is pre-sorted; one click to log the call.", roles="No change of role.")],
            "data": workload(task="Follow-up call after a heart-failure discharge", before=18.0, after=13.5, cases=131,
                             method="time_motion", clicks=1, seconds=2, per_day=6, roles_before=["registered_nurse"]),
            "flow": [submit(), approve("compliance2", "Net time falls.")],
        },
        "regulatory-classification": {
            "evidence": [doc("counsel-memo", "counsel_memo", "hf-readmission-fda-memo.pdf", title="Counsel memo: FDA status",
                             days_ago=100, counsel="A. Lindqvist, Associate General Counsel", to="Marcus Oyelaran",
                             guidance="FDA Clinical Decision Support Software guidance, January 2026 edition",
                             criteria=[("1. No image or signal analysis", "Yes", "Discrete data."),
                                       ("2. Medical information", "Yes", "Labs and encounters."),
                                       ("3. Supports an HCP", "Yes", "Nurse decides on follow-up."),
                                       ("4. Basis reviewable", "Yes", "Inputs and top factors shown.")],
                             conclusion="Non-device clinical decision support.")],
            "data": cds((True, True, True, True), ("Discrete data.", "Labs and encounters.",
                                                   "The nurse decides on follow-up.", "Inputs and top factors are shown.")),
            "flow": [submit(), approve("compliance2", "Non-device CDS; all four criteria met.")],
        },
        "baa-phi": {
            "evidence": [doc("phi-data-flow", "phi_data_flow", "hf-readmission-phi-flow.pdf", title="PHI data flow",
                             days_ago=90, privacy_officer="J. Whitaker", deid="None; model runs inside the hospital",
                             retention="With the medical record", flows=[("EHR", "On-premises scoring server", "MRN, labs", "Internal", "Scoring")],
                             minimum_necessary="No PHI leaves the hospital network.", secondary_use="No vendor involved."),
                         link("baa-agreements", "https://contracts.demo-hospital.org/baa/none-required/hf-readmission",
                              title="Contracts office: no business associate involved", days_ago=90)],
            "data": phi(identifiers=["mrn", "dates"], deid="none",
                        minimum_necessary="MRN and dates link the score to the discharge; the model runs on premises.",
                        retention="With the medical record"),
            "flow": [submit(), approve("compliance2", "No vendor touches PHI.")],
        },
    },
}

INITIATIVES = [SEPSIS, PRIOR_AUTH, NO_SHOW, ALERT_RANKING, VISIT_NOTE, DERM, READMISSION]
