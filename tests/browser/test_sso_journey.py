"""Single sign-on against a real OpenID Provider (npm's oidc-provider on loopback, tests/oidc/).

Chromium drives healthpm's login page, the provider's own login form and back: a first
sign-in creates the account with no role, a group at the provider grants a role at the next
sign-in and its removal revokes it, and a compliance officer's signature goes through a forced
re-login at the provider. What must not sign — a stale login, a colleague's login, a tampered
answer — is refused, recorded, and signs nothing.
"""

import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from healthpm.accounts import roles
from healthpm.accounts.models import SsoIdentity
from healthpm.approvals.models import Signature
from healthpm.audit.models import AuditEvent
from tests.factories import ready_initiative
from tests.oidc.fixtures import (  # noqa: F401
    OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, oidc, oidc_post_logout_redirect_uris, oidc_provider)

ORG = "Riverside Health"
OP_PASSWORD = "op-password"


@pytest.fixture(scope="session")
def oidc_redirect_uris(live_server):
    return [f"{live_server.url}/accounts/sso/callback/"]


@pytest.fixture(scope="session")
def oidc_backchannel_logout_uri(live_server):
    return f"{live_server.url}/accounts/sso/backchannel-logout/"


@pytest.fixture
def sso(settings, oidc):
    """healthpm pointed at the test provider, with its groups mapped to the roles."""
    from django.core.cache import cache

    cache.clear()
    settings.OIDC_ISSUER = oidc.issuer
    settings.OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid profile email groups"
    settings.OIDC_ORGANISATION_NAME = ORG
    settings.OIDC_ROLE_GROUPS = {"product_manager": ["hp-pm"], "compliance": ["hp-compliance"],
                                 "leadership": ["hp-leaders"], "administrator": ["hp-admins"]}
    settings.HEALTHPM_ACCESS_CONTACT = "the AI governance office"
    return oidc


def sso_sign_in(browse, username, *, page=None):
    """healthpm's login page → "Sign in with …" → the provider's form (if it asks) → back."""
    page = page or browse.new_page()
    page.goto(browse.url("/accounts/login/"))
    page.click(f"text=Sign in with {ORG}")
    page.wait_for_load_state()
    if page.locator("#username").count():
        provider_login(page, username)
    return page


def provider_login(page, username):
    page.fill("#username", username)
    page.fill("#password", OP_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()


def sign_out(page):
    page.click("button:has-text('Sign out')")
    page.wait_for_load_state()


def test_first_sign_in_has_no_role_a_group_grants_one_and_its_removal_revokes_it(browse, shoot, sso):
    sso.set_user("ada", password=OP_PASSWORD, given_name="Ada", family_name="Lovelace",
                 email="ada@hospital.example", groups=["nurses"])

    page = browse.new_page()
    page.goto(browse.url("/accounts/login/"))
    expect(page.locator("main")).to_contain_text(f"Sign in with {ORG}")
    shoot(page, "sso-01-login-page")
    sso_sign_in(browse, "ada", page=page)
    expect(page.locator("h1")).to_have_text("Your account has no healthpm role yet")
    expect(page.locator("main")).to_contain_text("the AI governance office")
    shoot(page, "sso-02-no-role")

    user = get_user_model().objects.get(sso_identity__subject="sub-ada")
    assert (user.first_name, user.last_name, user.email) == ("Ada", "Lovelace", "ada@hospital.example")
    assert not user.has_usable_password()
    assert set(user.groups.values_list("name", flat=True)) == set()
    # A page the role would open stays closed: the permission rules are the same for SSO users.
    page.goto(browse.url("/dashboard/"))
    assert "Portfolio" not in page.title()

    sign_out(page)
    sso.set_user("ada", password=OP_PASSWORD, given_name="Ada", family_name="Lovelace",
                 email="ada@hospital.example", groups=["nurses", "hp-compliance"])
    sso_sign_in(browse, "ada", page=page)
    expect(page.locator("nav")).to_contain_text("Compliance")
    assert roles.COMPLIANCE in set(user.groups.values_list("name", flat=True))

    sign_out(page)
    sso.remove_group("ada", "hp-compliance")
    sso_sign_in(browse, "ada", page=page)
    expect(page.locator("h1")).to_have_text("Your account has no healthpm role yet")
    assert not user.groups.exists()
    assert AuditEvent.objects.filter(action="roles_revoked", object_id=str(user.pk)).exists()
    applied = AuditEvent.objects.filter(action="sso_roles_applied", object_id=str(user.pk)).order_by("id")
    assert [e.after["revoked"] for e in applied] == [[], [roles.COMPLIANCE]]
    assert SsoIdentity.objects.filter(user=user).count() == 1
    browse.assert_clean()


def _officer_with_initiative(browse, sso, pm, compliance, username="kim"):
    """A compliance officer who signs in with SSO, and an initiative waiting for the final signature."""
    sso.set_user(username, password=OP_PASSWORD, given_name="Kim", family_name="Tanaka",
                 email=f"{username}@hospital.example", groups=["hp-compliance"])
    sso.set_user("bob", password=OP_PASSWORD, given_name="Bob", family_name="Other",
                 email="bob@hospital.example", groups=["hp-compliance"])
    initiative = ready_initiative(pm, compliance)
    page = sso_sign_in(browse, username)
    expect(page.locator("nav")).to_contain_text("Compliance")
    return page, initiative


def _answer_with_another_state(page, route):
    """Follow the provider's redirects by hand and hand the browser our callback with a changed state.

    Playwright does not intercept redirects, so the provider's login form post is answered here:
    its two redirects (to the provider's resume URL, then to our callback) are fetched with the
    browser's cookies, and the browser is sent to the callback URL with its state altered.
    """
    resume = route.fetch(max_redirects=0)
    to_callback = page.context.request.get(urljoin(route.request.url, resume.headers["location"]), max_redirects=0)
    parts = urlsplit(to_callback.headers["location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = query["state"][:-4] + ("abcd" if not query["state"].endswith("abcd") else "wxyz")
    route.fulfill(status=303, headers={"location": urlunsplit(parts._replace(query=urlencode(query)))})


def _ask_to_sign(browse, page, initiative):
    page.goto(browse.url(f"/initiatives/{initiative.slug}/approval/"))
    expect(page.locator("#id_password")).to_have_count(0)
    page.check("input[value='approved']")
    page.click(f"button:has-text('Sign in again at {ORG} and sign')")
    page.wait_for_load_state()


def test_signing_forces_a_fresh_login_at_the_provider(browse, shoot, sso, pm, compliance):
    page, initiative = _officer_with_initiative(browse, sso, pm, compliance)
    _ask_to_sign(browse, page, initiative)
    # The provider asks again although its session is alive (prompt=login, max_age=0).
    expect(page.locator("#username")).to_be_visible()
    shoot(page, "sso-03-forced-relogin")
    provider_login(page, "kim")
    expect(page.locator("main")).to_contain_text("Signed:")
    shoot(page, "sso-04-signed")
    signature = Signature.objects.get(initiative=initiative)
    assert signature.signer.sso_identity.subject == "sub-kim"
    assert signature.printed_name == "Kim Tanaka"
    browse.assert_clean()


@pytest.mark.parametrize("attack", ["stale login", "another account", "tampered state"])
def test_what_must_not_sign_is_refused_recorded_and_signs_nothing(browse, shoot, sso, pm, compliance, attack):
    page, initiative = _officer_with_initiative(browse, sso, pm, compliance)
    if attack == "stale login":
        sso.set_stale_auth(300)
    if attack == "tampered state":
        page.route("**/interaction/*/login", lambda route: _answer_with_another_state(page, route))
    _ask_to_sign(browse, page, initiative)
    provider_login(page, "bob" if attack == "another account" else "kim")

    expected = {
        "stale login": "did not ask for your password just now",
        # Bob's login ends Kim's session at the provider, which tells healthpm by back-channel
        # logout; whichever arrives first, the refusal or the logout, nothing is signed.
        "another account": r"was for another account than yours|You were signed out at " + ORG,
        "tampered state": "did not match a sign-in started in this browser",
    }[attack]
    expect(page.locator("main")).to_contain_text(re.compile(expected))
    shoot(page, f"sso-05-refused-{attack.replace(' ', '-')}")
    assert not Signature.objects.filter(initiative=initiative).exists()
    initiative.refresh_from_db()
    assert initiative.status == "ready"
    recorded = {"stale login": {"signature_refused"}, "another account": {"signature_refused", "sso_session_ended"},
                "tampered state": {"sso_login_failed"}}[attack]
    assert AuditEvent.objects.filter(action__in=recorded).exists()


def test_signing_out_at_the_provider_ends_the_healthpm_session(browse, sso):
    sso.set_user("ada", password=OP_PASSWORD, given_name="Ada", family_name="Lovelace", groups=["hp-pm"])
    page = sso_sign_in(browse, "ada")
    expect(page.locator("nav")).to_contain_text("PM")

    end_session = requests.get(f"{sso.issuer}/.well-known/openid-configuration", timeout=5).json()["end_session_endpoint"]
    page.goto(f"{end_session}?client_id={OIDC_CLIENT_ID}")
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_load_state()

    page.goto(browse.url("/initiatives/"))
    expect(page.locator("h1")).to_have_text("Sign in to healthpm")
    expect(page.locator("main")).to_contain_text(f"You were signed out at {ORG}.")
    user = get_user_model().objects.get(sso_identity__subject="sub-ada")
    assert list(AuditEvent.objects.filter(object_id=str(user.pk), action__startswith="sso_").values_list(
        "action", flat=True).order_by("id"))[-2:] == ["sso_logged_out_at_provider", "sso_session_ended"]
