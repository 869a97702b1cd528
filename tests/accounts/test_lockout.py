"""Login lockout (django-axes): repeated failures lock the username (per username and per username +
address, never the address alone: a nursing station shares one), an administrator unlocks from the
admin site, and the audit trail shows every failure and the lockout (OWASP ASVS 2.2.1, 21 CFR 11.300(d))."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from tests.factories import UserFactory

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


def test_five_failures_for_one_user_do_not_lock_another_user_at_the_same_address(client, pm, pm2, password):
    """A nursing station's workstations share one address: one nurse's typos must not lock the ward out."""
    for _ in range(5):
        attempt(client, "priya", "wrong-password", ip="10.20.0.7")
    assert attempt(client, "priya", password, ip="10.20.0.7").status_code == 429

    response = attempt(client, "marco", password, ip="10.20.0.7")

    assert response.status_code == 302 and signed_in(client)


def test_the_lock_follows_the_username_to_another_address(client, pm, password):
    for _ in range(5):
        attempt(client, "priya", "wrong-password", ip="10.20.0.7")

    assert attempt(client, "priya", password, ip="10.9.9.9").status_code == 429


def test_spraying_usernames_from_one_address_does_not_lock_the_address(client, pm2, password):
    for name in ("alice", "bob", "carol", "dave", "erin", "frank"):
        attempt(client, name, "Winter2026!", ip="203.0.113.9")

    assert attempt(client, "marco", password, ip="203.0.113.9").status_code == 302


def test_the_lockout_page_sends_the_user_to_an_administrator_not_a_command(client, pm):
    for _ in range(5):
        response = attempt(client, "priya", "wrong-password")

    body = response.content.decode()
    assert response.status_code == 429
    assert "administrator" in body and "unlock" in body
    assert "manage.py" not in body and "axes_reset" not in body


def test_an_administrator_unlocks_an_account_from_the_admin_site_and_it_is_audited(client, pm, password):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(5):
        attempt(client, "priya", "wrong-password")
    assert attempt(client, "priya", password).status_code == 429
    admin_client = Client()
    admin_client.force_login(admin_user)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert "Unlock sign-in" in admin_client.get(changelist).content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="priya").values_list("pk", flat=True)]
    assert ids

    response = admin_client.post(changelist, {"action": "unlock", "_selected_action": ids}, follow=True)

    assert "Sign-in unlocked for priya" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="priya").exists()
    event = AuditEvent.objects.get(action="login_unlocked")
    assert event.actor == admin_user
    assert event.after["username"] == "priya" and event.after["was_locked"] is True
    assert attempt(client, "priya", password).status_code == 302


def test_a_user_without_admin_rights_cannot_unlock(client, pm, compliance, password):
    for _ in range(5):
        attempt(client, "priya", "wrong-password")
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    officer = Client()
    officer.force_login(compliance)
    response = officer.post(reverse("admin:axes_accessattempt_changelist"),
                            {"action": "unlock", "_selected_action": ids})

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert AccessAttempt.objects.filter(pk__in=ids).exists()
    assert not AuditEvent.objects.filter(action="login_unlocked").exists()
    assert attempt(client, "priya", password).status_code == 429


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
