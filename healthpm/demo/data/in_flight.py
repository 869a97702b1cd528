"""Demo initiatives in review, rejected, part-filled or draft."""

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
    assign,
    baa_doc,
    burden,
    cds,
    comment,
    doc,
    drill_doc,
    fallback,
    input_row,
    inventory,
    link,
    phi,
    reject,
    replace,
    save,
    submit,
    workload,
)


PRIOR_AUTH_INPUTS = [
    input_row("payer_id", "Payer and plan", "Claims", "PA_REQUEST", "PAYER_PLAN_ID", "code", phi="no",
         justification="Prior-auth rules differ by payer; used only to match the payer's policy, never to rank patients across payers."),
    input_row("cpt_hcpcs", "Requested procedure codes", "EHR", "ORDER_PROC", "PROC_CODE", "CPT/HCPCS", phi="no"),
    input_row("icd10_codes", "Diagnosis codes on the order", "EHR", "ORDER_DX", "DX_CODE", "ICD-10-CM"),
    input_row("attached_documents", "Number and type of attached clinical documents", "EHR", "PA_ATTACHMENT", "DOC_TYPE", "count"),
    input_row("medical_policy_rule", "Matching payer medical policy", "Approved external feed", "PAYER_POLICY_LIBRARY", "POLICY_ID", "code", phi="no", notes="Weekly licensed feed, version-stamped"),
    input_row("days_to_service", "Days from request to scheduled service", "EHR", "ORDER_PROC", "SCHED_DATE", "days"),
]

# --- 2. prior authorisation: some gates approved by compliance2, others waiting ------------
PRIOR_AUTH = {
    "slug": "prior-auth-triage",
    "checklist": 1,  # written before checklist v2; kept on v1 as it was
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
        INPUTS: {
            "evidence": [doc("data-dictionary", "data_dictionary", "prior-auth-data-dictionary.csv",
                             title="Prior-auth triage data dictionary", days_ago=64, inputs=PRIOR_AUTH_INPUTS)],
            "data": inventory(PRIOR_AUTH_INPUTS),
            "flow": [submit(), approve("compliance2", "Inputs traced to EHR, claims and the licensed payer-policy feed.")],
        },
        COST: {
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
        FALLBACK: {
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
                drill_doc("prior-auth-drill-report.pdf", days_ago=150, units="Central UM office",
                       scenario="Triage service down for a full morning.",
                       edge_cases=["Payer portal outage at the same time (outage log 2025-06)"]),
            ],
            "data": fallback(owner="Director of Utilisation Management", notification="Integration-engine heartbeat page "
                             "and a Teams message to the UM lead", drill_days_ago=150, replay_ref="Payer portal outage 2025-06"),
            "flow": [assign(to="pm2", reviewer="compliance2"),
                     submit("Drill passed five months ago; waiting for compliance.", days_ago=12),
                     comment("compliance2", "@pm2 The drill report lists the payer-portal outage as a replayed edge "
                                            "case. Was the paper checklist actually used to prepare requests that "
                                            "morning, or only read through? I need to know before I decide."),
                     comment("pm2", "@compliance2 It was used: the UM office prepared 37 requests from the paper "
                                    "checklist that morning and escalated two under the 72-hour rule. The tally sheet "
                                    "is on page 2 of the drill report.")],
        },
        LOAD: {
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
                                 title="Time on task, EHR audit-log study", days_ago=12, method="EHR audit log",
                                 units="UM office, 4 weeks each period", cases_before=2210, cases_after=2348,
                                 rows=[("UM RN, per request", 8.4, 7.1), ("PA coordinator, per request", 3.2, 3.3)],
                                 interactions="Two clicks (about 3 s) to open the triage panel.",
                                 roles="Work stays with UM nurses; coordinators' time is unchanged.")),
                     save(workload(task="Preparing one prior-auth request for submission", before=8.4, after=7.1,
                                   cases=2348, method="ehr_audit_log", clicks=2, seconds=1.5, per_day=180,
                                   roles_before=["registered_nurse"])),
                     submit(response="Replaced the survey with an EHR audit-log study: 2,210 requests before and "
                                     "2,348 after, 4 weeks each, and resaved the times from it (8.4 → 7.1 min).")],
        },
        REGULATORY: {
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
        PHI: {
            "evidence": [
                doc("phi-data-flow", "phi_data_flow", "prior-auth-phi-data-flow.pdf", title="PHI data flow", days_ago=44,
                    privacy_officer="J. Whitaker", deid="None (payment operations)", retention="10 years with the payer file",
                    flows=[("EHR", "Clearwell Document AI", "Name, MRN, DOB, notes", "SFTP over TLS", "Extract documentation")],
                    minimum_necessary="Only the order and the notes attached to it are sent.",
                    secondary_use="Clearwell may not train on hospital documents (BAA §5)."),
                baa_doc("baa-clearwell-document-ai.pdf", "Clearwell Document AI, Inc.", "Document extraction for prior-auth requests",
                     days_ago=300, expires_in=430),
            ],
            "data": phi(identifiers=["names", "dates", "mrn", "health_plan"], deid="none",
                        minimum_necessary="The payer requires name, date of birth, member number and the supporting "
                                          "notes; nothing else is sent.",
                        retention="10 years with the payer file",
                        vendors=[("Clearwell Document AI, Inc.", "other", True, BaaOf("baa-clearwell-document-ai.pdf"))]),
            "flow": [submit(days_ago=4)],
        },
    },
}


NO_SHOW_INPUTS = [
    input_row("prior_no_shows_24m", "No-shows in the last 24 months", "EHR", "PAT_ENC", "APPT_STATUS_C", "count"),
    input_row("lead_time_days", "Days between booking and appointment", "EHR", "PAT_ENC", "APPT_MADE_DATE", "days"),
    input_row("appointment_type", "Visit type and department", "EHR", "PAT_ENC", "ENC_TYPE_C", "code", phi="no"),
    input_row("portal_active", "Patient portal activated", "EHR", "PATIENT_MYC", "STATUS_C", "yes/no"),
    input_row("zip_code", "Home ZIP code (5 digits)", "EHR", "PATIENT", "ZIP", "code", justification="Used only to offer free transport to patients who live more than 20 miles away; outreach rates audited quarterly by ZIP."),
    input_row("insurance_type", "Payer class", "Claims", "COVERAGE", "FIN_CLASS_C", "code", justification="Used only to add a Medicaid ride benefit reminder; outreach rates audited quarterly by payer class."),
]

# --- 3. no-show prediction: paper fallback rejected -> changes requested; FP cost blocks -------------
_NO_SHOW_FP = dict(alerts_per_day=220.0, ppv=0.28, minutes_per_alert=4.5, hourly_rate=32.0)
NO_SHOW = {
    "slug": "no-show-prediction",
    "checklist": 1,  # written before checklist v2; kept on v1 as it was
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
        INPUTS: {
            "evidence": [doc("data-dictionary", "data_dictionary", "no-show-data-dictionary.csv",
                             title="No-show model data dictionary", days_ago=80, inputs=NO_SHOW_INPUTS)],
            "data": inventory(NO_SHOW_INPUTS),
            "flow": [submit("ZIP code and payer class are used only to offer transport; see justification."),
                     approve("compliance", "Proxies justified: used only to route free transport offers, with a quarterly "
                                           "disparity audit of outreach rates by ZIP and payer class.")],
        },
        COST: {
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
        FALLBACK: {
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
                drill_doc("no-show-tabletop-drill.pdf", days_ago=18, units="Central scheduling (tabletop only)",
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
                                          "to PA-7 and run a live drill on one clinic day."),
                     comment("pm", "@compliance For the live drill: is one clinic day at Eastside enough, or do you "
                                   "need one per site?"),
                     comment("compliance", "@pm One clinic day is enough if it is a Monday session (the heaviest "
                                           "rebooking load) and the transport offer is worked live from the paper "
                                           "list. Attach the call tally with the drill record.")],
        },
        LOAD: {
            "evidence": [doc("time-on-task-study", "cognitive_load_study", "no-show-time-on-task.pdf",
                             title="Scheduler time on task", days_ago=28, method="Time-motion study", units="Central scheduling",
                             cases_before=300, cases_after=410,
                             rows=[("Scheduler, per rebooked no-show", 11.0, 6.5)],
                             interactions="Call list opens from the work queue; one click to log the outcome.",
                             roles="Work stays with schedulers.")],
            "data": workload(task="Working one no-show risk call", before=11.0, after=6.5, cases=410, method="time_motion",
                             clicks=1, seconds=3, per_day=60, roles_before=["scheduler"]),
            "flow": [submit(days_ago=3)],
        },
        REGULATORY: {
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


# The ranking model's features per advisory family, from its data dictionary: what the unit did
# with each kind of alert recently, and (still in the draft) the same history from the retired
# legacy alert archive, which is not an approved source: the gate lists them as one blocker.
ALERT_FAMILIES = ("sepsis_screen", "fall_risk", "pressure_injury", "vte_prophylaxis", "restraint_renewal",
                  "foley_removal", "glucose_recheck", "pain_reassessment", "early_mobility", "delirium_screen",
                  "med_reconciliation", "isolation_precautions")
ALERT_FEATURES = (
    ("fired_24h", "Times this advisory fired for the patient, last 24 h", "ALT_HISTORY", "ALT_ID (count)", "count"),
    ("acted_rate_90d", "Unit's acted-on rate for this advisory, 90 days", "ALT_HISTORY", "ACTION_TAKEN_C", "%"),
    ("dismissed_rate_90d", "Unit's dismissed rate for this advisory, 90 days", "ALT_HISTORY", "ACTION_TAKEN_C", "%"),
    ("snoozed_7d", "Times snoozed for the patient, 7 days", "ALT_HISTORY", "SNOOZE_INSTANT_DTTM (count)", "count"),
    ("time_to_action_median", "Median minutes from firing to action, unit, 90 days", "ALT_HISTORY",
     "ACTION_INSTANT_DTTM", "minutes"),
    ("override_reason_top", "Most frequent override reason, unit, 90 days", "ALT_HISTORY", "OVERRIDE_RSN_C", "code"),
)
LEGACY_FAMILIES = ALERT_FAMILIES[:8]

ALERT_RANKING_INPUTS = [
    input_row("bpa_id", "Advisory that fired", "EHR", "ALT_HISTORY", "BPA_LOCATOR_ID", "code", phi="no"),
    input_row("prior_action_rate", "Unit's action rate on this BPA, 90 days", "EHR", "ALT_HISTORY", "ACTION_TAKEN_C", "%", phi="no"),
    input_row("nurse_workload", "Patients assigned to the nurse", "EHR", "CL_ASSIGN", "PAT_COUNT", "count", phi="no"),
    input_row("patient_acuity", "Acuity score at firing time", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE (FLO_MEAS_ID 3040)", "points"),
    *(input_row(f"{family}_{feature}", f"{text} ({family.replace('_', ' ')})", "EHR", table, field, unit,
                phi="yes" if feature in ("fired_24h", "snoozed_7d") else "no")
      for family in ALERT_FAMILIES for feature, text, table, field, unit in ALERT_FEATURES),
    *(input_row(f"{family}_acted_rate_2019_2023", f"Acted-on rate 2019–2023 ({family.replace('_', ' ')})",
                "Legacy alert archive", "ALERT_LOG_EXPORT", "ACTED_FLAG", "%", ts="no", phi="no",
                notes="From the retired archive; to be replaced by the EHR's 90-day rate")
      for family in LEGACY_FAMILIES),
]

# --- 4. alert ranking: draft, partly evidenced, nothing submitted --------------------------
ALERT_RANKING = {
    "slug": "alert-ranking",
    "checklist": 1,  # written before checklist v2; kept on v1 as it was
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
        INPUTS: {
            "evidence": [doc("data-dictionary", "data_dictionary", "alert-ranking-data-dictionary.csv",
                             title="Alert ranking data dictionary (draft)", days_ago=9, inputs=ALERT_RANKING_INPUTS)],
            "data": inventory(ALERT_RANKING_INPUTS),
        },
        COST: {
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
    input_row("visit_audio", "Consented visit audio (deleted after 30 days)", "Approved external feed", "Scribewell capture app", "audio stream", "audio", notes="Consent recorded in the EHR first"),
    input_row("problem_list", "Active problem list", "EHR", "PROBLEM_LIST", "DX_ID", "ICD-10-CM"),
    input_row("medications", "Active medications", "EHR", "ORDER_MED", "MEDICATION_ID", "RxNorm"),
    input_row("vitals", "Vital signs of the visit", "EHR", "IP_FLWSHT_MEAS", "MEAS_VALUE", "various"),
    input_row("visit_reason", "Chief complaint", "EHR", "PAT_ENC_RSN_VISIT", "ENC_REASON_ID", "text"),
]

# --- 5. visit-note summarization: two gates waiting for compliance, two in progress --------
VISIT_NOTE = {
    "slug": "visit-note-summarization",
    "checklist": 1,  # written before checklist v2; kept on v1 as it was
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
        INPUTS: {
            "evidence": [doc("data-dictionary", "data_dictionary", "visit-note-data-dictionary.csv",
                             title="Ambient note data dictionary", days_ago=21, inputs=VISIT_NOTE_INPUTS)],
            "data": inventory(VISIT_NOTE_INPUTS),
            "flow": [submit("Audio is the only non-EHR input; consent is checked before capture.", days_ago=8)],
        },
        LOAD: {
            "evidence": [doc("time-on-task-study", "cognitive_load_study", "visit-note-pilot-time-on-task.pdf",
                             title="Pilot: documentation time", days_ago=18, method="EHR audit log",
                             units="2 clinics, 14 clinicians, 6 weeks", cases_before=1480, cases_after=1512,
                             rows=[("Clinician, documentation per visit", 16.4, 9.8), ("Clinician, after-hours notes per day", 52.0, 31.0)],
                             interactions="Review and edit of the draft: median 2.1 minutes.",
                             roles="No work moves to medical assistants.")],
            "data": workload(task="Documenting one primary-care visit", before=16.4, after=9.8, cases=1512,
                             method="ehr_audit_log", clicks=3, seconds=5, per_day=20, roles_before=["physician"]),
        },
        REGULATORY: {
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
        PHI: {
            "evidence": [
                doc("phi-data-flow", "phi_data_flow", "visit-note-phi-data-flow.pdf", title="PHI data flow", days_ago=20,
                    privacy_officer="J. Whitaker", deid="None (treatment); audio deleted after 30 days",
                    retention="Audio 30 days; transcript 1 year; signed note with the medical record",
                    flows=[("Capture app", "Scribewell AI", "Audio, name, DOB", "TLS 1.3", "Transcription and drafting"),
                           ("Scribewell AI", "Cirrus Cloud LLM endpoint", "Transcript", "Private link", "Summarisation")],
                    minimum_necessary="Only the consented visit audio and the problem and medication lists are shared.",
                    secondary_use="Neither vendor may train models on the audio or transcripts."),
                baa_doc("baa-scribewell-ai.pdf", "Scribewell AI, Inc.", "Ambient capture and note drafting", days_ago=320, expires_in=45),
                baa_doc("baa-cirrus-cloud.pdf", "Cirrus Cloud Services LLC", "Hosted large-language-model endpoint (subprocessor)",
                     days_ago=400, expires_in=695),
            ],
            "data": phi(identifiers=["names", "dates", "mrn", "biometric"], deid="none",
                        minimum_necessary="Voice is needed to transcribe the visit; name, date of birth and MRN file the "
                                          "draft to the right chart. Audio is deleted after 30 days.",
                        retention="Audio 30 days; transcript 1 year; signed note with the medical record",
                        vendors=[("Scribewell AI, Inc.", "model_api", True, BaaOf("baa-scribewell-ai.pdf")),
                                 ("Cirrus Cloud Services LLC", "hosting", True, BaaOf("baa-cirrus-cloud.pdf"))]),
            "flow": [submit("Scribewell BAA renewal is in legal review; it expires in 45 days.", days_ago=2)],
        },
    },
}


DERM_INPUTS = [
    input_row("dermoscopic_image", "Dermoscopic photo of the lesion", "PACS", "Dermatology VNA", "DICOM object", "image"),
    input_row("body_site", "Anatomic site", "EHR", "REFERRAL", "BODY_SITE_C", "code"),
    input_row("lesion_duration", "Reported duration and change", "EHR", "REFERRAL", "QUESTION_ANSWERS", "text"),
    input_row("age_years", "Age at referral", "EHR", "PATIENT", "BIRTH_DATE", "years"),
]

# --- 6. derm referral triage: device, submitted for review; vendor BAA expired --------------
DERM = {
    "slug": "derm-referral-triage",
    "checklist": 1,  # written before checklist v2; kept on v1 as it was
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
        INPUTS: {
            "evidence": [doc("data-dictionary", "data_dictionary", "derm-triage-data-dictionary.csv",
                             title="Derm triage data dictionary", days_ago=26, inputs=DERM_INPUTS)],
            "data": inventory(DERM_INPUTS),
        },
        REGULATORY: {
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
            "flow": [submit("Device; launch waits for the vendor's 510(k).", days_ago=6)],
        },
        PHI: {
            "evidence": [
                doc("phi-data-flow", "phi_data_flow", "derm-phi-data-flow.pdf", title="PHI data flow", days_ago=26,
                    privacy_officer="J. Whitaker", deid="None; full-face photos excluded",
                    retention="Images kept with the medical record",
                    flows=[("PACS", "Lumen Derm", "Image, MRN, age", "DICOMweb over TLS", "Triage score")],
                    minimum_necessary="Only the lesion image and age leave the hospital.",
                    secondary_use="Lumen Derm may not train on hospital images."),
                baa_doc("baa-lumen-derm.pdf", "Lumen Derm Ltd.", "Image analysis for referral triage",
                     days_ago=1115, expires_in=-20, title="BAA — Lumen Derm (expired)"),
            ],
            "data": phi(identifiers=["mrn", "dates"], deid="none",
                        minimum_necessary="Only the lesion image, MRN and age leave the hospital; full-face photos are excluded.",
                        retention="Images kept with the medical record",
                        vendors=[("Lumen Derm Ltd.", "model_api", True, BaaOf("baa-lumen-derm.pdf"))]),
        },
    },
}
