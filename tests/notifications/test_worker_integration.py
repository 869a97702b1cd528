"""The real path: a committed change, Redis, a Celery worker process, an e-mail file.

Runs only when CELERY_BROKER_URL points at a real broker (CI). The worker is a separate
process on a queue of its own, using the very database pytest-django created, so the
test is transactional: the worker must see committed rows.
"""

import email
import email.policy
import os
import time

import pytest

from healthpm.gates.services import gate_submit
from healthpm.notifications.models import Notification
from tests.factories import InitiativeFactory, evidence_gate, gate_of
from tests.worker import celery_worker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="needs a real broker (CELERY_BROKER_URL)"),
]

WAIT_SECONDS = 60


@pytest.fixture
def worker(tmp_path):
    mail_dir = tmp_path / "mail"
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail_dir)}
    with celery_worker(tmp_path, env) as log_path:
        yield mail_dir, log_path


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_delivers_the_notification_of_a_committed_submission(pm, compliance, worker):
    mail_dir, log_path = worker
    gate = evidence_gate(gate_of(InitiativeFactory(owner=pm, title="Sepsis early warning"), "auditable-inputs"), pm)

    gate_submit(gate=gate, by=pm)  # commits; on_commit hands the outbox row to Redis

    note = Notification.objects.get(recipient=compliance)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        note.refresh_from_db()
        files = list(mail_dir.glob("*.log")) if mail_dir.exists() else []
        # The file backend writes the message, then a line of dashes: a file without it is still
        # being written (read half-way under load, it parsed without its To header).
        if note.sent_at is not None and files and "-" * 79 in files[0].read_text():
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"not delivered within {WAIT_SECONDS} s; worker log:\n{log_path.read_text()[-3000:]}")

    message = email.message_from_string(files[0].read_text().split("\n" + "-" * 79)[0], policy=email.policy.default)
    assert message["To"] == compliance.email
    assert message["Subject"].strip().startswith("Review requested: Auditable inputs")
    assert gate.get_absolute_url() in message.get_body(("plain",)).get_content()
