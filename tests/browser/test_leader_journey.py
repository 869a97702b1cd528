"""Journey 3: leadership reads the portfolio, filters it, exports it, and can look at everything but
change nothing — neither through the pages nor by posting to the change URLs from the page itself."""

import csv
import io
import re

import pytest

from healthpm.dashboard.export import csv_header
from healthpm.gates import registry
from healthpm.gates.models import GateStatus
from tests.factories import InitiativeFactory, approved_gate, db_state, pdf_bytes, ready_initiative, submitted_gate

from .helpers import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _checklist_v1(settings):
    """This journey walks checklist v1's six gates (initiatives created before v2 keep them);
    test_clinical_validation_journey and test_accessibility walk v2's."""
    settings.HEALTHPM_CHECKLIST_VERSION = 1

KEYS = ["auditable-inputs", "false-positive-cost", "paper-fallback", "cognitive-load", "regulatory-classification",
        "baa-phi"]
CHANGE_CONTROLS = ["Save facts", "Add evidence", "Submit to compliance", "Record decision", "Replace", "Sign",
                   "Reopen initiative", "Edit details", "+ Add model input", "+ Add vendor"]


def test_leader_filters_exports_and_reads_but_cannot_change_anything(browse, shoot, tmp_path, pm, pm2, compliance,
                                                                     leader):
    ready_initiative(pm, compliance, title="Sepsis early warning")
    falls = InitiativeFactory(owner=pm2, title="Inpatient fall risk", clinical_area="nursing",
                              intended_users="Charge nurses")
    approved_gate(falls, pm2, compliance, "auditable-inputs")
    submitted_gate(falls, pm2, "false-positive-cost")
    InitiativeFactory(owner=pm, title="Chest X-ray triage", clinical_area="radiology")

    # --- the portfolio, then filtered to nursing: the URL carries the filter ------------------
    page = browse.sign_in(leader)
    expect(page).to_have_url(browse.url("/dashboard/"))
    grid = page.locator("table.portfolio-grid tbody tr")
    expect(grid).to_have_count(3)
    expect(page.locator(".kpi").first).to_contain_text("3 in the portfolio")
    shoot(page, "lead-01-dashboard")

    page.select_option("#id_clinical_area", "nursing")
    page.click("button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"/dashboard/\?.*clinical_area=nursing"))
    expect(grid).to_have_count(1)
    expect(grid.first).to_contain_text("Inpatient fall risk")
    expect(grid.first).to_contain_text("Marco Rossi")
    expect(page.locator(".kpi").first).to_contain_text("1 matching the filters")
    expect(grid.first.locator(".gate-cell")).to_have_text(
        ["✔ approved", "… submitted", "○ missing", "○ missing", "○ missing", "○ missing"]
        + ["– n/a"] * (len(registry.all_gates()) - 6))  # the v2 gates its v1 checklist has not
    shoot(page, "lead-02-dashboard-filtered")

    # --- CSV export of exactly the filtered portfolio --------------------------------------------
    export = page.get_by_role("link", name="Export filtered portfolio as CSV")
    with page.expect_download() as download_info:
        export.click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    assert path.name.startswith("healthpm-portfolio-") and path.suffix == ".csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == csv_header()
    exported = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [(r["Title"], r["Clinical area"], r["Owner"], r["Status"]) for r in exported] == [
        ("Inpatient fall risk", "Nursing", "Marco Rossi", "In review")]
    assert [exported[0][f"Gate: {registry.checklist(1).gate(key).title}"] for key in KEYS] == [
        "Approved", "Submitted for review", "Not started", "Not started", "Not started", "Not started"]
    assert exported[0]["False-positive cost per month (USD)"] == "750.00"
    assert exported[0]["False-positive cost basis"] == "Claimed (gate not approved)"

    # --- opens the initiative: everything readable, no control that changes anything ----------------
    grid.first.get_by_role("link", name="Inpatient fall risk").click()
    expect(page.locator("h1")).to_contain_text("Inpatient fall risk")
    expect(page.locator(".next-step")).to_contain_text("Fill “Paper fallback”")
    shoot(page, "lead-03-overview-read-only")
    for key in KEYS:
        page.goto(browse.url(f"/initiatives/{falls.slug}/gates/{key}/"))
        expect(page.locator("h2:has-text('Checklist')")).to_be_visible()
        for name in CHANGE_CONTROLS:
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
        # Nothing that posts; a search of the input inventory (a GET form) is reading.
        expect(page.locator("main form:not([method=get])")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Not filled yet.")
    page.goto(browse.url(f"/initiatives/{falls.slug}/gates/false-positive-cost/"))
    expect(page.locator("main")).to_contain_text("waiting for a compliance decision")
    expect(page.locator("#evaluation")).to_contain_text("$750.00 a month against a threshold of $5,000.00")
    shoot(page, "lead-04-gate-read-only")
    page.goto(browse.url(f"/initiatives/{falls.slug}/approval/"))
    expect(page.locator("main")).to_contain_text("A compliance officer without a stake in this initiative signs")
    expect(page.locator("main form")).to_have_count(0)

    # --- posting from the page's own session, with its CSRF token, changes nothing ---------------
    token = page.locator("input[name='csrfmiddlewaretoken']").first.input_value()
    base = f"/initiatives/{falls.slug}"
    # The token and session are good: a POST leadership may make (verifying a file) is answered.
    allowed = page.request.post(browse.url("/dossiers/verify/"), headers={"X-CSRFToken": token}, multipart={
        "csrfmiddlewaretoken": token,
        "file": {"name": "some.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}})
    assert allowed.status == 200 and "SHA-256 of the uploaded file" in allowed.text()
    before = db_state(falls)
    attempts = {
        f"{base}/edit/": {"title": "Renamed by leadership", "clinical_area": "nursing", "summary": "x",
                          "intended_use": "x", "intended_users": "x", "care_setting": "inpatient",
                          "owner": str(leader.pk)},
        f"{base}/gates/paper-fallback/": {"gate-procedure_owner": "Leadership"},
        f"{base}/gates/paper-fallback/preview/": {"gate-procedure_owner": "Leadership"},
        f"{base}/gates/auditable-inputs/evidence/": {"item": "data-dictionary", "url": "https://x.example/a",
                                                     "effective_date": "2026-01-01"},
        f"{base}/gates/cognitive-load/submit/": {"note": "Submitted by leadership"},
        f"{base}/gates/false-positive-cost/decide/": {"decision": "approved"},
        f"{base}/gates/false-positive-cost/decide/?reject": {"decision": "rejected", "reason": "No."},
        f"{base}/approval/": {"meaning": "approved", "password": browse.password},
        f"{base}/reopen/": {"reason": "Leadership wants it reopened."},
        "/initiatives/new/": {"title": "Leadership pet project", "clinical_area": "other"},
    }
    answers = {}
    for path, form in attempts.items():
        response = page.request.post(browse.url(path), form={"csrfmiddlewaretoken": token, **form},
                                     headers={"X-CSRFToken": token}, max_redirects=0)
        answers[path] = response.status
        assert response.status in (403, 404), f"POST {path} answered {response.status}"
        assert "CSRF" not in response.text(), f"POST {path} was refused for its token, not for the role"
    assert set(answers.values()) == {403}, answers
    assert db_state(falls) == before
    page.goto(browse.url(f"{base}/gates/false-positive-cost/"))
    expect(page.locator("h1 .status-badge")).to_have_text("Submitted for review")
    expect(page.locator("main")).to_contain_text("No decisions yet.")
    browse.assert_clean()
    assert falls.gates.get(key="false-positive-cost").status == GateStatus.SUBMITTED
