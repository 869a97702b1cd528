"""Targets: https only; loopback only with HEALTHPM_WEBHOOK_ALLOW_LOOPBACK; private networks only with
HEALTHPM_WEBHOOK_ALLOW_PRIVATE; checked when saved and again when sent."""

import pytest
from django.core.exceptions import ValidationError

from healthpm.webhooks import services
from healthpm.webhooks.models import WebhookDelivery, WebhookEndpoint
from healthpm.webhooks.targets import target_problem

pytestmark = pytest.mark.django_db


def clean_errors(url: str, events=("webhook.test",)) -> dict:
    endpoint = WebhookEndpoint(url=url, events=list(events))
    endpoint.set_secret(services.new_secret())
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        return exc.message_dict
    return {}


def test_plain_http_is_refused_naming_the_url_field():
    errors = clean_errors("http://example.org/hook")
    assert list(errors) == ["url"]
    assert "http://example.org/hook is not https" in errors["url"][0]


def test_https_to_a_public_address_is_accepted():
    assert clean_errors("https://93.184.215.14/hook") == {}
    assert clean_errors("https://hooks.example.org/healthpm") == {}  # names are resolved at send time


def test_loopback_only_with_the_setting(settings):
    settings.HEALTHPM_WEBHOOK_ALLOW_LOOPBACK = False
    for url in ("http://127.0.0.1:8000/", "http://localhost/", "https://127.0.0.1/", "https://[::1]/"):
        assert "url" in clean_errors(url), url
    settings.HEALTHPM_WEBHOOK_ALLOW_LOOPBACK = True
    for url in ("http://127.0.0.1:8000/", "http://localhost/", "https://127.0.0.1/"):
        assert clean_errors(url) == {}, url
    assert "url" in clean_errors("http://10.0.0.5/")  # the setting opens loopback, not plain http elsewhere


def test_private_and_link_local_addresses_are_refused(settings):
    assert "private network" in clean_errors("https://10.1.2.3/hook")["url"][0]
    assert "not a routable" in clean_errors("https://169.254.169.254/latest/meta-data")["url"][0]
    settings.HEALTHPM_WEBHOOK_ALLOW_PRIVATE = True
    assert clean_errors("https://10.1.2.3/hook") == {}
    assert "url" in clean_errors("https://169.254.169.254/")  # cloud metadata: never


def test_a_name_that_resolves_to_an_inside_address_is_refused_when_sending(settings, monkeypatch):
    import socket

    answers = {"rebind.example.org": "127.0.0.1", "intranet.example.org": "192.168.1.20",
               "public.example.org": "93.184.215.14"}
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, **kw: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))])
    settings.HEALTHPM_WEBHOOK_ALLOW_LOOPBACK = False
    assert target_problem("https://rebind.example.org/", resolve=False) is None
    assert "loopback" in (target_problem("https://rebind.example.org/", resolve=True) or "")
    assert "private network" in (target_problem("https://intranet.example.org/", resolve=True) or "")
    assert target_problem("https://public.example.org/", resolve=True) is None


def test_an_unknown_event_is_refused_naming_the_events_field():
    errors = clean_errors("https://hooks.example.org/", events=["gate.exploded"])
    assert list(errors) == ["events"] and "gate.exploded" in errors["events"][0]


def test_the_target_is_checked_again_at_send_time(settings, receiver, make_endpoint):
    box = receiver(200)
    make_endpoint(box.url, ["webhook.test"])
    settings.HEALTHPM_WEBHOOK_ALLOW_LOOPBACK = False  # e.g. the setting was turned off since
    delivery, = services.emit("webhook.test", {})
    assert services.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert box.received == [] and delivery.delivered_at is None
    assert delivery.last_error.startswith("Not sent:") and "is not https" in delivery.last_error
    assert delivery.next_attempt_at is not None  # retried later, in case it was a mistake put right


def test_redirects_are_not_followed(receiver, make_endpoint):
    box = receiver(302)
    make_endpoint(box.url, ["webhook.test"])
    delivery, = services.emit("webhook.test", {})
    assert services.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302 and len(box.received) == 1
    assert WebhookDelivery.objects.get().delivered_at is None
