"""The dashboard's denormalised facts follow the gates (refresh_facts, review times, the command)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from healthpm.dashboard.models import BaaFact, PortfolioFacts, RegulatoryClass, ReviewTime
from healthpm.gates.models import GateDecision, SourceSystem
from healthpm.gates.services import gate_decide
from tests.factories import InitiativeFactory, fill_gate, gate_of, submitted_gate, valid_data

pytestmark = pytest.mark.django_db


def test_saving_gate_data_refreshes_the_initiative_facts(portfolio):
    cxr = PortfolioFacts.objects.get(initiative=portfolio["cxr"])
    assert cxr.fp_cost_per_month == Decimal("13500.00")
    assert cxr.regulatory_class == RegulatoryClass.II and cxr.validation_rank == 3
    assert (cxr.inputs_good, cxr.inputs_total, cxr.inputs_share) == (1, 2, 0.5)
    assert cxr.drill_date == timezone.localdate() - timedelta(days=400)
    assert cxr.baa_next_expiry == timezone.localdate() - timedelta(days=5)
    assert sorted(BaaFact.objects.filter(initiative=portfolio["cxr"]).values_list("vendor", flat=True)) == [
        "Acme Transcribe", "Cloudy Hosting", "Later Labs"]

    sepsis = PortfolioFacts.objects.get(initiative=portfolio["sepsis"])
    assert sepsis.fp_cost_per_month == Decimal("750.00") and sepsis.regulatory_class == RegulatoryClass.NON_DEVICE


def test_changing_an_answer_changes_the_fact(pm):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative, "false-positive-cost")
    fill_gate(gate, pm)
    fill_gate(gate, pm, {**valid_data("false-positive-cost"), "alerts_per_day": 20.0})  # 10 false/day → $1,500
    assert PortfolioFacts.objects.get(initiative=initiative).fp_cost_per_month == Decimal("1500.00")


def test_a_decision_keeps_how_long_the_review_took(pm, compliance):
    import time_machine

    initiative = InitiativeFactory(owner=pm)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        gate = submitted_gate(initiative, pm)
    with time_machine.travel(start + timedelta(days=3, hours=12), tick=False):
        gate_decide(gate=gate, by=compliance, decision=GateDecision.Decision.APPROVED)
    review = ReviewTime.objects.get(initiative=initiative)
    assert review.gate_key == "auditable-inputs" and review.days == pytest.approx(3.5)


def test_the_command_rebuilds_facts_after_reference_data_changes(portfolio):
    SourceSystem.objects.filter(name="LIS").update(approved=False)  # the inputs' source is no longer approved
    PortfolioFacts.objects.filter(initiative=portfolio["sepsis"]).delete()
    ReviewTime.objects.all().delete()

    call_command("refresh_portfolio_facts")

    sepsis = PortfolioFacts.objects.get(initiative=portfolio["sepsis"])
    assert sepsis.fp_cost_per_month == Decimal("750.00") and sepsis.inputs_good == 0
    # The lost review time is rebuilt from the audit trail's submission event.
    assert ReviewTime.objects.filter(initiative=portfolio["sepsis"]).count() == 1
    assert PortfolioFacts.objects.count() == 3


def test_un_approving_a_source_system_in_the_admin_refreshes_the_facts(portfolio, client, django_user_model,
                                                                      django_capture_on_commit_callbacks):
    admin_user = django_user_model.objects.create_superuser("ada", "ada@hospital.example", "ada-admin-password-2026")
    client.force_login(admin_user)
    lis = SourceSystem.objects.get(name="LIS")
    assert PortfolioFacts.objects.get(initiative=portfolio["sepsis"]).inputs_good > 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:gates_sourcesystem_change", args=[lis.pk]),
                               {"name": "LIS", "description": lis.description})  # "approved" unticked

    assert response.status_code == 302
    assert PortfolioFacts.objects.get(initiative=portfolio["sepsis"]).inputs_good == 0


def test_with_the_broker_down_the_admin_change_is_saved_and_the_nightly_run_catches_up(
        portfolio, broker_down, django_capture_on_commit_callbacks):
    from healthpm.dashboard.tasks import refresh_portfolio_facts

    with django_capture_on_commit_callbacks(execute=True):
        lis = SourceSystem.objects.get(name="LIS")
        lis.approved = False
        lis.save()

    assert "portfolio facts not refreshed now" in broker_down.text
    assert PortfolioFacts.objects.get(initiative=portfolio["sepsis"]).inputs_good > 0  # stale until the run
    refresh_portfolio_facts()
    assert PortfolioFacts.objects.get(initiative=portfolio["sepsis"]).inputs_good == 0
