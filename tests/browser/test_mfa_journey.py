"""Two-factor sign-in in Chromium: a compliance officer who must enrol sets up an authenticator
from the page, saves the recovery codes, signs out and signs in again with a code.

The test plays the authenticator app: it reads the key the page shows for typing by hand and
computes the codes with django-otp's TOTP, as an app would from the QR code. The second sign-in
enters the code of the next 30-second step, which the server accepts (one step of tolerance)
and which is not the one already used, so nothing waits for the clock.
"""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.audit.models import AuditEvent

from .helpers import expect
from .test_accessibility import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.HEALTHPM_MFA_REQUIRED_ROLES = ["administrators", "compliance"]


def app_code(secret: str, *, later: int = 0) -> str:
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + later
    return f"{totp.token():06d}"


def test_an_officer_enrols_signs_out_and_signs_in_with_a_code(browse, shoot, compliance, axe_source):
    # --- after the password, every page leads to enrolment ------------------------------------------
    page = browse.sign_in(compliance)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    page.goto(browse.url("/reviews/"))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code for adding healthpm to an authenticator app")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.naturalWidth") > 100, "the QR code must render"
    secret = page.get_by_test_id("mfa-secret").inner_text()
    assert all(len(group) == 4 for group in secret.split())
    shoot(page, "mfa-01-enrol")
    assert run_axe(page, browse, shoot, "two-factor enrolment", "/accounts/mfa/") == []

    # --- confirm with the app's code; the ten recovery codes are shown once ----------------------------
    page.get_by_label("The 6-digit code your authenticator app shows now").fill(app_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    assert StaticToken.objects.filter(device__user=compliance).count() == 10
    assert TOTPDevice.objects.get(user=compliance).confirmed
    shoot(page, "mfa-02-recovery-codes")
    assert run_axe(page, browse, shoot, "recovery codes", "/accounts/mfa/") == []
    page.get_by_role("link", name="I have saved them — continue").click()
    expect(page).to_have_url(browse.url("/reviews/"))
    expect(page.get_by_role("link", name="Two-factor sign-in")).to_be_visible()

    # --- sign out, sign in: the password, then the code ------------------------------------------------
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(browse.url("/accounts/login/"))
    page.fill("#id_username", compliance.username)
    page.fill("#id_password", browse.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter the 6-digit code from your authenticator app")).to_be_visible()
    assert "/accounts/login/code/" in page.url
    shoot(page, "mfa-03-code")
    assert run_axe(page, browse, shoot, "two-factor code", "/accounts/login/code/") == []
    page.get_by_label("Authenticator code").fill(app_code(secret, later=30))
    page.get_by_role("button", name="Verify and sign in").click()

    expect(page.get_by_role("link", name="Initiatives")).to_be_visible()
    page.goto(browse.url("/reviews/"))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_have_count(0)
    assert AuditEvent.objects.filter(action="mfa_enrolled", actor=compliance).count() == 1
    assert AuditEvent.objects.filter(action="login", actor=compliance).count() == 2
    browse.assert_clean()
