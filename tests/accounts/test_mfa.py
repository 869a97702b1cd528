"""Two-factor sign-in for local accounts (issue 15 item 4): enrolment, the code at sign-in, lockout,
recovery codes, the pending step's expiry, the enforcement middleware and the admin's reset.

Codes are computed from the device's key with django-otp's own TOTP; time moves with time_machine
(a TOTP code is accepted once per 30-second step, and a wrong code makes the next try wait).
"""

import datetime as dt
import re
import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.accounts import mfa
from healthpm.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
CODE = reverse("login_code")
ENROL = reverse("mfa_enrol")
START = dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.HEALTHPM_MFA_REQUIRED_ROLES = ["administrators", "compliance"]
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return device, mfa.new_recovery_codes(user)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def password_step(client, user, password, next_url=""):
    data = {"username": user.username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data, REMOTE_ADDR="10.1.2.3")


# --- enrolment ------------------------------------------------------------------------------------
def test_the_enrolment_page_draws_the_qr_code_here_and_shows_the_secret_in_groups_of_four(client, compliance):
    client.force_login(compliance)

    page = client.get(ENROL)

    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=compliance)
    assert not device.confirmed
    img = re.search(r'<img src="(data:image/svg\+xml[^"]+)"[^>]*data-testid="mfa-qr"', html)
    assert img, "the QR code is an inline SVG data: URI, drawn by the server"
    assert "otpauth" not in html.split("data:image/svg+xml")[0][-200:]  # no external QR service URL
    secret = mfa.secret_for_display(device)
    assert secret in html and all(len(group) == 4 for group in secret.split())
    from base64 import b32decode
    assert b32decode(secret.replace(" ", "")) == device.bin_key
    # Reloading keeps the same secret (the user may be halfway through scanning).
    assert secret in client.get(ENROL).content.decode()
    assert TOTPDevice.objects.filter(user=compliance).count() == 1


def test_a_valid_code_turns_it_on_and_shows_ten_recovery_codes_once(client, compliance, clock):
    client.force_login(compliance)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=compliance)

    page = client.post(ENROL, {"code": code_for(device)})

    assert page.status_code == 200
    shown = [c.replace("-", "") for c in re.findall(r"<li class=\"list-group-item\">([a-z2-7]{4}-[a-z2-7]{4})</li>",
                                                      page.content.decode())]
    assert len(shown) == 10 and len(set(shown)) == 10
    assert set(StaticToken.objects.filter(device__user=compliance).values_list("token", flat=True)) == set(shown)
    device.refresh_from_db()
    assert device.confirmed and verified(client)
    assert AuditEvent.objects.filter(action="mfa_enrolled", actor=compliance).count() == 1
    # Shown once: the page now says it is on, and holds none of the codes.
    again = client.get(ENROL).content.decode()
    assert "Two-factor sign-in is on" in again and not any(code[:4] in again for code in shown)
    # The verified session reaches everything.
    assert client.get(reverse("initiatives:list")).status_code == 200


def test_a_wrong_code_does_not_turn_it_on(client, compliance, clock):
    client.force_login(compliance)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=compliance)

    page = client.post(ENROL, {"code": wrong_code_for(device)})

    assert page.status_code == 400 and "That code is not correct" in page.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and not StaticToken.objects.exists() and not verified(client)


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(client, compliance, clock):
    device, old = enrol(compliance)
    client.force_login(compliance)
    client.post(CODE, {"code": code_for(device)})
    clock.shift(30)
    url = reverse("mfa_recovery_codes")

    refused = client.post(url, {"code": old[0]})  # a recovery code cannot make new ones
    assert refused.status_code == 400 and StaticToken.objects.filter(token=old[0]).exists()
    clock.shift(30)
    page = client.post(url, {"code": code_for(device)})

    assert page.status_code == 200
    tokens = set(StaticToken.objects.filter(device__user=compliance).values_list("token", flat=True))
    assert len(tokens) == 10 and not tokens & set(old)
    assert AuditEvent.objects.filter(action="mfa_recovery_codes_renewed").count() == 1


# --- signing in -------------------------------------------------------------------------------------
def test_after_the_password_an_enrolled_user_must_enter_a_code(client, compliance, password, clock):
    device, _ = enrol(compliance)
    target = reverse("reviews:queue")

    response = password_step(client, compliance, password, next_url=target)

    assert response.status_code == 302 and response["Location"] == CODE
    assert not signed_in(client)
    page = client.get(CODE)
    assert "Enter the 6-digit code from your authenticator app" in page.content.decode()

    response = client.post(CODE, {"code": code_for(device)})

    assert response.status_code == 302 and response["Location"] == target
    assert signed_in(client) and verified(client)
    assert client.get(target).status_code == 200
    assert AuditEvent.objects.filter(action="login", actor=compliance).count() == 1


def test_a_user_without_a_device_signs_in_with_the_password_alone(client, pm, password):
    response = password_step(client, pm, password)

    assert response.status_code == 302 and response["Location"] != CODE and signed_in(client)


def test_a_wrong_code_is_refused_saying_it_counts_as_a_failed_sign_in(client, compliance, password, clock):
    device, _ = enrol(compliance)
    password_step(client, compliance, password)

    page = client.post(CODE, {"code": wrong_code_for(device)})

    assert page.status_code == 400
    body = page.content.decode()
    assert "That code is not correct" in body and "count as failed sign-ins" in body
    assert not signed_in(client)
    event = AuditEvent.objects.get(action="mfa_failed")
    assert event.actor == compliance and event.after == {"user": "grace", "purpose": "sign-in"}


def test_the_fifth_wrong_code_locks_the_account_like_a_wrong_password(client, compliance, password, clock):
    device, _ = enrol(compliance)
    password_step(client, compliance, password)
    for _ in range(4):
        clock.shift(20)  # past django-otp's throttle: each of these is a real wrong guess
        assert client.post(CODE, {"code": wrong_code_for(device)}, REMOTE_ADDR="10.1.2.3").status_code == 400

    clock.shift(20)
    response = client.post(CODE, {"code": wrong_code_for(device)}, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 429 and "Sign-in is locked for now" in response.content.decode()
    assert not signed_in(client)
    # The right password, then the right code, are refused while locked.
    assert password_step(client, compliance, password).status_code == 429
    assert client.post(CODE, {"code": code_for(device)}).status_code == 302  # nothing pending: back to login
    assert not signed_in(client)
    assert AuditEvent.objects.filter(action="login_locked_out", after={"username": "grace"}).exists()


def test_wrong_passwords_and_wrong_codes_add_up_to_the_lock(client, compliance, password, clock):
    device, _ = enrol(compliance)
    for _ in range(3):
        assert password_step(client, compliance, "wrong-password").status_code == 200
    password_step(client, compliance, password)
    clock.shift(20)
    assert client.post(CODE, {"code": wrong_code_for(device)}, REMOTE_ADDR="10.1.2.3").status_code == 400

    clock.shift(20)
    assert client.post(CODE, {"code": wrong_code_for(device)}, REMOTE_ADDR="10.1.2.3").status_code == 429


def test_a_right_code_before_the_limit_resets_the_count(client, compliance, password, clock):
    device, _ = enrol(compliance)
    password_step(client, compliance, password)
    for _ in range(4):
        clock.shift(20)
        client.post(CODE, {"code": wrong_code_for(device)}, REMOTE_ADDR="10.1.2.3")
    clock.shift(20)
    assert client.post(CODE, {"code": code_for(device)}, REMOTE_ADDR="10.1.2.3").status_code == 302
    client.post(reverse("logout"))

    for _ in range(4):
        assert password_step(client, compliance, "wrong-password").status_code == 200
    assert password_step(client, compliance, password).status_code == 302


def test_a_recovery_code_signs_in_once(client, compliance, password, clock):
    _, codes = enrol(compliance)
    password_step(client, compliance, password)

    response = client.post(CODE, {"code": mfa.format_code(codes[3]).upper()})

    assert response.status_code == 302 and signed_in(client) and verified(client)
    assert not StaticToken.objects.filter(token=codes[3]).exists()
    event = AuditEvent.objects.get(action="mfa_recovery_code_used")
    assert event.after == {"user": "grace", "codes_left": 9}
    client.post(reverse("logout"))
    password_step(client, compliance, password)
    clock.shift(20)

    again = client.post(CODE, {"code": codes[3]})

    assert again.status_code == 400 and not signed_in(client)


def test_a_code_is_not_accepted_twice(client, compliance, password, clock):
    device, _ = enrol(compliance)
    code = code_for(device)
    password_step(client, compliance, password)
    assert client.post(CODE, {"code": code}).status_code == 302
    client.post(reverse("logout"))
    password_step(client, compliance, password)

    assert client.post(CODE, {"code": code}).status_code == 400


def test_the_code_step_expires_after_five_minutes(client, compliance, password, clock):
    device, _ = enrol(compliance)
    password_step(client, compliance, password)
    clock.shift(5 * 60 + 1)

    response = client.post(CODE, {"code": code_for(device)}, follow=True)

    assert response.redirect_chain[0] == (LOGIN, 302)
    assert "not entered within 5 minutes" in response.content.decode()
    assert not signed_in(client)
    assert client.get(CODE)["Location"] == LOGIN


def test_the_code_step_within_five_minutes_still_signs_in(client, compliance, password, clock):
    device, _ = enrol(compliance)
    password_step(client, compliance, password)
    clock.shift(4 * 60 + 50)

    assert client.post(CODE, {"code": code_for(device)}).status_code == 302 and signed_in(client)


def test_the_code_page_without_a_pending_sign_in_goes_to_the_login_page(client):
    assert client.get(CODE)["Location"] == LOGIN
    assert client.post(CODE, {"code": "123456"})["Location"] == LOGIN


# --- enforcement ------------------------------------------------------------------------------------
EVERY_KIND_OF_PAGE = ["home", "initiatives:list", "initiatives:new", "reviews:queue", "dashboard:portfolio",
                      "notifications:inbox", "dossier:verify", "password_change", "admin:index"]


@pytest.mark.parametrize("name", EVERY_KIND_OF_PAGE)
def test_an_officer_without_a_second_factor_is_sent_to_enrolment_from_every_page(client, compliance, name):
    client.force_login(compliance)
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    assert client.post(url, {})["Location"].startswith(ENROL)


def test_enforcement_covers_urls_of_objects_and_htmx_requests(client, compliance):
    client.force_login(compliance)

    assert client.get("/initiatives/any-initiative/gates/any-gate/")["Location"].startswith(ENROL)
    htmx = client.post("/initiatives/any-initiative/gates/any-gate/preview/", {}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == ENROL


def test_before_enrolling_signing_out_and_staying_signed_in_still_work(client, compliance):
    client.force_login(compliance)

    assert client.get(ENROL).status_code == 200
    assert client.post(reverse("keep_alive"), HTTP_ACCEPT="application/json").status_code == 200
    assert client.post(reverse("logout")).status_code == 302 and not signed_in(client)


def test_an_administrator_must_enrol_too(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert client.get(reverse("admin:index"))["Location"].startswith(ENROL)


def test_a_product_manager_is_not_sent_anywhere(client, pm, leader):
    for user in (pm, leader):
        client.force_login(user)
        assert client.get(reverse("initiatives:list")).status_code == 200


def test_with_the_setting_empty_nobody_must_enrol(client, compliance, settings):
    settings.HEALTHPM_MFA_REQUIRED_ROLES = []
    client.force_login(compliance)

    assert client.get(reverse("initiatives:list")).status_code == 200


def test_the_setting_names_who_must_enrol(pm, compliance, leader, settings):
    settings.HEALTHPM_MFA_REQUIRED_ROLES = ["product_managers"]

    assert mfa.required_for(pm) and not mfa.required_for(compliance) and not mfa.required_for(leader)


def test_a_session_with_a_device_but_no_code_is_sent_to_the_code_page(client, pm, clock):
    """A product manager who chose to enrol: a session signed in without the code (force_login) gets no further."""
    device, _ = enrol(pm)
    client.force_login(pm)
    url = reverse("initiatives:list")

    response = client.get(url)

    assert response.status_code == 302 and response["Location"].startswith(CODE)
    assert client.post(f"{CODE}?next={url}", {"code": code_for(device), "next": url})["Location"] == url
    assert verified(client) and client.get(url).status_code == 200


# --- the administrator's reset ------------------------------------------------------------------------
def test_an_administrator_resets_a_users_second_factor_from_the_admin_and_it_is_audited(compliance, clock):
    enrol(compliance)
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin_device, _ = enrol(admin_user)
    admin_client = Client()
    admin_client.force_login(admin_user)
    admin_client.post(CODE, {"code": code_for(admin_device)})
    changelist = reverse("admin:auth_user_changelist")
    assert "Reset two-factor sign-in" in admin_client.get(changelist).content.decode()

    response = admin_client.post(changelist, {"action": "reset_two_factor", "_selected_action": [compliance.pk]},
                                 follow=True)

    assert "Two-factor sign-in reset for grace" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=compliance).exists()
    assert not StaticDevice.objects.filter(user=compliance).exists()
    assert TOTPDevice.objects.filter(user=admin_user).exists()
    event = AuditEvent.objects.get(action="mfa_reset")
    assert event.actor == admin_user and event.after == {"user": "grace", "had_device": True}


def test_only_an_administrator_can_reset(client, compliance, pm):
    enrol(compliance)
    client.force_login(pm)

    response = client.post(reverse("admin:auth_user_changelist"),
                           {"action": "reset_two_factor", "_selected_action": [compliance.pk]})

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert TOTPDevice.objects.filter(user=compliance).exists()
    assert not AuditEvent.objects.filter(action="mfa_reset").exists()


def test_the_admin_offers_no_page_that_shows_or_sets_a_device_key():
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice) and not admin.site.is_registered(StaticDevice)


# --- hostile input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["", "12345\x00", "A" * 100_000, "１２３４５６", "-" * 8, "12 34 5"])
def test_whatever_is_typed_as_a_code_is_refused_without_an_error_or_a_sign_in(client, compliance, password, typed,
                                                                             clock):
    enrol(compliance)
    password_step(client, compliance, password)

    response = client.post(CODE, {"code": typed})

    assert response.status_code == 400 and not signed_in(client)


def test_an_enrolment_post_without_the_qr_code_shown_first_makes_no_key(client, compliance):
    client.force_login(compliance)

    response = client.post(ENROL, {"code": "123456"})

    assert response["Location"] == ENROL and not TOTPDevice.objects.exists()


# --- single sign-on accounts ---------------------------------------------------------------------------
def sso_account(user):
    from healthpm.accounts.models import SsoIdentity

    SsoIdentity.objects.create(user=user, issuer="https://login.hospital.example", subject=f"sub-{user.pk}")
    user.set_unusable_password()
    user.save()
    return user


def test_a_single_sign_on_officer_gets_the_second_factor_from_the_provider_not_here(client, compliance):
    sso_account(compliance)
    client.force_login(compliance)

    assert not mfa.is_local_account(compliance) and not mfa.required_for(compliance)
    assert client.get(reverse("initiatives:list")).status_code == 200
    response = client.get(ENROL, follow=True)
    assert response.redirect_chain[0][0] == reverse("home")
    assert "nothing to set up in healthpm" in response.content.decode()
    assert not TOTPDevice.objects.exists()
