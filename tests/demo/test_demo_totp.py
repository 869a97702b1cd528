"""`manage.py demo_totp`: the demo's current code, and nothing for an account with a real secret."""

import io
import time

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.accounts import mfa
from healthpm.demo import totp as demo_totp

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("demo_totp", *args, stdout=out)
    return out.getvalue().strip()


def test_it_prints_the_code_the_demo_officers_authenticator_accepts(compliance):
    assert demo_totp.enrol(compliance)

    code = run("grace")

    assert len(code) == 6 and code.isdigit()
    assert mfa.verify(compliance, code) is not None


def test_the_demo_secret_is_what_an_authenticator_app_would_compute_from_it(compliance):
    from base64 import b32decode

    demo_totp.enrol(compliance)
    totp = TOTP(b32decode(demo_totp.DEMO_TOTP_SECRET))
    totp.time = time.time()

    assert run("grace") == f"{totp.token():06d}"


def test_it_prints_nothing_for_an_account_whose_key_is_not_the_demo_secret(compliance):
    TOTPDevice.objects.create(user=compliance, name="app", confirmed=True)  # a random key, as enrolment makes
    out = io.StringIO()

    with pytest.raises(CommandError, match="does not hold the demo secret"):
        call_command("demo_totp", "grace", stdout=out)

    assert out.getvalue() == ""


def test_it_refuses_an_account_without_an_authenticator(compliance):
    with pytest.raises(CommandError, match="no authenticator"):
        run("grace")
    with pytest.raises(CommandError, match="No user"):
        run("nobody")


def test_enrolling_leaves_an_account_that_already_has_an_authenticator_alone(compliance):
    own = TOTPDevice.objects.create(user=compliance, name="app", confirmed=True)

    assert not demo_totp.enrol(compliance)

    assert list(TOTPDevice.objects.filter(user=compliance)) == [own]
