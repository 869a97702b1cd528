"""Service accounts and tokens made by an administrator, and a user's own /api/tokens/ page."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from healthpm.accounts import roles
from healthpm.api.models import ApiToken, ServiceAccount
from healthpm.audit.models import AuditEvent
from tests.conftest import _persona
from tests.factories import PASSWORD

from .conftest import assert_problem

SECRET = re.compile(r"hpm_[0-9a-f]{8}_[\w-]{20,}")


@pytest.fixture
def admin_client(db):
    admin = _persona("ada", "Ada", "Admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client, admin


def _service_account(admin_client):
    client, _admin = admin_client
    compliance = Group.objects.get_or_create(name=roles.COMPLIANCE)[0]
    response = client.post("/admin/api/serviceaccount/add/", {
        "username": "svc-registry", "description": "Model registry sync, owned by the data team",
        "roles": [compliance.pk]})
    assert response.status_code == 302, response.content[:2000]
    return ServiceAccount.objects.select_related("user").get()


def test_an_administrator_creates_a_service_account_with_a_role_and_no_password(admin_client):
    account = _service_account(admin_client)
    assert not account.user.has_usable_password()
    assert roles.is_compliance(account.user)
    event = AuditEvent.objects.get(action="service_account_created")
    assert event.actor == admin_client[1] and event.after["roles"] == [roles.COMPLIANCE]


def test_a_service_account_cannot_use_the_login_form_even_with_a_password(admin_client):
    account = _service_account(admin_client)
    account.user.set_password(PASSWORD)
    account.user.save()
    response = Client().post("/accounts/login/", {"username": "svc-registry", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in response.client.session
    assert "service account" in response.content.decode()


def test_the_admin_creates_a_token_for_a_service_account_showing_the_secret_once(admin_client, pm):
    from tests.factories import InitiativeFactory

    initiative = InitiativeFactory(owner=pm)
    account = _service_account(admin_client)
    client, admin = admin_client
    expires = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    response = client.post("/admin/api/apitoken/add/", {
        "owner": account.user.pk, "name": "registry", "scopes": ["read", "evidence:write"],
        "expires_at_0": expires, "expires_at_1": "12:00:00", "initiatives": []}, follow=True)
    page = response.content.decode()
    secret = SECRET.search(page)[0]
    token = ApiToken.objects.get()
    assert token.owner == account.user and token.created_by == admin and token.scopes == ["read", "evidence:write"]
    # The service account reads what compliance reads, through its token.
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(f"/api/v1/initiatives/{initiative.slug}/").status_code == 200
    # Shown once: the token's own admin page has the prefix only.
    later = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert token.prefix in later and secret not in later
    assert AuditEvent.objects.filter(action="api_token_created", actor=admin).exists()


def test_the_admin_refuses_an_expiry_past_the_maximum(admin_client, pm, settings):
    settings.HEALTHPM_API_TOKEN_MAX_DAYS = 10
    client, _ = admin_client
    expires = (timezone.now() + timedelta(days=11)).strftime("%Y-%m-%d")
    response = client.post("/admin/api/apitoken/add/", {
        "owner": pm.pk, "name": "x", "scopes": ["read"], "expires_at_0": expires, "expires_at_1": "12:00:00"})
    assert response.status_code == 200 and "at most 10 days" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_tokens_with_an_action(admin_client, pm, make_token):
    secret = make_token(pm)
    client, admin = admin_client
    token = ApiToken.objects.get()
    response = client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at and token.revoked_by == admin
    assert AuditEvent.objects.filter(action="api_token_revoked", actor=admin).exists()
    assert_problem(Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/initiatives/"), 401)


def test_a_user_creates_a_token_on_their_page_and_sees_the_secret_once(login, pm):
    client = login(pm)
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post("/api/tokens/", {"name": "my script", "scopes": ["read"], "expires_on": expires})
    secret = SECRET.search(response.content.decode())[0]
    token = ApiToken.objects.get(owner=pm)
    assert token.name == "my script" and token.scopes == ["read"] and token.expires_at.date().isoformat() == expires
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/initiatives/").status_code == 200
    again = client.get("/api/tokens/").content.decode()
    assert f"hpm_{token.prefix}_" in again and secret not in again


def test_the_page_refuses_a_bad_expiry_and_no_scope_naming_the_fields(login, pm, settings):
    settings.HEALTHPM_API_TOKEN_MAX_DAYS = 30
    page = login(pm).post("/api/tokens/", {"name": "x", "expires_on": "2999-01-01"}).content.decode()
    assert "at most 30 days" in page and "This field is required" in page
    assert not ApiToken.objects.exists()


def test_a_user_revokes_their_own_token_but_not_someone_elses(login, pm, pm2, make_token):
    make_token(pm)
    token = ApiToken.objects.get()
    assert login(pm2).post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert login(pm).post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == pm


def test_the_admin_refuses_a_token_for_a_deactivated_account(admin_client, pm):
    pm.is_active = False
    pm.save(update_fields=["is_active"])
    client, _ = admin_client
    expires = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%d")
    response = client.post("/admin/api/apitoken/add/", {
        "owner": pm.pk, "name": "x", "scopes": ["read"], "expires_at_0": expires, "expires_at_1": "12:00:00"})
    assert response.status_code == 200 and "is deactivated" in response.content.decode()
    assert not ApiToken.objects.exists()
