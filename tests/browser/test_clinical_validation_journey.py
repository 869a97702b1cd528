"""Journey: a PM fills the clinical-validation gate of a checklist-v2 initiative and the live
check explains a subgroup gap as the counts are typed, before anything is saved.

Overall TP 168, FP 312, FN 32, TN 3,488: sensitivity 168 ÷ 200 = 0.84, PPV 168 ÷ 480 = 0.35. The
75+ band catches 17 of 34 = 0.50 (Wilson 0.3407–0.6593): 0.34 below overall and its upper bound
below 0.84 − 0.05 = 0.79, so it blocks until a justification and a mitigation are written.
"""

import pytest
from django.utils import timezone

from healthpm.gates.models import Gate
from tests.factories import InitiativeFactory

from .conftest import AXE_PATH
from .helpers import expect, fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "clinical-validation"
GAP = ("Subgroup “Age band 75+”: sensitivity 0.5000 (17 ÷ (17 + 17); 95% CI 0.3407–0.6593) trails overall 0.8400 "
       "by 0.3400, more than the margin of 0.05, and even its upper bound 0.6593 is below overall − margin = 0.7900.")


def subgroup(page, index: int, dimension: str, value: str, tp: int, fp: int, fn: int, tn: int) -> None:
    fill(page, {f"#id_subgroups-{index}-dimension": dimension, f"#id_subgroups-{index}-value": value,
                f"#id_subgroups-{index}-tp": str(tp), f"#id_subgroups-{index}-fp": str(fp),
                f"#id_subgroups-{index}-fn": str(fn), f"#id_subgroups-{index}-tn": str(tn)})


def test_pm_fills_the_subgroup_table_and_sees_the_gap_blocker_live(browse, sign_in, shoot, axe_source, pm):
    initiative = InitiativeFactory(owner=pm, checklist_version=2, title="Sepsis early warning")
    today = timezone.localdate()
    page = sign_in(pm)
    page.goto(browse.url(f"/initiatives/{initiative.slug}/gates/{KEY}/"))
    expect(page.locator("h1")).to_contain_text("3. Clinical validation and subgroup performance")
    # The margin comes prefilled with the committee's default.
    expect(page.locator("#id_gate-margin")).to_have_value("0.05")

    fill(page, {
        "#id_gate-design": "silent_prospective", "#id_gate-sites": "Main campus: 4 medical wards and the ICU",
        "#id_gate-period_start": "2026-01-05", "#id_gate-period_end": "2026-06-30",
        "#id_gate-reference_standard": "Sepsis-3 by two-physician chart review, blinded to the model",
        "#id_gate-min_sensitivity": "0.8", "#id_gate-bar_metric": "ppv", "#id_gate-min_bar_metric": "0.3",
        "#id_gate-bar_date": "2025-12-15", "#id_gate-results_date": today.isoformat(),
        "#id_gate-tp": "168", "#id_gate-fp": "312", "#id_gate-fn": "32", "#id_gate-tn": "3488",
        "#id_gate-calibration_slope": "0.97", "#id_gate-calibration_intercept": "-0.02",
        "#id_gate-uncertainty_display": "needs_review",
    })
    evaluation = page.locator("#evaluation")
    # No subgroup yet: the three required dimensions are named.
    expect(evaluation.locator(".alert-danger")).to_contain_text("No subgroup rows for “Race/ethnicity”, a required "
                                                                "dimension")

    # --- the age bands: the first row is there, the second is added with the button ------------
    subgroup(page, 0, "Age band", "18–74", 151, 260, 15, 2900)
    page.click("button:has-text('+ Add subgroup')")
    subgroup(page, 1, "Age band", "75+", 17, 52, 17, 588)
    blockers = evaluation.locator(".alert-danger")
    expect(evaluation).to_contain_text("Live check of what you typed (not saved yet).")
    expect(blockers).to_contain_text(GAP + " Write a justification and a mitigation for this subgroup, or improve "
                                           "the model for it.")
    expect(blockers).to_contain_text("No subgroup rows for “Sex”")
    working = evaluation.locator("table.working")
    expect(working).to_contain_text("Sensitivity, Age band 75+")
    expect(working).to_contain_text("= 17 ÷ (17 + 17)")
    expect(working).to_contain_text("0.5 (95% CI 0.3407–0.6593)")
    expect(working).to_contain_text("= 0.8400 − 0.5000")
    expect(working).to_contain_text("(upper bound 0.6593 is below)")

    # --- sex and race/ethnicity: the missing-dimension blockers go, the gap stays -----------------
    for index, (dimension, value, tp, fp, fn, tn) in enumerate([
        ("Sex", "Female", 85, 150, 15, 1750), ("Sex", "Male", 83, 162, 17, 1738),
        ("Race/ethnicity", "Black", 40, 75, 8, 830), ("Race/ethnicity", "White", 128, 237, 24, 2658),
    ], start=2):
        page.click("button:has-text('+ Add subgroup')")
        subgroup(page, index, dimension, value, tp, fp, fn, tn)
    expect(blockers.locator("li")).to_have_count(1)
    expect(blockers).to_contain_text(GAP)
    expect(evaluation).to_contain_text("Overall sensitivity 0.8400 against a bar of 0.8; 6 subgroups judged against "
                                       "a margin of 0.05: blocks.")
    shoot(page, "cv-01-live-gap-blocker")
    # The two tables of rows and the live panel, as a screen reader meets them.
    page.add_script_tag(url=browse.url(AXE_PATH))
    violations = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")["violations"]
    assert not [(v["id"], v["help"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert Gate.objects.get(initiative=initiative, key=KEY).data == {}, "the live check must not save anything"

    # --- a justification and a mitigation turn the block into a quoted warning ----------------------
    fill(page, {"#id_subgroups-1-justification": "Few patients over 75 in the training years.",
                "#id_subgroups-1-mitigation": "Alert threshold lowered for patients 75 and over; review in 90 days."})
    expect(evaluation).to_contain_text("No blocking rule fails on these facts.")
    expect(evaluation.locator(".alert-warning")).to_contain_text(
        GAP + " Accepted with the justification “Few patients over 75 in the training years.” and the mitigation "
        "“Alert threshold lowered for patients 75 and over; review in 90 days.”.")
    shoot(page, "cv-02-live-gap-accepted")
    assert Gate.objects.get(initiative=initiative, key=KEY).data == {}
    browse.assert_clean()
