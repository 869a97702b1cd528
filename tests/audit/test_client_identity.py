"""What the audit trail and the login lockout store about the client survives crafted headers
(both found by the form fuzzer: each was a server error on PostgreSQL)."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.urls import reverse

from healthpm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


@pytest.mark.parametrize("forwarded", ["not-an-ip", "999.1.1.1", "fe80::1%eth0", "10.0.0.1, "])
def test_a_forwarded_for_that_is_not_an_ip_falls_back_to_the_proxy_address(forwarded, client, pm, password, settings):
    settings.HEALTHPM_TRUST_X_FORWARDED_FOR = True

    response = client.post(LOGIN, {"username": "priya", "password": password}, REMOTE_ADDR="10.9.8.7",
                           headers={"X-Forwarded-For": forwarded})

    assert response.status_code == 302
    assert AuditEvent.objects.get(action="login").ip == "10.9.8.7"


def test_the_address_the_trusted_proxy_appended_is_recorded_not_one_the_client_forged(client, pm, password, settings):
    settings.HEALTHPM_TRUST_X_FORWARDED_FOR = True

    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy (10.9.8.7) appended what it saw.
    client.post(LOGIN, {"username": "priya", "password": password}, REMOTE_ADDR="10.9.8.7",
                headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.5"})

    assert AuditEvent.objects.get(action="login").ip == "203.0.113.5"


def test_forwarded_for_is_ignored_unless_the_deployment_trusts_its_proxy(client, pm, password):
    client.post(LOGIN, {"username": "priya", "password": password}, REMOTE_ADDR="10.9.8.7",
                headers={"X-Forwarded-For": "203.0.113.5"})

    assert AuditEvent.objects.get(action="login").ip == "10.9.8.7"


def test_a_nul_in_the_user_agent_neither_breaks_a_failed_login_nor_is_stored(client, pm):
    response = client.post(LOGIN, {"username": "priya", "password": "wrong"}, headers={"User-Agent": "curl\x00/8"})

    assert response.status_code == 200
    assert AccessAttempt.objects.get(username="priya").user_agent == "curl/8"
    assert AuditEvent.objects.filter(action="login_failed").count() == 1


def test_a_nul_in_the_user_agent_does_not_break_signing_in(client, pm, password):
    response = client.post(LOGIN, {"username": "priya", "password": password}, headers={"User-Agent": "curl\x00/8"})

    assert response.status_code == 302
    assert AccessLog.objects.get(username="priya").user_agent == "curl/8"
