"""Checklist v2's facts on the dashboard (issue 12): the worst subgroup gap, open severe failure
modes, initiatives without a pause threshold and harm engines, in the key figures, the
defensibility column and the CSV; "n/a" for the initiatives still held to v1."""

import csv
import io

import pytest
from django.urls import reverse

from healthpm.dashboard.models import PortfolioFacts
from tests.factories import InitiativeFactory, example_data, fill_gate, gate_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(pm):
    """A v1 initiative, a v2 one blocked on a subgroup gap and a harm engine, a v2 one that passes."""
    v1 = InitiativeFactory(owner=pm, title="Legacy v1 triage", checklist_version=1)
    stuck = InitiativeFactory(owner=pm, title="Falls risk, blocked", checklist_version=2)
    fill_gate(gate_of(stuck, "clinical-validation"), pm, example_data("clinical-validation", "blocking"))
    fill_gate(gate_of(stuck, "failure-modes"), pm, example_data("failure-modes", "blocking"))
    fill_gate(gate_of(stuck, "adoption-incentives"), pm, example_data("adoption-incentives", "blocking"))
    good = InitiativeFactory(owner=pm, title="AKI alert, passing", checklist_version=2)
    for key in ("clinical-validation", "failure-modes", "adoption-incentives", "monitoring-plan"):
        fill_gate(gate_of(good, key), pm, example_data(key))
    return {"v1": v1, "stuck": stuck, "good": good}


def test_the_gates_facts_are_stored(mixed):
    stuck = PortfolioFacts.objects.get(initiative=mixed["stuck"])
    assert stuck.worst_subgroup_gap == pytest.approx(0.34)
    assert stuck.open_severe_modes == 1 and stuck.harm_engine is True and stuck.pause_thresholds is None
    good = PortfolioFacts.objects.get(initiative=mixed["good"])
    assert good.worst_subgroup_gap < 0.05 and good.open_severe_modes == 0 and not good.harm_engine
    assert good.pause_thresholds >= 1 and good.training_date is not None


def test_the_key_figures_and_the_defensibility_column_show_them(mixed, leader, login):
    page = login(leader).get(reverse("dashboard:portfolio")).content.decode()

    assert 'id="subgroup-gaps"><span class="text-danger">✘ 1 over the margin' in page
    assert 'id="severe-modes"><span class="text-danger">✘ 1<' in page
    assert 'id="no-pause"><span class="text-danger">✘ 1<' in page  # the stuck one; v1 is not counted
    assert 'id="harm-engines"><span class="text-danger">✘ 1<' in page
    assert "✘ Subgroups: worst sensitivity gap 0.34 (margin 0.05)" in page
    assert "✘ Harm: 1 severe failure mode without detection or mitigation" in page
    assert "✘ Incentives: revenue grows with alerts (a harm engine)" in page
    assert "○ Monitoring: no plan yet" in page


def test_safest_first_puts_the_harm_engine_last(mixed, leader, login):
    page = login(leader).get(reverse("dashboard:portfolio"), {"sort": "safety"}).content.decode()

    assert page.index("AKI alert, passing") < page.index("Falls risk, blocked")


def test_the_csv_has_the_v2_facts_and_n_a_on_v1(mixed, leader, login):
    response = login(leader).get(reverse("dashboard:export_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {r["Title"]: r for r in csv.DictReader(io.StringIO(text))}

    assert rows["Falls risk, blocked"]["Worst subgroup sensitivity gap"] == "0.3400"
    assert rows["Falls risk, blocked"]["Harm engine"] == "Yes"
    assert rows["Falls risk, blocked"]["Open severe failure modes"] == "1"
    assert rows["Falls risk, blocked"]["Gate: Transparency"] == "Not started"
    legacy = rows["Legacy v1 triage"]
    assert legacy["Gate: Transparency"] == "Not in this checklist"
    assert [legacy[c] for c in ("Worst subgroup sensitivity gap", "Open severe failure modes", "Pause thresholds",
                                "Harm engine", "Last peer-led training")] == ["Not in this checklist"] * 5


def test_the_xlsx_types_the_v2_facts_and_says_n_a_on_v1(mixed, leader, login):
    from openpyxl import load_workbook

    response = login(leader).get(reverse("dashboard:export_xlsx"))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in ws[1]]
    rows = {row[header.index("Title")].value: dict(zip(header, row)) for row in ws.iter_rows(min_row=2)}

    gap = rows["Falls risk, blocked"]["Worst subgroup sensitivity gap"]
    assert (gap.value, gap.data_type, gap.number_format) == (pytest.approx(0.34), "n", "0.0000")
    assert rows["Falls risk, blocked"]["Open severe failure modes"].value == 1
    assert rows["Falls risk, blocked"]["Harm engine"].value == "Yes"
    assert rows["Legacy v1 triage"]["Pause thresholds"].value == "Not in this checklist"
