"""Who gets in: a valid bearer token; expired, revoked, unknown or malformed ones answer 401."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from healthpm.api import tokens
from healthpm.api.models import ApiToken
from healthpm.audit.models import AuditEvent

from .conftest import assert_problem

URL = "/api/v1/initiatives/"


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_a_valid_token_answers_and_stamps_its_last_use(pm, make_token, initiative):
    secret = make_token(pm)
    response = bearer(secret).get(URL)
    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == [initiative.slug]
    assert ApiToken.objects.get(owner=pm).last_used_at is not None


def test_only_the_hash_of_the_secret_is_stored(pm, make_token):
    secret = make_token(pm)
    token = ApiToken.objects.get(owner=pm)
    assert secret.startswith(f"hpm_{token.prefix}_") and len(secret) > 40
    assert secret not in token.secret_hash and token.secret_hash == tokens._hash(secret)


@pytest.mark.django_db
def test_no_token_answers_401_with_a_bearer_challenge(client):
    body = assert_problem(client.get(URL), 401)
    assert "Authorization: Bearer" in body["detail"]
    assert client.get(URL)["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_web_session_is_not_a_token(pm, login):
    """The API takes tokens only: a browser's session cookie never acts on it."""
    assert_problem(login(pm).get(URL), 401)


def test_an_expired_token_answers_401(pm, make_token):
    secret = make_token(pm, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        body = assert_problem(bearer(secret).get(URL), 401)
    assert "expired" in body["detail"]


def test_a_revoked_token_answers_401_and_the_revocation_is_audited(pm, make_token):
    secret = make_token(pm)
    token = ApiToken.objects.get(owner=pm)
    tokens.token_revoke(token=token, by=pm)
    assert_problem(bearer(secret).get(URL), 401)
    assert AuditEvent.objects.filter(action="api_token_revoked", object_id=str(token.pk), actor=pm).exists()


@pytest.mark.parametrize("header", ["Bearer hpm_00000000_nope", "Bearer not-a-token", "Bearer", "Bearer a b"])
def test_a_wrong_or_malformed_token_answers_401(pm, make_token, header):
    secret = make_token(pm)
    assert_problem(Client(headers={"Authorization": header}).get(URL), 401)
    # The right prefix with a wrong secret is refused too (the hash is compared, not the prefix).
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert_problem(bearer(forged).get(URL), 401)


def test_a_deactivated_owners_token_answers_401(pm, make_token):
    secret = make_token(pm)
    pm.is_active = False
    pm.save(update_fields=["is_active"])
    assert_problem(bearer(secret).get(URL), 401)


def test_creation_is_audited_without_the_secret(pm, make_token):
    secret = make_token(pm)
    event = AuditEvent.objects.get(action="api_token_created")
    assert event.actor == pm and event.after["scopes"] == ["read"]
    assert secret not in str(event.after) and secret.split("_", 2)[2] not in str(event.after)


def test_an_expiry_past_the_maximum_is_refused(pm, settings):
    from django.core.exceptions import ValidationError

    settings.HEALTHPM_API_TOKEN_MAX_DAYS = 30
    with pytest.raises(ValidationError) as refused:
        tokens.token_create(owner=pm, name="x", scopes=["read"], expires_at=timezone.now() + timedelta(days=31), by=pm)
    assert "30 days" in str(refused.value.message_dict["expires_at"])
    assert not ApiToken.objects.exists()


def test_only_an_administrator_makes_tokens_for_someone_else(pm, pm2):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        tokens.token_create(owner=pm, name="x", scopes=["read"], expires_at=timezone.now() + timedelta(days=1), by=pm2)
