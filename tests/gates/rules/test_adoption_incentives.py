"""Adoption and incentives (checklist v2, issue 12 item 10): the harm engine, peer-led training,
go-to-market realism."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from healthpm.gates.definitions.adoption_incentives import GATE, business_model
from tests.factories import InitiativeFactory, gate_of
from tests.gates.rules.helpers import ctx, data, form_for

TODAY = date(2026, 6, 15)
KEY = "adoption-incentives"
HARM = ("Revenue grows with the number of alerts or positive findings (paid per alert): “if revenue increases when "
        "more alerts fire, you've built a harm engine”. Change the contract so payment does not rise with alerts or "
        "positives, or ask a compliance officer to record a written exception.")


def answers(**changes) -> dict:
    return data(KEY, **changes)


def findings(values, today=TODAY):
    return GATE.findings(values, ctx(today))


def blocking(values, today=TODAY) -> list[str]:
    return [f.message for f in findings(values, today) if f.blocks]


def warnings(values, today=TODAY) -> list[str]:
    return [f.message for f in findings(values, today) if not f.blocks]


def per_alert(**changes) -> dict:
    return answers(payment_model="per_alert", payment_terms="$1.20 per alert fired", revenue_grows_with_alerts=True,
                   **changes)


def excepted(values: dict, **exception) -> dict:
    recorded = {"text": "Capped at $2,000 a month; renegotiate at renewal.", "by": "Grace Okafor",
                "at": "2026-06-01T09:30:00+00:00", "for": business_model(values), **exception}
    return {**values, "harm_engine_exception": recorded}


def training(days_ago: int, vendor: bool = False, name: str = "Super-user huddles, 5 West") -> dict:
    return {"name": name, "date": (TODAY - timedelta(days=days_ago)).isoformat(), "sessions": 3,
            "trainer_roles": ["registered_nurse"], "attendance": 20, "vendor_involved": vendor}


def test_the_passing_example_passes_without_warnings():
    values = data(KEY)
    assert blocking(values) == [] and warnings(values) == []
    facts = GATE.portfolio_facts(values, ctx(TODAY))
    assert facts["harm_engine"] is False and isinstance(facts["training_date"], date)


# --- the harm engine ----------------------------------------------------------------------------
def test_revenue_that_grows_with_alerts_blocks_as_a_harm_engine():
    values = per_alert()
    assert blocking(values) == [HARM]
    assert [f.field for f in findings(values) if f.blocks] == ["harm_engine_exception"]
    assert GATE.portfolio_facts(values, ctx(TODAY))["harm_engine"] is True


def test_any_payment_model_whose_revenue_grows_blocks():
    values = answers(payment_model="shared_savings", revenue_grows_with_alerts=True)
    assert blocking(values) == [HARM.replace("paid per alert", "paid share of savings")]


def test_paid_per_positive_yet_answered_no_is_a_contradiction():
    values = answers(payment_model="per_positive", revenue_grows_with_alerts=False)
    assert blocking(values) == [
        "The business model is paid per positive finding, so revenue does grow with the number of positive findings, "
        "yet “Revenue grows with the number of alerts or positive findings” is answered no. Correct the answer (or "
        "the payment model) and save."
    ]
    # Whatever was answered, revenue does grow: the dashboard counts it.
    assert GATE.portfolio_facts(values, ctx(TODAY))["harm_engine"] is True


def test_a_written_exception_for_this_business_model_lifts_the_block_and_is_shown():
    values = excepted(per_alert())
    assert blocking(values) == []
    assert warnings(values) == [
        "Revenue grows with alerts or positives (paid per alert), allowed by the written exception Grace Okafor "
        "recorded on 2026-06-01: “Capped at $2,000 a month; renegotiate at renewal.”."
    ]
    assert GATE.portfolio_facts(values, ctx(TODAY))["harm_engine"] is False


def test_an_exception_for_another_business_model_no_longer_applies():
    values = {**excepted(per_alert()), "payment_terms": "$2.50 per alert fired"}
    assert blocking(values) == [
        HARM + " The written exception Grace Okafor recorded on 2026-06-01 was for another business model (paid per "
        "alert, “$1.20 per alert fired”); the business model has changed since, so a compliance officer must "
        "record a new exception."
    ]
    assert GATE.portfolio_facts(values, ctx(TODAY))["harm_engine"] is True


# --- peer-led training ------------------------------------------------------------------------------
def test_no_training_on_record_blocks():
    assert blocking(answers(training=[])) == [
        "No peer-led training is on record: record at least one session that frontline staff ran for their "
        "colleagues without vendor support."
    ]


def test_training_only_with_the_vendor_blocks_naming_the_sessions():
    values = answers(training=[training(10, vendor=True, name="Vendor kick-off")])
    assert blocking(values) == [
        "No peer-led training is on record: record at least one session that frontline staff ran for their "
        "colleagues without vendor support. Every session on record involved the vendor (“Vendor kick-off”)."
    ]
    assert GATE.portfolio_facts(values, ctx(TODAY))["training_date"] is None


def test_the_latest_peer_led_session_is_the_training_date():
    values = answers(training=[training(300, name="First round"), training(20, vendor=True, name="Vendor refresher"),
                               training(90, name="Night shift huddles")])
    assert blocking(values) == []
    assert GATE.portfolio_facts(values, ctx(TODAY))["training_date"] == TODAY - timedelta(days=90)


def test_training_older_than_a_year_is_a_deadline_and_a_warning_at_366_days():
    at_limit, over = answers(training=[training(365)]), answers(training=[training(366)])
    assert warnings(at_limit) == []
    assert warnings(over) == ["The latest peer-led training (2025-06-14) is 366 days old; refresh it at least every "
                              "365 days."]
    (deadline,) = GATE.deadlines(over, ctx(TODAY))
    assert (deadline.kind, deadline.ref, deadline.due) == ("training-stale", "2025-06-14", date(2026, 6, 14))
    assert deadline.due < TODAY  # the daily reminders send it
    (deadline,) = GATE.deadlines(at_limit, ctx(TODAY))
    assert deadline.due == TODAY  # not yet lapsed


def test_the_training_age_limit_is_a_setting(settings):
    settings.HEALTHPM_TRAINING_MAX_AGE_DAYS = 30
    assert warnings(answers(training=[training(31)]))
    assert GATE.deadlines(answers(training=[training(31)]), ctx(TODAY))[0].due == TODAY - timedelta(days=1)


# --- go-to-market realism (warnings only) ------------------------------------------------------------
def test_missing_champion_reference_sites_and_open_security_review_warn():
    values = answers(champions="", reference_sites=" ", it_security_status="in_progress",
                     it_security_expected="2026-09-30", ehr_integration_assessed=False)
    assert blocking(values) == []
    assert warnings(values) == [
        "No clinical champion is named: name the clinicians who own adoption on the units.",
        "EHR integration requirements have not been assessed: interface build and testing often set the launch date.",
        "The hospital IT security review is in progress, expected by 2026-09-30.",
        "No reference sites are listed: name hospitals that run it and that you have spoken to.",
    ]


def test_a_security_review_not_started_without_a_date_asks_for_one():
    assert warnings(answers(it_security_status="not_started", it_security_expected=None)) == [
        "The hospital IT security review is not started, with no expected date: give one."
    ]


# --- the form ----------------------------------------------------------------------------------------
@pytest.fixture
def v2_gate(pm):
    return gate_of(InitiativeFactory(owner=pm, checklist_version=2), KEY)


@pytest.mark.django_db
def test_the_form_round_trips_the_harm_engine_example_and_never_carries_an_exception(v2_gate):
    values = per_alert()
    form = form_for(v2_gate, excepted(values))
    assert form.is_valid(), form.error_messages()
    assert form.to_data() == values


@pytest.mark.django_db
def test_the_form_asks_to_describe_other_payment_and_refuses_future_sessions(v2_gate):
    form = form_for(v2_gate, answers(payment_model="other", payment_other=""))
    assert "Other payment model: Describe how the vendor or department is paid." in form.error_messages()
    future = {**training(0), "date": (timezone.localdate() + timedelta(days=3)).isoformat()}
    form = form_for(v2_gate, answers(training=[future]))
    assert ("Training session 1, Date (latest session): The session date is in the future; record sessions that "
            "have happened.") in form.error_messages()
