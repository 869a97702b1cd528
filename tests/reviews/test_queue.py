"""The review queue at /reviews/ (issue 13): what the officer may decide, oldest submission
first, with waiting time, owner and what changed; separation of duties lists the rest apart
with the reason; filters; the SLA marks overdue rows; the navigation shows the count."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthpm.collaboration.services import gate_request_reviewer
from healthpm.gates.services import gate_save_data, gate_submit, gate_withdraw
from healthpm.initiatives.models import ClinicalArea
from healthpm.reviews.queue import review_queue, waiting_count
from tests.factories import InitiativeFactory, add_link, fresh, gate_of, rejected_gate, submitted_gate

pytestmark = pytest.mark.django_db

URL = "/reviews/"
WED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)   # a Wednesday; + 5 working days = Wed 9 December


def at(day: int, hour: int = 9):
    return time_machine.travel(datetime(2026, 12, day, hour, 0, tzinfo=UTC), tick=False)


def _rows(section):
    return [(r.initiative.title, r.gate.key) for r in section]


@pytest.fixture
def three(pm, dual):
    """Three submitted gates: two of pm's initiatives (Wed 2 and Thu 3 December) and one on which
    `dual` collaborates (Tue 1 December, the oldest)."""
    with at(1):
        shared = InitiativeFactory(owner=pm, collaborators=[dual], title="Shared triage",
                                   clinical_area=ClinicalArea.RADIOLOGY)
        submitted_gate(shared, pm)
    with at(3):
        later = InitiativeFactory(owner=pm, title="Later sepsis")
        submitted_gate(later, pm, "paper-fallback")
    with at(2):
        earlier = InitiativeFactory(owner=pm, title="Earlier sepsis")
        submitted_gate(earlier, pm)
    return {"shared": shared, "later": later, "earlier": earlier}


def test_the_officer_sees_what_they_may_decide_oldest_first_and_the_rest_apart(three, dual, login):
    with at(4):
        response = login(dual).get(URL)

    assert response.status_code == 200
    queue = response.context["queue"]
    assert _rows(queue.decidable) == [("Earlier sepsis", "auditable-inputs"), ("Later sepsis", "paper-fallback")]
    assert _rows(queue.barred) == [("Shared triage", "auditable-inputs")]
    assert queue.barred[0].conflict == "You collaborate on this initiative, so you cannot decide its gates or sign it."
    page = response.content.decode()
    assert page.index("Earlier sepsis") < page.index("Later sepsis") < page.index("Shared triage")
    assert "You collaborate on this initiative" in page and "Owner: Priya Patel" in page
    assert "2 days (2 working)" in page and "First submission" in page


def test_an_officer_without_a_stake_may_decide_all_three(three, compliance):
    with at(4):
        queue = review_queue(compliance)

    assert _rows(queue.decidable)[0] == ("Shared triage", "auditable-inputs") and not queue.barred


def test_an_officer_who_added_evidence_is_barred_and_told_why(pm, dual, compliance):
    initiative = InitiativeFactory(owner=pm, collaborators=[dual])
    add_link(gate_of(initiative), dual, "data-dictionary")
    from healthpm.initiatives.services import EDITABLE_FIELDS, initiative_update
    initiative_update(initiative=initiative, by=pm, collaborators=[],
                      fields={f: getattr(initiative, f) for f in EDITABLE_FIELDS})
    submitted_gate(initiative, pm)

    queue = review_queue(dual)

    assert not queue.decidable
    assert queue.barred[0].conflict == "You added evidence to this initiative, so you cannot decide its gates or sign it."


def test_what_changed_since_the_rejection_is_summarised(pm, compliance):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    row = dict(gate.data["inputs"][0], notes="Draw time, not result time.")
    gate_save_data(gate=gate, by=pm, data={**gate.data, "inputs": [row]})
    add_link(fresh(gate), pm, "data-dictionary", replaces=gate.evidence.get())
    gate_submit(gate=fresh(gate), by=pm, response="Lineage signed; the timestamp is the draw time.")

    (row,) = review_queue(compliance).decidable

    assert row.change == "resubmitted after rejection: 1 table row, 1 evidence replaced"


def test_a_gate_whose_approval_was_voided_says_so(pm, compliance):
    from tests.factories import approved_gate

    gate = approved_gate(InitiativeFactory(owner=pm), pm, compliance)
    add_link(gate, pm, "data-dictionary")  # new evidence voids the approval
    gate_submit(gate=fresh(gate), by=pm)

    (row,) = review_queue(compliance).decidable

    assert row.change == "resubmitted after its approval was voided: 1 evidence added"


def test_a_withdrawn_gate_leaves_the_queue(pm, compliance):
    gate = submitted_gate(InitiativeFactory(owner=pm), pm)
    assert len(review_queue(compliance).decidable) == 1

    gate_withdraw(gate=gate, by=pm)

    assert not review_queue(compliance).decidable and waiting_count(compliance) == 0


def test_filters_by_clinical_area_and_gate(three, compliance, login):
    with at(4):
        client = login(compliance)
        by_area = client.get(URL, {"clinical_area": ClinicalArea.RADIOLOGY}).context["queue"]
        by_gate = client.get(URL, {"gate": "paper-fallback"}).context["queue"]
        nonsense = client.get(URL, {"gate": "no-such-gate"})

    assert _rows(by_area.decidable) == [("Shared triage", "auditable-inputs")]
    assert _rows(by_gate.decidable) == [("Later sepsis", "paper-fallback")]
    # An unknown filter value is said, and the whole queue shown.
    assert len(nonsense.context["queue"].decidable) == 3
    assert "Select a valid choice" in nonsense.content.decode()


def test_assigned_to_me_keeps_the_gates_the_owner_asked_this_officer_to_review(three, pm, compliance, login):
    gate_request_reviewer(gate=gate_of(three["later"], "paper-fallback"), by=pm, reviewer=compliance)
    with at(4):
        mine = login(compliance).get(URL, {"mine": "on"}).context["queue"]

    assert _rows(mine.decidable) == [("Later sepsis", "paper-fallback")]


@pytest.mark.parametrize("day, overdue", [(9, False), (10, True)])
def test_a_review_past_the_sla_is_overdue(pm, compliance, login, day, overdue):
    with time_machine.travel(WED, tick=False):
        submitted_gate(InitiativeFactory(owner=pm), pm)

    with at(day):
        response = login(compliance).get(URL)

    (row,) = response.context["queue"].decidable
    assert row.due.isoformat() == "2026-12-09" and row.overdue is overdue
    assert ("Overdue" in response.content.decode()) is overdue


def test_the_sla_is_a_setting(pm, compliance, settings):
    settings.HEALTHPM_REVIEW_SLA_WORKING_DAYS = 1
    with time_machine.travel(WED, tick=False):
        submitted_gate(InitiativeFactory(owner=pm), pm)

    with at(4):  # Friday: Thursday was the one working day
        (row,) = review_queue(compliance).decidable

    assert row.due.isoformat() == "2026-12-03" and row.overdue


def test_the_navigation_counts_the_gates_waiting_for_this_officer(three, dual, compliance, pm, login):
    client = login(dual)
    assert client.get("/initiatives/").context["reviews_waiting"] == 2
    page = client.get("/initiatives/").content.decode()
    assert 'id="reviews-waiting">2<' in page

    assert waiting_count(compliance) == 3
    assert "reviews-waiting" not in login(pm).get("/initiatives/").content.decode()


def _queue_queries(client) -> int:
    client.get(URL)  # the first request after sign-in stamps the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_the_queue_asks_a_fixed_number_of_queries(pm, pm2, compliance, dual, login):
    client = login(dual)
    first = InitiativeFactory(owner=pm, collaborators=[dual])
    submitted_gate(first, pm)
    one = _queue_queries(client)

    # Many more rows of every kind: first submissions, a resubmission after rejection, barred ones.
    for n in range(4):
        submitted_gate(InitiativeFactory(owner=pm2 if n % 2 else pm), pm2 if n % 2 else pm)
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    gate_submit(gate=gate, by=pm, response="Fixed.")
    submitted_gate(InitiativeFactory(owner=pm, collaborators=[dual]), pm)
    many = _queue_queries(client)

    queue = client.get(URL).context["queue"]
    assert len(queue.decidable) == 5 and len(queue.barred) == 2
    assert many == one, f"{one} queries for 1 row, {many} for 7"


@pytest.mark.parametrize("persona", ["pm", "leader", "outsider"])
def test_only_compliance_officers_open_the_queue(persona, request, login):
    response = login(request.getfixturevalue(persona)).get(URL)

    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
