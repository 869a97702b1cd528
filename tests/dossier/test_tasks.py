"""Generation as a Celery task: claimed once, stored whole or not at all (SPEC §6, STYLE.md)."""

import pytest
from django.conf import settings
from django.urls import reverse
from kombu.exceptions import OperationalError

from healthpm.audit.models import AuditEvent
from healthpm.dossier import render, tasks
from healthpm.dossier.models import Dossier
from healthpm.dossier.services import dossier_request
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def stored_files() -> list:
    folder = settings.MEDIA_ROOT / "dossiers"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def requested(initiative, by, django_capture_on_commit_callbacks) -> Dossier:
    """A pending row, with its queueing hook captured but not run."""
    with django_capture_on_commit_callbacks(execute=False):
        request = dossier_request(initiative=initiative, by=by)
    return request.dossier


def test_running_the_task_twice_for_one_version_stores_one_dossier(pm, signing_cert, django_capture_on_commit_callbacks):
    dossier = requested(InitiativeFactory(owner=pm), pm, django_capture_on_commit_callbacks)

    first = tasks.generate_dossier(dossier.pk)
    second = tasks.generate_dossier(dossier.pk)

    dossier.refresh_from_db()
    assert (first, second) == ("done", None)
    assert dossier.state == Dossier.State.DONE and len(dossier.sha256) == 64 and dossier.size > 1000
    assert len(stored_files()) == 1
    assert AuditEvent.objects.filter(action="dossier_generated", object_id=str(dossier.pk)).count() == 1


def test_a_failed_render_leaves_no_file_and_records_the_error(pm, signing_cert, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    dossier = requested(InitiativeFactory(owner=pm), pm, django_capture_on_commit_callbacks)

    def broken(context):
        raise RuntimeError("the renderer fell over")

    monkeypatch.setattr(render, "render_pdf", broken)
    assert tasks.generate_dossier(dossier.pk) == "failed"

    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.FAILED
    assert "the renderer fell over" in dossier.error
    assert not dossier.file and dossier.sha256 == "" and dossier.finished_at is not None
    assert stored_files() == []
    assert AuditEvent.objects.filter(action="dossier_failed", object_id=str(dossier.pk)).exists()


def test_a_failure_while_storing_removes_the_stored_file(pm, signing_cert, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    dossier = requested(InitiativeFactory(owner=pm), pm, django_capture_on_commit_callbacks)
    monkeypatch.setattr("healthpm.dossier.services.record", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("db")))

    with pytest.raises(RuntimeError):  # the failure record itself cannot be written either
        tasks.generate_dossier(dossier.pk)

    assert stored_files() == []


def test_each_request_is_a_new_version_with_its_own_hash(pm, signing_cert, django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm)

    with django_capture_on_commit_callbacks(execute=True):
        first = dossier_request(initiative=initiative, by=pm)
    with django_capture_on_commit_callbacks(execute=True):
        second = dossier_request(initiative=initiative, by=pm)

    rows = list(Dossier.objects.filter(initiative=initiative).order_by("version"))
    assert [(d.version, d.state) for d in rows] == [(1, "done"), (2, "done")]
    assert first.queued and second.queued
    assert rows[0].sha256 != rows[1].sha256  # the version and the time differ
    assert AuditEvent.objects.filter(action="dossier_requested", initiative=initiative).count() == 2


@pytest.mark.django_db(transaction=True)  # the commit hook must run inside the request, as in production
def test_a_broker_outage_keeps_the_version_pending_for_the_sweeper(pm, signing_cert, monkeypatch, login):
    initiative = InitiativeFactory(owner=pm)

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.generate_dossier, "delay", refuse)
    client = login(pm)
    response = client.post(reverse("dossier:page", args=[initiative.slug]), follow=True)

    assert response.status_code == 200
    assert "cannot be reached" in response.content.decode()
    dossier = Dossier.objects.get(initiative=initiative)
    assert dossier.state == Dossier.State.PENDING

    assert tasks.render_pending_dossiers(min_age_seconds=0) == 1
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.DONE


def test_a_run_whose_worker_died_is_taken_over_after_the_time_limit(pm, signing_cert,
                                                                    django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    dossier = requested(InitiativeFactory(owner=pm), pm, django_capture_on_commit_callbacks)
    Dossier.objects.filter(pk=dossier.pk).update(state=Dossier.State.RUNNING, started_at=timezone.now())
    assert tasks.generate_dossier(dossier.pk) is None  # still within its time limit: leave it alone

    Dossier.objects.filter(pk=dossier.pk).update(
        started_at=timezone.now() - timedelta(seconds=settings.HEALTHPM_DOSSIER_TIME_LIMIT + 1))
    assert tasks.generate_dossier(dossier.pk) == "done"


def test_the_renderer_fetches_only_our_static_files():
    fetcher = render.StaticOnlyFetcher()

    css = fetcher.fetch(render.BASE_URL + "static/pdf/dossier.css")
    assert b"@page" in css.read()
    for url in ("https://example.com/font.woff", "http://169.254.169.254/latest/meta-data/",
                "file:///etc/passwd", render.BASE_URL + "media/evidence/1/x.pdf",
                render.BASE_URL + "static/../../healthpm/settings.py"):
        with pytest.raises(render.ForbiddenURL):
            fetcher.fetch(url)
