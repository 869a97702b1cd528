"""Demo initiatives that have passed every gate: one signed, one waiting for the signature."""

from healthpm.initiatives.models import CareSetting, ClinicalArea

from .builders import (
    COST,
    FALLBACK,
    INPUTS,
    LOAD,
    PHI,
    REGULATORY,
    BaaOf,
    DETECTION,
    approve,
    burden,
    cds,
    doc,
    drill_doc,
    fallback,
    input_row,
    inventory,
    link,
    phi,
    replace,
    submit,
    workload,
)


SEPSIS_INPUTS = [
    input_row("heart_rate", "Heart rate, latest and 6 h slope", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 8)", "beats/min", notes="Nurse-validated values only"),
    input_row("resp_rate", "Respiratory rate", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 9)", "breaths/min"),
    input_row("temperature", "Temperature, max in 6 h", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 6)", "°C"),
    input_row("systolic_bp", "Systolic blood pressure, min in 6 h", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 5)", "mmHg"),
    input_row("spo2", "Peripheral oxygen saturation", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 10)", "%"),
    input_row("gcs_total", "Glasgow Coma Scale total", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 1570)", "points"),
    input_row("lactate", "Serum lactate, latest verified", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 2524-7)", "mmol/L", notes="Verification time used; pending results excluded"),
    input_row("wbc", "White blood cell count", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 6690-2)", "10^9/L"),
    input_row("creatinine", "Serum creatinine", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 2160-0)", "mg/dL"),
    input_row("platelets", "Platelet count", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 777-3)", "10^9/L"),
    input_row("age_years", "Age at admission", "EHR", "PATIENT", "BIRTH_DATE", "years"),
    input_row("hours_since_admission", "Hours since inpatient admission", "EHR", "PAT_ENC_HSP", "HOSP_ADMSN_TIME", "hours"),
]

# --- 1. sepsis: every gate approved, final launch approval signed -------------------------
SEPSIS = {
    "slug": "sepsis-early-warning",
    "checklist": 1,  # written before checklist v2; kept on v1 as it was
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
        INPUTS: {
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
        COST: {
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
        FALLBACK: {
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
        LOAD: {
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
        REGULATORY: {
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
        PHI: {
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


HF_INPUTS = [
    input_row("ejection_fraction", "Latest LVEF", "EHR", "ECHO_RESULTS", "LVEF_PCT", "%"),
    input_row("bnp", "NT-proBNP at discharge", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 33762-6)", "pg/mL"),
    input_row("sodium", "Serum sodium", "LIS", "LAB_RESULT", "RESULT_VALUE (LOINC 2951-2)", "mmol/L"),
    input_row("prior_admissions_12m", "HF admissions in 12 months", "EHR", "PAT_ENC_HSP", "HOSP_ADMSN_TIME", "count"),
    input_row("length_of_stay", "Length of stay", "EHR", "PAT_ENC_HSP", "HOSP_ADMSN_TIME", "days"),
]

# --- 7. heart-failure readmission: every gate approved, waiting for the signed decision ----
_HF_FP = dict(alerts_per_day=9.0, ppv=0.38, minutes_per_alert=12.0, hourly_rate=61.0)
READMISSION = {
    "slug": "hf-readmission-risk",
    "checklist": 1,  # written before checklist v2; kept on v1 as it was
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
        INPUTS: {
            "evidence": [doc("data-dictionary", "data_dictionary", "hf-readmission-data-dictionary.csv",
                             title="HF readmission data dictionary", days_ago=95, inputs=HF_INPUTS)],
            "data": inventory(HF_INPUTS),
            "flow": [submit(), approve("compliance2", "All inputs timestamped and available on the discharge day.")],
        },
        COST: {
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
        FALLBACK: {
            "evidence": [
                doc("downtime-procedure", "downtime_procedure", "hf-readmission-downtime.pdf", title="Downtime procedure CARD-DT-02",
                    days_ago=110, policy="CARD-DT-02", owner="Manager, Transitional Care", detection=DETECTION,
                    steps=["Call every HF discharge within 48 hours, highest LACE score first.", "Use form HF-3 per call."],
                    recovery="Scores are back-filled; missed patients are called the same day."),
                doc("paper-checklist", "paper_checklist", "hf-readmission-form-HF-3.pdf", title="Downtime form HF-3",
                    days_ago=110, form="HF-3", intro="Use for each heart-failure discharge during downtime.",
                    items=["Weight today vs discharge weight", "Breathlessness worse?", "Taking diuretic as prescribed?",
                           "7-day clinic visit booked", "Red flags → same-day HF clinic"]),
                drill_doc("hf-readmission-drill.pdf", days_ago=64, units="Transitional-care office",
                       scenario="Score unavailable for a full discharge day.",
                       edge_cases=["Weekend discharges queued during an interface outage (outage log 2025-01)"]),
            ],
            "data": fallback(owner="Manager, Transitional Care", notification="EHR downtime banner and integration-engine "
                             "heartbeat page", drill_days_ago=64, replay_ref="Interface outage 2025-01"),
            "flow": [submit(), approve("compliance2", "Drilled two months ago.")],
        },
        LOAD: {
            "evidence": [doc("time-on-task-study", "cognitive_load_study", "hf-readmission-time-on-task.pdf",
                             title="Time on task before and after", days_ago=70, method="Time-motion study",
                             units="Transitional care, 4 weeks each", cases_before=120, cases_after=131,
                             rows=[("Transitional-care RN, per discharge", 18.0, 13.5)],
                             interactions="List is pre-sorted; one click to log the call.", roles="No change of role.")],
            "data": workload(task="Follow-up call after a heart-failure discharge", before=18.0, after=13.5, cases=131,
                             method="time_motion", clicks=1, seconds=2, per_day=6, roles_before=["registered_nurse"]),
            "flow": [submit(), approve("compliance2", "Net time falls.")],
        },
        REGULATORY: {
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
        PHI: {
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
