"""What a token may do: its scopes (403 without), its initiatives (404 outside), its owner's role."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from healthpm.api.models import Scope
from healthpm.gates.models import Evidence
from tests.factories import InitiativeFactory, pdf_bytes

from .conftest import assert_problem


def evidence_post(client, initiative, **extra):
    data = {"item": "data-dictionary", "effective_date": timezone.localdate().isoformat(),
            "file": SimpleUploadedFile("lineage.pdf", pdf_bytes(), content_type="application/pdf")}
    return client.post(f"/api/v1/initiatives/{initiative.slug}/gates/auditable-inputs/evidence/", data, **extra)


def test_a_token_without_read_scope_cannot_read(api, pm, initiative):
    client = api(pm, scopes=[Scope.EVIDENCE_WRITE])
    body = assert_problem(client.get(f"/api/v1/initiatives/{initiative.slug}/"), 403)
    assert "“read” scope" in body["detail"]


def test_a_read_token_cannot_upload_evidence(api, pm, initiative):
    body = assert_problem(evidence_post(api(pm, scopes=[Scope.READ]), initiative), 403)
    assert "evidence:write" in body["detail"]
    assert not Evidence.objects.exists()


def test_the_scope_does_not_lift_the_role(api, leader, initiative):
    """A leader's token with evidence:write still may not add evidence: access.py decides (403)."""
    body = assert_problem(evidence_post(api(leader, scopes=[Scope.READ, Scope.EVIDENCE_WRITE]), initiative), 403)
    assert "owner and collaborators" in body["detail"]
    assert not Evidence.objects.exists()


def test_a_token_restricted_to_initiatives_sees_only_those(api, pm, initiative):
    other = InitiativeFactory(owner=pm, title="Chest X-ray triage")
    client = api(pm, initiatives=[initiative])
    listed = [row["slug"] for row in client.get("/api/v1/initiatives/").json()["results"]]
    assert listed == [initiative.slug]
    assert client.get(f"/api/v1/initiatives/{initiative.slug}/").status_code == 200
    for url in (f"/api/v1/initiatives/{other.slug}/", f"/api/v1/initiatives/{other.slug}/gates/auditable-inputs/",
                f"/api/v1/initiatives/{other.slug}/dossiers/"):
        assert_problem(client.get(url), 404)


def test_a_restricted_token_cannot_write_outside_its_initiatives(api, pm, initiative):
    other = InitiativeFactory(owner=pm, title="Chest X-ray triage")
    client = api(pm, scopes=[Scope.READ, Scope.EVIDENCE_WRITE], initiatives=[initiative])
    assert_problem(evidence_post(client, other), 404)
    assert not Evidence.objects.exists()
