"""Login lockout (django-axes): repeated failures lock the username and the address, and
the audit trail shows every failure and the lockout (OWASP ASVS 2.2.1, 21 CFR 11.300(d))."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from healthpm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)


def attempt(client, username, password, ip="10.1.2.3"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_account_even_with_the_right_password(client, pm, password):
    for _ in range(4):
        assert attempt(client, "priya", "wrong-password").status_code == 200
    response = attempt(client, "priya", "wrong-password")
    assert response.status_code == 429

    response = attempt(client, "priya", password)

    assert response.status_code == 429
    assert not signed_in(client)
    body = response.content.decode()
    assert "Sign-in is locked for now" in body and "for 30 minutes" in body
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("login_failed") >= 5 and "login_locked_out" in actions and "login" not in actions
    # One event when the lock fell, one for the refused attempt with the right password.
    locked = AuditEvent.objects.filter(action="login_locked_out")
    assert locked.count() == 2
    assert all(e.after == {"username": "priya"} and e.ip == "10.1.2.3" for e in locked)


def test_the_password_is_never_written_to_the_audit_trail(client, pm):
    for _ in range(5):
        attempt(client, "priya", "Sup3r-secret-guess")
    for event in AuditEvent.objects.all():
        assert "Sup3r-secret-guess" not in repr((event.before, event.after, event.actor_label, event.object_repr))


def test_the_lock_lifts_after_the_cooloff(client, pm, password):
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(5):
            attempt(client, "priya", "wrong-password")
        clock.shift(dt.timedelta(minutes=29))
        assert attempt(client, "priya", password).status_code == 429
        clock.shift(dt.timedelta(minutes=31))  # a failure during lockout restarted the cool-off

        response = attempt(client, "priya", password)

        assert response.status_code == 302 and signed_in(client)


def test_a_success_before_the_limit_resets_the_count(client, pm, password):
    for _ in range(4):
        attempt(client, "priya", "wrong-password")
    assert attempt(client, "priya", password).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        attempt(client, "priya", "wrong-password")

    assert attempt(client, "priya", password).status_code == 302


def test_spraying_many_usernames_from_one_address_locks_that_address(client, pm, pm2, password):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        attempt(client, name, "Winter2026!", ip="203.0.113.9")

    assert attempt(client, "marco", password, ip="203.0.113.9").status_code == 429
    assert attempt(client, "marco", password, ip="10.9.9.9").status_code == 302


def test_an_administrator_unlocks_an_account_at_once(client, pm, password):
    for _ in range(5):
        attempt(client, "priya", "wrong-password")
    assert attempt(client, "priya", password).status_code == 429

    call_command("axes_reset_username", "priya", verbosity=0)
    call_command("axes_reset_ip", "10.1.2.3", verbosity=0)

    assert attempt(client, "priya", password).status_code == 302


def test_guessing_the_password_on_the_signature_form_locks_the_account(client, pm, compliance, password, login):
    from healthpm.approvals.models import Signature
    from tests.factories import ready_initiative

    initiative = ready_initiative(pm, compliance)
    login(compliance)
    url = reverse("approvals:approval", args=[initiative.slug])
    guess = {"meaning": "approved", "password": "guess", "statement": ""}
    for _ in range(4):
        assert client.post(url, guess, REMOTE_ADDR="10.1.2.3").status_code == 400
    assert "_auth_user_id" in client.session

    response = client.post(url, guess, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 429 and "Sign-in is locked for now" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert attempt(client, "grace", password).status_code == 429
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="signature_refused").count() == 5
    assert AuditEvent.objects.filter(action="login_locked_out", after={"username": "grace"}).exists()
