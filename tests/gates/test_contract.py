"""The contract every gate of every checklist keeps, driven by the gate's own example data.

A new gate is picked up here without any change: its form round-trips its passing example,
the passing example has no blocker and the blocking one at least one, its portfolio facts are
what it declares, and the gate page, the live preview, the overview and the dossier show it.
"""

import html
import json

import pytest
from django.urls import reverse

from healthpm.dossier import render
from healthpm.gates import registry
from healthpm.gates.definitions.base import PORTFOLIO_FACTS, Examples
from healthpm.gates.report import gate_report
from healthpm.gates.services import gate_save_data
from healthpm.initiatives.services import initiative_create
from tests.dossier.helpers import one_line, pdftotext
from tests.factories import add_link, context, fresh, gate_of
from tests.gates.rules.helpers import ctx, form_for, paged_rows, post_body, row_post

CASES = [(c.version, g) for c in registry.CHECKLISTS for g in c.gates]
IDS = [f"v{version}-{gate.key}" for version, gate in CASES]
FIELDS = {"title": "Contract initiative", "summary": "Scores inpatients hourly.", "clinical_area": "critical_care",
          "intended_use": "Prompts a bedside assessment.", "intended_users": "Rapid-response nurses",
          "care_setting": "inpatient"}


def _json(value):
    return json.loads(json.dumps(value))


def _initiative(pm, version: int):
    return initiative_create(by=pm, fields=FIELDS, checklist_version=version)


def _evidenced(gate, pm, data):
    """Save `data` and evidence every required file or link item."""
    gate_save_data(gate=gate, by=pm, data=data)
    gate = fresh(gate)
    for item in gate.definition.required_items(gate.data):
        if not item.structured:
            add_link(gate, pm, item.key)
    return fresh(gate)


@pytest.mark.parametrize(("version", "definition"), CASES, ids=IDS)
def test_the_examples_decide_as_they_say(version, definition):
    examples = definition.examples(ctx())
    assert isinstance(examples, Examples)
    if definition.form_class is None:
        return
    assert examples.passing and examples.blocking, "a gate with a form gives a passing and a blocking example"
    for kind, data in (("passing", examples.passing), ("blocking", examples.blocking)):
        assert definition.structured_complete(data), f"the {kind} example is not a complete answer"
    passing = [*definition.findings(examples.passing, ctx()), *definition.final_findings(examples.passing, ctx())]
    blocking = [*definition.findings(examples.blocking, ctx()), *definition.final_findings(examples.blocking, ctx())]
    assert not [f for f in passing if f.blocks]
    assert [f for f in blocking if f.blocks]
    for finding in blocking:
        assert finding.message.strip() and finding.level in ("block", "warn")


@pytest.mark.parametrize(("version", "definition"), CASES, ids=IDS)
def test_the_portfolio_facts_are_the_declared_ones(version, definition):
    assert set(definition.contributes) <= set(PORTFOLIO_FACTS)
    data = definition.examples(ctx()).passing
    assert set(definition.portfolio_facts(data, ctx())) == set(definition.contributes)
    for deadline in definition.deadlines(data, ctx()):
        assert deadline.kind and deadline.ref and deadline.subject and deadline.message


@pytest.mark.django_db
@pytest.mark.parametrize(("version", "definition"), CASES, ids=IDS)
def test_the_form_round_trips_the_passing_example(version, definition, pm):
    if definition.form_class is None:
        pytest.skip("evidence only")
    gate = gate_of(_initiative(pm, version), definition.key)
    passing = definition.examples(context()).passing
    form = form_for(gate, passing)
    assert form.is_valid(), form.error_messages()
    # A paged table's rows are not in the form: each goes through the row form the page adds it with.
    assert _json({**form.to_data(), **paged_rows(gate, passing)}) == _json(passing)


@pytest.mark.django_db
@pytest.mark.parametrize(("version", "definition"), CASES, ids=IDS)
def test_every_page_shows_the_gate(version, definition, pm, compliance, client):
    initiative = _initiative(pm, version)
    examples = definition.examples(context())
    gate = _evidenced(gate_of(initiative, definition.key), pm, examples.passing)
    report = gate_report(gate, context())
    assert report.blockers == [] and report.position == registry.checklist(version).position(definition.key)

    # A reviewer reads the answers in plain words; the PM gets the form.
    client.force_login(compliance)
    page = html.unescape(client.get(reverse("gates:detail", args=[initiative.slug, definition.key])).content.decode())
    assert definition.title in page
    for question, _answer in report.described:
        assert question in page
    client.force_login(pm)
    page = client.get(reverse("gates:detail", args=[initiative.slug, definition.key]))
    assert page.status_code == 200 and definition.title in page.content.decode()

    if definition.form_class is not None:
        blocked = gate_report(gate, context(), data=examples.blocking)
        if definition.form_class(initial={}, gate=gate, context=context()).posts_anything:
            preview = client.post(reverse("gates:preview", args=[initiative.slug, definition.key]),
                                  post_body(definition.key, examples.blocking), HTTP_HX_REQUEST="true")
            assert preview.status_code == 200
            shown = html.unescape(preview.content.decode())
            assert all(message in shown for message in blocked.data_blockers)
        for table in (t for t in definition.form_class.tables if t.paged):  # each row's own live check
            for row in examples.blocking.get(table.key) or []:
                check = client.post(reverse("gates:table_row_check", args=[initiative.slug, definition.key, table.key]),
                                    row_post(table.key, row), HTTP_HX_REQUEST="true")
                shown = html.unescape(check.content.decode())
                assert all(f.message in shown for f in blocked.findings if f.row == row.get("name"))

    overview = client.get(reverse("initiatives:overview", args=[initiative.slug]))
    assert overview.status_code == 200 and definition.title in overview.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("version", [c.version for c in registry.CHECKLISTS], ids=lambda v: f"v{v}")
def test_the_dossier_prints_every_gate_of_the_checklist(version, pm):
    initiative = _initiative(pm, version)
    checklist = registry.checklist(version)
    for definition in checklist.gates:
        _evidenced(gate_of(initiative, definition.key), pm, definition.examples(context()).passing)

    context_ = render.dossier_context(initiative, version=1, final=False, generated_at=initiative.created_at)
    text = one_line(pdftotext(render.render_pdf(context_).data))
    for position, definition in enumerate(checklist.gates, start=1):
        assert f"2.{position} {definition.title}" in text
        for question, _answer in gate_report(gate_of(initiative, definition.key), context()).described[:2]:
            assert one_line(question) in text


@pytest.mark.parametrize("checklist", registry.CHECKLISTS, ids=lambda c: f"v{c.version}")
def test_model_card_roles_are_known_and_played_once_per_checklist(checklist):
    from healthpm.dossier.model_card import ROLES

    roles = [g.model_card_role for g in checklist.gates if g.model_card_role]
    assert set(roles) <= set(ROLES) and len(roles) == len(set(roles))
