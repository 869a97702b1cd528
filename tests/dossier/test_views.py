"""The dossier page and downloads go through access.py (SPEC §1, §6)."""

import pytest
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from healthpm.dossier.models import Dossier
from tests.factories import InitiativeFactory, signed_initiative, submitted_gate

from .helpers import export

pytestmark = pytest.mark.django_db


def page_url(initiative) -> str:
    return reverse("dossier:page", args=[initiative.slug])


def download_url(dossier) -> str:
    return reverse("dossier:download", args=[dossier.initiative.slug, dossier.version])


def test_leadership_sees_the_versions_and_downloads_the_signed_dossier(pm, compliance, leader, signing_cert, login):
    dossier, data = export(signed_initiative(pm, compliance))
    client = login(leader)

    page = client.get(page_url(dossier.initiative))
    assert page.status_code == 200
    body = page.content.decode()
    assert dossier.sha256 in body and "Signed" in body and download_url(dossier) in body

    response = client.get(download_url(dossier))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and "signed.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == data
    event = AuditEvent.objects.get(action="dossier_downloaded")
    assert (event.actor, event.initiative_id, event.after["version"]) == (leader, dossier.initiative_id, 1)


@pytest.mark.django_db(transaction=True)  # the commit hook queues the task as it would in production
def test_the_owner_generates_a_new_version(pm, signing_cert, login):
    initiative = InitiativeFactory(owner=pm)
    client = login(pm)

    response = client.post(page_url(initiative), follow=True)

    assert response.status_code == 200
    dossier = Dossier.objects.get(initiative=initiative)
    assert (dossier.version, dossier.state, dossier.kind, dossier.requested_by) == (1, "done", "draft", pm)
    assert "Version 1 is ready" in response.content.decode()


def test_a_pm_who_may_only_read_cannot_generate(pm, pm2, signing_cert, login):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)  # in review: other PMs may see it, not change it
    client = login(pm2)

    assert client.get(page_url(initiative)).status_code == 200
    assert client.post(page_url(initiative)).status_code == 403
    assert not Dossier.objects.exists()


def test_the_page_polls_while_a_version_is_in_progress(pm, leader, login):
    initiative = InitiativeFactory(owner=pm)
    Dossier.objects.create(initiative=initiative, version=1, requested_by=leader)
    client = login(leader)

    page = client.get(page_url(initiative)).content.decode()
    fragment = client.get(page_url(initiative), headers={"HX-Request": "true"})

    assert 'data-hx-trigger="every 2s"' in page and "htmx.min.js" in page and "Queued" in page
    assert fragment.status_code == 200 and "<nav" not in fragment.content.decode()
    assert 'id="dossier-versions"' in fragment.content.decode()


def test_a_missing_version_is_404(pm, leader, login):
    initiative = InitiativeFactory(owner=pm)

    assert login(leader).get(reverse("dossier:download", args=[initiative.slug, 7])).status_code == 404
