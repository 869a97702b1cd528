"""The input inventory as a paged table (issue 14 item 2): 50 rows a page, search and filters,
each row's blockers beside it, rows added, edited and removed one at a time (each audited on
its own and re-evaluating the gate), repeated problems said once, and a page whose cost does
not grow with the inventory."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Gate, GateStatus, SourceSystem
from healthpm.gates.rows import PAGE_SIZE
from healthpm.gates.services import gate_save_data, gate_save_row
from tests.factories import InitiativeFactory, approved_gate, gate_of
from tests.gates.rules.helpers import input_row

pytestmark = pytest.mark.django_db
KEY, TABLE = "auditable-inputs", "inputs"


def inventory(pm, rows: int, *, legacy: int = 0) -> Gate:
    """A gate with `rows` good inputs, the last `legacy` of them from an unapproved system."""
    SourceSystem.objects.get_or_create(name="EHR-legacy", defaults={"approved": False})
    gate = gate_of(InitiativeFactory(owner=pm), KEY)
    data = [input_row(f"feature_{n:04d}", source_system="EHR-legacy" if n >= rows - legacy else "EHR")
            for n in range(rows)]
    return gate_save_data(gate=gate, by=pm, data={TABLE: data})


def page(client, gate, **params):
    response = client.get(gate.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def listed(html: str) -> list[str]:
    """The names of the rows the page lists (the first cell after the row number)."""
    return re.findall(r'<tr id="row-inputs-\d+"[^>]*>\s*<td class="text-muted" data-label="Row">\d+</td>\s*'
                      r'<td data-label="Input">([^<]*)</td>', html)


def row_body(prefix: str, row: dict, **extra) -> dict:
    body = {f"{prefix}-{name}": ("True" if value is True else "False" if value is False else value)
            for name, value in row.items()}
    return {**body, **extra}


def test_the_page_lists_fifty_rows_at_a_time(pm, login):
    client = login(pm)
    gate = inventory(pm, 120)

    first, third = page(client, gate), page(client, gate, page=3)

    assert listed(first) == [f"feature_{n:04d}" for n in range(PAGE_SIZE)]
    assert listed(third) == [f"feature_{n:04d}" for n in range(100, 120)]
    assert "101–120 of 120" in third and "page 3 of 3" in third
    assert listed(page(client, gate, page=99)) == listed(third), "a page past the end shows the last"


def test_search_and_filters_narrow_the_rows(pm, login):
    client = login(pm)
    gate = inventory(pm, 60, legacy=5)

    assert listed(page(client, gate, q="FEATURE_0042")) == ["feature_0042"]
    assert listed(page(client, gate, q="ehr-legacy")) == [f"feature_{n:04d}" for n in range(55, 60)]
    assert listed(page(client, gate, show="blocking")) == [f"feature_{n:04d}" for n in range(55, 60)]
    html = page(client, gate, show="blocking")
    assert "Blocking (5)" in html and "Contains PHI (60)" in html
    assert "is not an approved source system" in html.split('id="row-inputs-55"')[1], "the row's blocker beside it"


def test_a_problem_many_rows_share_is_said_once_with_a_link_to_them(pm, login):
    client = login(pm)
    gate = inventory(pm, 60, legacy=7)

    html = page(client, gate)
    state = html.split('id="gate-state"')[1].split("</ul>")[0]

    assert "7 model inputs come from “EHR-legacy”, which is not an approved source system: “feature_0053”, " \
           "“feature_0054”, “feature_0055” and 4 more." in state
    assert state.count("“EHR-legacy”") == 1
    link = re.search(r'href="([^"]*problem=[^"]*)"', state).group(1).replace("&amp;", "&")
    assert listed(client.get(link).content.decode()) == [f"feature_{n:04d}" for n in range(53, 60)]


def test_a_few_rows_keep_their_own_lines(pm, login):
    gate = inventory(pm, 10, legacy=3)

    blockers = gate.blockers(evaluation_context())

    assert [b for b in blockers if "EHR-legacy" in b] == [
        f"Input “feature_{n:04d}”: source “EHR-legacy” is not an approved source system. Choose an approved system "
        "or ask the administrator to approve it." for n in (7, 8, 9)]


def test_the_page_costs_the_same_queries_at_two_sizes(pm, login):
    client = login(pm)
    small, large = inventory(pm, 20, legacy=2), inventory(pm, 1500, legacy=100)
    client.get(small.get_absolute_url())  # the first request after sign-in stamps the session

    counts = []
    for gate in (small, large):
        with CaptureQueriesContext(connection) as captured:
            page(client, gate)
        counts.append(len(captured))

    assert counts[0] == counts[1]
    assert counts[1] <= 20


def test_a_row_is_added_alone_and_audited_alone(pm, login):
    client = login(pm)
    gate = inventory(pm, 3)
    url = reverse("gates:table_row_save", args=[gate.initiative.slug, KEY, TABLE])

    response = client.post(url, row_body("add-inputs", input_row("patient_zip5")))

    assert response.status_code == 302 and response["Location"].endswith("?q=patient_zip5#rows-inputs")
    gate.refresh_from_db()
    assert [r["name"] for r in gate.data[TABLE]] == ["feature_0000", "feature_0001", "feature_0002", "patient_zip5"]
    event = AuditEvent.objects.filter(action="gate_row_added").get()
    assert event.before is None and event.after["row"]["name"] == "patient_zip5" and event.after["rows"] == 4
    assert "feature_0000" not in str(event.after), "the event holds the row, not the whole inventory"
    assert "known proxy" in page(client, gate, q="patient_zip5")


def test_htmx_gets_the_table_with_the_gate_re_evaluated(pm, login):
    client = login(pm)
    gate = inventory(pm, 3)
    url = reverse("gates:table_row_save", args=[gate.initiative.slug, KEY, TABLE])

    html = client.post(url, row_body("add-inputs", input_row("payer_class")), HTTP_HX_REQUEST="true").content.decode()

    assert html.startswith('\n<section id="rows-inputs"') or '<section id="rows-inputs"' in html[:400]
    assert "Model input “payer_class” added." in html
    state = html.split('<div id="gate-state" data-hx-swap-oob="true">')[1]
    assert "known proxy for a protected class or wealth (insurance" in state.lower() or "payer_class" in state


def test_a_duplicate_name_is_refused_naming_it_and_nothing_changes(pm, login):
    client = login(pm)
    gate = inventory(pm, 3)
    before = gate.data
    url = reverse("gates:table_row_save", args=[gate.initiative.slug, KEY, TABLE])

    response = client.post(url, row_body("add-inputs", input_row(" FEATURE_0001 ")))

    assert response.status_code == 400
    assert "“FEATURE_0001” is already in “Input inventory”" in response.content.decode()
    gate.refresh_from_db()
    assert gate.data == before
    assert not AuditEvent.objects.filter(action__startswith="gate_row_").exists()


def test_a_row_is_edited_and_renamed_by_its_original_name(pm, login):
    client = login(pm)
    gate = inventory(pm, 3)
    url = reverse("gates:table_row_save", args=[gate.initiative.slug, KEY, TABLE])
    row = input_row("lactate_max_6h", notes="Renamed from feature_0001")

    response = client.post(url + "?page=1&q=feature", row_body("edit-inputs", row, original="feature_0001"))

    assert response.status_code == 302 and "q=feature" in response["Location"]
    gate.refresh_from_db()
    assert gate.data[TABLE][1]["name"] == "lactate_max_6h" and gate.data[TABLE][1]["notes"] == row["notes"]
    event = AuditEvent.objects.get(action="gate_row_changed")
    assert event.before["row"]["name"] == "feature_0001" and event.after["row"]["name"] == "lactate_max_6h"

    stale = client.post(url, row_body("edit-inputs", row, original="feature_0001"))
    assert stale.status_code == 400 and "no longer in “Input inventory”" in stale.content.decode()


def test_the_edit_form_opens_in_its_row(pm, login):
    client = login(pm)
    gate = inventory(pm, 3)

    html = page(client, gate, edit="feature_0002")

    assert 'class="row-editing"' in html and 'name="original" value="feature_0002"' in html
    assert 'id="id_edit-inputs-name"' in html and 'value="feature_0002"' in html


def test_a_row_is_removed_but_never_the_last(pm, login):
    client = login(pm)
    gate = inventory(pm, 2)
    url = reverse("gates:table_row_remove", args=[gate.initiative.slug, KEY, TABLE])

    assert client.post(url, {"original": "feature_0000"}).status_code == 302
    gate.refresh_from_db()
    assert [r["name"] for r in gate.data[TABLE]] == ["feature_0001"]
    assert AuditEvent.objects.get(action="gate_row_removed").before["row"]["name"] == "feature_0000"

    client.post(url, {"original": "feature_0001"})
    gate.refresh_from_db()
    assert [r["name"] for r in gate.data[TABLE]] == ["feature_0001"]


def test_saving_a_row_moves_an_approved_gate_back_to_review(pm, compliance):
    gate = approved_gate(InitiativeFactory(owner=pm), pm, compliance, KEY)
    assert gate.status == GateStatus.APPROVED
    name = gate.data[TABLE][0]["name"]

    gate_save_row(gate=gate, by=pm, table_key=TABLE, original=name,
                  row={**gate.data[TABLE][0], "notes": "changed after approval"})

    gate = Gate.objects.get(pk=gate.pk)
    assert gate.status == GateStatus.IN_PROGRESS
    assert gate.decisions.get().voided_at is not None


def test_the_services_authorise_and_respect_review(pm, pm2, leader, compliance, login):
    gate = inventory(pm, 3)
    url = reverse("gates:table_row_save", args=[gate.initiative.slug, KEY, TABLE])
    body = row_body("add-inputs", input_row("new_input"))

    assert login(leader).post(url, body).status_code == 403
    assert login(compliance).post(url, body).status_code == 403
    assert login(pm2).post(url, body).status_code == 404, "not on the team: the initiative is not there"
    gate.status = GateStatus.SUBMITTED
    gate.save()
    with pytest.raises(WorkflowError, match="under review"):
        gate_save_row(gate=gate, by=pm, table_key=TABLE, original=None, row=input_row("new_input"))
    assert len(Gate.objects.get(pk=gate.pk).data[TABLE]) == 3


def test_the_live_check_evaluates_only_the_row(pm, login):
    client = login(pm)
    gate = inventory(pm, 3, legacy=3)
    url = reverse("gates:table_row_check", args=[gate.initiative.slug, KEY, TABLE])

    html = client.post(url, row_body("add-inputs", input_row("race_reported"))).content.decode()

    assert "Would block" in html and "race_reported" in html
    assert "EHR-legacy" not in html, "the other rows' problems are not this row's"
    incomplete = client.post(url, {"add-inputs-name": "x"}).content.decode()
    assert "Not complete yet" in incomplete and "Source system" in incomplete


def test_saving_the_facts_form_keeps_the_rows(pm):
    gate = inventory(pm, 4)

    gate = gate_save_data(gate=gate, by=pm, data={})

    assert len(gate.data[TABLE]) == 4
