"""The admin: endpoints with a secret shown once and stored encrypted, a test action, the delivery log."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse
from standardwebhooks.webhooks import Webhook

from healthpm.audit.models import AuditEvent
from healthpm.webhooks import crypto, services
from healthpm.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
ADD = reverse("admin:webhooks_webhookendpoint_add")
ENDPOINTS = reverse("admin:webhooks_webhookendpoint_changelist")
DELIVERIES = reverse("admin:webhooks_webhookdelivery_changelist")


def test_adding_an_endpoint_shows_its_secret_once_and_stores_it_encrypted(client, administrator, receiver):
    client.force_login(administrator)
    box = receiver(200)
    response = client.post(ADD, {"url": box.url, "description": "Integration engine",
                                 "events": ["gate.submitted", "gate.decided"], "active": "on"})
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.created_by == administrator and endpoint.events == ["gate.submitted", "gate.decided"]
    shown = [str(m) for m in get_messages(response.wsgi_request) if "whsec_" in str(m)]
    assert len(shown) == 1
    secret = next(word for word in shown[0].split() if word.startswith("whsec_"))
    assert endpoint.secret == secret
    Webhook(secret)  # the format standardwebhooks takes
    # Not in plain text anywhere: the endpoint row, nor the audit trail the admin log feeds.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM webhooks_webhookendpoint")
        stored = cursor.fetchone()[0]
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert crypto.decrypt(stored) == secret
    added = AuditEvent.objects.get(action="admin_added")
    assert added.actor == administrator and added.after["model"] == "webhooks.webhookendpoint"
    assert secret not in str(added.after)
    # Shown once: on the page the add redirects to, and never again.
    change = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    assert secret in client.get(response["Location"]).content.decode()
    page = client.get(change)
    assert page.status_code == 200 and secret not in page.content.decode()


def test_changes_and_deletions_are_audited(client, administrator, make_endpoint):
    client.force_login(administrator)
    endpoint, _ = make_endpoint("https://hooks.example.org/a", ["gate.decided"])
    change = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    response = client.post(change, {"url": "https://hooks.example.org/b", "description": "",
                                    "events": ["gate.decided"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.org/b" and endpoint.active is False
    assert AuditEvent.objects.filter(action="admin_changed", after__model="webhooks.webhookendpoint").exists()
    response = client.post(reverse("admin:webhooks_webhookendpoint_delete", args=[endpoint.pk]), {"post": "yes"})
    assert response.status_code == 302 and not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.filter(action="admin_deleted", after__model="webhooks.webhookendpoint").exists()


def test_the_admin_form_refuses_plain_http_naming_the_url_field(client, administrator, settings):
    settings.HEALTHPM_WEBHOOK_ALLOW_LOOPBACK = False
    client.force_login(administrator)
    response = client.post(ADD, {"url": "http://example.org/hook", "events": ["gate.decided"], "active": "on"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"] == [
        "http://example.org/hook is not https: webhooks are sent over https only "
        "(plain http only to this machine's loopback address, in tests)."]
    assert not WebhookEndpoint.objects.exists()


def test_send_test_event_is_delivered_and_audited(client, administrator, receiver, make_endpoint,
                                                  django_capture_on_commit_callbacks):
    client.force_login(administrator)
    box = receiver(200)
    endpoint, secret = make_endpoint(box.url, ["gate.decided"])  # not subscribed to webhook.test: sent anyway
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ENDPOINTS, {"action": "send_test_event", "_selected_action": [endpoint.pk]})
    assert response.status_code == 302
    headers, body = box.received[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint"] == {"id": endpoint.pk, "url": box.url}
    assert payload["data"]["by"] == "ada"
    event = AuditEvent.objects.get(action="webhook_test_sent")
    assert event.actor == administrator and event.after["message_id"] == headers["webhook-id"]


def test_the_delivery_log_is_read_only_with_retry_now(client, administrator, receiver, make_endpoint,
                                                      django_capture_on_commit_callbacks):
    client.force_login(administrator)
    box = receiver(500)
    make_endpoint(box.url, ["webhook.test"])
    delivery, = services.emit("webhook.test", {})
    services.deliver(delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(given_up_at=delivery.created_at, next_attempt_at=None)
    page = client.get(DELIVERIES)
    assert page.status_code == 200 and delivery.message_id in page.content.decode()
    assert "HTTP 500" in page.content.decode()
    assert client.get(reverse("admin:webhooks_webhookdelivery_add")).status_code == 403

    box.statuses[:] = [200]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DELIVERIES, {"action": "retry_now", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.given_up_at is None and delivery.attempts == 2
    assert [h["webhook-id"] for h, _ in box.received] == [delivery.message_id] * 2
    assert AuditEvent.objects.get(action="webhook_retried").actor == administrator


def test_non_administrators_cannot_open_the_webhook_admin(client, pm):
    client.force_login(pm)
    for url in (ENDPOINTS, ADD, DELIVERIES):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_without_a_key_in_production_the_secret_is_refused(settings):
    settings.HEALTHPM_WEBHOOK_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="HEALTHPM_WEBHOOK_KEY"):
        crypto.encrypt("whsec_x")


def test_a_configured_key_encrypts_and_rotates(settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.HEALTHPM_WEBHOOK_KEY = old
    token = crypto.encrypt("whsec_abc")
    settings.HEALTHPM_WEBHOOK_KEY = f"{new},{old}"
    assert crypto.decrypt(token) == "whsec_abc"
    assert Fernet(new.encode()).decrypt(crypto.encrypt("whsec_abc").encode()) == b"whsec_abc"
