"""Two-factor sign-in for local accounts: TOTP with single-use recovery codes (issue 15, item 4).

The rules live here; views, the middleware, the signing service and seed_demo call them.
The devices and their checks are django-otp's (TOTPDevice for the authenticator app,
StaticDevice for the recovery codes): a TOTP code is accepted once (a replay in the same
30-second step is refused) and both device kinds slow down repeated wrong codes
(django-otp's throttling, 1, 2, 4 … seconds). A wrong code also counts as a failed sign-in
for django-axes; the callers do that (accounts/lockout.py), because only they hold the request.

Who must enrol: settings.HEALTHPM_MFA_REQUIRED_ROLES, a list of the tokens of ROLE_TOKENS.
Anyone else may enrol, and once enrolled is asked for a code like everyone who must.
"""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.accounts import oidc, roles
from healthpm.audit.services import record

# HEALTHPM_MFA_REQUIRED_ROLES tokens → who they name. "administrators" are Django's staff and
# superusers (they can change roles and reference data); the others are the role groups.
ADMINISTRATORS = "administrators"
ROLE_TOKENS = {
    ADMINISTRATORS: None,
    "compliance": roles.COMPLIANCE,
    "product_managers": roles.PRODUCT_MANAGER,
    "leadership": roles.LEADERSHIP,
}
RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
# Between the right password and the code: after this the password must be entered again.
PENDING_LOGIN_SECONDS = 5 * 60
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def is_local_account(user) -> bool:
    """True when the user signs in with a password kept by healthpm, not through single sign-on.

    Two-factor sign-in applies to local accounts only: an account that signs in through the
    organisation's identity provider (an SsoIdentity, accounts/oidc.py) gets its second factor
    there, and re-authenticates at the provider to sign.
    """
    return not oidc.is_sso_user(user)


def required_for(user) -> bool:
    """Must this user have two-factor sign-in before using healthpm (HEALTHPM_MFA_REQUIRED_ROLES)?"""
    if not user.is_authenticated or not is_local_account(user):
        return False
    wanted = set(settings.HEALTHPM_MFA_REQUIRED_ROLES)
    if ADMINISTRATORS in wanted and (user.is_superuser or user.is_staff):
        return True
    held = roles.role_names(user)
    return any(ROLE_TOKENS.get(token) in held for token in wanted if ROLE_TOKENS.get(token))


def has_device(user) -> bool:
    """The user has confirmed an authenticator app (recovery codes alone are not a device)."""
    if not user.is_authenticated:
        return False
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def code_needed(user) -> bool:
    """Sign-in and signing ask this user for a code: a local account with an authenticator app."""
    return is_local_account(user) and has_device(user)


def normalise(token: str) -> str:
    """What people type: spaces and dashes between groups, any case."""
    return "".join((token or "").split()).replace("-", "").lower()


def verify(user, token: str, *, recovery: bool = True) -> Device | None:
    """The device that accepts token (a current TOTP code, or an unused recovery code), or None.

    Six digits are checked against the authenticator app only and anything else against the
    recovery codes only, so a mistyped code does not slow down the other device's next try.
    A recovery code is deleted as it is accepted (single use) and its use is audited.
    Wrong codes are not audited here: the caller knows whether it was a sign-in or a signature.
    """
    token = normalise(token)
    if not token or not user.is_authenticated:
        return None
    if token.isdigit() and len(token) == TOTP_DIGITS:
        model = TOTPDevice
    elif recovery:
        model = StaticDevice
    else:
        return None
    with transaction.atomic():
        # Locked, so two requests cannot both spend one code or both pass the throttle.
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(token):
                break
        else:
            return None
    if model is StaticDevice:
        record("mfa_recovery_code_used", actor=user, obj=user,
               after={"user": user.get_username(), "codes_left": device.token_set.count()})
    return device


def seconds_to_wait(user) -> int:
    """How long django-otp's throttle refuses every code after wrong ones (0: not throttled)."""
    waits = []
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.devices_for_user(user, confirmed=True):
            allowed, data = device.verify_is_allowed()
            if not allowed and data and data.get("locked_until"):
                waits.append((data["locked_until"] - timezone.now()).total_seconds())
    return max(0, int(max(waits, default=0) + 0.999))


def failed(user, *, purpose: str, username: str = "") -> None:
    """Audit a wrong code (mfa_failed); never the code itself."""
    name = username or user.get_username()
    record("mfa_failed", actor=user if user.is_authenticated else None, actor_label=name,
           after={"user": name, "purpose": purpose})


# --- enrolment -----------------------------------------------------------------------------
def pending_device(user, *, create: bool = True) -> TOTPDevice | None:
    """The user's unconfirmed authenticator, created (with a new random key) on first visit to the enrolment page.

    Kept across reloads so the QR code does not change while the user is scanning it.
    """
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None and create:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def confirm(user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm device with its first valid code: the new recovery codes, or None when the code is wrong."""
    token = normalise(token)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not (token.isdigit() and len(token) == TOTP_DIGITS and device.verify_token(token)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One authenticator per account: a re-enrolment replaces the old one.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = new_recovery_codes(user)
        record("mfa_enrolled", actor=user, obj=user, after={"user": user.get_username()})
    return codes


def new_recovery_codes(user) -> list[str]:
    """RECOVERY_CODE_COUNT fresh single-use codes (the old ones stop working), to show once."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.token_set.all().delete()
        codes = []
        while len(codes) < RECOVERY_CODE_COUNT:
            code = StaticToken.random_token()
            # A code of six digits would be read as an authenticator code (verify).
            if not code.isdigit() and code not in codes:
                codes.append(code)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reset(user, *, by) -> bool:
    """Remove the user's authenticator and recovery codes (they enrol again at next sign-in). Audited."""
    with transaction.atomic():
        had = TOTPDevice.objects.filter(user=user).exists() or StaticDevice.objects.filter(user=user).exists()
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record("mfa_reset", actor=by, obj=user, after={"user": user.get_username(), "had_device": had})
    return had


# --- what the enrolment page shows ------------------------------------------------------------
def secret_for_display(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as a QR code, an SVG data: URI drawn here (no external service, CSP img-src data:)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def format_code(code: str) -> str:
    """A recovery code as shown: two groups of four."""
    return f"{code[:4]}-{code[4:]}"
