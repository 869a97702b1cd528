"""DEMO ONLY: the one TOTP secret seed_demo gives the demo's compliance officers and administrator.

It is public (README, this file), so an account holding it has no second factor at all: it
exists so the demo's sign-in and signing journeys can be run by anyone, with
`python manage.py demo_totp` or by adding the secret to an authenticator app. Nothing outside
healthpm/demo uses it, and demo_totp refuses any account whose key is not this one.
"""

from base64 import b32decode

from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.accounts import mfa
from healthpm.audit.services import record

# Base32, as authenticator apps take it (32 characters, 20 bytes); it says what it is.
DEMO_TOTP_SECRET = "HEALTHPMDEMOONLYNOTFORPRODUCTION"
# The demo users who get it: the roles HEALTHPM_MFA_REQUIRED_ROLES requires by default.
DEMO_MFA_USERS = ("compliance", "compliance2", "admin")


def demo_key_hex() -> str:
    return b32decode(DEMO_TOTP_SECRET).hex()


def holds_demo_secret(device: TOTPDevice) -> bool:
    return device.key.lower() == demo_key_hex()


def enrol(user) -> bool:
    """Give user a confirmed authenticator holding the demo secret; False when they already have one."""
    if mfa.has_device(user):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="Demo authenticator (public secret)", key=demo_key_hex(),
                                  confirmed=True)
        mfa.new_recovery_codes(user)
        record("mfa_enrolled", actor=user, obj=user, after={"user": user.get_username(), "demo_secret": True})
    return True


def current_code(device: TOTPDevice) -> str:
    """The code the device accepts now, for a device holding the demo secret only."""
    if not holds_demo_secret(device):
        raise ValueError("not the demo secret")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
