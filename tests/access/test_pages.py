"""Who may open which page (SPEC §1, §10). Objects a user may not see answer 404, pages a
user may see but not use answer 403, and anonymous visitors are sent to the login page.
The status codes alone are tests/access/test_permission_matrix.py's; these tests check what
the pages show and keep from each persona."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from healthpm.gates.models import Evidence
from healthpm.gates.services import Upload, evidence_add
from tests.factories import InitiativeFactory, db_state, gate_of, pdf_bytes, submitted_gate

pytestmark = pytest.mark.django_db

GATE = "auditable-inputs"


@pytest.fixture
def draft(pm):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    evidence_add(gate=gate_of(initiative, GATE), by=pm, item_key="data-dictionary",
                 effective_date=initiative.created_at.date(), upload=Upload("lineage.pdf", pdf_bytes()))
    return initiative


@pytest.fixture
def in_review(pm):
    initiative = InitiativeFactory(owner=pm, title="Chest X-ray triage")
    submitted_gate(initiative, pm)
    return initiative


def urls(initiative) -> dict[str, str]:
    slug = initiative.slug
    evidence = Evidence.objects.filter(gate__initiative=initiative, kind="file").first()
    pages = {
        "overview": reverse("initiatives:overview", args=[slug]),
        "gate": reverse("gates:detail", args=[slug, GATE]),
        "approval": reverse("approvals:approval", args=[slug]),
    }
    if evidence is not None:
        pages["download"] = reverse("gates:evidence_download", args=[slug, GATE, evidence.pk])
    return pages


# --- initiative pages --------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["pm", "compliance", "leader"])
def test_team_compliance_and_leadership_open_a_draft(draft, persona, request, login):
    client = login(request.getfixturevalue(persona))
    for name, url in urls(draft).items():
        response = client.get(url)
        assert response.status_code == 200, name
    assert "Sepsis early warning" in client.get(urls(draft)["overview"]).content.decode()


@pytest.mark.parametrize("persona", ["pm2", "outsider"])
def test_another_team_or_no_role_gets_404_for_a_draft(draft, persona, request, login):
    client = login(request.getfixturevalue(persona))
    for name, url in urls(draft).items():
        assert client.get(url).status_code == 404, name
    assert "Sepsis early warning" not in client.get(reverse("initiatives:list") + "?scope=all").content.decode()


def test_another_pm_reads_a_non_draft_but_cannot_change_it(in_review, pm2, login):
    client = login(pm2)
    for name, url in urls(in_review).items():
        assert client.get(url).status_code == 200, name
    assert "Chest X-ray triage" in client.get(reverse("initiatives:list") + "?scope=all").content.decode()
    before = db_state(in_review)

    slug = in_review.slug
    posts = {
        reverse("gates:detail", args=[slug, "false-positive-cost"]): {"mode": "measured"},
        reverse("gates:evidence_add", args=[slug, "false-positive-cost"]): {
            "item": "alert-volume-source", "effective_date": "2026-01-05",
            "file": SimpleUploadedFile("volume.pdf", pdf_bytes())},
        reverse("gates:submit", args=[slug, GATE]): {"note": "x"},
        reverse("initiatives:edit", args=[slug]): {"title": "Hijacked"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("initiatives:edit", args=[slug])).status_code == 403
    assert db_state(in_review) == before


def test_the_owner_downloads_the_exact_bytes(draft, pm, compliance, login):
    for viewer in (pm, compliance):
        response = login(viewer).get(urls(draft)["download"])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()
        assert "lineage.pdf" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="evidence_downloaded").count() == 2


# --- list, create, dashboard ---------------------------------------------------------------
@pytest.mark.parametrize("persona", ["pm", "pm2", "compliance", "leader"])
def test_the_list_opens_for_every_role(in_review, persona, request, login):
    response = login(request.getfixturevalue(persona)).get(reverse("initiatives:list"))
    assert response.status_code == 200
    assert "Chest X-ray triage" in response.content.decode()


def test_the_list_shows_nothing_to_a_user_without_role(in_review, outsider, login):
    response = login(outsider).get(reverse("initiatives:list"))
    assert response.status_code == 200 and "Chest X-ray triage" not in response.content.decode()


def test_a_pm_creates_an_initiative(pm, pm2, login):
    client = login(pm)
    assert client.get(reverse("initiatives:new")).status_code == 200

    response = client.post(reverse("initiatives:new"), {
        "title": "Discharge summary drafting", "summary": "Drafts discharge summaries for review.",
        "clinical_area": "documentation", "intended_use": "A draft the physician edits and signs.",
        "intended_users": "Hospitalists", "care_setting": "inpatient", "owner": pm.pk, "collaborators": [pm2.pk],
    })

    assert response.status_code == 302
    assert response["Location"] == "/initiatives/discharge-summary-drafting/"
    assert AuditEvent.objects.filter(action="initiative_created", actor=pm).exists()


@pytest.mark.parametrize("persona", ["leader", "compliance"])
def test_leadership_and_compliance_see_the_dashboard(in_review, persona, request, login):
    response = login(request.getfixturevalue(persona)).get(reverse("dashboard:portfolio"))
    assert response.status_code == 200 and "Chest X-ray triage" in response.content.decode()


def test_home_sends_leadership_to_the_dashboard_and_others_to_the_list(leader, pm, login):
    assert login(leader).get("/")["Location"] == reverse("dashboard:portfolio")
    assert login(pm).get("/")["Location"] == reverse("initiatives:list")


# --- signing in ----------------------------------------------------------------------------
def test_login_and_failed_login_are_audited(pm, password, client):
    failed = client.post(reverse("login"), {"username": "priya", "password": "wrong-password"})
    assert failed.status_code == 200 and "not correct" in failed.content.decode()
    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor_label == "priya" and event.ip == "127.0.0.1"
    assert "wrong-password" not in str(event.after)

    assert client.post(reverse("login"), {"username": "priya", "password": password}).status_code == 302
    assert AuditEvent.objects.filter(action="login", actor=pm).count() == 1
