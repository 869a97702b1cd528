"""Creating, checking and revoking API tokens (the one place their rules live).

A token reads `hpm_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole
token is compared in constant time. The secret has 256 bits from `secrets`, so a plain hash
is enough (a slow password hash guards guessable secrets, which these are not).
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from healthpm.audit.services import record

from .models import ApiToken, Scope

PREFIX = "hpm"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def max_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.HEALTHPM_API_TOKEN_MAX_DAYS)


def check_expiry(expires_at: datetime) -> None:
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at > max_expiry():
        raise ValidationError({"expires_at": f"A token lives at most {settings.HEALTHPM_API_TOKEN_MAX_DAYS} days: "
                                             f"choose {max_expiry():%Y-%m-%d} or earlier."})


def check_scopes(scopes) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationError({"scopes": f"Choose one or more of {', '.join(Scope.values)}"
                                         + (f" (not {', '.join(unknown)})." if unknown else ".")})
    return [s for s in Scope.values if s in scopes]


def token_create(*, owner, name: str, scopes, expires_at: datetime, by, initiatives=()) -> tuple[ApiToken, str]:
    """A new token for `owner` and its secret, which is not stored and cannot be shown again.

    `by` is the owner themselves (their tokens page) or an administrator (the admin site).
    """
    if by.pk != owner.pk and not by.is_superuser:
        raise PermissionDenied("Only an administrator creates tokens for someone else.")
    if not owner.is_active:
        raise ValidationError({"owner": "The account is deactivated: activate it before giving it a token."})
    check_expiry(expires_at)
    scopes = check_scopes(scopes)
    prefix = secrets.token_hex(4)
    secret = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(owner=owner, name=name.strip(), prefix=prefix, secret_hash=_hash(secret),
                                        scopes=scopes, expires_at=expires_at, created_by=by)
        if initiatives:
            token.initiatives.set(initiatives)
        record("api_token_created", actor=by, obj=token,
               after={"owner": owner.get_username(), "name": token.name, "prefix": prefix, "scopes": scopes,
                      "expires_at": expires_at.isoformat(),
                      "initiatives": sorted(i.slug for i in initiatives)})
    return token, secret


def token_revoke(*, token: ApiToken, by) -> ApiToken:
    if by.pk != token.owner_id and not by.is_superuser:
        raise PermissionDenied("Only the token's owner or an administrator revokes it.")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at, token.revoked_by = timezone.now(), by
            token.save(update_fields=["revoked_at", "revoked_by"])
            record("api_token_revoked", actor=by, obj=token,
                   after={"owner": token.owner.get_username(), "prefix": token.prefix})
    return token


def token_for(presented: str) -> ApiToken | None:
    """The active token `presented` is, or None (unknown, malformed, revoked or expired)."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    token = ApiToken.objects.select_related("owner").filter(prefix=parts[1][:16]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(presented)):
        return None
    if not token.is_active or not token.owner.is_active:
        return None
    return token


# Stamping last use at most this often keeps a busy client from writing on every request.
LAST_USED_EVERY = timedelta(minutes=1)


def touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
