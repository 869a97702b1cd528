"""Journey: the compliance officer's review queue (issue 13).

An officer opens /reviews/ from the navigation, rejects a gate; the PM answers the rejection in
writing, replaces the evidence and resubmits; the officer sees in the queue and on the gate page
what changed and the response, and approves. A PM withdraws another submitted gate, and it
leaves the queue. The queue is looked at 1280 and 390 px wide (no sideways scrolling on a
phone) and checked with axe-core.
"""

import pytest

from healthpm.gates.models import Gate, GateDecision, GateStatus
from tests.factories import InitiativeFactory, submitted_gate

from .helpers import add_evidence, decide, expect, flash, pdf_file, submit_gate
from .test_accessibility import describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "The lineage document is a draft: attach the version signed by the data steward."
RESPONSE = "Attached the lineage signed by the data steward on Monday (v2); nothing else changed."
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _checklist_v1(settings):
    settings.HEALTHPM_CHECKLIST_VERSION = 1


def look_at_the_queue(page, browse, shoot, name: str) -> None:
    """The queue on a desktop and on a phone: screenshots of both, no page wider than the phone."""
    page.set_viewport_size(DESKTOP)
    shoot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"/reviews/ is {width} px wide on a 390 px phone"
    shoot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


def test_officer_rejects_pm_answers_officer_sees_the_diff_and_approves(browse, shoot, axe_source, pm, compliance):
    sepsis = InitiativeFactory(owner=pm, title="Sepsis early warning")
    submitted_gate(sepsis, pm, "auditable-inputs")
    triage = InitiativeFactory(owner=pm, title="Chest X-ray triage")
    submitted_gate(triage, pm, "paper-fallback")

    # --- the officer finds the queue in the navigation ------------------------------------
    officer = browse.sign_in(compliance)
    expect(officer.locator("#reviews-waiting")).to_contain_text("2")
    officer.click("nav a:has-text('Reviews')")
    expect(officer).to_have_url(browse.url("/reviews/"))
    rows = officer.locator("#decidable > li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Sepsis early warning")  # oldest submission first
    expect(rows.nth(0)).to_contain_text("Owner: Priya Patel")
    expect(rows.nth(0)).to_contain_text("First submission")
    look_at_the_queue(officer, browse, shoot, "rq-01-queue")
    failing = run_axe(officer, browse, shoot, "review queue", "/reviews/")
    assert not failing, describe("review queue", "/reviews/", failing)

    # --- rejects the first ----------------------------------------------------------------
    rows.nth(0).locator("a", has_text="Auditable inputs").click()
    decide(officer, "Auditable inputs", "rejected", REASON)
    expect(officer.locator("#rejection")).to_contain_text(f"Rejected by Grace Okafor: {REASON}")
    officer.goto(browse.url("/reviews/"))
    expect(officer.locator("#decidable > li")).to_have_count(1)

    # --- the PM reads the rejection first, replaces the lineage and answers ----------------
    team = browse.sign_in(pm)
    team.goto(browse.url(f"/initiatives/{sepsis.slug}/gates/auditable-inputs/"))
    status = team.locator(".card-body").first
    expect(status.locator("> :first-child")).to_contain_text(f"Rejected by Grace Okafor: {REASON}")
    expect(team.locator("#changes")).to_contain_text("Nothing changed")
    shoot(team, "rq-02-pm-sees-rejection-first")
    team.locator("tr", has_text="data-dictionary").get_by_role("button", name="Replace").click()
    add_evidence(team, "data-dictionary", pdf_file("lineage-signed.pdf"))
    expect(team.locator("#changes")).to_contain_text("1 evidence replaced")
    # Without a response the resubmission is refused, and says what to write.
    team.click("button:has-text('Submit to compliance')")
    expect(team.locator("main")).to_contain_text("Write your response to the rejection")
    assert Gate.objects.get(initiative=sepsis, key="auditable-inputs").status == GateStatus.IN_PROGRESS
    submit_gate(team, "Auditable inputs", response=RESPONSE)
    shoot(team, "rq-03-pm-resubmitted")

    # --- the officer sees what changed, in the queue and on the gate ------------------------
    officer.goto(browse.url("/reviews/"))
    rows = officer.locator("#decidable > li")
    expect(rows).to_have_count(2)
    resubmitted = rows.filter(has_text="Sepsis early warning")
    expect(resubmitted).to_contain_text("Resubmitted after rejection: 1 evidence replaced")
    look_at_the_queue(officer, browse, shoot, "rq-04-queue-resubmitted")
    resubmitted.locator("a", has_text="Auditable inputs").click()
    expect(officer.locator("#rejection-response")).to_contain_text(f"The team's response: {RESPONSE}")
    changes = officer.locator("#changes")
    expect(changes).to_contain_text("What changed since it was rejected on")
    expect(changes).to_contain_text("Data dictionary or lineage document: lineage-signed.pdf v2 (replaces v1)")
    shoot(officer, "rq-05-officer-sees-diff")
    officer.set_viewport_size(PHONE)
    shoot(officer, "rq-05-officer-sees-diff-390")
    officer.set_viewport_size(DESKTOP)
    failing = run_axe(officer, browse, shoot, "gate with changes", officer.url)
    assert not failing, describe("gate with changes", officer.url, failing)
    decide(officer, "Auditable inputs", "approved")
    expect(officer.locator("main")).to_contain_text("Approved by Grace Okafor on")
    approval = GateDecision.objects.filter(gate__initiative=sepsis, decision="approved").get()
    assert approval.response == RESPONSE
    officer.goto(browse.url("/reviews/"))
    expect(officer.locator("#decidable > li")).to_have_count(1)
    expect(officer.locator("#reviews-waiting")).to_contain_text("1")
    browse.assert_clean()


def test_pm_withdraws_a_submitted_gate_and_it_leaves_the_queue(browse, shoot, pm, compliance):
    triage = InitiativeFactory(owner=pm, title="Chest X-ray triage")
    submitted_gate(triage, pm, "paper-fallback")
    officer = browse.sign_in(compliance)
    officer.goto(browse.url("/reviews/"))
    expect(officer.locator("#decidable > li")).to_have_count(1)

    team = browse.sign_in(pm)
    team.goto(browse.url(f"/initiatives/{triage.slug}/gates/paper-fallback/"))
    team.click("button:has-text('Withdraw submission')")
    expect(flash(team)).to_contain_text("“Paper fallback” withdrawn from review.")
    expect(team.locator("h1 .status-badge")).to_have_text("In progress")
    expect(team.locator("button:has-text('Submit to compliance')")).to_be_visible()
    shoot(team, "rq-06-pm-withdrew")

    officer.reload()
    expect(officer.locator("main")).to_contain_text("Nothing waits for your decision.")
    expect(officer.locator("#reviews-waiting")).to_contain_text("0")
    look_at_the_queue(officer, browse, shoot, "rq-07-queue-empty")
    browse.assert_clean()
