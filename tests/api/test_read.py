"""The read endpoints with each persona: the owner, another team's PM (404), compliance, leadership."""

import pytest

from healthpm.audit.models import AuditEvent
from healthpm.dossier.services import dossier_export
from healthpm.gates.models import GateDecision
from healthpm.initiatives.models import ClinicalArea, Status
from tests.factories import InitiativeFactory, approved_gate, gate_of, submitted_gate

from .conftest import assert_problem

GATE = "auditable-inputs"


def urls(initiative) -> dict[str, str]:
    base = f"/api/v1/initiatives/{initiative.slug}/"
    return {"detail": base, "gate": f"{base}gates/{GATE}/", "dossiers": f"{base}dossiers/"}


@pytest.mark.parametrize("persona", ["pm", "compliance", "leader"])
def test_those_who_see_the_initiative_read_it(persona, request, api, pm, initiative):
    submitted_gate(initiative, pm)
    client = api(request.getfixturevalue(persona))
    detail = client.get(urls(initiative)["detail"]).json()
    assert detail["slug"] == initiative.slug and detail["owner"] == "Priya Patel"
    assert detail["status"] == Status.IN_REVIEW and detail["checklist_version"] == initiative.checklist_version
    assert [g["position"] for g in detail["gates"]] == list(range(1, len(detail["gates"]) + 1))
    assert {"key": GATE, "status": "submitted"}.items() <= next(g for g in detail["gates"] if g["key"] == GATE).items()
    assert client.get(urls(initiative)["gate"]).status_code == 200
    assert client.get(urls(initiative)["dossiers"]).json() == []


def test_another_teams_pm_gets_404_for_a_draft_and_does_not_see_it_listed(api, pm2, initiative):
    client = api(pm2)
    for url in urls(initiative).values():
        body = assert_problem(client.get(url), 404)
        assert initiative.title not in body["detail"]
    assert client.get("/api/v1/initiatives/").json()["results"] == []


def test_the_gate_shows_items_findings_evidence_and_decisions(api, pm, compliance, initiative):
    approved_gate(initiative, pm, compliance, GATE)
    body = api(compliance).get(urls(initiative)["gate"]).json()
    assert body["status"] == "approved" and body["position"] == 1 and body["data"]
    assert all(item["evidenced"] for item in body["items"])
    evidenced = {i for item in body["items"] for i in item["evidence_ids"]}
    assert evidenced and evidenced <= {e["id"] for e in body["evidence"]}
    assert all(e["state"] == "current" and e["author"] == "Priya Patel" for e in body["evidence"])
    assert [d["decision"] for d in body["decisions"]] == [GateDecision.Decision.APPROVED]
    assert body["decisions"][0]["decided_by"] == "Grace Okafor"
    assert all(f["level"] in ("block", "warn") for f in body["findings"])


def test_a_blocking_finding_is_listed_with_its_level(api, pm, initiative):
    from healthpm.gates.services import gate_save_data
    from tests.factories import example_data

    gate = gate_of(initiative, GATE)
    gate_save_data(gate=gate, by=pm, data=example_data(GATE, "blocking"))
    findings = api(pm).get(urls(initiative)["gate"]).json()["findings"]
    assert any(f["level"] == "block" and f["message"] for f in findings)


def test_an_unknown_gate_answers_404(api, pm, initiative):
    assert_problem(api(pm).get(f"/api/v1/initiatives/{initiative.slug}/gates/no-such-gate/"), 404)


def test_the_list_filters_by_status_area_and_words(api, pm, compliance, initiative):
    other = InitiativeFactory(owner=pm, title="Chest X-ray triage", clinical_area=ClinicalArea.RADIOLOGY)
    submitted_gate(other, pm)
    client = api(compliance)

    def slugs(query):
        return [row["slug"] for row in client.get("/api/v1/initiatives/", query).json()["results"]]

    assert set(slugs({})) == {initiative.slug, other.slug}
    assert slugs({"status": "in_review"}) == [other.slug]
    assert slugs({"clinical_area": "radiology"}) == [other.slug]
    assert slugs({"q": "sepsis"}) == [initiative.slug]
    assert slugs({"q": "Patel", "status": "draft"}) == [initiative.slug]


def test_a_bad_filter_is_refused_naming_the_field(api, pm):
    body = assert_problem(api(pm).get("/api/v1/initiatives/", {"status": "launched"}), 400)
    assert [e["field"] for e in body["errors"]] == ["status"]
    assert "status" in body["detail"]


def test_the_list_is_paginated(api, pm):
    for n in range(3):
        InitiativeFactory(owner=pm, title=f"Initiative {n}")
    client = api(pm)
    first = client.get("/api/v1/initiatives/", {"page_size": 2}).json()
    assert first["count"] == 3 and [r["title"] for r in first["results"]] == ["Initiative 0", "Initiative 1"]
    second = client.get(first["next"]).json()
    assert [r["title"] for r in second["results"]] == ["Initiative 2"] and second["next"] is None


def test_a_dossier_version_is_listed_and_downloaded_with_the_web_audit_event(api, pm, leader, initiative):
    dossier = dossier_export(initiative=initiative, actor_label="test")
    assert dossier.state == "done", dossier.error
    client = api(leader)
    rows = client.get(urls(initiative)["dossiers"]).json()
    assert [(r["version"], r["kind"], r["sha256"], r["signature_level"]) for r in rows] == [
        (dossier.version, "draft", dossier.sha256, "")]
    response = client.get(rows[0]["download_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(action="dossier_downloaded")
    assert event.actor == leader and event.after["version"] == dossier.version


def test_another_teams_pm_cannot_download_a_drafts_dossier(api, pm2, initiative):
    dossier = dossier_export(initiative=initiative, actor_label="test")
    assert_problem(api(pm2).get(f"/api/v1/initiatives/{initiative.slug}/dossiers/{dossier.version}/download/"), 404)
    assert not AuditEvent.objects.filter(action="dossier_downloaded").exists()


def test_a_version_that_does_not_exist_answers_404(api, pm, initiative):
    assert_problem(api(pm).get(f"/api/v1/initiatives/{initiative.slug}/dossiers/9/download/"), 404)
