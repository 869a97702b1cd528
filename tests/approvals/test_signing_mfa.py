"""Signing with a second factor (issue 15 item 4, 21 CFR 11.200): an officer with an authenticator
app re-enters the password AND a current code; a wrong code signs nothing, is audited with its
reason and counts towards the login lockout like a wrong password."""

import datetime as dt
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.approvals.models import Signature
from healthpm.approvals.services import initiative_sign
from healthpm.audit.models import AuditEvent
from healthpm.core.errors import PasswordRefused
from tests.factories import PASSWORD, db_state, ready_initiative

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def device(compliance):
    return TOTPDevice.objects.create(user=compliance, name="app", confirmed=True)


def verified_login(client, user, device):
    """Signed in as at the end of the code step (force_login alone is sent to the code page)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def code_for(device, *, wrong=False) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{(totp.token() + (500_000 if wrong else 0)) % 1_000_000:06d}"


def test_the_right_password_without_the_code_signs_nothing(pm, compliance, device, clock):
    initiative = ready_initiative(pm, compliance)
    before = db_state(initiative)

    with pytest.raises(PasswordRefused, match="authenticator code is not correct"):
        initiative_sign(initiative=initiative, by=compliance, password=PASSWORD, meaning="approved")

    after = db_state(initiative)
    assert {**after, "audit_events": before["audit_events"]} == before and not Signature.objects.exists()
    event = AuditEvent.objects.latest("id")
    assert event.action == "signature_refused"
    assert event.after == {"reason": "wrong authenticator code", "meaning": "approved"}


def test_a_wrong_code_signs_nothing(pm, compliance, device, clock):
    initiative = ready_initiative(pm, compliance)

    with pytest.raises(PasswordRefused):
        initiative_sign(initiative=initiative, by=compliance, password=PASSWORD, meaning="approved",
                        otp_code=code_for(device, wrong=True))

    assert not Signature.objects.exists()
    assert AuditEvent.objects.get(action="signature_refused").after["reason"] == "wrong authenticator code"


def test_a_wrong_password_does_not_spend_the_code(pm, compliance, device, clock):
    initiative = ready_initiative(pm, compliance)
    code = code_for(device)

    with pytest.raises(PasswordRefused, match="password is not correct"):
        initiative_sign(initiative=initiative, by=compliance, password="guess", meaning="approved", otp_code=code)
    signature = initiative_sign(initiative=initiative, by=compliance, password=PASSWORD, meaning="approved",
                                otp_code=code)

    assert signature.signer == compliance


def test_the_password_and_a_current_code_sign(pm, compliance, device, clock):
    initiative = ready_initiative(pm, compliance)

    signature = initiative_sign(initiative=initiative, by=compliance, password=PASSWORD, meaning="approved",
                                otp_code=code_for(device))

    assert signature.manifestation.startswith("Grace Okafor")


def test_the_page_asks_for_the_code_only_of_an_officer_with_an_authenticator(pm, compliance, compliance2, login,
                                                                            device):
    initiative = ready_initiative(pm, compliance)
    url = reverse("approvals:approval", args=[initiative.slug])

    assert "Authenticator code" in verified_login(login(compliance), compliance, device).get(url).content.decode()
    assert "Authenticator code" not in login(compliance2).get(url).content.decode()


def test_signing_through_the_page_with_the_code(pm, compliance, login, device, clock):
    initiative = ready_initiative(pm, compliance)
    client = verified_login(login(compliance), compliance, device)
    url = reverse("approvals:approval", args=[initiative.slug])

    refused = client.post(url, {"meaning": "approved", "password": PASSWORD, "otp_code": ""})
    assert refused.status_code == 400 and not Signature.objects.exists()
    clock.shift(2)
    wrong = client.post(url, {"meaning": "approved", "password": PASSWORD, "otp_code": code_for(device, wrong=True)})
    assert wrong.status_code == 400 and "authenticator code is not correct" in wrong.content.decode()
    assert not Signature.objects.exists()
    clock.shift(30)
    page = client.post(url, {"meaning": "approved", "password": PASSWORD, "otp_code": code_for(device)}, follow=True)

    assert "Signed: Grace Okafor" in page.content.decode() and Signature.objects.count() == 1


def test_guessing_the_code_on_the_signature_form_locks_the_account(client, pm, compliance, device, login, clock,
                                                                  settings):
    settings.AXES_FAILURE_LIMIT = 5
    initiative = ready_initiative(pm, compliance)
    verified_login(client, compliance, device)
    url = reverse("approvals:approval", args=[initiative.slug])
    for _ in range(4):
        clock.shift(20)
        guess = {"meaning": "approved", "password": PASSWORD, "otp_code": code_for(device, wrong=True)}
        assert client.post(url, guess, REMOTE_ADDR="10.1.2.3").status_code == 400

    clock.shift(20)
    guess = {"meaning": "approved", "password": PASSWORD, "otp_code": code_for(device, wrong=True)}
    response = client.post(url, guess, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="signature_refused", after__reason="wrong authenticator code").count() == 5
