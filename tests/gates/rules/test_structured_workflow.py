"""Structured gate data through HTTP and the workflow: bad input refused with nothing saved,
the data bound into the approval digest, and the live preview (SPEC §2, §4)."""

import pytest
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from healthpm.gates.models import GateDecision, GateStatus
from healthpm.gates.services import gate_save_data
from tests.factories import context, InitiativeFactory, db_state, fresh, gate_of, submitted_gate, valid_data
from tests.gates.rules.helpers import approve, data, input_row, page_post, post_body, preview_url, vendor_row

pytestmark = pytest.mark.django_db

GATE_KEYS = ["auditable-inputs", "false-positive-cost", "paper-fallback", "cognitive-load",
             "regulatory-classification", "baa-phi"]
# The gates whose answers the gate page's form posts (the input inventory is saved a row at a
# time: tests/gates/test_paged_table.py).
PAGE_KEYS = [key for key in GATE_KEYS if key != "auditable-inputs"]
# A vendor that handles de-identified data only, so the row needs no BAA file.
NO_PHI = {"touches_phi": False, "baa_evidence": "", "baa_effective": None, "baa_expiry": None}


# --- saving through the gate page ----------------------------------------------------------
@pytest.mark.parametrize("key", PAGE_KEYS)
def test_the_owner_saves_valid_answers_through_the_gate_page(pm, login, key):
    gate = gate_of(InitiativeFactory(owner=pm), key)

    response = login(pm).post(gate.get_absolute_url(), post_body(key, valid_data(key)))

    assert response.status_code == 302
    gate = fresh(gate)
    assert gate.data == valid_data(key)
    assert gate.status == GateStatus.IN_PROGRESS
    assert AuditEvent.objects.filter(action="gate_data_saved", object_id=str(gate.pk)).count() == 1


def _refused(client, gate, body, *says):
    """POST bad answers: 400, every message on the page, and nothing saved or audited."""
    before = db_state(gate.initiative)
    response = client.post(gate.get_absolute_url(), body)
    assert response.status_code == 400
    page = response.content.decode()
    for message in says:
        assert message in page, message
    assert db_state(gate.initiative) == before, "a refused save changed something"
    return page


@pytest.fixture
def saved(pm):
    """A gate with valid answers already saved: bad input must leave them as they are."""

    def _saved(key):
        gate = gate_of(InitiativeFactory(owner=pm), key)
        gate_save_data(gate=gate, by=pm, data=valid_data(key))
        return fresh(gate)

    return _saved


def test_a_ppv_above_one_is_refused_naming_the_field(pm, login, saved):
    gate = saved("false-positive-cost")

    _refused(login(pm), gate, page_post(gate, data(gate.key, ppv=1.5)),
             "PPV must be in (0, 1] as a fraction, e.g. 0.14 for 14% (got 1.5)")
    assert fresh(gate).data == valid_data(gate.key)


def test_negative_minutes_per_alert_are_refused_naming_the_field(pm, login, saved):
    gate = saved("false-positive-cost")

    _refused(login(pm), gate, page_post(gate, data(gate.key, minutes_per_false_alert=-3)),
             "Minutes per false alert cannot be negative (got −3)")


def test_a_prevalence_of_zero_is_refused_naming_the_field(pm, login, saved):
    gate = saved("false-positive-cost")
    answers = data(gate.key, mode="derived", alerts_per_day=None, ppv=None, evaluated_per_day=300,
                   sensitivity=0.8, specificity=0.9, prevalence=0)

    _refused(login(pm), gate, page_post(gate, answers), "Prevalence must be in (0, 1)")


def test_an_absurd_cognitive_load_answer_is_refused(pm, login, saved):
    gate = saved("cognitive-load")

    _refused(login(pm), gate, page_post(gate, data(gate.key, before_minutes=-6)),
             "Ensure this value is greater than or equal to 0.")


def test_an_empty_required_table_is_refused(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm, checklist_version=2), "failure-modes")
    gate_save_data(gate=gate, by=pm, data=valid_data(gate.key))
    gate = fresh(gate)

    _refused(login(pm), gate, page_post(gate, data(gate.key, modes=[])), "Add at least 1 failure mode.")


def test_a_blank_row_does_not_count_as_a_row(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm, checklist_version=2), "failure-modes")
    gate_save_data(gate=gate, by=pm, data=valid_data(gate.key))
    gate = fresh(gate)
    body = page_post(gate, data(gate.key, modes=[]))  # the saved rows ticked for removal…
    body["modes-TOTAL_FORMS"] = str(int(body["modes-TOTAL_FORMS"]) + 1)  # …and an added row left blank

    _refused(login(pm), gate, body, "Add at least 1 failure mode.")


def test_two_vendors_with_the_same_name_are_refused_naming_the_rows(pm, login, saved):
    gate = saved("baa-phi")
    rows = [vendor_row("Acme", touches_phi=False, baa_evidence="", baa_effective=None, baa_expiry=None)] * 2

    _refused(login(pm), gate, page_post(gate, data(gate.key, vendors=rows)),
             "Rows 1 and 2 are both “Acme”. Each vendor must appear once: merge or rename them.")


def test_a_post_without_the_management_form_is_refused(pm, login, saved):
    gate = saved("baa-phi")
    body = {k: v for k, v in page_post(gate, data(gate.key, vendors=[vendor_row(**NO_PHI)])).items()
            if "FORMS" not in k}

    _refused(login(pm), gate, body)


@pytest.mark.parametrize("total", ["2000", "99999999999999999999"])
def test_a_crafted_row_count_builds_at_most_the_table_limit_and_says_so(pm, login, saved, total, monkeypatch):
    """Found by the form fuzzer: a TOTAL_FORMS of 2,000 or more made the page build and render
    Django's 2,000 rows (over a minute of work for one request). The limit is 200 rows; 5 here
    keeps the test quick."""
    from healthpm.gates.definitions.baa_phi import BaaPhiForm
    from healthpm.gates.definitions.forms_base import GateForm

    assert GateForm.max_rows == 200
    monkeypatch.setattr(BaaPhiForm, "max_rows", 5)
    gate = saved("baa-phi")
    body = {**page_post(gate, data(gate.key, vendors=[vendor_row(**NO_PHI)])), "vendors-TOTAL_FORMS": total}

    page = _refused(login(pm), gate, body)

    assert "The table holds at most 5 vendors: merge rows or leave out what the model does not use" in page
    assert 'name="vendors-4-name"' in page and 'name="vendors-5-name"' not in page


def test_a_deleted_duplicate_row_is_not_a_duplicate_and_is_not_saved(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), "baa-phi")
    answers = data(gate.key, vendors=[vendor_row("Acme", **NO_PHI), vendor_row("Acme", **NO_PHI)])
    body = page_post(gate, answers)
    body["vendors-1-DELETE"] = "on"

    response = login(pm).post(gate.get_absolute_url(), body)

    assert response.status_code == 302
    assert fresh(gate).data["vendors"] == [vendor_row("Acme", **NO_PHI)]


def test_a_page_rendered_before_a_collaborator_saved_does_not_lose_rows(pm, login):
    # A stale page says no rows were saved; a row equal to the saved one must not be taken
    # for an untouched blank row and silently dropped.
    gate = gate_of(InitiativeFactory(owner=pm), "baa-phi")
    two = data(gate.key, vendors=[vendor_row("Acme", **NO_PHI), vendor_row("Nimbus", **NO_PHI)])
    stale = post_body(gate.key, two)  # INITIAL_FORMS 0
    gate_save_data(gate=gate, by=pm, data=data(gate.key, vendors=[vendor_row("Acme", **NO_PHI)]))  # saved meanwhile

    response = login(pm).post(gate.get_absolute_url(), stale)

    assert response.status_code == 302
    assert [row["name"] for row in fresh(gate).data["vendors"]] == ["Acme", "Nimbus"]


def test_the_gate_page_takes_no_post_when_every_fact_is_a_paged_table(pm, login, saved):
    gate = saved("auditable-inputs")
    client = login(pm)
    before = db_state(gate.initiative)

    response = client.post(gate.get_absolute_url(), page_post(gate, {"inputs": [input_row("other")]}))

    assert response.status_code == 405
    assert db_state(gate.initiative) == before


@pytest.mark.parametrize(("user", "status"), [("compliance", 403), ("leader", 403), ("pm2", 404), ("outsider", 404)])
def test_only_the_team_can_save_answers(pm, login, request, user, status):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")
    client = login(request.getfixturevalue(user))
    before = db_state(gate.initiative)

    response = client.post(gate.get_absolute_url(), page_post(gate, valid_data(gate.key)))

    assert response.status_code == status
    assert db_state(gate.initiative) == before


# --- structured data is part of the approval ------------------------------------------------
def test_valid_saved_data_evidences_the_structured_item(pm):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")
    assert "burden-calculation" in [i.key for i in gate.missing_items(context())]

    gate_save_data(gate=gate, by=pm, data=data(gate.key, minutes_per_false_alert=None))  # incomplete: no result
    assert "burden-calculation" in [i.key for i in fresh(gate).missing_items(context())]

    gate_save_data(gate=fresh(gate), by=pm, data=valid_data(gate.key))
    assert "burden-calculation" not in [i.key for i in fresh(gate).missing_items(context())]


@pytest.mark.parametrize("key", GATE_KEYS)
def test_changing_the_answers_of_an_approved_gate_voids_its_approval(pm, compliance, key):
    gate = approve(gate_of(InitiativeFactory(owner=pm), key), pm, compliance)
    approval = gate.current_approval()
    assert gate.status == GateStatus.APPROVED and gate.approval_matches()
    assert approval.digest == gate.compute_digest()

    changed = {
        "auditable-inputs": {"inputs": [input_row("lactate_last_12h")]},
        "false-positive-cost": data("false-positive-cost", minutes_per_false_alert=6.0),
        "paper-fallback": data("paper-fallback", procedure_owner="Charge nurse, 5 West"),
        "cognitive-load": data("cognitive-load", cases_measured=41),
        "regulatory-classification": data("regulatory-classification", guidance_edition="2022-09"),
        "baa-phi": data("baa-phi", retention="Inference inputs kept 7 days"),
    }[key]
    gate_save_data(gate=gate, by=pm, data=changed)

    gate = fresh(gate)
    assert gate.status == GateStatus.IN_PROGRESS
    assert gate.current_approval() is None
    voided = GateDecision.objects.get(pk=approval.pk)
    assert voided.voided_at is not None
    assert voided.void_reason == "Structured data changed after approval."
    assert voided.digest != gate.compute_digest()
    assert AuditEvent.objects.filter(action="gate_approval_voided", object_id=str(gate.pk)).count() == 1


def test_saving_the_same_answers_again_keeps_the_approval(pm, compliance, login):
    gate = approve(gate_of(InitiativeFactory(owner=pm), "paper-fallback"), pm, compliance)
    client = login(pm)
    before = db_state(gate.initiative)

    response = client.post(gate.get_absolute_url(), page_post(gate, valid_data(gate.key)))

    assert response.status_code == 302
    assert db_state(gate.initiative) == before
    assert fresh(gate).approval_matches()


def test_changing_an_approved_gate_through_the_page_voids_the_approval(pm, compliance, login):
    gate = approve(gate_of(InitiativeFactory(owner=pm), "cognitive-load"), pm, compliance)

    response = login(pm).post(gate.get_absolute_url(), page_post(gate, data(gate.key, after_minutes=5.5)))

    assert response.status_code == 302
    gate = fresh(gate)
    assert gate.status == GateStatus.IN_PROGRESS
    assert gate.data["after_minutes"] == 5.5
    assert gate.decisions.get().voided_at is not None


def test_a_submitted_gate_refuses_new_answers(pm, login):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm, "cognitive-load")
    client = login(pm)
    before = db_state(initiative)

    response = client.post(gate.get_absolute_url(), page_post(gate, data(gate.key, after_minutes=5.5)))

    assert response.status_code == 400
    assert "is under review" in response.content.decode()
    assert db_state(initiative) == before


# --- the live preview -----------------------------------------------------------------------
def test_the_preview_shows_the_blocker_for_blocking_answers_and_saves_nothing(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")
    client = login(pm)
    before = db_state(gate.initiative)
    answers = data(gate.key, mode="measured", alerts_per_day=40.0, ppv=0.5, minutes_per_false_alert=10.0,
                   hourly_rate="50.01")

    response = client.post(preview_url(gate), page_post(gate, answers))

    assert response.status_code == 200
    page = response.content.decode()
    assert "False alerts cost $5,001.00 a month, $1.00 over the $5,000.00 threshold." in page
    assert "Would block submission:" in page
    assert db_state(gate.initiative) == before


def test_the_preview_shows_the_working_for_passing_answers(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")

    response = login(pm).post(preview_url(gate), page_post(gate, valid_data(gate.key)))

    page = response.content.decode()
    assert "No blocking rule fails on these facts." in page
    assert "$750.00 a month against a threshold of $5,000.00: within the threshold." in page


def test_the_row_check_shows_warnings(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), "auditable-inputs")
    row = input_row("patient_zip_code", justification="Routing only.")
    body = {f"add-inputs-{name}": "" if value is None else str(value) for name, value in row.items()}

    response = login(pm).post(reverse("gates:table_row_check", args=[gate.initiative.slug, gate.key, "inputs"]), body)

    page = response.content.decode()
    assert "is a known proxy (ZIP / postal code); justification recorded" in page
    assert "Would block" not in page


def test_the_preview_lists_form_errors_naming_field_and_row_and_saves_nothing(pm, login, saved):
    gate = saved("baa-phi")
    client = login(pm)
    before = db_state(gate.initiative)
    answers = data(gate.key, vendors=[vendor_row("Acme", **NO_PHI), vendor_row("Nimbus", **{**NO_PHI,
                                                                                            "touches_phi": None})])

    response = client.post(preview_url(gate), page_post(gate, answers))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Not yet a complete answer" in page
    assert "Vendor 2, Touches PHI: This field is required." in page
    assert db_state(gate.initiative) == before


def test_the_preview_names_an_impossible_number(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")

    response = login(pm).post(preview_url(gate), page_post(gate, data(gate.key, ppv=1.5)))

    assert "Precision (PPV): PPV must be in (0, 1]" in response.content.decode()


@pytest.mark.parametrize(("user", "status"), [("compliance", 403), ("leader", 403), ("pm2", 404), ("outsider", 404)])
def test_the_preview_is_only_for_those_who_can_edit(pm, login, request, user, status):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")

    response = login(request.getfixturevalue(user)).post(preview_url(gate), page_post(gate, valid_data(gate.key)))

    assert response.status_code == status


def test_a_pm_who_can_see_but_not_edit_gets_403_from_the_preview(pm, pm2, login):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)  # out of draft: other PMs may now look
    gate = gate_of(initiative, "false-positive-cost")
    assert login(pm2).get(gate.get_absolute_url()).status_code == 200

    response = login(pm2).post(preview_url(gate), page_post(gate, valid_data(gate.key)))

    assert response.status_code == 403


def test_the_preview_accepts_only_post(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")

    assert login(pm).get(preview_url(gate)).status_code == 405


def test_the_preview_requires_sign_in(pm, client):
    gate = gate_of(InitiativeFactory(owner=pm), "false-positive-cost")

    response = client.post(preview_url(gate), page_post(gate, valid_data(gate.key)))

    assert response.status_code == 302 and "login" in response["Location"]
