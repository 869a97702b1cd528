"""The real path: a committed request, Redis, a Celery worker process, a stored signed PDF.

Runs only when CELERY_BROKER_URL points at a real broker (CI). The worker is a separate
process on a queue of its own, reading the database pytest-django created and writing to
this test's MEDIA_ROOT, with this test's signing certificate.
"""

import os
import time
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.conf import settings

from healthpm.dossier.models import Dossier
from healthpm.dossier.services import dossier_request
from tests.factories import signed_initiative
from tests.worker import celery_worker

from .conftest import PASSPHRASE
from .helpers import pdfsig

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="needs a real broker (CELERY_BROKER_URL)"),
]

WAIT_SECONDS = 90


@pytest.fixture
def worker(tmp_path, signing_cert):
    env = {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "HEALTHPM_SIGNING_P12": str(signing_cert),
           "HEALTHPM_SIGNING_PASSPHRASE": PASSPHRASE}
    with celery_worker(tmp_path, env) as log_path:
        yield log_path


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_renders_and_signs_a_requested_dossier(pm, compliance, worker):
    # An earlier transactional test may have flushed the approved source systems a migration made.
    import_module("healthpm.gates.migrations.0002_reference_data").seed_reference_data(django_apps, None)
    initiative = signed_initiative(pm, compliance)

    request = dossier_request(initiative=initiative, by=compliance)  # commits; on_commit queues on Redis

    assert request.queued is True
    dossier = request.dossier
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        dossier.refresh_from_db()
        if not dossier.in_progress:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"not generated within {WAIT_SECONDS} s; worker log:\n{worker.read_text()[-3000:]}")
    assert dossier.state == Dossier.State.DONE, dossier.error
    assert dossier.kind == Dossier.Kind.FINAL
    with dossier.file.open("rb") as fh:
        assert "Signature Validation: Signature is Valid." in pdfsig(fh.read())
