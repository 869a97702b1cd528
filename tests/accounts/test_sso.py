"""Single sign-on rules that need no browser: role mapping, break-glass, the signature's
re-authentication rule, session limits, the ID token's claim checks and the provider being down.
The whole flow against a real provider is in tests/browser/test_sso_journey.py."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse

from healthpm.accounts import oidc, roles
from healthpm.accounts.models import SsoIdentity
from healthpm.accounts.oidc import Reauthentication, reauthentication_refusal
from healthpm.accounts.role_sync import ADMINISTRATOR, apply_provider_groups, roles_for
from healthpm.accounts.sso import SSO_SIGNED_IN_AT
from healthpm.approvals.models import Signature
from healthpm.audit.models import AuditEvent
from tests.factories import UserFactory, ready_initiative

pytestmark = pytest.mark.django_db

ISSUER = "https://login.hospital.example"
CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture
def mapping(settings):
    settings.OIDC_ROLE_GROUPS = {"product_manager": ["hp-pm"], "compliance": ["hp-co", "hp-co-2"],
                                 "leadership": ["hp-lead"], "administrator": ["hp-admin"]}


def sso_user(username="kim", subject="sub-kim", *role_names):
    user = UserFactory(username=username, first_name="Kim", last_name="Tanaka")
    user.set_unusable_password()
    user.save()
    for name in role_names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    SsoIdentity.objects.create(user=user, issuer=ISSUER, subject=subject)
    return user


def test_groups_map_to_roles_and_unmapped_groups_grant_nothing(mapping):
    assert roles_for(["nurses"]) == set()
    assert roles_for(["hp-co-2", "nurses"]) == {roles.COMPLIANCE}
    assert roles_for(["hp-pm", "hp-admin"]) == {roles.PRODUCT_MANAGER, ADMINISTRATOR}


def test_roles_follow_the_provider_at_every_sign_in_and_each_change_is_recorded(mapping):
    user = sso_user()
    apply_provider_groups(user, ["hp-co", "hp-admin"])
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {roles.COMPLIANCE}
    assert user.is_superuser and user.is_staff

    apply_provider_groups(user, ["hp-co", "hp-admin"])  # nothing changed: nothing recorded
    apply_provider_groups(user, ["nurses"])
    user.refresh_from_db()
    assert not user.groups.exists() and not user.is_superuser and not user.is_staff
    applied = AuditEvent.objects.filter(action="sso_roles_applied").order_by("id")
    assert [(e.after["granted"], e.after["revoked"]) for e in applied] == [
        ([ADMINISTRATOR, roles.COMPLIANCE], []), ([], [ADMINISTRATOR, roles.COMPLIANCE])]
    assert AuditEvent.objects.filter(action="roles_revoked", object_id=str(user.pk)).exists()


def test_first_sso_sign_in_creates_an_account_with_no_role_keyed_by_subject_not_email(mapping):
    backend = oidc.HospitalOIDCBackend()
    claims = {"iss": ISSUER, "sub": "sub-ada", "email": "ada@hospital.example", "given_name": "Ada",
              "family_name": "Lovelace", "groups": ["nurses"]}
    ada = backend.create_user(claims)
    assert (ada.first_name, ada.email, ada.has_usable_password()) == ("Ada", "ada@hospital.example", False)
    assert not ada.groups.exists()
    # Someone else later given the same address at the provider is a different person here.
    assert backend.filter_users_by_claims({**claims, "sub": "sub-newcomer"}) == []
    assert backend.filter_users_by_claims(claims) == [ada]
    newcomer = backend.create_user({**claims, "sub": "sub-newcomer"})
    assert newcomer != ada and newcomer.username == "ada@hospital.example-2"


def test_home_tells_a_user_without_a_role_whom_to_ask(client, settings, outsider):
    settings.HEALTHPM_ACCESS_CONTACT = "the AI governance office"
    client.force_login(outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Your account has no healthpm role yet" in response.content.decode()
    assert "the AI governance office" in response.content.decode()


@pytest.mark.parametrize("member, signed_in", [(True, True), (False, False)])
def test_with_sso_on_local_password_sign_in_is_kept_for_the_break_glass_group(client, settings, pm, password,
                                                                               member, signed_in):
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_ORGANISATION_NAME = "Riverside Health"
    settings.HEALTHPM_LOCAL_LOGIN_GROUP = "Break-glass"
    if member:
        pm.groups.add(Group.objects.create(name="Break-glass"))
    response = client.post(reverse("login"), {"username": pm.username, "password": password})
    assert ("_auth_user_id" in client.session) is signed_in
    if not signed_in:
        assert "Sign in with Riverside Health. Local accounts are kept for emergency" in response.content.decode()


def test_an_sso_account_has_no_password_to_sign_in_with_locally(client):
    user = sso_user()
    response = client.post(reverse("login"), {"username": user.username, "password": ""})
    assert "_auth_user_id" not in client.session and response.status_code == 200


# --- the signature's re-authentication ------------------------------------------------------


@pytest.mark.parametrize("proof, reason", [
    (None, "No re-authentication"),
    (Reauthentication(ISSUER, "sub-kim", None, error="access_denied"), "did not confirm your identity: access_denied"),
    (Reauthentication(ISSUER, "sub-bob", 0), "was for another account than yours"),
    (Reauthentication("https://elsewhere.example", "sub-kim", 0), "was for another account than yours"),
    (Reauthentication(ISSUER, "sub-kim", -121), "did not ask for your password just now"),
    (Reauthentication(ISSUER, "sub-kim", None), "did not ask for your password just now"),
    (Reauthentication(ISSUER, "sub-kim", -60), None),
])
def test_only_a_fresh_login_by_the_same_person_counts(proof, reason):
    user = sso_user()
    now = time.time()
    if proof is not None and isinstance(proof.auth_time, int):
        proof = Reauthentication(proof.issuer, proof.subject, int(now) + proof.auth_time, proof.error)
    refusal = reauthentication_refusal(user, proof, now=now)
    assert (refusal is None) if reason is None else (reason in refusal)


def test_a_local_account_cannot_sign_with_a_provider_answer(compliance):
    assert "Only single sign-on accounts" in reauthentication_refusal(
        compliance, Reauthentication(ISSUER, "sub-kim", int(time.time())))


def test_a_refused_re_authentication_signs_nothing_and_is_recorded(pm, compliance):
    from healthpm.approvals.services import initiative_sign
    from healthpm.core.errors import WorkflowError

    officer = sso_user("kim", "sub-kim", roles.COMPLIANCE)
    initiative = ready_initiative(pm, compliance)
    stale = Reauthentication(ISSUER, "sub-kim", int(time.time()) - 600)
    with pytest.raises(WorkflowError, match="Your signature was not recorded"):
        initiative_sign(initiative=initiative, by=officer, meaning="approved", reauthentication=stale)
    # An SSO officer has no password to fall back on.
    with pytest.raises(WorkflowError):
        initiative_sign(initiative=initiative, by=officer, meaning="approved", password="")
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="signature_refused").count() == 2

    fresh = Reauthentication(ISSUER, "sub-kim", int(time.time()) - 5)
    signature = initiative_sign(initiative=initiative, by=officer, meaning="approved", reauthentication=fresh)
    assert signature.signer == officer


def test_the_provider_being_down_keeps_the_form_and_signs_nothing(client, settings, pm, compliance):
    settings.OIDC_ISSUER = CLOSED_PORT
    settings.OIDC_TIMEOUT = 2
    officer = sso_user("kim", "sub-kim", roles.COMPLIANCE)
    initiative = ready_initiative(pm, compliance)
    client.force_login(officer)
    response = client.post(reverse("approvals:approval", args=[initiative.slug]),
                           {"meaning": "rejected", "statement": "Grounds kept."})
    body = response.content.decode()
    assert response.status_code == 400
    assert "did not answer. Nothing was changed" in body and "Grounds kept." in body
    assert not Signature.objects.exists()

    client.logout()
    response = client.get(reverse("sso_login"))
    assert response.status_code == 503 and "did not answer" in response.content.decode()


# --- sessions --------------------------------------------------------------------------------


def test_an_old_sso_session_goes_back_through_the_provider_on_a_page_load_but_not_a_form_post(client, settings):
    settings.OIDC_ISSUER = ISSUER
    settings.HEALTHPM_SSO_SESSION_MAX_SECONDS = 3600
    user = sso_user("kim", "sub-kim", roles.PRODUCT_MANAGER)
    client.force_login(user)
    session = client.session
    session[SSO_SIGNED_IN_AT] = int(time.time()) - 3601
    session.save()

    response = client.post(reverse("keep_alive"))
    assert response.status_code == 302 and "_auth_user_id" in client.session

    response = client.get(reverse("initiatives:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("sso_login") + "?next=")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="sso_session_ended", after__reason="maximum session age").exists()


def test_a_deactivated_sso_user_is_signed_out_at_the_next_request(client, settings):
    settings.OIDC_ISSUER = ISSUER
    user = sso_user("kim", "sub-kim", roles.PRODUCT_MANAGER)
    client.force_login(user, backend="healthpm.accounts.oidc.HospitalOIDCBackend")
    assert client.get(reverse("initiatives:list")).status_code == 200
    user.is_active = False
    user.save()
    response = client.get(reverse("initiatives:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the ID token's claims (the library checks only signature and expiry) --------------------


@pytest.fixture
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("change, problem", [
    ({}, None),
    ({"aud": "another-client"}, "Audience"),
    ({"iss": "https://impostor.example"}, "issuer"),
    ({"exp": 1}, "expired"),
    ({"sub": None}, "sub"),
])
def test_the_id_token_must_be_for_us_from_our_issuer_and_current(settings, signing_key, monkeypatch, change, problem):
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = "healthpm"
    monkeypatch.setattr(oidc, "provider_metadata", lambda: {"issuer": ISSUER})
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "healthpm", "sub": "sub-kim", "iat": now, "exp": now + 300, **change}
    token = jwt.encode({k: v for k, v in claims.items() if v is not None}, signing_key, algorithm="RS256")
    backend = oidc.HospitalOIDCBackend()
    if problem is None:
        assert backend._verify_jws(token, signing_key.public_key())["sub"] == "sub-kim"
    else:
        with pytest.raises(SuspiciousOperation, match=f"(?i){problem}"):
            backend._verify_jws(token, signing_key.public_key())


def test_a_token_signed_with_another_algorithm_is_refused(settings):
    settings.OIDC_RP_CLIENT_ID = "healthpm"
    token = jwt.encode({"sub": "x"}, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256")
    with pytest.raises(SuspiciousOperation, match="HS256"):
        oidc.HospitalOIDCBackend()._verify_jws(token, "a-shared-secret-of-at-least-32-bytes!")


def test_guessing_at_the_local_form_locks_an_sso_username_like_any_other(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    user = sso_user()
    for _ in range(5):
        response = client.post(reverse("login"), {"username": user.username, "password": "guess"})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="login_locked_out", after__username=user.username).exists()
