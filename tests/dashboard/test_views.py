"""The portfolio dashboard as leadership sees it (SPEC §7)."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:portfolio")


def grid(html: str) -> str:
    return html.split('id="grid-heading"', 1)[1]


def page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</div>', html, re.S)
    assert match, element_id
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize("persona", ["leader", "compliance"])
def test_leadership_and_compliance_see_the_portfolio(persona, request, login):
    client = login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 200


def test_a_superuser_sees_the_portfolio(login):
    assert login(UserFactory(username="root", is_superuser=True, is_staff=True)).get(URL).status_code == 200


def test_it_shows_the_hand_worked_portfolio_numbers(portfolio, leader, login):
    html = page(login(leader))

    # Neither cost gate is approved: $750 + $13,500 are what the teams claim, not a fact.
    assert text_of(html, "fp-total") == "$0 approved"
    assert text_of(html, "fp-claimed") == "claimed + $14,250 in 2 gates not approved"
    assert "1 over" in html  # cxr exceeds the $5,000 threshold
    assert text_of(html, "baa-expired") == "✘ 1 expired"  # Acme, 5 days ago
    assert text_of(html, "baa-expiring") == "1 expiring within 60 days"  # Cloudy; Later Labs is 200 days out
    assert text_of(html, "drills-overdue") == "✘ 1 overdue"  # cxr, 400 days
    assert "Acme Transcribe" in html and "Cloudy Hosting" in html and "Later Labs" not in html
    # One decision (sepsis gate 1), decided moments after its submission.
    assert text_of(html, "median-days") == "0.0 days"
    assert "over 1 decision" in html


def test_status_counts_and_regulatory_mix_are_drawn_as_labelled_svg_charts(portfolio, leader, login):
    html = page(login(leader))

    for chart in ("chart-status", "chart-regulatory", "chart-stuck", "chart-cost"):
        assert re.search(rf'<svg[^>]*role="img"[^>]*id="{chart}"|<svg[^>]*id="{chart}"[^>]*role="img"', html), chart
    status_desc = re.search(r'<desc id="chart-status-desc">(.*?)</desc>', html).group(1)
    assert "Draft: 2" in status_desc and "In review: 1" in status_desc
    regulatory_desc = re.search(r'<desc id="chart-regulatory-desc">(.*?)</desc>', html).group(1)
    # Both classes come from regulatory gates in progress: claimed, not counted as approved.
    assert "Non-device CDS: 0 (+1 claimed)" in regulatory_desc and "IMDRF II: 0 (+1 claimed)" in regulatory_desc
    assert regulatory_desc.endswith("Not classified: 1")
    # Bars are told apart by pattern and text, not colour alone.
    assert 'fill="url(#p-hatch)"' in html and '<pattern id="p-cross"' in html
    assert '>$13,500 claimed</text>' in html and '>$750 claimed</text>' in html


def test_where_initiatives_are_stuck_counts_gates_not_yet_approved(portfolio, leader, login):
    html = page(login(leader))
    stuck = re.search(r'<desc id="chart-stuck-desc">(.*?)</desc>', html).group(1)
    assert "1. Auditable inputs: 2" in stuck  # approved for sepsis only
    assert "2. False-positive cost: 3" in stuck


def test_each_grid_cell_links_to_its_gate_in_words_and_symbols(portfolio, leader, login):
    html = page(login(leader))
    sepsis = portfolio["sepsis"]
    gate_url = reverse("gates:detail", args=[sepsis.slug, "auditable-inputs"])
    assert re.search(rf'<a href="{gate_url}" class="badge status-badge status-approved[^"]*">✔ approved</a>', html)
    cxr_fp = reverse("gates:detail", args=[portfolio["cxr"].slug, "false-positive-cost"])
    assert re.search(rf'<a href="{cxr_fp}" class="[^"]*status-in_progress[^"]*">◐ in progress</a>', html)
    ranking = reverse("gates:detail", args=[portfolio["ranking"].slug, "baa-phi"])
    assert re.search(rf'<a href="{ranking}" class="[^"]*">○ missing</a>', html)


def test_defensibility_is_shown_and_the_most_defensible_come_first(portfolio, leader, login):
    html = page(login(leader))
    assert "1 of 2 (50%) with an approved, timestamped source" in html
    assert "Drill overdue (last" in html
    assert "IMDRF II</strong> — Moderate: analytical and clinical validation" in html
    # Gate 1 of sepsis is approved: its inputs are a fact; cxr's are a claim, and so is every class.
    assert re.search(r'<div><span class="text-muted">Inputs:</span> ✔ 1 of 1', html)
    assert re.search(r'<div class="claimed"><span class="text-muted">Inputs:</span> <span class="claimed-tag">claimed'
                     r'</span> ✘ 1 of 2', html)
    assert re.search(r'<div class="claimed"><span class="text-muted">Class:</span> <span class="claimed-tag">claimed'
                     r'</span> <strong>Non-device CDS</strong>', html)
    # Non-device with full provenance and a drill, then IMDRF II, then the unclassified draft.
    rows = grid(html)
    order = [rows.index(title) for title in ("Sepsis early warning</a>", "Chest X-ray triage</a>", "Alert ranking</a>")]
    assert order == sorted(order)


def test_sorting_by_cost_puts_the_most_expensive_first(portfolio, leader, login):
    html = grid(page(login(leader), sort="cost"))
    assert html.index("Chest X-ray triage</a>") < html.index("Sepsis early warning</a>") < html.index("Alert ranking</a>")


def test_filters_narrow_every_number_and_stay_in_the_links(portfolio, leader, pm2, login):
    html = page(login(leader), clinical_area="radiology", status="draft")
    assert "Chest X-ray triage" in html and "Sepsis early warning</a>" not in html
    assert "$13,500" in text_of(html, "fp-claimed") and text_of(html, "fp-total") == "$0 approved"
    assert 'value="radiology" selected' in html
    assert "export.csv?clinical_area=radiology&amp;status=draft" in html
    assert "export.xlsx?clinical_area=radiology&amp;status=draft" in html
    assert "sort=cost" in html and "clinical_area=radiology" in html.split("sort=cost")[0].rsplit('href="', 1)[1]

    by_owner = page(login(leader), owner=pm2.pk)
    assert "Chest X-ray triage" in by_owner and "Alert ranking" not in by_owner


def test_an_unknown_filter_value_is_ignored_not_an_error(portfolio, leader, login):
    html = page(login(leader), status="nonsense", owner="abc", sort="evil")
    assert "Alert ranking" in html and "Sepsis early warning" in html


def test_the_grid_is_paginated_fifty_to_a_page(pm, leader, login):
    from healthpm.initiatives.services import initiative_create

    for i in range(51):
        initiative_create(by=pm, fields={
            "title": f"Model {i:02d}", "summary": "s", "clinical_area": "other", "intended_use": "u",
            "intended_users": "u", "care_setting": "inpatient"})
    first = page(login(leader), sort="title")
    assert "Model 49</a>" in first and "Model 50</a>" not in first
    assert "Page 1 of 2" in first and "sort=title&amp;page=2" in first
    second = page(login(leader), sort="title", page=2)
    assert "Model 50</a>" in second and "Model 00</a>" not in second


def test_an_approved_cost_counts_as_a_fact_and_claims_stay_apart(portfolio, pm, compliance, leader, login):
    """Approving sepsis's cost gate ($750) moves it from claimed to approved; cxr's $13,500 stays claimed."""
    from tests.factories import approved_gate

    approved_gate(portfolio["sepsis"], pm, compliance, "false-positive-cost")
    approved_gate(portfolio["sepsis"], pm, compliance, "regulatory-classification")

    html = page(login(leader))

    assert text_of(html, "fp-total") == "$750 approved"
    assert text_of(html, "fp-claimed") == "claimed + $13,500 in 1 gate not approved"
    regulatory_desc = re.search(r'<desc id="chart-regulatory-desc">(.*?)</desc>', html).group(1)
    assert "Non-device CDS: 1;" in regulatory_desc and "IMDRF II: 0 (+1 claimed)" in regulatory_desc
    assert '>$750</text>' in html and '>$13,500 claimed</text>' in html
    rows = grid(html)
    sepsis = rows[rows.index("Sepsis early warning</a>"):rows.index("</tr>", rows.index("Sepsis early warning</a>"))]
    cxr = rows[rows.index("Chest X-ray triage</a>"):rows.index("</tr>", rows.index("Chest X-ray triage</a>"))]
    assert "claimed-tag" not in sepsis.split('class="defensibility"')[0]  # its cost is approved
    assert "<strong>Non-device CDS</strong>" in sepsis and 'class="claimed"><span class="text-muted">Class:' not in sepsis
    assert cxr.split('class="defensibility"')[0].count("claimed-tag") == 1  # its cost


def test_the_claimed_marks_are_words_not_colour_alone(portfolio, leader, login):
    html = grid(page(login(leader)))
    assert html.count('<span class="claimed-tag">claimed</span>') >= 4  # 2 costs, 2 classes, cxr's inputs …
