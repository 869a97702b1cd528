"""Rate limits per token (429 + Retry-After) and the problem+json shape of every refusal."""

import pytest
from django.core.cache import cache

from .conftest import assert_problem

URL = "/api/v1/initiatives/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_past_the_rate_a_token_gets_429_with_retry_after(api, pm, settings):
    settings.HEALTHPM_API_RATE_PER_MINUTE = 3
    client = api(pm)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(URL)
    body = assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    assert "retry after" in body["detail"].lower()


def test_the_limit_counts_each_token_apart(api, pm, settings):
    settings.HEALTHPM_API_RATE_PER_MINUTE = 1
    first, second = api(pm), api(pm)
    assert first.get(URL).status_code == 200
    assert first.get(URL).status_code == 429
    assert second.get(URL).status_code == 200


def test_an_unknown_url_under_the_api_is_plain_404(api, pm):
    assert api(pm).get("/api/v1/nothing-here/").status_code == 404


def test_a_wrong_method_is_a_problem_too(api, pm):
    body = assert_problem(api(pm).delete(URL), 405)
    assert "DELETE" in body["detail"]


def test_problems_have_exactly_the_rfc_9457_members(api, pm, pm2, initiative):
    refused = api(pm2).get(f"/api/v1/initiatives/{initiative.slug}/").json()
    assert set(refused) == {"type", "title", "status", "detail"}
    invalid = api(pm).get(URL, {"clinical_area": "mars"}).json()
    assert set(invalid) == {"type", "title", "status", "detail", "errors"}
    assert invalid["errors"][0]["field"] == "clinical_area"
