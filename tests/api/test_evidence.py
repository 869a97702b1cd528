"""POST …/evidence/: the web form's checks and service, problem+json refusals, and idempotent retries."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from healthpm.api.models import Scope
from healthpm.audit.models import AuditEvent
from healthpm.gates.models import Evidence
from tests import crafted_files as crafted
from tests.factories import submitted_gate

from .conftest import assert_problem
from .test_scopes import evidence_post

WRITE = [Scope.READ, Scope.EVIDENCE_WRITE]


@pytest.fixture
def writer(api, pm):
    return api(pm, scopes=WRITE)


def test_the_owner_uploads_a_file_and_it_is_audited_as_on_the_web(writer, pm, initiative):
    response = evidence_post(writer, initiative)
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = Evidence.objects.get()
    assert body["id"] == evidence.pk and body["state"] == "current" and body["version"] == 1
    assert body["sha256"] == evidence.sha256 and body["author"] == "Priya Patel"
    assert evidence.author == pm and evidence.file.read().startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="evidence_added", actor=pm, object_id=str(evidence.pk)).exists()


def test_a_file_whose_content_is_not_what_its_name_says_is_refused_naming_the_field(writer, initiative):
    data = {"item": "data-dictionary", "effective_date": timezone.localdate().isoformat(),
            "file": SimpleUploadedFile("lineage.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")}
    response = writer.post(f"/api/v1/initiatives/{initiative.slug}/gates/auditable-inputs/evidence/", data)
    body = assert_problem(response, 400)
    assert [e["field"] for e in body["errors"]] == ["file"] and "lineage.pdf" in body["errors"][0]["detail"]
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("name, make, found", [
    ("lineage.pdf", crafted.polyglot_pdf_exe, "hides a Windows executable"),
    ("lineage.pdf", crafted.pdf_with_exe_attachment, "that is a Windows executable"),
    ("lineage.txt", crafted.text_with_late_script, "text with web markup inside"),
])
def test_a_file_refused_by_its_structure_says_what_was_found_and_stores_nothing(writer, initiative, settings,
                                                                                 name, make, found):
    data = {"item": "data-dictionary", "effective_date": timezone.localdate().isoformat(),
            "file": SimpleUploadedFile(name, make(), content_type="application/octet-stream")}
    response = writer.post(f"/api/v1/initiatives/{initiative.slug}/gates/auditable-inputs/evidence/", data)
    body = assert_problem(response, 400)
    assert [e["field"] for e in body["errors"]] == ["file"] and found in body["errors"][0]["detail"]
    assert not Evidence.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_a_future_effective_date_is_refused_by_the_service_with_400(writer, initiative):
    data = {"item": "data-dictionary", "effective_date": "2999-01-01", "url": "https://policies.example/lineage"}
    body = assert_problem(writer.post(f"/api/v1/initiatives/{initiative.slug}/gates/auditable-inputs/evidence/",
                                      data), 400)
    assert "in the future" in body["detail"]
    assert not Evidence.objects.exists()


def test_missing_fields_are_named_in_errors(writer, initiative):
    response = writer.post(f"/api/v1/initiatives/{initiative.slug}/gates/auditable-inputs/evidence/",
                           {"item": "no-such-item"})
    body = assert_problem(response, 400)
    fields = {e["field"] for e in body["errors"]}
    assert {"item", "effective_date"} <= fields
    assert all(e["detail"] for e in body["errors"])
    assert not Evidence.objects.exists()


def test_a_gate_under_review_refuses_with_409(writer, pm, initiative):
    submitted_gate(initiative, pm)
    before = Evidence.objects.count()
    body = assert_problem(evidence_post(writer, initiative), 409)
    assert body["detail"]
    assert Evidence.objects.count() == before


def test_a_retry_with_the_same_idempotency_key_stores_one_file(writer, initiative):
    first = evidence_post(writer, initiative, headers={"Idempotency-Key": "upload-1"})
    again = evidence_post(writer, initiative, headers={"Idempotency-Key": "upload-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Evidence.objects.count() == 1
    assert AuditEvent.objects.filter(action="evidence_added").count() == 1
    # A new key is a new upload (a new version of the same item).
    assert evidence_post(writer, initiative, headers={"Idempotency-Key": "upload-2"}).status_code == 201
    assert Evidence.objects.count() == 2


def test_a_key_reused_for_another_request_is_refused(writer, initiative):
    assert evidence_post(writer, initiative, headers={"Idempotency-Key": "k"}).status_code == 201
    data = {"item": "data-dictionary", "effective_date": "2020-01-01", "url": "https://policies.example/lineage"}
    response = writer.post(f"/api/v1/initiatives/{initiative.slug}/gates/auditable-inputs/evidence/", data,
                           headers={"Idempotency-Key": "k"})
    assert_problem(response, 422)
    assert Evidence.objects.count() == 1


def test_a_refused_upload_does_not_use_up_its_key(writer, initiative):
    url = f"/api/v1/initiatives/{initiative.slug}/gates/auditable-inputs/evidence/"
    assert_problem(writer.post(url, {"item": "data-dictionary"}, headers={"Idempotency-Key": "k2"}), 400)
    assert evidence_post(writer, initiative, headers={"Idempotency-Key": "k2"}).status_code == 201
