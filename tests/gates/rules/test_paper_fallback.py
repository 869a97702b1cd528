"""Gate 3 — paper fallback (SPEC §4.3): drill age, drill outcome, checklist coverage, evidence."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from healthpm.gates.definitions.paper_fallback import GATE
from healthpm.gates.services import gate_save_data
from tests.factories import context, InitiativeFactory, fresh, gate_of
from tests.gates.rules.helpers import ctx, add_pdf, data, form_for

TODAY = date(2026, 6, 15)


def blocking(answers, today=TODAY) -> list[str]:
    return [f.message for f in GATE.findings(answers, ctx(today)) if f.blocks]


def drilled(days_ago: int, today=TODAY, **changes) -> dict:
    return data("paper-fallback", last_drill_date=(today - timedelta(days=days_ago)).isoformat(), **changes)


# --- drill age: 365 passes, 366 blocks -------------------------------------------------------
def test_a_drill_exactly_365_days_old_passes():
    assert blocking(drilled(365)) == []


def test_a_drill_366_days_old_blocks_naming_its_date_and_age():
    answers = drilled(366)

    assert blocking(answers) == [
        "The last downtime drill (2025-06-14) is 366 days old; the limit is 365 days. Run a drill and record it."
    ]
    assert GATE.findings(answers, ctx(TODAY))[0].field == "last_drill_date"


def test_the_drill_age_limit_is_a_setting(settings):
    settings.HEALTHPM_DRILL_MAX_AGE_DAYS = 30

    assert blocking(drilled(30)) == []
    assert blocking(drilled(31)) == [
        "The last downtime drill (2026-05-15) is 31 days old; the limit is 30 days. Run a drill and record it."
    ]
    # A drill well within the default year is now too old.
    assert blocking(drilled(200))


@pytest.mark.django_db
def test_drill_age_blocks_through_gate_blockers_on_both_sides_of_the_boundary(pm):
    gate = gate_of(InitiativeFactory(owner=pm), "paper-fallback")
    today = timezone.localdate()
    for item in ("downtime-procedure", "paper-checklist", "drill-record"):
        add_pdf(gate, pm, item)

    gate_save_data(gate=fresh(gate), by=pm, data=drilled(365, today=today))
    assert fresh(gate).blockers(context(today=today)) == []

    gate_save_data(gate=fresh(gate), by=pm, data=drilled(366, today=today))
    assert fresh(gate).blockers(context(today=today)) == [
        f"The last downtime drill ({(today - timedelta(days=366)).isoformat()}) is 366 days old; the limit is 365 days. "
        "Run a drill and record it."
    ]


# --- outcome and checklist ------------------------------------------------------------------
def test_a_failed_drill_blocks_even_when_recent():
    assert blocking(drilled(10, drill_outcome="failed")) == [
        "The last downtime drill (2026-06-05) failed. Fix the procedure and run a drill that passes."
    ]


def test_a_drill_passed_with_findings_does_not_block():
    assert blocking(drilled(10, drill_outcome="passed_with_findings")) == []


def test_a_checklist_that_does_not_cover_every_decision_blocks():
    answers = drilled(10, checklist_covers_all_decisions=False)

    assert blocking(answers) == [
        "The paper checklist does not reproduce every decision the AI makes: extend it before launch."
    ]


def test_no_outage_replay_only_warns():
    findings = GATE.findings(drilled(10, outage_replay=False, outage_replay_reference=""), ctx(TODAY))

    assert [(f.level, f.field) for f in findings] == [("warn", "outage_replay")]


# --- procedure and checklist are evidence items --------------------------------------------
@pytest.mark.django_db
def test_without_a_procedure_or_paper_checklist_the_gate_is_blocked(pm):
    gate = gate_of(InitiativeFactory(owner=pm), "paper-fallback")
    gate_save_data(gate=gate, by=pm, data=drilled(10, today=timezone.localdate()))
    add_pdf(gate, pm, "drill-record")

    gate = fresh(gate)
    assert [item.label for item in gate.missing_items(context())] == ["Documented downtime procedure", "Paper checklist"]
    blockers = gate.blockers(context())
    assert len(blockers) == 2
    assert "Documented downtime procedure" in blockers[0] and "Paper checklist" in blockers[1]

    add_pdf(gate, pm, "downtime-procedure")
    add_pdf(gate, pm, "paper-checklist")
    assert fresh(gate).blockers(context()) == []


# --- the form -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_form_refuses_a_drill_in_the_future(pm):
    gate = gate_of(InitiativeFactory(owner=pm), "paper-fallback")
    tomorrow = timezone.localdate() + timedelta(days=1)

    form = form_for(gate, data("paper-fallback", last_drill_date=tomorrow.isoformat()))

    assert not form.is_valid()
    assert form.main.errors["last_drill_date"] == [
        "The drill date is in the future; record a drill that has happened."
    ]


@pytest.mark.django_db
def test_the_form_requires_the_outage_log_reference_when_edge_cases_were_replayed(pm):
    gate = gate_of(InitiativeFactory(owner=pm), "paper-fallback")

    form = form_for(gate, data("paper-fallback", outage_replay=True, outage_replay_reference=" "))

    assert not form.is_valid()
    assert "outage_replay_reference" in form.main.errors


@pytest.mark.django_db
def test_the_form_saves_what_it_was_given(pm):
    gate = gate_of(InitiativeFactory(owner=pm), "paper-fallback")
    answers = data("paper-fallback")

    form = form_for(gate, answers)

    assert form.is_valid(), form.error_messages()
    assert form.to_data() == answers
