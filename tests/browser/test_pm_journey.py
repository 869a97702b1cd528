"""Journey 1: a product manager registers an initiative and takes all six gates to compliance by hand.

Everything goes through the pages a PM uses: the login form, the initiative form, each gate's
structured form (formset rows added with the "+ Add" button), the live htmx check while typing,
and real file uploads for every required item.
"""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from healthpm.gates.models import Evidence, Gate, GateStatus
from healthpm.initiatives.models import Initiative

from .helpers import add_evidence, csv_file, expect, fill, flash, pdf_file, save_facts, submit_gate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _checklist_v1(settings):
    """This journey walks checklist v1's six gates (initiatives created before v2 keep them);
    test_clinical_validation_journey and test_accessibility walk v2's."""
    settings.HEALTHPM_CHECKLIST_VERSION = 1

SLUG = "inpatient-fall-risk"


def gate_url(browse, key: str) -> str:
    return browse.url(f"/initiatives/{SLUG}/gates/{key}/")


def gate(key: str) -> Gate:
    return Gate.objects.get(initiative__slug=SLUG, key=key)


def next_gate(page, title: str) -> None:
    page.click(f"a:has-text('Next gate: ')")
    expect(page.locator("h1")).to_contain_text(title)


def test_pm_fills_and_submits_all_six_gates(browse, shoot, pm, compliance):
    today = timezone.localdate()
    drill_day = today - timedelta(days=30)
    uploads: dict[str, dict] = {}

    # --- signs in through the login form -------------------------------------------------
    page = browse.new_page()
    page.goto(browse.url("/"))
    expect(page).to_have_url(browse.url("/accounts/login/?next=/"))
    expect(page.locator("h1")).to_have_text("Sign in to healthpm")
    shoot(page, "pm-01-login")
    page.fill("#id_username", pm.username)
    page.fill("#id_password", browse.password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(browse.url("/initiatives/"))
    expect(page.locator("nav")).to_contain_text("Priya Patel")
    expect(page.locator("main")).to_contain_text("No initiatives here yet.")
    shoot(page, "pm-02-empty-list")

    # --- registers the initiative -----------------------------------------------------------
    page.click("text=New initiative")
    expect(page.locator("h1")).to_have_text("Register an AI initiative")
    fill(page, {
        "#id_title": "Inpatient fall risk",
        "#id_clinical_area": "nursing",
        "#id_summary": "Ranks inpatients by fall risk each shift from mobility and medication data.",
        "#id_intended_use": "Prompts the charge nurse to review fall precautions; not a diagnosis.",
        "#id_intended_users": "Charge nurses on medical-surgical wards",
        "#id_care_setting": "inpatient",
    })
    shoot(page, "pm-03-new-initiative")
    page.click("button:has-text('Create initiative')")
    expect(flash(page)).to_contain_text("“Inpatient fall risk” created. Start with the first gate.")
    expect(page.locator("h1 .status-badge")).to_have_text("Draft")
    expect(page.locator(".next-step")).to_contain_text("Start with “Auditable inputs”")
    expect(page.locator("table").first.locator(".status-badge")).to_have_text(["Not started"] * 6)
    shoot(page, "pm-04-overview-new")

    # --- gate 1: auditable inputs, two rows of the input inventory --------------------------
    page.click(".next-step a")
    expect(page.locator("h1")).to_contain_text("1. Auditable inputs")
    page.click("details.add-row summary")
    fill(page, {
        "#id_add-inputs-name": "mobility_score", "#id_add-inputs-source_system": "EHR",
        "#id_add-inputs-source_field": "FLOWSHEET.MOBILITY_SCORE", "#id_add-inputs-timestamped": "True",
        "#id_add-inputs-available_at_prediction": "True", "#id_add-inputs-contains_phi": "True",
    })
    expect(page.locator("#check-add-inputs")).to_contain_text("No rule blocks this model input.")
    page.click("details.add-row button:has-text('Add model input')")
    expect(page.locator("#rows-inputs .row-note")).to_have_text("Model input “mobility_score” added.")
    page.click("details.add-row summary")
    fill(page, {
        "#id_add-inputs-name": "sedative_doses_24h", "#id_add-inputs-source_system": "EHR",
        "#id_add-inputs-source_field": "MAR.ADMINISTRATIONS", "#id_add-inputs-timestamped": "True",
        "#id_add-inputs-available_at_prediction": "True", "#id_add-inputs-contains_phi": "True",
        "#id_add-inputs-notes": "Benzodiazepines and opioids given in the last 24 hours.",
    })
    page.click("details.add-row button:has-text('Add model input')")
    expect(page.locator("#rows-inputs .row-note")).to_have_text("Model input “sedative_doses_24h” added.")
    expect(page.locator("#evaluation")).to_contain_text("With an approved, timestamped source2 of 2 (100%)")
    page.reload()
    expect(page.locator(".list-group-item", has_text="Input inventory")).to_contain_text("evidenced")
    expect(page.locator(".blocker")).to_contain_text("Data dictionary or lineage document")
    uploads["data-dictionary"] = pdf_file("fall-risk-data-dictionary.pdf")
    add_evidence(page, "data-dictionary", uploads["data-dictionary"])
    shoot(page, "pm-05-gate1-ready")
    submit_gate(page, "Auditable inputs")
    shoot(page, "pm-06-gate1-submitted")

    # --- gate 2: false-positive cost; the live check explains the blocker with its numbers ---
    next_gate(page, "2. False-positive cost")
    page.check("#id_gate-mode_1")  # derive from volume, sensitivity, specificity and prevalence
    fill(page, {
        "#id_gate-evaluated_per_day": "300", "#id_gate-population_unit": "patient-days",  # never preselected
        "#id_gate-sensitivity": "0.8", "#id_gate-specificity": "0.9",
        "#id_gate-prevalence": "0.02", "#id_gate-volume_source": "90-day silent-mode run on 4 medical wards",
        "#id_gate-minutes_per_false_alert": "10", "#id_gate-responder_role": "Charge RN",
        "#id_gate-hourly_rate": "50",
    })
    # 300 × (0.8·0.02 + 0.1·0.98) = 34.2 alerts, PPV 14.0%, 29.4 false × 10 min × 30 days = 147 h × $50.
    evaluation = page.locator("#evaluation")
    expect(evaluation).to_contain_text("Live check of what you typed (not saved yet).")
    expect(evaluation.locator(".alert-danger")).to_contain_text(
        "False alerts cost $7,350.00 a month, $2,350.00 over the $5,000.00 threshold. To pass, keep alerts at or "
        "below")
    expect(evaluation).to_contain_text("$7,350.00 a month against a threshold of $5,000.00: over — blocks.")
    assert gate("false-positive-cost").data == {}, "the live check must not save anything"
    shoot(page, "pm-07-gate2-live-blocker")

    # Saved as it stands, the blocker is what stops submission, in the same words.
    save_facts(page, "False-positive cost")
    expect(page.locator(".card").first.locator(".blocker")).to_contain_text("$2,350.00 over the $5,000.00 threshold")
    page.click("button:has-text('Submit to compliance')")
    expect(page.locator("main .alert-danger").first).to_be_visible()
    assert gate("false-positive-cost").status == GateStatus.IN_PROGRESS
    shoot(page, "pm-08-gate2-submit-refused")

    # The time-motion study says half a minute per false alert: 29.4 × 0.5 × 30 = 441 min = $367.50.
    page.fill("#id_gate-minutes_per_false_alert", "0.5")
    expect(evaluation).to_contain_text("No blocking rule fails on these facts.")
    expect(evaluation).to_contain_text("$367.50 a month against a threshold of $5,000.00: within the threshold.")
    save_facts(page, "False-positive cost")
    uploads["alert-volume-source"] = pdf_file("silent-run-report.pdf")
    add_evidence(page, "alert-volume-source", uploads["alert-volume-source"])
    uploads["time-motion-study"] = csv_file("time-motion.csv", [
        ("alert_id", "responder", "minutes"), (1, "charge_rn", 0.4), (2, "charge_rn", 0.6), (3, "charge_rn", 0.5)])
    add_evidence(page, "time-motion-study", uploads["time-motion-study"])
    submit_gate(page, "False-positive cost")
    shoot(page, "pm-09-gate2-submitted")

    # --- gate 3: paper fallback, three documents with the drill record dated on drill day -----
    next_gate(page, "3. Paper fallback")
    fill(page, {
        "#id_gate-procedure_owner": "Nurse manager, 5 West",
        "#id_gate-notification_path": "Overhead page, EHR downtime banner and secure chat to charge nurses.",
        "#id_gate-checklist_covers_all_decisions": "True", "#id_gate-last_drill_date": drill_day.isoformat(),
        "#id_gate-drill_outcome": "passed", "#id_gate-outage_replay": "True",
        "#id_gate-outage_replay_reference": "INC-2025-0412, 6-hour EHR outage",
    })
    expect(evaluation).to_contain_text(f"= 30 days (limit 365)")
    save_facts(page, "Paper fallback")
    uploads["downtime-procedure"] = pdf_file("downtime-procedure.pdf")
    add_evidence(page, "downtime-procedure", uploads["downtime-procedure"])
    uploads["paper-checklist"] = pdf_file("paper-fall-checklist.pdf")
    add_evidence(page, "paper-checklist", uploads["paper-checklist"])
    uploads["drill-record"] = pdf_file("drill-minutes.pdf")
    add_evidence(page, "drill-record", uploads["drill-record"], effective=drill_day)
    submit_gate(page, "Paper fallback")
    shoot(page, "pm-10-gate3-submitted")

    # --- gate 4: cognitive load, measured saving per case --------------------------------
    next_gate(page, "4. Cognitive load")
    fill(page, {
        "#id_gate-task": "Reviewing fall precautions at the start of a shift",
        "#id_gate-before_minutes": "6", "#id_gate-after_minutes": "5", "#id_gate-cases_measured": "40",
        "#id_gate-method": "time_motion", "#id_gate-added_interactions": "2",
        "#id_gate-seconds_per_interaction": "3", "#id_gate-cases_per_day": "20",
    })
    page.check("input[name='gate-roles_before'][value='registered_nurse']")
    page.check("input[name='gate-roles_after'][value='registered_nurse']")
    # (5 − 6) + 2 × 3 s ÷ 60 = −0.90 min a case, × 20 cases = −18 min a day.
    expect(evaluation).to_contain_text("Net −0.90 min per case, −18 min a day: saves or keeps time per case.")
    save_facts(page, "Cognitive load")
    uploads["time-on-task-study"] = csv_file("time-on-task.csv", [
        ("case", "before_min", "after_min", "clicks"), (1, 6.2, 5.1, 2), (2, 5.8, 4.9, 2)])
    add_evidence(page, "time-on-task-study", uploads["time-on-task-study"])
    submit_gate(page, "Cognitive load")
    shoot(page, "pm-11-gate4-submitted")

    # --- gate 5: regulatory classification, all four CDS criteria met -----------------------
    next_gate(page, "5. Regulatory classification")
    for key in ("no_image_or_signal", "medical_information", "supports_hcp", "independent_review"):
        fill(page, {f"#id_gate-{key}": "True", f"#id_gate-{key}_rationale": "Per regulatory counsel's memo of March."})
    page.select_option("#id_gate-guidance_edition", "2026-01")
    expect(evaluation).to_contain_text("Non-device clinical decision support")
    save_facts(page, "Regulatory classification")
    uploads["counsel-memo"] = pdf_file("counsel-memo.pdf")
    add_evidence(page, "counsel-memo", uploads["counsel-memo"])
    submit_gate(page, "Regulatory classification")
    shoot(page, "pm-12-gate5-submitted")

    # --- gate 6: BAA and PHI; a hosting vendor touches PHI and needs its BAA picked --------------
    next_gate(page, "6. BAA and PHI")
    uploads["phi-data-flow"] = pdf_file("phi-data-flow.pdf")
    add_evidence(page, "phi-data-flow", uploads["phi-data-flow"])
    uploads["baa-agreements"] = pdf_file("acme-cloud-baa.pdf")
    add_evidence(page, "baa-agreements", uploads["baa-agreements"], effective=today - timedelta(days=90),
                 expiry=today + timedelta(days=640))
    page.check("input[name='gate-identifiers'][value='names']")
    page.check("input[name='gate-identifiers'][value='dates']")
    fill(page, {
        "#id_gate-deidentification": "none",
        "#id_gate-minimum_necessary": "Names and admission dates let the charge nurse match the ranking to the bed board.",
        "#id_gate-retention": "Inference inputs kept 30 days, then purged",
        "#id_gate-vendor_may_train": "False",
        "#id_vendors-0-name": "Acme Cloud", "#id_vendors-0-service": "hosting", "#id_vendors-0-touches_phi": "True",
    })
    expect(evaluation.locator(".alert-danger")).to_contain_text(
        "Acme Cloud touches PHI but has no BAA on file: upload the signed agreement and select it for this vendor.")
    shoot(page, "pm-13-gate6-live-blocker")
    page.select_option("#id_vendors-0-baa_evidence", label="acme-cloud-baa.pdf (v1)")
    fill(page, {"#id_vendors-0-baa_effective": (today - timedelta(days=90)).isoformat(),
                "#id_vendors-0-baa_expiry": (today + timedelta(days=640)).isoformat()})
    expect(evaluation).to_contain_text("No blocking rule fails on these facts.")
    save_facts(page, "BAA and PHI")
    expect(page.locator(".list-group-item", has_text="Business associate agreements")).to_contain_text("evidenced")
    submit_gate(page, "BAA and PHI")
    shoot(page, "pm-14-gate6-submitted")

    # --- the overview: everything waits for compliance -------------------------------------
    page.click("a:has-text('Final decision →')")
    expect(page.locator("main")).to_contain_text("The final decision is not available yet:")
    expect(page.get_by_role("button", name="Sign", exact=True)).to_have_count(0)
    page.click(".breadcrumb a:has-text('Inpatient fall risk')")
    expect(page.locator("h1 .status-badge")).to_have_text("In review")
    expect(page.locator(".next-step")).to_contain_text("Waiting for compliance to review “Auditable inputs”, "
                                                        "“False-positive cost”, “Paper fallback”")
    expect(page.locator("table").first.locator(".status-badge")).to_have_text(["Submitted for review"] * 6)
    shoot(page, "pm-15-overview-all-submitted")
    browse.assert_clean()

    # What the pages said is what the database holds: every gate submitted by the PM, every file
    # stored with the SHA-256 of exactly the bytes that were uploaded.
    initiative = Initiative.objects.get(slug=SLUG)
    assert initiative.status == "in_review" and initiative.owner == pm
    gates = Gate.objects.filter(initiative=initiative)
    assert {(g.key, g.status, g.submitted_by_id) for g in gates} == {
        (key, GateStatus.SUBMITTED, pm.pk) for key in (
            "auditable-inputs", "false-positive-cost", "paper-fallback", "cognitive-load",
            "regulatory-classification", "baa-phi")}
    stored = {e.item_key: e for e in Evidence.objects.filter(gate__initiative=initiative)}
    assert set(stored) == set(uploads)
    for item, file in uploads.items():
        evidence = stored[item]
        assert (evidence.original_name, evidence.sha256, evidence.author) == (
            file["name"], hashlib.sha256(file["buffer"]).hexdigest(), pm)
    assert stored["drill-record"].effective_date == drill_day
    assert gate("false-positive-cost").data["minutes_per_false_alert"] == 0.5
    baa = gate("baa-phi").data["vendors"][0]
    assert (baa["name"], baa["baa_evidence"]) == ("Acme Cloud", str(stored["baa-agreements"].pk))
    assert [row["name"] for row in gate("auditable-inputs").data["inputs"]] == ["mobility_score", "sedative_doses_24h"]
