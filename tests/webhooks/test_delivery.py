"""Deliveries: signed per Standard Webhooks, retried with backoff under one webhook-id, never lost."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from healthpm.webhooks import services
from healthpm.webhooks.models import WebhookDelivery
from healthpm.webhooks.tasks import send_due_webhooks
from tests.factories import InitiativeFactory, submitted_gate

pytestmark = pytest.mark.django_db


def make_due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_submitted_gate_reaches_the_receiver_signed(pm, compliance, receiver, make_endpoint,
                                                      django_capture_on_commit_callbacks):
    box = receiver(200)
    endpoint, secret = make_endpoint(box.url, ["gate.submitted"])
    initiative = InitiativeFactory(owner=pm)

    with django_capture_on_commit_callbacks(execute=True):
        gate = submitted_gate(initiative, pm)

    assert len(box.received) == 1
    headers, body = box.received[0]
    payload = Webhook(secret).verify(body, headers)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == delivery.message_id and delivery.message_id.startswith("msg_")
    assert payload["type"] == "gate.submitted"
    data = payload["data"]
    assert data["initiative"]["slug"] == initiative.slug and data["initiative"]["title"] == initiative.title
    assert data["initiative"]["url"].endswith(f"/initiatives/{initiative.slug}/")
    assert data["gate"] == {"key": gate.key, "title": gate.title, "status": "submitted",
                            "url": data["gate"]["url"]} and data["gate"]["url"].endswith(gate.get_absolute_url())
    assert data["by"] == "Priya Patel" and data["at"]
    assert delivery.delivered_at is not None and delivery.attempts == 1 and delivery.last_status_code == 200
    # The signature is the endpoint's: another secret, or a changed body, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(services.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"submitted", b"approved"), headers)


def test_a_failed_attempt_is_retried_with_backoff_under_the_same_id(receiver, make_endpoint,
                                                                    django_capture_on_commit_callbacks):
    box = receiver(500, 200)
    endpoint, secret = make_endpoint(box.url, ["webhook.test"])
    with django_capture_on_commit_callbacks(execute=True):
        delivery, = services.emit("webhook.test", {"hello": "world"})

    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_status_code == 500 and delivery.delivered_at is None
    assert "HTTP 500" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)
    assert send_due_webhooks() == 0  # not due yet: the sweeper leaves it
    assert len(box.received) == 1

    make_due(delivery)
    assert send_due_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 2 and delivery.last_status_code == 200
    assert delivery.next_attempt_at is None and delivery.last_error == ""
    assert [e["status"] for e in delivery.attempt_log] == [500, 200]
    first = delivery.attempt_log[0]
    assert first["retry_at"] is not None and delivery.attempt_log[1]["retry_at"] is None
    ids = [headers["webhook-id"] for headers, _ in box.received]
    assert ids == [delivery.message_id, delivery.message_id]
    for headers, body in box.received:
        Webhook(secret).verify(body, headers)
    assert send_due_webhooks() == 0  # delivered: never sent again


def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_backoff(receiver, make_endpoint):
    box = receiver(503)
    make_endpoint(box.url, ["webhook.test"])
    delivery, = services.emit("webhook.test", {})  # the test's transaction never commits: the sweeper sends it
    for _ in range(len(services.BACKOFF) + 1):
        make_due(delivery)
        send_due_webhooks()
    delivery.refresh_from_db()
    assert delivery.attempts == len(services.BACKOFF) + 1 == len(box.received) == 7
    assert delivery.given_up_at is not None and delivery.next_attempt_at is None and delivery.delivered_at is None
    waits = [(timezone.datetime.fromisoformat(e["retry_at"]) - timezone.datetime.fromisoformat(e["at"])).total_seconds()
             for e in delivery.attempt_log[:-1]]
    assert waits == [60, 300, 1800, 7200, 28800, 86400]
    make_due(delivery)
    assert send_due_webhooks() == 0 and len(box.received) == 7


def test_the_sweeper_sends_what_a_broker_outage_left_pending(receiver, make_endpoint, broker_down,
                                                             django_capture_on_commit_callbacks):
    box = receiver(200)
    make_endpoint(box.url, ["webhook.test"])
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            delivery, = services.emit("webhook.test", {"n": 1})

    assert f"webhook delivery {delivery.pk} left pending, broker unavailable" in broker_down.text
    assert box.received == []
    assert send_due_webhooks() == 1
    assert send_due_webhooks() == 0
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and len(box.received) == 1


def test_a_claimed_row_is_not_sent_twice(receiver, make_endpoint):
    box = receiver(200)
    make_endpoint(box.url, ["webhook.test"])
    with transaction.atomic():  # nothing queued: the row waits
        delivery, = services.emit("webhook.test", {})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now())
    assert services.deliver(delivery.pk) is None and box.received == []
    # A lease older than the lease time belongs to a run that died: the row is taken over.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - services.lease()
                                                          - timedelta(seconds=1))
    assert services.deliver(delivery.pk) is True and len(box.received) == 1


def test_only_active_subscribed_endpoints_get_the_event(receiver, make_endpoint, django_capture_on_commit_callbacks):
    subscribed, other, inactive = receiver(200), receiver(200), receiver(200)
    make_endpoint(subscribed.url, ["webhook.test"])
    make_endpoint(other.url, ["gate.decided"])
    make_endpoint(inactive.url, ["webhook.test"], active=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.emit("webhook.test", {})
    assert len(subscribed.received) == 1
    assert other.received == [] and inactive.received == []
    assert WebhookDelivery.objects.count() == 1


def test_a_rolled_back_change_emits_nothing(make_endpoint, receiver):
    make_endpoint(receiver(200).url, ["webhook.test"])
    with pytest.raises(RuntimeError), transaction.atomic():
        services.emit("webhook.test", {})
        raise RuntimeError("the caller's change failed")
    assert not WebhookDelivery.objects.exists()


def test_an_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="monitoring.breach"):
        services.emit("monitoring.breached", {})


def test_a_secret_the_key_cannot_read_is_recorded_not_crashed(settings, receiver, make_endpoint):
    from cryptography.fernet import Fernet

    box = receiver(200)
    make_endpoint(box.url, ["webhook.test"])
    settings.HEALTHPM_WEBHOOK_KEY = Fernet.generate_key().decode()  # the key was replaced, not rotated
    delivery, = services.emit("webhook.test", {})
    assert services.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert box.received == [] and "HEALTHPM_WEBHOOK_KEY" in delivery.last_error and delivery.claimed_at is None


def test_the_sweeper_runs_every_minute(settings):
    from celery import current_app

    entry = settings.CELERY_BEAT_SCHEDULE["send-due-webhooks"]
    assert entry["schedule"] == 60.0
    assert entry["task"] == send_due_webhooks.name and entry["task"] in current_app.tasks


def test_a_delivery_whose_worker_dies_every_time_is_given_up_not_retried_for_ever(receiver, make_endpoint):
    """Each expired lease is a run that died before recording its answer: it counts as an attempt."""
    box = receiver(200)
    make_endpoint(box.url, ["webhook.test"])
    with transaction.atomic():  # nothing queued: the row waits
        delivery, = services.emit("webhook.test", {})
    expired = timezone.now() - services.lease() - timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=expired)  # the first run died
    for _ in range(len(services.BACKOFF)):  # each takeover dies too
        assert services._claim(delivery.pk) is not None
        WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=expired)

    assert services.deliver(delivery.pk) is None and box.received == []
    delivery.refresh_from_db()
    assert delivery.attempts == len(services.BACKOFF) + 1 and delivery.given_up_at is not None
    assert delivery.claimed_at is None and delivery.last_error == services.DEAD_RUN
    assert [e["error"] for e in delivery.attempt_log] == [services.DEAD_RUN] * (len(services.BACKOFF) + 1)
    make_due(delivery)
    assert send_due_webhooks() == 0 and box.received == []
