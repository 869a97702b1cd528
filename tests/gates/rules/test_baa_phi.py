"""Gate 6 — BAA and PHI (SPEC §4.6): BAA on file and in date, minimum necessary, no vendor training."""

from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.utils import timezone

from healthpm.gates.definitions.baa_phi import GATE
from healthpm.gates.services import gate_save_data
from tests.factories import context, InitiativeFactory, fresh, gate_of
from tests.gates.rules.helpers import ctx, add_pdf, data, form_for, vendor_row

TODAY = date(2026, 6, 15)
KEY = "baa-phi"


def blocking(answers, today=TODAY) -> list[str]:
    return [f.message for f in GATE.findings(answers, ctx(today)) if f.blocks]


def with_vendor(**vendor) -> dict:
    return data(KEY, vendors=[vendor_row(**vendor)])


# --- BAA expiry: today passes, yesterday blocks ---------------------------------------------
def test_a_baa_expiring_today_still_counts():
    assert blocking(with_vendor(baa_expiry=TODAY.isoformat())) == []


def test_a_baa_that_expired_yesterday_blocks_naming_vendor_and_date():
    assert blocking(with_vendor(baa_expiry="2026-06-14")) == [
        "BAA for Acme Transcribe expired on 2026-06-14 — upload the renewed agreement."
    ]


@pytest.mark.django_db
def test_baa_expiry_through_gate_blockers_as_the_calendar_turns(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    baa = add_pdf(gate, pm, "baa-agreements", effective=date(2025, 1, 1))
    add_pdf(gate, pm, "phi-data-flow")
    gate_save_data(gate=fresh(gate), by=pm, data=data(KEY, vendors=[
        vendor_row(baa_evidence=str(baa.pk), baa_effective="2025-01-01", baa_expiry="2030-03-31")]))

    with time_machine.travel(datetime(2030, 3, 31, 23, 0, tzinfo=dt_timezone.utc), tick=False):
        assert timezone.localdate() == date(2030, 3, 31)
        assert fresh(gate).blockers(context()) == []
    with time_machine.travel(datetime(2030, 4, 1, 9, 0, tzinfo=dt_timezone.utc), tick=False):
        assert fresh(gate).blockers(context()) == [
            "BAA for Acme Transcribe expired on 2030-03-31 — upload the renewed agreement."
        ]


# --- BAA on file ----------------------------------------------------------------------------
def test_a_phi_vendor_without_a_baa_blocks():
    assert blocking(with_vendor(baa_evidence="", baa_effective=None, baa_expiry=None)) == [
        "Acme Transcribe touches PHI but has no BAA on file: upload the signed agreement and select it for this vendor."
    ]


def test_a_vendor_that_does_not_touch_phi_needs_no_baa():
    assert blocking(with_vendor(touches_phi=False, baa_evidence="", baa_effective=None, baa_expiry=None)) == []


@pytest.mark.django_db
def test_a_phi_vendor_makes_the_baa_evidence_item_required(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    gate_save_data(gate=gate, by=pm, data=with_vendor(baa_expiry="2030-01-01"))

    assert "Business associate agreements" in [item.label for item in fresh(gate).missing_items(context())]


# --- PHI handling ---------------------------------------------------------------------------
def test_a_vendor_that_may_train_on_the_data_blocks():
    answers = data(KEY, vendor_may_train=True)

    assert blocking(answers) == [
        "A vendor may train its own models on the data: remove that right from the contract before launch."
    ]
    assert GATE.findings(answers, ctx(TODAY))[0].field == "vendor_may_train"


def test_identified_phi_without_minimum_necessary_justification_blocks():
    answers = data(KEY, identifiers=["names", "mrn"], deidentification="none", minimum_necessary="  ")

    assert blocking(answers) == [
        "PHI is processed without de-identification and without a minimum-necessary justification: "
        "de-identify it or justify each identifier."
    ]


def test_identified_phi_with_a_minimum_necessary_justification_passes():
    answers = data(KEY, identifiers=["names", "mrn"], deidentification="none",
                   minimum_necessary="The MRN links the alert to the chart; the name is shown to the nurse.")

    assert blocking(answers) == []


def test_de_identified_phi_needs_no_minimum_necessary_justification():
    assert blocking(data(KEY, identifiers=["names"], deidentification="safe_harbor", minimum_necessary="")) == []


# --- the form -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_vendor_form_offers_only_this_gates_current_baa_files(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    baa = add_pdf(gate, pm, "baa-agreements")
    gate = fresh(gate)

    good = form_for(gate, with_vendor(baa_evidence=str(baa.pk), baa_effective="2025-01-01", baa_expiry="2027-01-01"))
    bad = form_for(gate, with_vendor(baa_evidence=str(baa.pk + 999), baa_effective="2025-01-01"))

    assert good.is_valid(), good.error_messages()
    assert good.to_data()["vendors"][0]["baa_evidence"] == str(baa.pk)
    assert not bad.is_valid()
    assert "baa_evidence" in bad.formsets["vendors"].forms[0].errors


@pytest.mark.django_db
def test_the_vendor_form_refuses_a_baa_that_expires_before_it_takes_effect(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    baa = add_pdf(gate, pm, "baa-agreements")

    form = form_for(fresh(gate), with_vendor(baa_evidence=str(baa.pk), baa_effective="2026-01-01", baa_expiry="2025-12-31"))

    assert not form.is_valid()
    assert form.error_messages() == ["Vendor 1, BAA expires: The BAA expires before it takes effect; check the dates."]


@pytest.mark.django_db
def test_the_vendor_table_refuses_the_same_vendor_twice(pm):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    answers = data(KEY, vendors=[vendor_row("Acme", touches_phi=False, baa_evidence=""),
                                 vendor_row("acme", touches_phi=False, baa_evidence="")])

    form = form_for(gate, answers)

    assert not form.is_valid()
    assert form.error_messages() == ["Vendors and processors that touch PHI: Rows 1 and 2 are both “acme”. Each vendor must appear once: merge or rename them."]
