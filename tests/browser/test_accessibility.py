"""axe-core on every main page, as the person who uses it, under the real Content-Security-Policy.

Gate pages: the v1 gates in the states of `workbench`, and every gate of the newest checklist
(read from the registry), filled with its own passing example, as the PM and as compliance.

A page fails on any violation axe rates serious or critical; the message lists each rule, its
impact and the elements it found. Minor and moderate findings are counted, not failed: with
HEALTHPM_SCREENSHOTS set, each page's full axe result is saved next to its screenshot.

axe-core is loaded from a same-origin URL that Playwright answers from node_modules (conftest.py),
so script-src 'self' lets it run without bypassing the policy.
"""

import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from healthpm.dossier.models import Dossier
from healthpm.gates import registry
from healthpm.gates.models import GateDecision
from healthpm.gates.services import gate_decide, gate_submit
from tests.factories import (InitiativeFactory, evidence_gate, fill_gate, fresh, gate_of, ready_initiative,
                             submitted_gate, valid_data)

from .conftest import AXE_PATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEYS = registry.checklist(1).keys
# Every gate of the newest checklist, read from the registry so a gate added later is looked at too.
LATEST = max(registry.CHECKLISTS, key=lambda c: c.version)
FAILING_IMPACTS = ("serious", "critical")


@dataclass
class People:
    pm: object
    compliance: object
    leader: object


# --- the states the pages are looked at in --------------------------------------------------------
def workbench(people: People):
    """An initiative the PM is working on, each gate showing something different: a rejection to
    answer, a cost blocker, warnings, a device with its IMDRF table, a vendor without a BAA."""
    pm, officer = people.pm, people.compliance
    initiative = InitiativeFactory(owner=pm, title="Inpatient fall risk", clinical_area="nursing")
    data = {key: valid_data(key) for key in KEYS}
    data["auditable-inputs"]["inputs"].append({
        "name": "patient_zip5", "source_system": "EHR", "source_field": "PATIENT.ZIP", "timestamped": True,
        "available_at_prediction": True, "contains_phi": True,
        "justification": "Distance to the hospital predicts discharge delays.", "notes": ""})
    data["false-positive-cost"]["minutes_per_false_alert"] = 50.0  # $7,500 a month: over the threshold
    data["paper-fallback"].update(outage_replay=False, outage_replay_reference="")
    data["cognitive-load"]["roles_after"] = ["medical_assistant"]
    data["regulatory-classification"].update(
        no_image_or_signal=False, situation="serious", significance="drive", pathway="510k",
        predicate_number="K213456", adaptive=False)
    data["baa-phi"]["vendors"] = [{"name": "Acme Transcribe", "service": "model_api", "touches_phi": True,
                                   "baa_evidence": "", "baa_effective": None, "baa_expiry": None}]
    for key in KEYS:
        gate = fill_gate(gate_of(initiative, key), pm, data[key])
        evidence_gate(gate, pm, expiry=timezone.localdate() + timedelta(days=20))
    gate = fresh(gate_of(initiative, "auditable-inputs"))
    gate_submit(gate=gate, by=pm)
    gate_decide(gate=fresh(gate), by=officer, decision=GateDecision.Decision.REJECTED,
                reason="The lineage document is a draft: attach the signed version.")
    return initiative


def latest_workbench(people: People):
    """An initiative on the newest checklist with every gate holding its own passing example."""
    initiative = InitiativeFactory(owner=people.pm, title="Sepsis early warning, v2",
                                   checklist_version=LATEST.version)
    for key in LATEST.keys:
        fill_gate(gate_of(initiative, key), people.pm, valid_data(key))
    return initiative


def under_review(people: People):
    initiative = InitiativeFactory(owner=people.pm, title="Sepsis early warning")
    for key in KEYS:
        submitted_gate(initiative, people.pm, key)
    return initiative


def ready(people: People):
    return ready_initiative(people.pm, people.compliance, title="Chest X-ray triage", clinical_area="radiology")


def with_dossiers(people: People):
    initiative = ready(people)
    fields = {"initiative": initiative, "requested_by": people.pm, "kind": Dossier.Kind.DRAFT}
    Dossier.objects.create(version=1, state=Dossier.State.DONE, sha256="ab" * 32, size=98_304, pages=14, **fields)
    Dossier.objects.create(version=2, state=Dossier.State.FAILED, error="WeasyPrint ran out of time.", **fields)
    return initiative


def initiative_list(people: People) -> str:
    workbench(people)
    ready(people)
    return "/initiatives/"


def dashboard(people: People) -> str:
    workbench(people)
    under_review(people)
    ready(people)
    return "/dashboard/"


# --- the pages: name → (who looks at it, what builds the state and returns its path) --------------------
def _gate(key):
    return "pm", lambda p: f"/initiatives/{workbench(p).slug}/gates/{key}/"


PAGES = {
    "login": (None, lambda p: "/accounts/login/"),
    "initiative list": ("pm", initiative_list),
    "new initiative": ("pm", lambda p: "/initiatives/new/"),
    "initiative overview": ("pm", lambda p: f"/initiatives/{workbench(p).slug}/"),
    **{f"gate {n}. {key} (PM)": _gate(key) for n, key in enumerate(KEYS, start=1)},
    "gate with decide form (compliance)": (
        "compliance", lambda p: f"/initiatives/{under_review(p).slug}/gates/false-positive-cost/"),
    "approval with sign form (compliance)": ("compliance", lambda p: f"/initiatives/{ready(p).slug}/approval/"),
    "dossier page": ("pm", lambda p: f"/initiatives/{with_dossiers(p).slug}/dossier/"),
    "dossier verify": ("leader", lambda p: "/dossiers/verify/"),
    "dashboard": ("leader", dashboard),
    "403 page": ("pm", lambda p: "/dashboard/"),  # a PM may not see the portfolio
    "404 page": ("pm", lambda p: "/initiatives/no-such-initiative/"),
    "API tokens": ("pm", lambda p: "/api/tokens/"),
}


def describe(name: str, path: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} serious or critical violation(s) on the {name} page ({path}):"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}]: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(map(str, node['target']))} — {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violations(name, browse, shoot, axe_source, pm, compliance, leader):
    who, build = PAGES[name]
    people = People(pm=pm, compliance=compliance, leader=leader)
    path = build(people)
    page = browse.sign_in(getattr(people, who)) if who else browse.new_page()
    response = page.goto(browse.url(path))
    expected = {"403 page": 403, "404 page": 404}.get(name, 200)
    assert response.status == expected, f"{path} answered {response.status}"
    if name == "dossier verify":
        # With a result on screen: an uploaded file that is not one of our dossiers.
        page.set_input_files("input[type='file']", files=[{
            "name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}])
        page.click("button:has-text('Verify')")
        page.wait_for_selector("[role='status']")

    failing = run_axe(page, browse, shoot, name, path)
    assert not failing, describe(name, path, failing)
    browse.assert_clean()


def test_every_gate_page_of_the_newest_checklist(browse, shoot, axe_source, pm, compliance, leader):
    """One initiative, built once, and each of its gate pages in turn as the PM and as compliance (a
    test per page would build the initiative again for each): every failing page is reported."""
    people = People(pm=pm, compliance=compliance, leader=leader)
    initiative = latest_workbench(people)
    problems = []
    # The PM sees each gate's form; compliance sees the answers read-only, with the gate's tables.
    for who in ("pm", "compliance"):
        page = browse.sign_in(getattr(people, who))
        for n, key in enumerate(LATEST.keys, start=1):
            name = f"gate v{LATEST.version} {n}. {key} ({'PM' if who == 'pm' else who})"
            path = f"/initiatives/{initiative.slug}/gates/{key}/"
            response = page.goto(browse.url(path))
            assert response.status == 200, f"{path} answered {response.status} to {who}"
            failing = run_axe(page, browse, shoot, name, path)
            if failing:
                problems.append(describe(name, path, failing))
    assert not problems, "\n\n".join(problems)
    browse.assert_clean()


def run_axe(page, browse, shoot, name: str, path: str) -> list[dict]:
    """axe-core's serious and critical violations on the page (saving all of them with the screenshot)."""
    page.add_script_tag(url=browse.url(AXE_PATH))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    violations = results["violations"]
    slug = name.replace(" ", "-").replace("(", "").replace(")", "").replace(".", "")
    shoot(page, f"axe-{slug}")
    folder = os.environ.get("HEALTHPM_SCREENSHOTS")
    if folder:
        counts = Counter(v["impact"] for v in violations)
        with open(os.path.join(folder, f"axe-{slug}.json"), "w") as fh:
            json.dump({"page": name, "path": path, "counts": counts,
                       "violations": [{k: v[k] for k in ("id", "impact", "help")} | {"nodes": len(v["nodes"])}
                                      for v in violations]}, fh, indent=1)
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]
