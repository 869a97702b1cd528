"""Gate 8 of checklist v2 — failure modes and harm: the register's risk cells, detection of severe
modes, outage replays and failed edge cases; the form's checks; what the page and the dashboard get."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from healthpm.gates.definitions.failure_modes import GATE
from healthpm.gates.services import gate_save_data
from tests.factories import InitiativeFactory, context, fresh, gate_of
from tests.gates.rules.helpers import add_pdf, ctx, form_for

TODAY = date(2026, 6, 15)
KEY = "failure-modes"


def answers(**changes) -> dict:
    """The gate's passing example as of TODAY, with some answers changed."""
    return {**GATE.examples(ctx(TODAY)).passing, **changes}


def mode(name: str = "Stale lactate scored as current", **changes) -> dict:
    row = {"name": name, "manifestation": "The score uses a lactate older than 6 hours",
           "worst_harm": "Could delay a sepsis diagnosis by 6 hours", "severity": "major", "likelihood": "remote",
           "detection": "Input-age check flags labs older than 6 hours", "mitigation": "Score withheld while stale",
           "fallback": "Bedside qSOFA"}
    row.update(changes)
    return row


def case(name: str = "6-hour EHR outage", **changes) -> dict:
    row = {"name": name, "kind": "outage_replay", "source_reference": "INC-2025-0412", "outage_date": "2025-04-12",
           "replayed": "The 212 results queued during the outage", "outcome": "handled", "mitigation": "", "notes": ""}
    row.update(changes)
    return row


def with_modes(*modes) -> dict:
    return answers(modes=list(modes))


def findings(data, level=None):
    return [f.message for f in GATE.findings(data, ctx(TODAY)) if level is None or f.level == level]


def blocking(data) -> list[str]:
    return findings(data, "block")


def warnings(data) -> list[str]:
    return findings(data, "warn")


# --- the examples -----------------------------------------------------------------------------
def test_the_passing_example_has_a_major_mode_with_detection_and_mitigation_and_a_past_outage_replay():
    passing = GATE.examples(ctx(TODAY)).passing

    assert blocking(passing) == []
    assert any(m["severity"] == "major" and m["detection"] and m["mitigation"] for m in passing["modes"])
    replay = next(c for c in passing["edge_cases"] if c["kind"] == "outage_replay")
    assert date.fromisoformat(replay["outage_date"]) < TODAY


def test_the_blocking_example_is_a_catastrophic_mode_without_detection_or_mitigation():
    assert blocking(GATE.examples(ctx(TODAY)).blocking) == [
        "Failure mode “Another patient's score shown after a chart merge”: catastrophic × remote falls in the "
        "unacceptable cell of the risk matrix and no mitigation is recorded. Add the mitigation that brings it out "
        "of that cell, or do not launch.",
        "Failure mode “Another patient's score shown after a chart merge” is catastrophic and nothing detects it: say "
        "how it is detected (an automated check, a monitor, a clinician's review) before launch.",
    ]


# --- the register -----------------------------------------------------------------------------
def test_an_unacceptable_mode_without_mitigation_blocks_naming_the_mode_its_rating_and_the_cell():
    data = with_modes(mode("Alert lost in the inbox", severity="major", likelihood="probable", mitigation="  "))

    assert blocking(data) == [
        "Failure mode “Alert lost in the inbox”: major × probable falls in the unacceptable cell of the risk matrix "
        "and no mitigation is recorded. Add the mitigation that brings it out of that cell, or do not launch."
    ]
    assert GATE.findings(data, ctx(TODAY))[0].field == "modes"


def test_an_unacceptable_mode_with_a_mitigation_does_not_block_but_warns_that_launch_rests_on_it():
    data = with_modes(mode("Alert lost in the inbox", severity="moderate", likelihood="frequent",
                           mitigation="Alerts page the charge nurse after 10 minutes unread"))

    assert blocking(data) == []
    assert warnings(data) == [
        "Failure mode “Alert lost in the inbox”: moderate × frequent is unacceptable before mitigation; launch rests "
        "on the mitigation recorded: “Alerts page the charge nurse after 10 minutes unread”."
    ]


def test_an_alarp_mode_warns_with_its_mitigation_or_asks_for_one():
    mitigated = with_modes(mode(severity="major", likelihood="remote"))
    unmitigated = with_modes(mode(severity="minor", likelihood="frequent", mitigation=""))

    assert blocking(mitigated) == [] and blocking(unmitigated) == []
    assert warnings(mitigated) == [
        "Failure mode “Stale lactate scored as current”: major × remote is in the “reduce as far as possible” (ALARP) "
        "region, accepted with the mitigation shown: “Score withheld while stale”."
    ]
    assert warnings(unmitigated) == [
        "Failure mode “Stale lactate scored as current”: minor × frequent is in the “reduce as far as possible” "
        "(ALARP) region and no mitigation is recorded: say what was done to reduce it, or why nothing more is "
        "practicable."
    ]


def test_an_acceptable_mode_needs_no_mitigation_and_says_nothing():
    assert findings(with_modes(mode(severity="minor", likelihood="remote", detection="", mitigation=""))) == []


@pytest.mark.parametrize("severity", ["catastrophic", "major"])
def test_a_catastrophic_or_major_mode_that_nothing_detects_blocks(severity):
    data = with_modes(mode("Wrong weight unit", severity=severity, likelihood="improbable", detection=""))

    assert blocking(data) == [
        f"Failure mode “Wrong weight unit” is {severity} and nothing detects it: say how it is detected (an automated "
        "check, a monitor, a clinician's review) before launch."
    ]


def test_a_moderate_mode_without_detection_does_not_block():
    assert blocking(with_modes(mode(severity="moderate", likelihood="remote", detection=""))) == []


def test_an_empty_register_blocks():
    assert blocking(answers(modes=[])) == [
        "The failure-mode register is empty: list every way the model can fail, with its worst credible harm."
    ]


def test_nothing_is_said_before_the_gate_is_filled():
    assert GATE.findings({}, ctx(TODAY)) == []


# --- edge cases -------------------------------------------------------------------------------
NO_REPLAY = ("No outage replay is recorded: replay at least one real downtime or outage from the outage log (an edge "
             "case of kind “Outage replay”, with the log reference and the outage date).")


def test_no_outage_replay_blocks():
    others = [case("Vitals missing for 4 hours", kind="missing_inputs", source_reference="", outage_date=None),
              case("A patient on ECMO", kind="unusual_patient", source_reference="", outage_date=None)]

    assert blocking(answers(edge_cases=others)) == [NO_REPLAY]
    assert blocking(answers(edge_cases=[])) == [NO_REPLAY]


def test_a_replay_without_its_log_reference_or_date_is_not_an_outage_replay():
    # The form refuses both; saved data from elsewhere (an import) must not pass for a replay either.
    assert blocking(answers(edge_cases=[case(source_reference=" ")])) == [NO_REPLAY]
    assert blocking(answers(edge_cases=[case(outage_date=None)])) == [NO_REPLAY]
    assert blocking(answers(edge_cases=[case()])) == []


def test_a_failed_edge_case_without_mitigation_blocks_naming_it():
    data = answers(edge_cases=[case(), case("Pediatric weight in pounds", kind="unusual_patient", outcome="failed")])

    assert blocking(data) == [
        "Edge case “Pediatric weight in pounds” failed and no mitigation is noted: fix what failed, or add the failure "
        "it revealed to the register with its mitigation, note it on the edge case and try the case again."
    ]


def test_a_failed_edge_case_with_a_mitigation_warns():
    data = answers(edge_cases=[case(outcome="failed", mitigation="Backlog now scored oldest first")])

    assert blocking(data) == []
    assert "Edge case “6-hour EHR outage” failed; mitigation noted: “Backlog now scored oldest first”. Try the case " \
           "again once the mitigation is in place." in warnings(data)


def test_unusual_patients_listed_but_none_tried_warns():
    data = answers(edge_cases=[case()])

    assert "Unusual patients are listed but none was tried as an edge case: try at least one (an edge case of kind " \
           "“Unusual patient”)." in warnings(data)


def test_a_long_mitigation_is_cut_in_the_message():
    data = with_modes(mode(severity="major", likelihood="remote", mitigation="x" * 500))

    assert f"“{'x' * 159}…”" in warnings(data)[0]


# --- working, tables, facts -------------------------------------------------------------------
def test_the_working_counts_the_modes_in_each_cell_and_by_level():
    data = with_modes(mode("A", severity="major", likelihood="remote"), mode("B", severity="major", likelihood="remote"),
                      mode("C", severity="catastrophic", likelihood="frequent"), mode("D", severity="negligible",
                                                                                        likelihood="improbable"))
    working = GATE.working(data, ctx(TODAY))
    rows = {label: cells for label, cells in working.extra["rows"]}

    assert working.extra["total"] == 4
    assert working.extra["columns"] == ["Frequent", "Probable", "Occasional", "Remote", "Improbable"]
    assert rows["Major"] == [("unacceptable", 0), ("unacceptable", 0), ("unacceptable", 0), ("alarp", 2), ("alarp", 0)]
    assert rows["Catastrophic"][0] == ("unacceptable", 1)
    assert rows["Negligible"][4] == ("acceptable", 1)
    facts = dict(working.facts)
    assert facts["Failure modes by risk (before mitigation)"] == (
        "Unacceptable: 1 · Reduce as far as possible (ALARP): 2 · Acceptable: 1")
    assert facts["Outage replays"].startswith("1: INC-")


def test_the_matrix_is_drawn_as_a_table_with_headers_and_the_count_in_words():
    from django.template.loader import render_to_string

    data = with_modes(mode("A", severity="catastrophic", likelihood="remote", mitigation="Merge audit"))
    drawn = render_to_string(GATE.working_template, {"working": GATE.working(data, ctx(TODAY))})

    assert "<caption" in drawn and '<th class="small" scope="col">Frequent</th>' in drawn
    assert '<th class="small text-start" scope="row">Catastrophic</th>' in drawn
    # The level is said in words, not only by the cell's colour.
    assert "Unacceptable<br><strong>1 mode</strong>" in drawn
    assert drawn.count("<td") == 25


def test_nothing_is_worked_without_a_register():
    assert not GATE.working({}, ctx(TODAY))


def test_the_register_table_shows_the_computed_risk():
    tables = GATE.tables(with_modes(mode(severity="catastrophic", likelihood="remote", detection="", mitigation="")),
                         ctx(TODAY))
    register, cases = tables

    assert register.title == "Failure-mode register" and cases.title == "Edge cases tried"
    assert register.headers[3] == "Severity × likelihood → risk"
    assert register.rows[0][3:6] == ("Catastrophic × remote → Unacceptable", "none", "none")


def test_open_severe_modes_counts_catastrophic_or_major_modes_without_detection_or_mitigation():
    data = with_modes(
        mode("Detected and mitigated"),
        mode("Not detected", detection=""),
        mode("Not mitigated", severity="catastrophic", likelihood="improbable", mitigation=""),
        mode("Moderate, neither", severity="moderate", detection="", mitigation=""),
    )

    assert GATE.portfolio_facts(data, ctx(TODAY)) == {"open_severe_modes": 2}


# --- the form ---------------------------------------------------------------------------------
@pytest.fixture
def gate(pm):
    return gate_of(InitiativeFactory(owner=pm, checklist_version=2), KEY)


def _replay(**changes) -> dict:
    today = timezone.localdate()
    return {**GATE.examples(ctx(today)).passing, "edge_cases": [case(**changes)]}


@pytest.mark.django_db
def test_the_form_refuses_an_outage_replay_without_a_date(gate):
    form = form_for(gate, _replay(outage_date=None))

    assert not form.is_valid()
    assert form.error_messages() == [
        "Edge case 1, Outage date: An outage replay needs the date of the outage it replays, from the outage log."
    ]


@pytest.mark.django_db
def test_the_form_refuses_an_outage_replay_without_its_log_reference(gate):
    form = form_for(gate, _replay(source_reference=""))

    assert not form.is_valid()
    assert form.error_messages() == [
        "Edge case 1, Source reference: Name the outage log entry that was replayed, e.g. INC-2025-0412."
    ]


@pytest.mark.django_db
def test_the_form_refuses_an_outage_date_in_the_future_and_takes_today(gate):
    tomorrow = timezone.localdate() + timedelta(days=1)

    future = form_for(gate, _replay(outage_date=tomorrow.isoformat()))
    today = form_for(gate, _replay(outage_date=timezone.localdate().isoformat()))

    assert not future.is_valid()
    assert future.error_messages() == [
        f"Edge case 1, Outage date: The outage date {tomorrow.isoformat()} is in the future: give the day the outage "
        "happened."
    ]
    assert today.is_valid(), today.error_messages()


@pytest.mark.django_db
def test_the_form_refuses_an_unknown_severity_or_likelihood(gate):
    data = {**GATE.examples(ctx(timezone.localdate())).passing, "modes": [mode(severity="fatal", likelihood="rare")]}

    form = form_for(gate, data)

    assert not form.is_valid()
    assert form.error_messages() == [
        "Failure mode 1, Clinical severity: Choose a severity from the list: catastrophic, major, moderate, minor or "
        "negligible.",
        "Failure mode 1, Likelihood: Choose a likelihood from the list: frequent, probable, occasional, remote or "
        "improbable.",
    ]


@pytest.mark.django_db
def test_the_form_refuses_an_unknown_kind_or_outcome_of_edge_case(gate):
    form = form_for(gate, _replay(kind="rumour", outcome="fine"))

    assert not form.is_valid()
    assert form.error_messages() == [
        "Edge case 1, Kind: Choose a kind of edge case from the list.",
        "Edge case 1, Outcome: Choose an outcome from the list.",
    ]


@pytest.mark.django_db
def test_the_form_refuses_the_same_failure_mode_twice(gate):
    data = {**GATE.examples(ctx(timezone.localdate())).passing, "modes": [mode("Stale lactate"), mode("stale lactate")]}

    form = form_for(gate, data)

    assert not form.is_valid()
    assert form.error_messages() == [
        "Failure-mode register: Rows 1 and 2 are both “stale lactate”. Each failure mode must appear once: merge or "
        "rename them."
    ]


@pytest.mark.django_db
def test_the_form_needs_at_least_one_failure_mode(gate):
    form = form_for(gate, {**GATE.examples(ctx(timezone.localdate())).passing, "modes": []})

    assert not form.is_valid()
    assert form.error_messages() == ["Failure-mode register: Add at least 1 failure mode."]


# --- through the gate -------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_gate_blocks_until_the_catastrophic_mode_is_detected_and_mitigated(gate, pm):
    for item in ("hazard-analysis", "outage-logs"):
        add_pdf(gate, pm, item)
    examples = GATE.examples(context())

    gate_save_data(gate=fresh(gate), by=pm, data=examples.blocking)
    assert len(fresh(gate).blockers(context())) == 2

    fixed = {**examples.blocking, "modes": [*examples.passing["modes"], {
        **examples.blocking["modes"][-1], "detection": "Merge audit compares MRNs before scoring",
        "mitigation": "Scores of merged records are withheld until the merge is verified"}]}
    gate_save_data(gate=fresh(gate), by=pm, data=fixed)
    assert fresh(gate).blockers(context()) == []
