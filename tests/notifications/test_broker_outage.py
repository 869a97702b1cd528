"""A broker outage never loses saved work nor shows an error page (SPEC §9).

Celery is pointed at a port where nothing listens, with eager execution off, exactly as
when Redis is down in production; the outbox row waits for the sweeper.
"""

import pytest
from django.core import mail
from django.urls import reverse

from healthpm.gates.models import GateStatus
from healthpm.notifications.models import Notification
from healthpm.notifications.tasks import send_pending_notifications
from tests.factories import InitiativeFactory, evidence_gate, fresh, gate_of

pytestmark = pytest.mark.django_db



def test_submitting_while_the_broker_is_down_saves_and_redirects(pm, compliance, login, broker_down, caplog,
                                                                 django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, "auditable-inputs"), pm)

    with django_capture_on_commit_callbacks(execute=True):
        response = login(pm).post(reverse("gates:submit", args=[initiative.slug, gate.key]), {"note": "Ready."})

    assert response.status_code == 302 and response["Location"] == gate.get_absolute_url()
    assert fresh(gate).status == GateStatus.SUBMITTED
    note = Notification.objects.get(recipient=compliance)
    assert note.sent_at is None and mail.outbox == []
    assert f"notification {note.pk} left pending, broker unavailable" in caplog.text  # the dead port was tried

    page = login(pm).get(response["Location"])
    assert page.status_code == 200 and "submitted" in page.content.decode()

    # Later the beat sweeper sends what the outage left pending — once.
    assert send_pending_notifications() == 1
    assert send_pending_notifications() == 0
    note.refresh_from_db()
    assert note.sent_at is not None
    assert [m.to for m in mail.outbox] == [[compliance.email]]


def test_each_row_is_handed_over_on_its_own_so_one_refusal_leaves_the_others_queued(
        pm, pm2, compliance, caplog, monkeypatch, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    from healthpm.notifications import tasks
    from healthpm.notifications.services import notify

    tried, queued = [], []

    def first_refused(pk):
        tried.append(pk)
        if len(tried) == 1:
            raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")
        queued.append(pk)

    monkeypatch.setattr(tasks.send_notification, "delay", first_refused)
    gate = gate_of(InitiativeFactory(owner=pm), "auditable-inputs")
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify([pm, pm2, compliance], subject="Review requested", template="gate_submitted",
                       context={"gate": gate, "initiative": gate.initiative, "by": pm},
                       link=gate.get_absolute_url())

    refused, *others = [n.pk for n in notes]
    assert tried == [refused, *others] and queued == others and len(others) == 2
    assert [m for m in caplog.messages if "left pending" in m] == [
        f"notification {refused} left pending, broker unavailable: could not queue "
        f"healthpm.notifications.tasks.send_notification({refused}) "
        "(Error 111 connecting to redis:6379. Connection refused.); "
        "the beat sweeper send_pending_notifications sends it"]
