"""A real worker killed between claiming an e-mail and sending it: the mail goes out once, later.

A prefork worker (one child) on Redis, with tests/notifications/worker_hooks.py loaded, claims
the outbox row of a committed gate submission and SIGKILLs itself before the mail server is
called. The row must stay unsent (the old outbox marked it sent for ever here); the sweeper
leaves it alone while the lease runs, and once the lease has expired the sweeper, run by the
worker's fresh child, sends it. The file e-mail backend writes into a folder this test reads:
exactly one message, with the row's Message-ID.
"""

import email
import email.policy
import os
import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from healthpm.gates.services import gate_submit
from healthpm.notifications import tasks
from healthpm.notifications.models import Notification
from tests.factories import InitiativeFactory, evidence_gate, gate_of
from tests.worker import celery_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    # Skipped without a broker locally; in CI (CI set) it must run, and fails without one.
    pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL") and not os.environ.get("CI"),
                       reason="needs a real broker (CELERY_BROKER_URL)"),
    pytest.mark.django_db(transaction=True),  # the worker must see committed rows
]

LEASE_SECONDS = 15  # short, so the test waits seconds, not the production default's minutes
SITE = "https://healthpm.test-hospital.example"
SEPARATOR = "-" * 79  # the file backend ends each message with this line




def messages_in(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Every complete message the file backend wrote (one file per connection, messages separated)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        for chunk in path.read_text().split("\n" + SEPARATOR + "\n")[:-1]:  # the last piece is unterminated
            found.append(email.message_from_string(chunk, policy=email.policy.default))
    return found


def test_a_worker_killed_between_claim_and_send_leaves_the_mail_to_the_sweeper_which_sends_it_once(
        pm, compliance, tmp_path, settings):
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.fail("CI must run this test against a real broker: set CELERY_BROKER_URL")
    settings.SITE_URL, settings.HEALTHPM_OUTBOX_LEASE_SECONDS = SITE, LEASE_SECONDS  # as the worker's
    mail_dir, marker = tmp_path / "mail", tmp_path / "killed"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SITE_URL": SITE,
        "HEALTHPM_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "HEALTHPM_TEST_KILLED_MARKER": str(marker),
    }
    gate = evidence_gate(gate_of(InitiativeFactory(owner=pm, title="Sepsis early warning"), "auditable-inputs"), pm)

    with celery_worker(tmp_path, env, pool="prefork",
                       args=("--include=tests.notifications.worker_hooks",)) as log_path:
        gate_submit(gate=gate, by=pm)  # commits; on_commit hands the outbox row to Redis
        note = Notification.objects.get(recipient=compliance)

        # 1. The child claimed the row and killed itself before calling the mail server.
        killed = wait_for("the claim and the kill", lambda: marker.exists() and marker.read_text(), log_path)
        assert killed.split()[1] == str(note.pk)
        wait_for("the parent noticing its child died", lambda: "WorkerLostError" in log_path.read_text(), log_path)
        note.refresh_from_db()
        assert note.sent_at is None and note.claim == killed.split()[2] and note.attempts == 1
        assert messages_in(mail_dir) == []

        # 2. While the lease runs, the sweeper leaves the row alone (run here, with the worker's lease).
        assert (timezone.now() - note.claimed_at).total_seconds() < LEASE_SECONDS
        assert tasks.send_pending_notifications() == 0 and mail.outbox == []

        # 3. After the lease, the beat sweeper (queued to the worker's fresh child) sends it;
        #    a second sweep sends nothing.
        time.sleep(max(0.0, LEASE_SECONDS - (timezone.now() - note.claimed_at).total_seconds()) + 0.5)
        tasks.send_pending_notifications.delay()
        sweep_done = re.compile(r"send_pending_notifications\[[^\]]+\] succeeded in [0-9.]+s: (\d+)")
        assert wait_for("the sweep", lambda: sweep_done.findall(log_path.read_text()), log_path) == ["1"]
        tasks.send_pending_notifications.delay()
        wait_for("the second sweep", lambda: len(sweep_done.findall(log_path.read_text())) == 2, log_path)
        assert sweep_done.findall(log_path.read_text()) == ["1", "0"]

    note.refresh_from_db()
    assert note.sent_at is not None and note.attempts == 2 and note.claim != killed.split()[2]
    sent = [m for m in messages_in(mail_dir) if m["To"] == compliance.email]
    assert len(sent) == 1 and len(messages_in(mail_dir)) == 1
    assert sent[0]["Message-ID"] == note.message_id == f"<notification-{note.pk}@healthpm.test-hospital.example>"
    assert sent[0]["Subject"].strip().startswith("Review requested: Auditable inputs")
    assert "its lease expired (worker stopped); sending it again" in log_path.read_text()
