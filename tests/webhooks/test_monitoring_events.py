"""A breach end to end: a sample in → the gate re-opened → the notification and a signed webhook
delivered to a local receiver; a stale metric's reminder goes out as monitoring.stale."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from healthpm.gates.models import Gate, GateStatus
from healthpm.monitoring.services import metric_sample_record
from healthpm.monitoring.status import stale_reminders_send
from healthpm.webhooks.models import WebhookDelivery
from tests.factories import signed_initiative

pytestmark = pytest.mark.django_db


@pytest.fixture
def launched(pm, compliance):
    return signed_initiative(pm, compliance, checklist_version=2, title="Sepsis watch, ward 5")


def test_a_breach_reopens_the_gate_notifies_and_delivers_a_signed_webhook(launched, pm, receiver, make_endpoint,
                                                                          django_capture_on_commit_callbacks):
    box = receiver(200)
    _endpoint, secret = make_endpoint(box.url, events=["monitoring.breach"])
    yesterday = timezone.localdate() - timedelta(days=1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        metric_sample_record(initiative=launched, by=pm, metric="alert_volume", period_start=yesterday,
                             period_end=yesterday, value="61", source="api")

    assert Gate.objects.get(initiative=launched, key="monitoring-plan").status == GateStatus.SUBMITTED
    assert any("paper fallback: the downtime procedure" in m.body for m in mail.outbox)
    [(headers, raw)] = box.received
    body = Webhook(secret).verify(raw, headers)
    assert body["type"] == "monitoring.breach"
    data = body["data"]
    assert (data["kind"], data["metric"]["key"], data["sample"]["value"]) == ("pause_threshold", "alert_volume", "61.000000")
    assert data["threshold"] == {"value": "60", "direction": "above"}
    assert data["gate"]["key"] == "monitoring-plan" and data["initiative"]["slug"] == launched.slug
    assert WebhookDelivery.objects.get().delivered_at is not None


def test_a_stale_metric_is_sent_once_a_day(launched, receiver, make_endpoint, django_capture_on_commit_callbacks):
    box = receiver(200)
    make_endpoint(box.url, events=["monitoring.stale"])
    later = timezone.localdate() + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        assert stale_reminders_send(today=later) >= 1
        assert stale_reminders_send(today=later) == 0  # a rerun the same day sends nothing again
    types = [json.loads(raw)["type"] for _headers, raw in box.received]
    keys = sorted(json.loads(raw)["data"]["metric"]["key"] for _headers, raw in box.received)
    assert set(types) == {"monitoring.stale"} and len(keys) == len(set(keys)) >= 1
