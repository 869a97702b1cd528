from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from healthpm.api import tokens
from healthpm.api.models import Scope
from tests.factories import InitiativeFactory


@pytest.fixture
def make_token(db):
    """make_token(user, scopes=("read",), days=30, initiatives=()) → the secret of a new token."""

    def _make(user, scopes=(Scope.READ,), days=30, initiatives=()):
        _token, secret = tokens.token_create(owner=user, name="test", scopes=list(scopes),
                                             expires_at=timezone.now() + timedelta(days=days), by=user,
                                             initiatives=list(initiatives))
        return secret

    return _make


@pytest.fixture
def api(make_token):
    """api(user, **token_kwargs) → a test client sending that user's new token on every request."""

    def _api(user, **kwargs):
        return Client(headers={"Authorization": f"Bearer {make_token(user, **kwargs)}"})

    return _api


@pytest.fixture
def initiative(pm):
    return InitiativeFactory(owner=pm, title="Sepsis early warning")


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body
