"""Notifications go through the outbox after commit; a broker outage delays them but never
loses them or turns a save into an error page (SPEC §9)."""

import pytest
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError

from healthpm.gates.models import GateStatus
from healthpm.gates.services import gate_decide, gate_submit
from healthpm.notifications import tasks
from healthpm.notifications.models import Notification
from healthpm.notifications.tasks import send_pending_notifications
from tests.factories import InitiativeFactory, evidence_gate, fresh, gate_of, submitted_gate

pytestmark = pytest.mark.django_db

GATE = "auditable-inputs"


class _DeadBroker:
    """Stands in for the task when the broker is unreachable."""

    calls = 0

    def delay(self, *args, **kwargs):
        type(self).calls += 1
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def dead_broker(monkeypatch):
    _DeadBroker.calls = 0
    monkeypatch.setattr(tasks, "send_notification", _DeadBroker())
    return _DeadBroker


def test_submitting_a_gate_notifies_compliance_after_commit(pm, compliance, compliance2, leader,
                                                             django_capture_on_commit_callbacks):
    gate = evidence_gate(gate_of(InitiativeFactory(owner=pm), GATE), pm)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        gate_submit(gate=gate, by=pm)
        assert Notification.objects.filter(sent_at__isnull=True).count() == 2
        assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()

    notes = Notification.objects.order_by("recipient__username")
    assert [n.recipient for n in notes] == [compliance, compliance2]
    assert all(n.sent_at is not None for n in notes)
    assert sorted(m.to[0] for m in mail.outbox) == ["grace@hospital.example", "henrik@hospital.example"]
    assert all(m.subject.startswith("Review requested: Auditable inputs") for m in mail.outbox)


def test_a_decision_notifies_the_team(pm, pm2, compliance, django_capture_on_commit_callbacks):
    gate = submitted_gate(InitiativeFactory(owner=pm, collaborators=[pm2]), pm)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(gate=gate, by=compliance, decision="approved")

    assert sorted(m.to[0] for m in mail.outbox) == ["marco@hospital.example", "priya@hospital.example"]


def test_an_unreachable_broker_keeps_the_submission_and_the_notification(pm, compliance, dead_broker,
                                                                          django_capture_on_commit_callbacks):
    gate = evidence_gate(gate_of(InitiativeFactory(owner=pm), GATE), pm)

    with django_capture_on_commit_callbacks(execute=True):
        gate_submit(gate=gate, by=pm)

    assert dead_broker.calls == 1
    assert fresh(gate).status == GateStatus.SUBMITTED
    note = Notification.objects.get(recipient=compliance)
    assert note.sent_at is None and mail.outbox == []


def test_the_page_does_not_fail_when_the_broker_is_down(pm, compliance, dead_broker, login, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, GATE), pm)
    client = login(pm)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gates:submit", args=[initiative.slug, GATE]), {"note": ""})

    assert response.status_code == 302 and response["Location"] == gate.get_absolute_url()
    assert dead_broker.calls == 1
    assert fresh(gate).status == GateStatus.SUBMITTED
    note = Notification.objects.get(recipient=compliance)
    assert note.sent_at is None

    # The broker is back: the beat sweeper sends what was left pending, exactly once.
    monkeypatch.undo()
    assert send_pending_notifications() == 1
    assert send_pending_notifications() == 0
    note.refresh_from_db()
    assert note.sent_at is not None and note.attempts == 1
    assert [m.to for m in mail.outbox] == [["grace@hospital.example"]]
