"""Journey 2: a compliance officer rejects a gate, the PM answers it, the officer approves every gate,
signs the launch, and the signed dossier downloaded from the page passes poppler's pdfsig.

The PM's six submitted gates are built by factories (journey 1 fills gates by hand); the
reject → fix → resubmit loop, every decision, the signature and the dossier go through the browser,
with the officer and the PM in two separate browser contexts.
"""

import subprocess

import pytest

from healthpm.approvals.models import Signature
from healthpm.dossier.models import Dossier
from healthpm.gates.models import Evidence, Gate, GateDecision, GateStatus
from tests.factories import InitiativeFactory, submitted_gate

from .helpers import add_evidence, decide, expect, flash, pdf_file, submit_gate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _checklist_v1(settings):
    """This journey walks checklist v1's six gates (initiatives created before v2 keep them);
    test_clinical_validation_journey and test_accessibility walk v2's."""
    settings.HEALTHPM_CHECKLIST_VERSION = 1

KEYS = ["auditable-inputs", "false-positive-cost", "paper-fallback", "cognitive-load", "regulatory-classification",
        "baa-phi"]
REASON = "The silent-mode run covered one ward only: attach the run on all four medical wards."


def test_officer_rejects_pm_resubmits_officer_approves_signs_and_the_dossier_verifies(
        browse, shoot, tmp_path, pm, compliance, signing_cert):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    for key in KEYS:
        submitted_gate(initiative, pm, key)
    overview = f"/initiatives/{initiative.slug}/"

    def gate_page(key: str) -> str:
        return browse.url(f"/initiatives/{initiative.slug}/gates/{key}/")

    # --- the officer finds the initiative waiting for compliance -----------------------------
    officer = browse.sign_in(compliance)
    expect(officer).to_have_url(browse.url("/initiatives/"))
    officer.click("a:has-text('Sepsis early warning')")
    expect(officer.locator(".next-step")).to_contain_text("for compliance")
    expect(officer.locator(".next-step")).to_contain_text("Waiting for compliance to review “Auditable inputs”")
    shoot(officer, "co-01-overview-in-review")

    # --- rejects the false-positive cost gate; a rejection without a reason is refused --------
    officer.goto(gate_page("false-positive-cost"))
    expect(officer.locator("h2:has-text('Decide')")).to_be_visible()
    expect(officer.locator("#evaluation")).to_contain_text("$750.00 a month against a threshold of $5,000.00")
    officer.check("input[name='decision'][value='rejected']")
    officer.click("button:has-text('Record decision')")
    expect(officer.locator("#div_id_reason")).to_contain_text("Give the reason for rejecting, so the team knows what "
                                                              "to change.")
    assert Gate.objects.get(initiative=initiative, key="false-positive-cost").status == GateStatus.SUBMITTED
    shoot(officer, "co-02-reject-needs-reason")
    decide(officer, "False-positive cost", "rejected", REASON)
    expect(officer.locator("h1 .status-badge")).to_have_text("Rejected")
    expect(officer.locator(".alert-danger")).to_contain_text(f"Rejected by Grace Okafor: {REASON}")
    shoot(officer, "co-03-rejected")

    # --- the PM, in a browser of their own, sees the reason, replaces the evidence, resubmits ---
    team = browse.sign_in(pm)
    team.goto(browse.url(overview))
    expect(team.locator("h1 .status-badge")).to_have_text("Changes requested")
    expect(team.locator(".next-step")).to_contain_text(
        "Answer the rejection of “False-positive cost”: change what compliance asked for and resubmit.")
    expect(team.locator("table").first.locator("tr", has_text="False-positive cost")).to_contain_text(f"Rejected: {REASON}")
    shoot(team, "co-04-pm-overview-changes-requested")
    team.click(".next-step a")
    expect(team.locator(".alert-danger")).to_contain_text(f"Rejected by Grace Okafor: {REASON}")
    expect(team.locator("h2:has-text('Resubmit for review')")).to_be_visible()
    shoot(team, "co-05-pm-sees-reason")
    # "Replace" (static/js/evidence.js) points the upload form at the old piece of evidence.
    team.locator("tr", has_text="alert-volume-source").get_by_role("button", name="Replace").click()
    expect(team.locator("#replacing")).to_contain_text("Replacing")
    add_evidence(team, "alert-volume-source", pdf_file("silent-run-4-wards.pdf"))
    expect(team.locator("tr", has_text="silent-run-4-wards.pdf")).to_contain_text("current")
    expect(team.locator("tr", has_text="alert-volume-source").filter(has_not_text="silent-run-4-wards.pdf")
           ).to_contain_text("superseded")
    submit_gate(team, "False-positive cost", note="Attached the silent-mode run on all four medical wards (v2).",
                response="The silent-mode run now covers all four medical wards.")
    shoot(team, "co-06-pm-resubmitted")

    # --- the officer sees the answer and approves every gate ----------------------------------
    officer.goto(gate_page("false-positive-cost"))
    expect(officer.locator("main")).to_contain_text("Note: Attached the silent-mode run on all four medical wards (v2).")
    expect(officer.locator(".list-group-item", has_text="Rejected by Grace Okafor")).to_contain_text(REASON)
    shoot(officer, "co-07-resubmitted-for-review")
    for key in KEYS:
        officer.goto(gate_page(key))
        title = Gate.objects.get(initiative=initiative, key=key).title
        decide(officer, title, "approved")
        expect(officer.locator("main")).to_contain_text("Approved by Grace Okafor on")
    shoot(officer, "co-08-last-gate-approved")

    # --- signs the launch: a wrong password records nothing, the right one signs ---------------
    officer.goto(browse.url(overview))
    expect(officer.locator("h1 .status-badge")).to_have_text("Ready for final decision")
    officer.click(".next-step a")
    expect(officer.locator("main")).to_contain_text("Every gate is approved and still matches what was approved.")
    officer.check("input[name='meaning'][value='approved']")
    officer.fill("#id_password", "not-my-password")
    officer.get_by_role("button", name="Sign", exact=True).click()
    expect(officer.locator("main")).to_contain_text("The password is not correct. Your signature was not recorded.")
    assert not Signature.objects.filter(initiative=initiative).exists()
    shoot(officer, "co-09-wrong-password")
    officer.check("input[name='meaning'][value='approved']")
    officer.fill("#id_password", browse.password)
    officer.get_by_role("button", name="Sign", exact=True).click()
    expect(flash(officer)).to_contain_text("Signed: ")
    manifestation = officer.locator(".manifestation")
    expect(manifestation).to_contain_text("Grace Okafor")
    expect(manifestation).to_contain_text("Approved for launch")
    expect(officer.locator("h1 .status-badge")).to_have_text("Approved for launch")
    shoot(officer, "co-10-signed")

    # --- generates the signed dossier (Celery runs in process here) and downloads it -----------
    officer.goto(browse.url(f"{overview}dossier/"))
    expect(officer.locator("main")).to_contain_text("a new version is digitally signed")
    officer.click("button:has-text('Generate new version')")
    expect(flash(officer)).to_contain_text("Version 1 is ready.")
    row = officer.locator("#dossier-versions tbody tr").first
    expect(row).to_contain_text("Ready")
    expect(row).to_contain_text("Signed")
    shoot(officer, "co-11-dossier-ready")
    with officer.expect_download() as download_info:
        row.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{initiative.slug}-dossier-v1-signed.pdf"
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    report = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in report.stdout, report.stdout + report.stderr

    # --- and the verification page recognises the file --------------------------------------
    officer.click("a:has-text('Verify a dossier')")
    officer.set_input_files("input[type='file']", str(pdf))
    officer.click("button:has-text('Verify')")
    result = officer.locator("[role='status']")
    expect(result).to_contain_text("✔ Genuine dossier")
    expect(result).to_contain_text("Sepsis early warning")
    shoot(officer, "co-12-verified")

    # --- the PM sees the signature, the same manifestation as on the officer's page ---------------
    team.goto(browse.url(overview))
    expect(team.locator(".manifestation")).to_contain_text("Grace Okafor")
    expect(team.locator(".manifestation")).to_contain_text("Approved for launch")
    expect(team.locator(".next-step")).to_contain_text("Approved for launch and locked.")
    expect(team.locator("a:has-text('Edit details')")).to_have_count(0)
    shoot(team, "co-13-pm-sees-approval")
    browse.assert_clean()

    initiative.refresh_from_db()
    assert initiative.status == "approved"
    decisions = GateDecision.objects.filter(gate__initiative=initiative).order_by("pk")
    assert [(d.gate.key, d.decision, d.decided_by_id) for d in decisions] == [
        ("false-positive-cost", "rejected", compliance.pk),
        *[(key, "approved", compliance.pk) for key in KEYS]]
    assert decisions[0].reason == REASON
    replaced = Evidence.objects.filter(gate__initiative=initiative, item_key="alert-volume-source").order_by("version")
    assert [(e.version, e.superseded_at is not None) for e in replaced] == [(1, True), (2, False)]
    signature = Signature.objects.get(initiative=initiative, voided_at__isnull=True)
    assert (signature.signer, signature.meaning) == (compliance, "approved")
    dossier = Dossier.objects.get(initiative=initiative)
    assert (dossier.kind, dossier.state, dossier.requested_by) == ("final", "done", compliance)
    assert dossier.sha256 and dossier.sha256 in officer.content()
