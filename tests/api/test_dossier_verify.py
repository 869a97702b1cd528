"""POST /api/v1/dossiers/verify/: the verify page's verdict by API, under the same per-user limit."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from healthpm.api.models import Scope
from healthpm.audit.models import AuditEvent
from tests.factories import signed_initiative

from .conftest import assert_problem

URL = "/api/v1/dossiers/verify/"
START = datetime(2026, 12, 3, 9, 0, 5, tzinfo=UTC)


def upload(data: bytes, name: str = "dossier.pdf") -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type="application/pdf")}


def test_a_genuine_dossier_is_named(api, pm, compliance, leader, signing_cert):
    from tests.dossier.helpers import export

    dossier, data = export(signed_initiative(pm, compliance))

    response = api(leader).post(URL, upload(data))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["verdict"] == "genuine"
    assert body["initiative"] == dossier.initiative.slug and body["version"] == dossier.version
    assert AuditEvent.objects.filter(action="dossier_verified", actor=leader, initiative=dossier.initiative).exists()


def test_another_file_gets_its_verdict_and_an_empty_post_names_the_field(api, pm2):
    client = api(pm2)
    body = client.post(URL, upload(b"just text")).json()
    assert body == {"ok": False, "verdict": "not_pdf", "message": body["message"], "sha256": body["sha256"],
                    "initiative": None, "version": None}
    problem = assert_problem(client.post(URL, {}), 400)
    assert [e["field"] for e in problem["errors"]] == ["file"]


def test_the_21st_verification_in_a_minute_gets_429_problem_json_and_nothing_recorded(api, pm2, client):
    token = api(pm2)
    with time_machine.travel(START, tick=False):
        client.force_login(pm2)
        for n in range(10):  # the web page and the API share one count per user
            assert client.post(reverse("dossier:verify"), upload(b"web %d" % n)).status_code == 200
        for n in range(10):
            assert token.post(URL, upload(b"api %d" % n)).status_code == 200
        recorded = AuditEvent.objects.filter(action="dossier_verified").count()
        assert recorded == 20

        response = token.post(URL, upload(b"one too many"))

        problem = assert_problem(response, 429)
        assert response["Retry-After"] == "55"
        assert "at most 20 a minute per person" in problem["detail"] and "Nothing was checked or recorded" in problem["detail"]
        assert AuditEvent.objects.filter(action="dossier_verified").count() == recorded

    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert token.post(URL, upload(b"one too many")).status_code == 200


def test_a_token_without_the_read_scope_is_refused_before_counting(api, pm2, settings):
    settings.HEALTHPM_VERIFY_PER_MINUTE = 1
    assert_problem(api(pm2, scopes=[Scope.EVIDENCE_WRITE]).post(URL, upload(b"x")), 403)
    assert api(pm2).post(URL, upload(b"x")).status_code == 200  # the refused call used nothing up


@pytest.fixture
def signing_cert(settings, tmp_path):
    """This deployment's signing certificate (tests/dossier/conftest.py has the shared one)."""
    from healthpm.dossier import signing

    path = tmp_path / "signing" / "healthpm-signing.p12"
    path.parent.mkdir()
    signing.make_certificate(path, secret=b"api-test-passphrase")
    settings.HEALTHPM_SIGNING_P12 = path
    settings.HEALTHPM_SIGNING_PASSPHRASE = "api-test-passphrase"
    return path
