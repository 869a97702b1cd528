"""How a gate's blockers are shown (issue 13 §6): each blocker once, a structured item that blocks
never shown as a green "evidenced", one calm "start here" for a new initiative, and a live working
from the numbers alone. The server's refusal stays exactly as strict."""

import re

import pytest
from django.urls import reverse

from healthpm.gates.models import GateStatus
from tests.factories import InitiativeFactory, add_link, db_state, fill_gate, fresh, gate_of, valid_data
from tests.gates.rules.helpers import page_post, preview_url

pytestmark = pytest.mark.django_db

KEY = "false-positive-cost"
# 40 alerts/day at PPV 0.25, 6 min each at $60/h → 30 × 6 = 180 min/day, 90 h/month, $5,400.00.
OVER = {**valid_data(KEY), "alerts_per_day": 40.0, "ppv": 0.25, "minutes_per_false_alert": 6.0}
COST_BLOCKER = "False alerts cost $5,400.00 a month, $400.00 over the $5,000.00 threshold."


def _text(response) -> str:
    """The page as a person reads it: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_after_a_blocked_submit_each_blocker_appears_once(pm, login):
    initiative = InitiativeFactory(owner=pm)
    gate = fill_gate(gate_of(initiative, KEY), pm, OVER)
    add_link(gate, pm, "alert-volume-source")
    client = login(pm)
    before = db_state(initiative)

    response = client.post(reverse("gates:submit", args=[initiative.slug, KEY]), {"note": ""}, follow=True)

    page = _text(response)
    assert page.count(COST_BLOCKER) == 1
    assert page.count("No current evidence for “Source of minutes per false alert”") == 1
    assert "cannot be submitted yet: what blocks it is listed under “What blocks submission”" in page
    assert db_state(initiative) == before
    assert fresh(gate).status == GateStatus.IN_PROGRESS


def test_a_refused_submit_of_a_gate_not_started_lists_its_blockers_in_the_message(pm, login):
    """The page shows a calm first step instead of blockers, so the refusal itself lists them, once."""
    initiative = InitiativeFactory(owner=pm)

    response = login(pm).post(reverse("gates:submit", args=[initiative.slug, KEY]), {"note": ""}, follow=True)

    page = _text(response)
    assert page.count("“Burden calculation” is not filled in yet") == 1
    assert page.count("No current evidence for “Source of the alert volume”") == 1
    assert fresh(gate_of(initiative, KEY)).status == GateStatus.NOT_STARTED


def test_a_structured_item_whose_facts_block_is_not_shown_as_evidenced(pm, login):
    initiative = InitiativeFactory(owner=pm)
    fill_gate(gate_of(initiative, KEY), pm, OVER)

    page = _text(login(pm).get(reverse("gates:detail", args=[initiative.slug, KEY])))

    assert "✘ Burden calculation filled in — blocks" in page
    assert "✔ Burden calculation" not in page
    assert page.count(COST_BLOCKER) == 1  # in "What blocks submission"; the working points to it


def test_a_structured_item_that_passes_is_evidenced(pm, login):
    initiative = InitiativeFactory(owner=pm)
    fill_gate(gate_of(initiative, KEY), pm)

    page = _text(login(pm).get(reverse("gates:detail", args=[initiative.slug, KEY])))

    assert "✔ Burden calculation evidenced" in page


def test_a_new_initiative_shows_one_calm_start_here_step_and_no_blockers(pm, login):
    initiative = InitiativeFactory(owner=pm)
    client = login(pm)

    overview = _text(client.get(initiative.get_absolute_url()))
    gate_page = _text(client.get(reverse("gates:detail", args=[initiative.slug, KEY])))

    assert "Start here · for the product team" in overview
    assert overview.count("Not started yet — start here.") == 1  # the first gate's row only
    assert "Start with “Auditable inputs”" in overview
    for page in (overview, gate_page):
        assert "No current evidence for" not in page
        assert "is not filled in yet" not in page
    assert "Start here Fill in the facts below and save" in gate_page
    assert "What blocks submission" not in gate_page


def test_blockers_appear_for_a_gate_once_it_is_touched(pm, login):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative, KEY)
    add_link(gate, pm, "alert-volume-source")
    client = login(pm)

    overview = _text(client.get(initiative.get_absolute_url()))
    gate_page = _text(client.get(reverse("gates:detail", args=[initiative.slug, KEY])))

    assert "Start here" not in overview
    assert overview.count("“Burden calculation” is not filled in yet") == 1  # only the touched gate's
    assert "No current evidence for “Data dictionary or lineage document”" not in overview
    assert "Not started yet" in overview
    assert "What blocks submission" in gate_page
    assert "No current evidence for “Source of minutes per false alert”" in gate_page


def test_the_live_working_is_computed_from_the_numbers_before_the_source_is_typed(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), KEY)

    response = login(pm).post(preview_url(gate), page_post(gate, {**OVER, "volume_source": "", "responder_role": ""}))

    page = _text(response)
    assert "Where the volume comes from: This field is required." in page
    assert "Working from the numbers typed so far" in page
    for shown in ("30 × 6", "180 min/day", "180 × 30 ÷ 60", "90 h/month", "90 × $60.00", "$5,400.00 a month",
                  "0.38 FTE", "4 alerts per true case"):
        assert shown in page, shown
    assert COST_BLOCKER not in page  # rules are judged on a complete answer only
