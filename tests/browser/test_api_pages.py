"""The API's pages in Chromium under the CSP: the docs page (Swagger UI from local files) and a
user's /api/tokens/ page, where a token is made, shown once, used, and revoked."""

import re

import pytest
from django.test import Client

from healthpm.api.models import ApiToken
from tests.factories import InitiativeFactory

from .helpers import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_the_schema_with_no_csp_violation(browse, pm, shoot):
    page = browse.sign_in(pm)
    page.goto(browse.url("/api/v1/docs/"))
    # Swagger UI drew the operations from the live schema: the script ran and fetched it.
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = set(operations.all_inner_texts())
    assert {"/api/v1/initiatives/", "/api/v1/initiatives/{slug}/gates/{key}/evidence/"} <= {
        p.replace("\u200b", "") for p in paths}
    expect(page.locator(".info .title")).to_contain_text("healthpm API")
    shoot(page, "api-01-docs")
    browse.assert_clean()


def test_a_user_makes_a_token_sees_it_once_uses_it_and_revokes_it(browse, pm, shoot):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    page = browse.sign_in(pm)
    page.goto(browse.url("/api/tokens/"))
    page.fill("#id_name", "nightly export")
    page.click("button:has-text('Create token')")
    secret = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(r"hpm_[0-9a-f]{8}_[\w-]+", secret)
    shoot(page, "api-02-token-created")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(f"/api/v1/initiatives/{initiative.slug}/").json()["title"] == "Sepsis early warning"

    page.goto(browse.url("/api/tokens/"))
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    page.click("button:has-text('Revoke “nightly export”')")
    expect(page.locator("table")).to_contain_text("revoked")
    assert ApiToken.objects.get().revoked_at is not None
    assert api.get(f"/api/v1/initiatives/{initiative.slug}/").status_code == 401
    browse.assert_clean()
