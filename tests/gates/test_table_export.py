"""A gate's tables as XLSX (issue 14 item 5): the saved rows under the page's column labels,
typed cells, choices as their labels; whoever sees the gate downloads, audited like evidence."""

import html
import io
import re
from datetime import timedelta

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from healthpm.audit.models import AuditEvent
from healthpm.core.xlsx import CONTENT_TYPE
from healthpm.gates import registry
from healthpm.gates.context import evaluation_context
from healthpm.gates.tables import declared_tables
from tests.factories import InitiativeFactory, add_link, example_data, fill_gate, gate_of, valid_data

pytestmark = pytest.mark.django_db


def url(gate, table: str) -> str:
    return reverse("gates:table_xlsx", args=[gate.initiative.slug, gate.key, table])


def sheet(client, gate, table: str):
    response = client.get(url(gate, table))
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Content-Disposition"] == (
        f'attachment; filename="{gate.initiative.slug}-{gate.key}-{table}.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(book.worksheets) == 1
    return book.active


def records(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row)) for row in ws.iter_rows(min_row=2)]


@pytest.fixture
def vendors_gate(pm):
    """A BAA gate with one vendor whose agreement is a piece of the gate's evidence."""
    today = timezone.localdate()
    gate = gate_of(InitiativeFactory(owner=pm, title="Radiology transcription"), "baa-phi")
    agreement = add_link(gate, pm, "baa-agreements")
    vendor = {"name": "Acme Transcribe", "service": "hosting", "touches_phi": True, "baa_evidence": str(agreement.pk),
              "baa_effective": (today - timedelta(days=400)).isoformat(),
              "baa_expiry": (today + timedelta(days=200)).isoformat()}
    return fill_gate(gate, pm, {**valid_data("baa-phi"), "vendors": [vendor]}), agreement


def test_the_vendor_table_downloads_with_labels_dates_and_a_frozen_bold_header(vendors_gate, pm, login):
    gate, agreement = vendors_gate
    today = timezone.localdate()

    ws = sheet(login(pm), gate, "vendors")

    assert ws.title == "Vendors and processors that…"  # Excel's 31-character limit, cut at a word
    assert [c.value for c in ws[1]] == ["Vendor", "Service", "Touches PHI", "BAA file", "BAA effective", "BAA expires"]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F2"
    (row,) = records(ws)
    # Labels, not codes: "hosting", True and the evidence id are what the gate stores.
    assert [row[c].value for c in ("Vendor", "Service", "Touches PHI", "BAA file")] == [
        "Acme Transcribe", "Hosting", "Yes", f"{agreement.display_name} (v1)"]
    expires = row["BAA expires"]
    assert expires.is_date and expires.value.date() == today + timedelta(days=200)
    assert expires.number_format == "yyyy-mm-dd"


def test_numbers_are_number_cells(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm), "clinical-validation")
    calibration = [{"decile": 1, "n": 1200, "expected": 8.5, "observed": 9},
                   {"decile": 10, "n": 400, "expected": 120.25, "observed": 131}]
    gate = fill_gate(gate, pm, {**valid_data("clinical-validation"), "calibration": calibration})

    rows = records(sheet(login(pm), gate, "calibration"))

    assert [(r["Risk decile"].value, r["Patients (n)"].value, r["Expected events"].value, r["Observed events"].value)
            for r in rows] == [(1, 1200, 8.5, 9), (10, 400, 120.25, 131)]
    assert rows[0]["Patients (n)"].data_type == "n" and rows[0]["Patients (n)"].number_format == "#,##0"
    assert rows[0]["Expected events"].data_type == "n"


def test_an_owner_reads_as_the_persons_name(pm, login):
    gate = fill_gate(gate_of(InitiativeFactory(owner=pm), "monitoring-plan"), pm)

    rows = records(sheet(login(pm), gate, "metrics"))

    assert {r["Owner"].value for r in rows} == {"Priya Patel"}  # stored as the username "priya"
    assert rows[0]["Cadence"].value == "Daily" and rows[0]["Expected value"].value == 34


@pytest.mark.parametrize("persona", ["pm", "leader", "compliance"])
def test_whoever_sees_the_gate_downloads_its_table_and_it_is_audited(persona, vendors_gate, request, login):
    gate, _ = vendors_gate
    user = request.getfixturevalue(persona)

    assert len(records(sheet(login(user), gate, "vendors"))) == 1

    event = AuditEvent.objects.filter(action="gate_table_downloaded").get()
    assert (event.actor, event.initiative_id, event.object_id) == (user, gate.initiative_id, str(gate.pk))
    assert event.after == {"table": "vendors", "rows": 1, "format": "xlsx"}


@pytest.mark.parametrize("persona", ["pm2", "outsider"])
def test_who_may_not_see_a_draft_gets_404_and_nothing_is_recorded(persona, vendors_gate, request, login):
    gate, _ = vendors_gate
    response = login(request.getfixturevalue(persona)).get(url(gate, "vendors"))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="gate_table_downloaded").exists()


def test_a_table_the_gate_does_not_declare_is_404(vendors_gate, pm, login):
    gate, _ = vendors_gate
    assert login(pm).get(url(gate, "inputs")).status_code == 404


def test_the_gate_page_links_each_saved_table_for_the_team_and_the_readers(vendors_gate, pm, leader, login):
    gate, _ = vendors_gate
    page = reverse("gates:detail", args=[gate.initiative.slug, gate.key])
    link = f'href="{url(gate, "vendors")}" download>Download “Vendors and processors that touch PHI” as XLSX</a>'

    editable = login(pm).get(page).content.decode()
    assert link in editable and "(1 saved vendor)" in editable
    # Under the table in the form, beside "+ Add vendor".
    assert editable.index('data-prefix="vendors"') < editable.index(link) < editable.index("Save facts")
    assert link in login(leader).get(page).content.decode()  # the read-only answers

    empty = gate_of(InitiativeFactory(owner=pm), "baa-phi")
    assert "as XLSX" not in login(pm).get(reverse("gates:detail", args=[empty.initiative.slug, empty.key])).content.decode()


def _every_table():
    for definition in registry.all_gates():
        version = registry.introduced_in(definition)
        for table in declared_tables(definition):
            yield pytest.param(version, definition.key, table.key, id=f"v{version}-{definition.key}-{table.key}")


@pytest.mark.parametrize(("version", "key", "table"), list(_every_table()))
def test_every_declared_table_downloads_under_the_pages_column_labels(version, key, table, pm, login):
    """Every gate of every checklist: the sheet's header is the header the form's table shows on
    the page, and each saved row is a row with its choices as labels."""
    initiative = InitiativeFactory(owner=pm, checklist_version=version)
    gate = gate_of(initiative, key)
    data = example_data(key)
    if not data.get(table):  # an optional table the example leaves empty: give it the blocking example's rows
        data[table] = example_data(key, "blocking").get(table) or []
    gate = fill_gate(gate, pm, data)
    client = login(pm)
    page = client.get(reverse("gates:detail", args=[initiative.slug, key])).content.decode()
    # A formset's header, or a paged table's (its row number and actions columns left out).
    thead = re.search(rf'(?:data-prefix="{table}">|id="rows-{table}".*?)\s*<thead><tr>(.*?)</tr></thead>', page, re.S)[1]
    on_page = [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", thead)
               if h not in ("Remove", "#") and "Actions" not in h]

    ws = sheet(client, gate, table)

    assert [c.value for c in ws[1]] == on_page
    assert ws.max_row == 1 + len(data[table])
    form = gate.definition.form_class(initial={}, gate=gate, context=evaluation_context())
    row_form = form.row_form(next(t for t in form.tables if t.key == table))
    for row in records(ws):
        for name, field in row_form.fields.items():
            cell = row.get(str(field.label))
            if isinstance(field, forms.ChoiceField) and cell is not None and cell.value is not None:
                value = cell.value
                labels = {str(label) for _, label in field.choices}
                parts = value.split(", ") if isinstance(field, forms.MultipleChoiceField) else [value]
                assert set(parts) <= labels, (name, value)
