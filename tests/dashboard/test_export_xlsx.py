"""XLSX export of the filtered portfolio (issue 14 item 5): the CSV's rows as typed cells."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from healthpm.core.xlsx import CONTENT_TYPE
from healthpm.dashboard.export import csv_header
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:export_xlsx")


def workbook(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="healthpm-portfolio-{today}.xlsx"'
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def records(ws) -> dict[str, dict]:
    """Slug → {header: cell} for every data row."""
    header = [c.value for c in ws[1]]
    return {row[0].value: dict(zip(header, row)) for row in ws.iter_rows(min_row=2)}


@pytest.mark.parametrize("persona", ["leader", "compliance"])
def test_leadership_and_compliance_export_the_portfolio_as_xlsx(persona, portfolio, request, login):
    ws = workbook(login(request.getfixturevalue(persona))).active
    assert ws.max_row == 1 + 3


def test_a_product_manager_may_not_export_the_portfolio(portfolio, pm, login):
    response = login(pm).get(URL)
    assert response.status_code == 403


def test_the_header_is_the_csvs_bold_frozen_and_filtered(portfolio, leader, login):
    ws = workbook(login(leader)).active

    assert ws.title == "Portfolio"
    assert [c.value for c in ws[1]] == csv_header()
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    last = ws.cell(row=1, column=len(csv_header())).column_letter
    assert ws.auto_filter.ref == f"A1:{last}4"
    widths = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
    assert all(8 <= w <= 60 for w in widths.values())
    assert widths["Title"] >= len("Chest X-ray triage") and widths["Status"] < widths["Title"]


def test_numbers_money_and_dates_are_typed_cells_and_states_are_words(portfolio, leader, login):
    today = timezone.localdate()
    cxr = records(workbook(login(leader)).active)[portfolio["cxr"].slug]

    cost = cxr["False-positive cost per month (USD)"]
    assert (cost.value, cost.data_type) == (13500, "n") and "$" in cost.number_format
    assert [(cxr[c].value, cxr[c].data_type) for c in ("Inputs with an approved, timestamped source", "Inputs listed",
                                                       "Inputs with an approved source (%)")] == [(1, "n"), (2, "n"),
                                                                                                   (50, "n")]
    drill = cxr["Last drill date"]
    assert drill.is_date and drill.value.date() == today - timedelta(days=400) and drill.number_format == "yyyy-mm-dd"
    expiry = cxr["Next BAA expiry"]
    assert expiry.is_date and expiry.value.date() == today - timedelta(days=5)
    assert cxr["Status"].value == "Draft" and cxr["Clinical area"].value == "Radiology and imaging"
    assert cxr["Gate: False-positive cost"].value == "In progress" and cxr["Paper fallback"].value == "Drill overdue"
    assert cxr["False-positive cost basis"].value == "Claimed (gate not approved)"


def test_no_text_cell_is_a_code_and_an_empty_fact_is_an_empty_cell(portfolio, leader, login):
    rows = records(workbook(login(leader)).active)
    for slug, row in rows.items():
        for column, cell in row.items():
            if column != "Slug" and isinstance(cell.value, str):
                assert "_" not in cell.value, (column, cell.value)
    ranking = rows[portfolio["ranking"].slug]
    assert ranking["False-positive cost per month (USD)"].value is None
    assert ranking["Last drill date"].value is None and ranking["Regulatory class"].value == "Not classified"


def test_the_xlsx_has_the_csvs_rows_for_the_same_filters_and_sort(portfolio, leader, pm, login):
    client = login(leader)
    params = {"owner": pm.pk, "sort": "cost"}
    text = b"".join(client.get(reverse("dashboard:export_csv"), params).streaming_content).decode("utf-8-sig")
    from_csv = [(r["Slug"], r["Title"], r["Status"], r["Last drill date"]) for r in csv.DictReader(io.StringIO(text))]

    ws = workbook(client, **params).active
    assert ws.title == "Portfolio (filtered)"
    from_xlsx = [(r["Slug"].value, r["Title"].value, r["Status"].value,
                  r["Last drill date"].value.date().isoformat() if r["Last drill date"].value else "")
                 for r in records(ws).values()]
    assert from_xlsx == from_csv
    assert [t for _, t, _, _ in from_xlsx] == ["Sepsis early warning", "Alert ranking"]


def test_a_title_that_looks_like_a_formula_is_a_text_cell(pm, leader, login):
    InitiativeFactory(owner=pm, title='=HYPERLINK("https://evil.example","click")')
    title = workbook(login(leader)).active.cell(row=2, column=2)
    assert title.value == '=HYPERLINK("https://evil.example","click")' and title.data_type == "s"
