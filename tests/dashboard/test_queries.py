"""The dashboard and its export ask a fixed number of queries, whatever the portfolio's size (SPEC §7)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import InitiativeFactory, approved_gate, fill_gate, gate_of, submitted_gate

pytestmark = pytest.mark.django_db


def grow(n: int, owners, officer) -> None:
    """n initiatives with a mix of filled, submitted and approved gates, facts and decisions."""
    for i in range(n):
        owner = owners[i % len(owners)]
        initiative = InitiativeFactory(owner=owner, title=f"Initiative {i:03d}")
        fill_gate(gate_of(initiative, "false-positive-cost"), owner)
        if i % 3 == 0:
            approved_gate(initiative, owner, officer, "paper-fallback")
        elif i % 3 == 1:
            submitted_gate(initiative, owner, "regulatory-classification")


def queries(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("url", [reverse("dashboard:portfolio"), reverse("dashboard:export_csv"),
                                 reverse("dashboard:export_xlsx")])
def test_the_query_count_does_not_grow_with_the_portfolio(url, pm, pm2, compliance, leader, login):
    client = login(leader)
    client.get(url)  # the first request after sign-in stamps the session's activity time
    grow(3, [pm, pm2], compliance)
    small = queries(client, url)
    filtered_small = queries(client, url, clinical_area="critical_care", owner=pm.pk, status="in_review", sort="cost")

    grow(27, [pm, pm2], compliance)
    assert queries(client, url) == small
    assert queries(client, url, clinical_area="critical_care", owner=pm.pk, status="in_review", sort="cost") == filtered_small
    assert small <= 15
