"""A compliance officer's written exception to a finding a gate lets officers except — the harm
engine of "Adoption and incentives" (issue 12 item 10): who may record it, what it stores, that a
PM's save keeps it and that a changed business model voids it."""

import html
from datetime import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from healthpm.accounts import roles
from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates.definitions.adoption_incentives import business_model
from healthpm.gates.services import gate_record_exception, gate_save_data
from tests.factories import InitiativeFactory, UserFactory, db_state, example_data, fresh, gate_of
from tests.gates.rules.helpers import page_post

pytestmark = pytest.mark.django_db

KEY = "adoption-incentives"
EXCUSE = "Capped at $2,000 a month by contract §7.2; renegotiate to a fixed fee at renewal (2027-03)."
HARM = "you've built a harm engine"


@pytest.fixture
def initiative(pm):
    return InitiativeFactory(owner=pm, checklist_version=2)


@pytest.fixture
def harm_engine(initiative, pm):
    """The gate answered as the blocking example: paid per alert, revenue grows with alerts."""
    gate = gate_of(initiative, KEY)
    gate_save_data(gate=gate, by=pm, data=example_data(KEY, "blocking"))
    return fresh(gate)


def url(initiative, name="gates:exception") -> str:
    return reverse(name, args=[initiative.slug, KEY])


def page(client, initiative) -> str:
    return html.unescape(client.get(url(initiative, "gates:detail")).content.decode())


def blockers(gate) -> list[str]:
    from tests.factories import context

    return fresh(gate).blockers(context())


# --- who may ------------------------------------------------------------------------------------
def test_the_owning_pm_cannot_record_an_exception(harm_engine, pm, login):
    before = db_state(harm_engine.initiative)["gates"]
    response = login(pm).post(url(harm_engine.initiative), {"text": EXCUSE})

    assert response.status_code == 403
    assert db_state(harm_engine.initiative)["gates"] == before  # the refusal itself is audited, nothing else
    with pytest.raises(PermissionDenied, match="Only compliance officers record written exceptions"):
        gate_record_exception(gate=harm_engine, by=pm, text=EXCUSE)


def test_a_pm_of_another_team_does_not_even_see_the_gate(harm_engine, pm2, login):
    assert login(pm2).post(url(harm_engine.initiative), {"text": EXCUSE}).status_code == 404


def test_an_officer_who_owns_the_initiative_cannot_except_its_rules(login):
    both = UserFactory(username="olga", first_name="Olga", last_name="Both")
    for role in (roles.PRODUCT_MANAGER, roles.COMPLIANCE):
        both.groups.add(Group.objects.get_or_create(name=role)[0])
    initiative = InitiativeFactory(owner=both, checklist_version=2)
    gate = gate_of(initiative, KEY)
    gate_save_data(gate=gate, by=both, data=example_data(KEY, "blocking"))
    before = db_state(initiative)["gates"]

    response = login(both).post(url(initiative), {"text": EXCUSE})

    assert response.status_code == 403
    assert db_state(initiative)["gates"] == before
    with pytest.raises(PermissionDenied, match="You own this initiative.*A written exception is a decision too"):
        gate_record_exception(gate=fresh(gate), by=both, text=EXCUSE)
    # Nor is the form offered to them.
    assert "Record a written exception" not in page(login(both), initiative)


def test_an_officer_records_it_and_the_block_becomes_a_warning(harm_engine, compliance, login):
    client = login(compliance)
    assert any(HARM in b for b in blockers(harm_engine))
    assert "Record a written exception" in page(client, harm_engine.initiative)

    response = client.post(url(harm_engine.initiative), {"text": f"  {EXCUSE}  "})

    assert response.status_code == 302
    gate = fresh(harm_engine)
    recorded = gate.data["harm_engine_exception"]
    assert recorded["text"] == EXCUSE and recorded["by"] == "Grace Okafor"
    assert datetime.fromisoformat(recorded["at"]).utcoffset().total_seconds() == 0
    assert recorded["for"] == business_model(gate.data) == {
        "payment_model": "per_alert", "payment_other": "", "payment_terms": "$1.20 per alert fired",
        "revenue_grows_with_alerts": True}
    assert not any(HARM in b for b in blockers(gate))
    shown = page(client, harm_engine.initiative)
    assert f"allowed by the written exception Grace Okafor recorded on {recorded['at'][:10]}: “{EXCUSE}”" in shown
    assert "Record a written exception" not in shown

    event = AuditEvent.objects.filter(action="gate_exception_recorded").get()
    assert event.actor == compliance and event.initiative_id == harm_engine.initiative_id
    assert event.after == {"harm_engine_exception": recorded}
    assert HARM in event.before["finding"]


def test_an_officer_on_the_team_cannot(harm_engine, pm, compliance, login):
    harm_engine.initiative.collaborators.add(compliance)
    assert login(compliance).post(url(harm_engine.initiative), {"text": EXCUSE}).status_code == 403


def test_an_empty_exception_is_refused_on_the_page(harm_engine, compliance, login):
    response = login(compliance).post(url(harm_engine.initiative), {"text": "   "}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == url(harm_engine.initiative, "gates:detail")
    assert response.context["exception_form"].errors["text"]
    assert "harm_engine_exception" not in fresh(harm_engine).data


def test_nothing_to_except_is_refused(initiative, pm, compliance, login):
    gate = gate_of(initiative, KEY)
    gate_save_data(gate=gate, by=pm, data=example_data(KEY, "passing"))
    client = login(compliance)
    assert "Record a written exception" not in page(client, initiative)

    response = client.post(url(initiative), {"text": EXCUSE}, follow=True)

    assert response.status_code == 200 and response.redirect_chain[-1][0] == url(initiative, "gates:detail")
    assert "no finding an officer may except blocks it now" in html.unescape(response.content.decode())
    with pytest.raises(WorkflowError):
        gate_record_exception(gate=fresh(gate), by=compliance, text=EXCUSE)


def test_a_gate_without_officer_keys_never_offers_an_exception(initiative, pm, compliance, login):
    gate = gate_of(initiative, "paper-fallback")
    gate_save_data(gate=gate, by=pm, data=example_data("paper-fallback", "blocking"))
    client = login(compliance)
    assert "Record a written exception" not in html.unescape(
        client.get(reverse("gates:detail", args=[initiative.slug, "paper-fallback"])).content.decode())
    response = client.post(reverse("gates:exception", args=[initiative.slug, "paper-fallback"]), {"text": EXCUSE},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("gates:detail", args=[initiative.slug, "paper-fallback"])
    assert not AuditEvent.objects.filter(action="gate_exception_recorded").exists()


# --- what happens to it afterwards -----------------------------------------------------------------
@pytest.fixture
def excepted(harm_engine, compliance):
    gate_record_exception(gate=harm_engine, by=compliance, text=EXCUSE)
    return fresh(harm_engine)


def test_a_pm_save_keeps_the_exception(excepted, pm, login):
    recorded = excepted.data["harm_engine_exception"]
    answers = {k: v for k, v in excepted.data.items() if k != "harm_engine_exception"}
    answers["champions"] = "Dr. A. Chen (ICU)"

    response = login(pm).post(url(excepted.initiative, "gates:detail"), page_post(excepted, answers))

    assert response.status_code == 302
    gate = fresh(excepted)
    assert gate.data["champions"] == "Dr. A. Chen (ICU)" and gate.data["harm_engine_exception"] == recorded
    assert not any(HARM in b for b in blockers(gate))


def test_the_live_preview_counts_the_exception(excepted, pm, login):
    answers = {k: v for k, v in excepted.data.items() if k != "harm_engine_exception"}
    response = login(pm).post(url(excepted.initiative, "gates:preview"), page_post(excepted, answers),
                              HTTP_HX_REQUEST="true")
    shown = html.unescape(response.content.decode())
    assert HARM not in shown and "allowed by the written exception Grace Okafor" in shown


def test_a_pm_cannot_write_or_erase_an_exception_through_a_save(harm_engine, excepted, pm):
    forged = {**example_data(KEY, "blocking"), "champions": "x",
              "harm_engine_exception": {"text": "Fine by me", "by": "Priya Patel", "at": "2026-01-01T00:00:00+00:00",
                                        "for": business_model(example_data(KEY, "blocking"))}}
    gate_save_data(gate=excepted, by=pm, data=forged)
    assert fresh(excepted).data["harm_engine_exception"] == excepted.data["harm_engine_exception"]

    other = gate_of(InitiativeFactory(owner=pm, checklist_version=2), KEY)
    gate_save_data(gate=other, by=pm, data=forged)
    assert "harm_engine_exception" not in fresh(other).data
    assert any(HARM in b for b in blockers(other))


def test_a_changed_business_model_voids_the_exception(excepted, pm, compliance, login):
    changed = {**{k: v for k, v in excepted.data.items() if k != "harm_engine_exception"},
               "payment_terms": "$2.50 per alert fired"}
    gate_save_data(gate=excepted, by=pm, data=changed)
    gate = fresh(excepted)

    (harm,) = [b for b in blockers(gate) if HARM in b]
    assert harm.endswith("was for another business model (paid per alert, “$1.20 per alert fired”); the business "
                         "model has changed since, so a compliance officer must record a new exception.")
    # The officer is offered the form again, and a new exception covers the new terms.
    client = login(compliance)
    assert "Record a written exception" in page(client, gate.initiative)
    assert client.post(url(gate.initiative), {"text": "Re-approved at $2.50, same cap."}).status_code == 302
    assert fresh(gate).data["harm_engine_exception"]["for"]["payment_terms"] == "$2.50 per alert fired"
    assert not any(HARM in b for b in blockers(gate))
