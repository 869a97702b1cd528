"""The launch journey as its three users live it, in headless Chromium."""

import pytest

from healthpm.gates.models import Gate, GateStatus
from healthpm.initiatives.models import Initiative
from tests.factories import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pm_fills_a_gate_compliance_approves_and_leadership_sees_it(sign_in, live_server, shoot, pm, compliance, leader):
    # The PM registers an initiative.
    page = sign_in(pm)
    assert page.url.endswith("/initiatives/")
    page.click("text=New initiative")
    page.fill("#id_title", "Inpatient fall risk")
    page.select_option("#id_clinical_area", "nursing")
    page.fill("#id_summary", "Ranks inpatients by fall risk each shift from mobility and medication data.")
    page.fill("#id_intended_use", "Prompts the charge nurse to review fall precautions; not a diagnosis.")
    page.fill("#id_intended_users", "Charge nurses on medical-surgical wards")
    page.select_option("#id_care_setting", "inpatient")
    page.click("button:has-text('Create initiative')")
    page.wait_for_selector("text=Next step")
    assert "Fill “Auditable inputs”" in page.content()
    shoot(page, "01-pm-overview")

    # On the false-positive cost gate the blocker appears while typing, before any save.
    page.goto(f"{live_server.url}/initiatives/inpatient-fall-risk/gates/false-positive-cost/")
    page.check("#id_gate-mode_1")
    for field, value in {"evaluated_per_day": "300", "sensitivity": "0.8", "specificity": "0.9",
                         "prevalence": "0.02", "volume_source": "90-day silent run", "minutes_per_false_alert": "10",
                         "responder_role": "Charge RN", "hourly_rate": "50"}.items():
        page.fill(f"#id_gate-{field}", value)
    page.wait_for_selector("#evaluation >> text=$2,350.00 over the $5,000.00 threshold")
    assert Gate.objects.get(initiative__slug="inpatient-fall-risk", key="false-positive-cost").data == {}
    shoot(page, "02-pm-live-blocker")

    # At 0.5 minutes per false alert the cost passes; save it, attach evidence and submit.
    page.fill("#id_gate-minutes_per_false_alert", "0.5")
    page.wait_for_selector("#evaluation >> text=No blocking rule fails")
    page.click("button:has-text('Save facts')")
    page.wait_for_selector("text=saved")
    page.select_option("#id_item", "alert-volume-source")
    page.set_input_files("#id_file", files=[{"name": "silent-run.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}])
    page.click("button:has-text('Add evidence')")
    page.wait_for_selector("text=added")
    page.select_option("#id_item", "time-motion-study")
    page.fill("#id_url", "https://quality.hospital.example/time-motion/falls-2026")
    page.click("button:has-text('Add evidence')")
    page.wait_for_selector("text=ready to submit")
    page.click("button:has-text('Submit to compliance')")
    page.wait_for_selector("text=submitted")
    shoot(page, "03-pm-submitted")
    assert Gate.objects.get(initiative__slug="inpatient-fall-risk", key="false-positive-cost").status == GateStatus.SUBMITTED

    # The compliance officer sees the same working and approves.
    review = sign_in(compliance)
    review.goto(f"{live_server.url}/initiatives/inpatient-fall-risk/gates/false-positive-cost/")
    assert "within the threshold" in review.content()
    review.check("#id_decision_0")
    review.click("button:has-text('Record decision')")
    review.wait_for_selector("text=Approved by")
    shoot(review, "04-compliance-approved")
    assert Gate.objects.get(initiative__slug="inpatient-fall-risk", key="false-positive-cost").status == GateStatus.APPROVED

    # Leadership lands on the portfolio and sees the initiative in review.
    board = sign_in(leader)
    assert board.url.endswith("/dashboard/")
    assert "Inpatient fall risk" in board.content()
    shoot(board, "05-leader-dashboard")
    assert Initiative.objects.get(slug="inpatient-fall-risk").status == "in_review"


def test_pm_is_refused_the_portfolio_dashboard(sign_in, live_server, pm):
    page = sign_in(pm)
    page.goto(f"{live_server.url}/dashboard/")
    assert "not allowed" in page.content()
