"""CSV export of the filtered portfolio (SPEC §7)."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:export_csv")


def body(client, **params) -> bytes:
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def rows(client, **params) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(client, **params).decode("utf-8-sig"))))


@pytest.mark.parametrize("persona", ["leader", "compliance"])
def test_leadership_and_compliance_export_the_portfolio(persona, portfolio, request, login):
    assert len(rows(login(request.getfixturevalue(persona)))) == 3


def test_one_row_per_initiative_with_gate_statuses_cost_class_and_defensibility(portfolio, leader, login):
    by_slug = {row["Slug"]: row for row in rows(login(leader))}

    cxr = by_slug[portfolio["cxr"].slug]
    assert (cxr["Title"], cxr["Owner"], cxr["Status"], cxr["Clinical area"]) == (
        "Chest X-ray triage", "Marco Rossi", "Draft", "Radiology and imaging")
    assert cxr["False-positive cost per month (USD)"] == "13500.00"
    assert cxr["False-positive cost basis"] == "Claimed (gate not approved)"
    assert cxr["Regulatory class"] == "IMDRF II" and cxr["Validation burden"].startswith("Moderate")
    assert cxr["Regulatory class basis"] == "Claimed (gate not approved)"
    assert (cxr["Inputs with an approved, timestamped source"], cxr["Inputs listed"],
            cxr["Inputs with an approved source (%)"]) == ("1", "2", "50")
    assert cxr["Paper fallback"] == "Drill overdue"
    assert cxr["Gate: False-positive cost"] == "In progress" and cxr["Gate: Cognitive load"] == "Not started"

    sepsis = by_slug[portfolio["sepsis"].slug]
    assert sepsis["Gate: Auditable inputs"] == "Approved" and sepsis["Paper fallback"] == "Drilled in time"
    assert sepsis["Regulatory class"] == "Non-device CDS" and sepsis["False-positive cost per month (USD)"] == "750.00"
    assert sepsis["Clinical area"] == "Critical care / inpatient deterioration"

    ranking = by_slug[portfolio["ranking"].slug]
    assert ranking["Regulatory class"] == "Not classified" and ranking["False-positive cost per month (USD)"] == ""
    assert ranking["Regulatory class basis"] == "" and ranking["False-positive cost basis"] == ""
    assert ranking["Clinical area"] == "Nursing" and ranking["Paper fallback"] == "No drill recorded"


def test_no_cell_is_a_code(portfolio, leader, login):
    """Every status, area and state in words: no snake_case code reaches the spreadsheet."""
    for row in rows(login(leader)):
        for column, value in row.items():
            if column != "Slug":
                assert "_" not in value, (column, value)


def test_an_approved_cost_is_marked_approved(portfolio, pm, compliance, leader, login):
    from tests.factories import approved_gate

    approved_gate(portfolio["sepsis"], pm, compliance, "false-positive-cost")

    sepsis = {row["Slug"]: row for row in rows(login(leader))}[portfolio["sepsis"].slug]
    assert sepsis["False-positive cost basis"] == "Approved"
    assert sepsis["Gate: False-positive cost"] == "Approved"


def test_the_file_starts_with_a_utf8_byte_order_mark_so_excel_reads_accents(pm, leader, login):
    InitiativeFactory(owner=pm, title="Détection précoce — sepsis")

    data = body(login(leader))

    assert data.startswith(b"\xef\xbb\xbfSlug,Title,")
    assert data.count(b"\xef\xbb\xbf") == 1
    assert "Détection précoce — sepsis" in data.decode("utf-8-sig")


def test_the_export_applies_the_dashboard_filters(portfolio, leader, pm, login):
    client = login(leader)
    assert [r["Title"] for r in rows(client, clinical_area="radiology")] == ["Chest X-ray triage"]
    assert sorted(r["Title"] for r in rows(client, owner=pm.pk)) == ["Alert ranking", "Sepsis early warning"]
    assert [r["Title"] for r in rows(client, status="in_review")] == ["Sepsis early warning"]
    assert [r["Title"] for r in rows(client, sort="cost")][:2] == ["Chest X-ray triage", "Sepsis early warning"]


def test_an_owner_id_too_large_for_the_database_is_ignored_like_any_invalid_filter(portfolio, leader, login):
    """Found by the form fuzzer: 30 nines overflowed SQLite's INTEGER and the export crashed."""
    everyone = rows(login(leader))

    assert rows(login(leader), owner="9" * 30) == everyone


def test_a_title_that_looks_like_a_formula_stays_text(pm, leader, login):
    InitiativeFactory(owner=pm, title='=HYPERLINK("https://evil.example","click")')
    assert rows(login(leader))[0]["Title"] == "'=HYPERLINK(\"https://evil.example\",\"click\")"
