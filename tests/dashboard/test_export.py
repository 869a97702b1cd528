"""CSV export of the filtered portfolio (SPEC §7)."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:export_csv")


def rows(client, **params) -> list[dict]:
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("persona", ["leader", "compliance"])
def test_leadership_and_compliance_export_the_portfolio(persona, portfolio, request, login):
    assert len(rows(login(request.getfixturevalue(persona)))) == 3


def test_one_row_per_initiative_with_gate_statuses_cost_class_and_defensibility(portfolio, leader, login):
    by_slug = {row["slug"]: row for row in rows(login(leader))}

    cxr = by_slug[portfolio["cxr"].slug]
    assert cxr["title"] == "Chest X-ray triage" and cxr["owner"] == "Marco Rossi" and cxr["status"] == "draft"
    assert cxr["fp_cost_per_month_usd"] == "13500.00"
    assert cxr["regulatory_class"] == "II" and cxr["validation_burden"].startswith("Moderate")
    assert (cxr["inputs_good"], cxr["inputs_total"], cxr["inputs_share_pct"]) == ("1", "2", "50")
    assert cxr["paper_fallback"] == "overdue"
    assert cxr["gate:false-positive-cost"] == "in_progress" and cxr["gate:cognitive-load"] == "not_started"

    sepsis = by_slug[portfolio["sepsis"].slug]
    assert sepsis["gate:auditable-inputs"] == "approved" and sepsis["paper_fallback"] == "drilled"
    assert sepsis["regulatory_class"] == "non-device" and sepsis["fp_cost_per_month_usd"] == "750.00"

    ranking = by_slug[portfolio["ranking"].slug]
    assert ranking["regulatory_class"] == "unclassified" and ranking["fp_cost_per_month_usd"] == ""


def test_the_export_applies_the_dashboard_filters(portfolio, leader, pm, login):
    client = login(leader)
    assert [r["title"] for r in rows(client, clinical_area="radiology")] == ["Chest X-ray triage"]
    assert sorted(r["title"] for r in rows(client, owner=pm.pk)) == ["Alert ranking", "Sepsis early warning"]
    assert [r["title"] for r in rows(client, status="in_review")] == ["Sepsis early warning"]
    assert [r["title"] for r in rows(client, sort="cost")][:2] == ["Chest X-ray triage", "Sepsis early warning"]


def test_an_owner_id_too_large_for_the_database_is_ignored_like_any_invalid_filter(portfolio, leader, login):
    """Found by the form fuzzer: 30 nines overflowed SQLite's INTEGER and the export crashed."""
    everyone = rows(login(leader))

    assert rows(login(leader), owner="9" * 30) == everyone


def test_a_title_that_looks_like_a_formula_stays_text(pm, leader, login):
    InitiativeFactory(owner=pm, title='=HYPERLINK("https://evil.example","click")')
    assert rows(login(leader))[0]["title"] == "'=HYPERLINK(\"https://evil.example\",\"click\")"
