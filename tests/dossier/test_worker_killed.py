"""A worker killed while generating a dossier: the work is redone once, whole, and nothing is left over (SPEC §6, §9).

The unit tests put a row in the state a dead run leaves behind and call the task the way a
redelivery or the beat sweeper does. The integration tests (a real broker, a real prefork
worker) SIGKILL the worker's child process at a chosen point of the render
(tests/dossier/worker_hooks.py) and watch the broker hand the task to a fresh child.
"""

import hashlib
import os
import signal
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from healthpm.audit.models import AuditEvent
from healthpm.audit.services import verify_chain
from healthpm.dossier import render, services, tasks
from healthpm.dossier.models import Dossier, stored_name
from healthpm.dossier.services import dossier_request
from tests.factories import InitiativeFactory, signed_initiative
from tests.worker import celery_worker, wait_for

from .conftest import PASSPHRASE
from .helpers import pdfsig



def stored_files() -> list[Path]:
    folder = settings.MEDIA_ROOT / "dossiers"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def requested(initiative, by, django_capture_on_commit_callbacks) -> Dossier:
    """A pending row whose queueing hook is captured but not run."""
    with django_capture_on_commit_callbacks(execute=False):
        return dossier_request(initiative=initiative, by=by).dossier


def left_by_a_dead_run(dossier: Dossier, *, seconds_ago: float = 1, attempts: int = 1, partial: bool = True) -> str:
    """Put the row where a run SIGKILLed mid-way leaves it: running, claimed, maybe half a file."""
    claim = uuid.uuid4().hex
    Dossier.objects.filter(pk=dossier.pk).update(
        state=Dossier.State.RUNNING, claim=claim, attempts=attempts,
        started_at=timezone.now() - timedelta(seconds=seconds_ago),
    )
    if partial:
        path = settings.MEDIA_ROOT / stored_name(dossier, claim)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.7\n% cut off by SIGKILL")
    return claim


def redelivered(dossier: Dossier) -> str | None:
    """Run the task as the worker does for a message the broker restored after a worker died."""
    tasks.generate_dossier.push_request(delivery_info={"redelivered": True})
    try:
        return tasks.generate_dossier.run(dossier.pk)
    finally:
        tasks.generate_dossier.pop_request()


def assert_one_whole_dossier(dossier: Dossier) -> bytes:
    """Exactly one version, done, its file the only one stored, its SHA-256 the file's."""
    dossier.refresh_from_db()
    assert Dossier.objects.filter(initiative=dossier.initiative).count() == 1
    assert dossier.state == Dossier.State.DONE, dossier.error
    assert stored_files() == [settings.MEDIA_ROOT / dossier.file.name]
    data = (settings.MEDIA_ROOT / dossier.file.name).read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert hashlib.sha256(data).hexdigest() == dossier.sha256 and len(data) == dossier.size
    assert AuditEvent.objects.filter(action="dossier_generated", object_id=str(dossier.pk)).count() == 1
    assert verify_chain()[1] is None
    return data


# --- without a worker ------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_redelivered_task_takes_over_the_run_of_a_killed_worker(pm, signing_cert,
                                                                   django_capture_on_commit_callbacks):
    dossier = requested(InitiativeFactory(owner=pm), pm, django_capture_on_commit_callbacks)
    dead = left_by_a_dead_run(dossier, seconds_ago=1)

    assert tasks.generate_dossier(dossier.pk) is None  # an ordinary duplicate leaves a live run alone
    assert redelivered(dossier) == "done"

    assert_one_whole_dossier(dossier)  # the dead run's partial file is gone
    assert dossier.claim != dead and dossier.attempts == 2


@pytest.mark.django_db
def test_the_sweeper_takes_over_a_run_past_the_time_limit_and_leaves_live_ones(pm, signing_cert,
                                                                             django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm)
    dead = requested(initiative, pm, django_capture_on_commit_callbacks)
    live = requested(initiative, pm, django_capture_on_commit_callbacks)
    left_by_a_dead_run(dead, seconds_ago=settings.HEALTHPM_DOSSIER_TIME_LIMIT + 1, partial=False)
    live_claim = left_by_a_dead_run(live, seconds_ago=5, partial=False)

    assert tasks.render_pending_dossiers(min_age_seconds=0) == 1

    dead.refresh_from_db()
    live.refresh_from_db()
    assert dead.state == Dossier.State.DONE and dead.attempts == 2
    assert (live.state, live.claim, live.attempts) == (Dossier.State.RUNNING, live_claim, 1)


@pytest.mark.django_db
def test_a_run_taken_over_while_it_rendered_discards_its_file(pm, signing_cert, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    """The run the broker gave up on was alive after all: the later run's result stands, once."""
    dossier = requested(InitiativeFactory(owner=pm), pm, django_capture_on_commit_callbacks)
    real_render = render.render_pdf
    calls = []

    def render_while_redelivered(context):
        calls.append(context)
        if len(calls) == 1:
            assert redelivered(dossier) == "done"  # the second delivery runs to the end first
        return real_render(context)

    monkeypatch.setattr(render, "render_pdf", render_while_redelivered)

    assert tasks.generate_dossier(dossier.pk) is None  # the first run found its claim gone

    assert len(calls) == 2
    assert_one_whole_dossier(dossier)
    assert dossier.attempts == 2


@pytest.mark.django_db
def test_a_version_that_keeps_killing_its_worker_is_failed_with_a_clear_message(
        pm, signing_cert, django_capture_on_commit_callbacks):
    dossier = requested(InitiativeFactory(owner=pm), pm, django_capture_on_commit_callbacks)
    left_by_a_dead_run(dossier, attempts=services.MAX_ATTEMPTS)

    assert redelivered(dossier) is None

    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.FAILED
    assert f"stopped {services.MAX_ATTEMPTS} times" in dossier.error and "Request a new version" in dossier.error
    assert AuditEvent.objects.filter(action="dossier_failed", object_id=str(dossier.pk)).count() == 1
    assert stored_files() == []  # nor is the last dead run's partial file left behind


# --- a real worker, killed -------------------------------------------------------------------
def integration(test):
    """A real broker and worker: skipped without CELERY_BROKER_URL, except in CI, where it must run."""
    marks = [
        pytest.mark.integration,
        pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL") and not os.environ.get("CI"),
                           reason="needs a real broker (CELERY_BROKER_URL)"),
        pytest.mark.django_db(transaction=True),  # the worker must see committed rows
    ]
    for mark in marks:
        test = mark(test)
    return test


@contextmanager
def prefork_worker(tmp_path: Path, signing_cert: Path, stage: str):
    """A prefork worker, one child, with worker_hooks loaded; yields (hold folder, log path).

    Prefork: SIGKILLing the child leaves the parent alive to see it die and hand the
    message back to the broker, as in production.
    """
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.fail("CI must run this test against a real broker: set CELERY_BROKER_URL")
    hold_dir, worker_tmp = tmp_path / "hold", tmp_path / "worker-tmp"
    hold_dir.mkdir()
    worker_tmp.mkdir()
    env = {
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TMPDIR": str(worker_tmp),
        "HEALTHPM_SIGNING_P12": str(signing_cert),
        "HEALTHPM_SIGNING_PASSPHRASE": PASSPHRASE,
        "HEALTHPM_TEST_HOLD_DIR": str(hold_dir),
        "HEALTHPM_TEST_HOLD_STAGE": stage,
    }
    with celery_worker(tmp_path, env, pool="prefork", args=("--include=tests.dossier.worker_hooks",)) as log_path:
        yield hold_dir, worker_tmp, log_path




def held(hold_dir: Path, stage: str, *, other_than: int | None = None) -> int | None:
    """The pid of a worker process waiting at stage (not other_than)."""
    pids = [int(p.name.rsplit("-", 1)[1]) for p in hold_dir.glob(f"{stage}-*")]
    return next((pid for pid in pids if pid != other_than), None)


@integration
@pytest.mark.parametrize("stage", ["render", "commit"])
def test_a_worker_killed_mid_render_is_replaced_and_stores_exactly_one_signed_dossier(
        stage, pm, compliance, signing_cert, tmp_path):
    """render: killed with the row claimed and nothing stored. commit: killed with the PDF
    already in storage and the row's UPDATE to done made but not committed."""
    initiative = signed_initiative(pm, compliance)

    with prefork_worker(tmp_path, signing_cert, stage) as (hold_dir, worker_tmp, log_path):
        queued = dossier_request(initiative=initiative, by=compliance)  # commits; queued on Redis
        assert queued.queued is True
        dossier = queued.dossier

        first = wait_for(f"the first run reaching {stage}", lambda: held(hold_dir, stage), log_path)
        dossier.refresh_from_db()
        assert (dossier.state, dossier.attempts) == (Dossier.State.RUNNING, 1)
        dead_claim = dossier.claim
        if stage == "commit":  # the dead run's file is complete but its row not yet committed
            assert stored_files() == [settings.MEDIA_ROOT / stored_name(dossier, dead_claim)]

        os.kill(first, signal.SIGKILL)

        # The parent sees its child die, hands the message back (redelivered) and forks a new child.
        second = wait_for("the redelivered run", lambda: held(hold_dir, stage, other_than=first), log_path)
        dossier.refresh_from_db()
        assert (dossier.state, dossier.attempts) == (Dossier.State.RUNNING, 2) and dossier.claim != dead_claim
        if stage == "commit":  # the takeover removed the dead run's file; only the new run's is there
            assert stored_files() == [settings.MEDIA_ROOT / stored_name(dossier, dossier.claim)]
        (hold_dir / "release").touch()

        def finished():
            dossier.refresh_from_db()
            return not dossier.in_progress

        wait_for("the dossier", finished, log_path)
        log = log_path.read_text()

    assert second != first
    assert "WorkerLostError" in log and "taking over from run" in log
    data = assert_one_whole_dossier(dossier)
    assert dossier.kind == Dossier.Kind.FINAL
    assert "Signature Validation: Signature is Valid." in pdfsig(data)
    assert list(worker_tmp.glob("dossier-*")) == []  # no temp file left by either run
