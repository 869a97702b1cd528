"""Single sign-on with the hospital's OpenID Connect provider (mozilla-django-oidc).

mozilla-django-oidc does the protocol: the authorization code flow with PKCE (S256), state and
nonce kept in the session and checked at the callback, the code exchanged at the token
endpoint, the ID token's signature checked against the provider's published keys. We chose it
over django-allauth because it is a small layer over Django's own login (our login page, lockout
and audit stay as they are) and leaves provisioning to us, where the rules below live.

What this module adds:
- discovery: the endpoints come from ``OIDC_ISSUER/.well-known/openid-configuration``
  (fetched on first use, cached), whose ``issuer`` must be the configured one;
- the ID token's claims are validated (audience = our client id, issuer, expiry, issued-at,
  subject present), which the library leaves to the application;
- the account is keyed by issuer + subject (``SsoIdentity``), never by e-mail: a provider may
  reassign an address, a subject is forever;
- roles are re-derived from the provider's groups at every sign-in (``role_sync``).
"""

import time
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from healthpm.audit.services import record

from .models import SsoIdentity
from .role_sync import apply_provider_groups

DISCOVERY_CACHE_SECONDS = 3600
# A signature's re-authentication must have happened this recently at the provider (auth_time).
REAUTH_MAX_AGE_SECONDS = 120
# Clocks of two servers differ a little; a token issued "in the future" by this much is fine.
CLOCK_LEEWAY_SECONDS = 30


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def provider_metadata() -> dict:
    """The provider's discovery document, cached; refuses one that names another issuer."""
    key = f"healthpm:oidc-discovery:{issuer()}"
    metadata = cache.get(key)
    if metadata is None:
        response = requests.get(f"{issuer()}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        metadata = response.json()
        if metadata.get("issuer", "").rstrip("/") != issuer():
            raise ImproperlyConfigured(
                f"The provider at OIDC_ISSUER={issuer()} says its issuer is {metadata.get('issuer')!r}.")
        cache.set(key, metadata, DISCOVERY_CACHE_SECONDS)
    return metadata


def endpoint(name: str) -> str:
    value = provider_metadata().get(name)
    if not value:
        raise ImproperlyConfigured(f"The provider's discovery document has no {name}.")
    return value


def identity_of(user) -> SsoIdentity | None:
    """The user's SSO identity, or None for a local account (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_healthpm_sso"):
        user._healthpm_sso = SsoIdentity.objects.filter(user=user).first()
    return user._healthpm_sso


def is_sso_user(user) -> bool:
    return identity_of(user) is not None


class HospitalOIDCBackend(OIDCAuthenticationBackend):
    """The library's backend with discovered endpoints, full claim checks and our provisioning."""

    def __init__(self, *args, **kwargs):
        # The library reads fixed endpoint settings here; ours come from discovery, and only
        # when a sign-in actually happens (Django builds a backend on every request).
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):
        return endpoint("token_endpoint")

    @property
    def OIDC_OP_USER_ENDPOINT(self):
        return endpoint("userinfo_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):
        return endpoint("jwks_uri")

    def authenticate(self, request, **kwargs):
        if not enabled():
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        # A user an administrator deactivated is signed out at their next request.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _verify_jws(self, payload, key):
        """Signature and claims (OIDC Core 3.1.3.7): the library checks only the signature and expiry."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"The ID token is signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO}.")
        try:
            return jwt.decode(
                payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO], audience=self.OIDC_RP_CLIENT_ID,
                issuer=provider_metadata()["issuer"], leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token was refused: {exc}") from exc

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        # Kept for get_userinfo: groups may come in the ID token (Entra ID) or from userinfo (Okta).
        self._id_claims = payload
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            # OIDC Core 5.3.2: userinfo for another subject must not be used.
            raise SuspiciousOperation("The provider's user information is for another subject than the ID token.")
        return {**userinfo, **payload}

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        identity = SsoIdentity.objects.filter(issuer=claims["iss"], subject=claims["sub"]).select_related("user")
        return [i.user for i in identity]

    @transaction.atomic
    def create_user(self, claims):
        # No password: an SSO account cannot sign in locally (create_user stores an unusable one).
        user = self.UserModel.objects.create_user(username=_free_username(claims))
        _copy_profile(user, claims)
        SsoIdentity.objects.create(user=user, issuer=claims["iss"], subject=claims["sub"], last_login_at=timezone.now())
        record("sso_account_created", actor=user, obj=user, after={
            "username": user.username, "issuer": claims["iss"], "subject": claims["sub"]})
        apply_provider_groups(user, _groups(claims))
        return user

    @transaction.atomic
    def update_user(self, user, claims):
        _copy_profile(user, claims)
        SsoIdentity.objects.filter(user=user).update(last_login_at=timezone.now())
        apply_provider_groups(user, _groups(claims))
        return user


BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def verify_logout_token(token: str) -> dict:
    """A back-channel logout token's claims (OIDC Back-Channel Logout 1.0, 2.6), or SuspiciousOperation."""
    backend = HospitalOIDCBackend()
    try:
        key = backend.retrieve_matching_jwk(token)
        claims = jwt.decode(
            token, key, algorithms=[settings.OIDC_RP_SIGN_ALGO], audience=settings.OIDC_RP_CLIENT_ID,
            issuer=provider_metadata()["issuer"], leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "iat", "sub", "events"]},
        )
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise SuspiciousOperation(f"The logout token was refused: {exc}") from exc
    if BACKCHANNEL_LOGOUT_EVENT not in (claims.get("events") or {}) or "nonce" in claims:
        raise SuspiciousOperation("The token is not a back-channel logout token.")
    return claims


def _groups(claims) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = [value]
    return [str(g) for g in value]


def _copy_profile(user, claims) -> None:
    """Name and e-mail follow the provider: it is the source of truth for who someone is."""
    user.first_name = str(claims.get("given_name") or "")[:150]
    user.last_name = str(claims.get("family_name") or "")[:150]
    if not (user.first_name or user.last_name) and claims.get("name"):
        user.first_name = str(claims["name"])[:150]
    user.email = str(claims.get("email") or "")[:254]
    user.save(update_fields=["first_name", "last_name", "email"])


def _free_username(claims) -> str:
    """A readable username (preferred_username or the e-mail), made unique; never the identity key."""
    base = str(claims.get("preferred_username") or claims.get("email") or f"sso-{claims['sub']}")[:140]
    User = get_user_model()
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# --- Re-authentication for a signature (21 CFR 11.200(a)) ---------------------------------


@dataclass(frozen=True)
class Reauthentication:
    """What the provider said when it was asked to sign the user in again, as kept in the session."""

    issuer: str
    subject: str
    auth_time: int | None
    error: str = ""


def reauthentication_refusal(user, proof: Reauthentication | None, *, now: float | None = None) -> str | None:
    """Why this re-authentication does not let ``user`` sign, or None when it does.

    The provider must have signed in the same person (issuer + subject of the user's identity)
    within the last REAUTH_MAX_AGE_SECONDS: an old session answered without a fresh login, or a
    colleague who typed their own credentials at the provider, signs nothing.
    """
    identity = identity_of(user)
    if identity is None:
        return "Only single sign-on accounts re-authenticate with the provider."
    if proof is None:
        return f"No re-authentication with {settings.OIDC_ORGANISATION_NAME} was found for this signature."
    if proof.error:
        return f"{settings.OIDC_ORGANISATION_NAME} did not confirm your identity: {proof.error}"
    if (proof.issuer.rstrip("/"), proof.subject) != (identity.issuer.rstrip("/"), identity.subject):
        return (f"The sign-in at {settings.OIDC_ORGANISATION_NAME} was for another account than yours "
                f"({user.get_username()}). Sign in there as yourself.")
    now = time.time() if now is None else now
    if not isinstance(proof.auth_time, int) or now - proof.auth_time > REAUTH_MAX_AGE_SECONDS:
        return (f"{settings.OIDC_ORGANISATION_NAME} did not ask for your password just now (the sign-in it "
                f"reported is older than {REAUTH_MAX_AGE_SECONDS // 60} minutes), so it does not count as a signature.")
    return None
