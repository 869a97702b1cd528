"""Import of a gate's tables from CSV or XLSX (issue 14 item 1): upload → dry-run preview → confirm.

Round trip: the table's own XLSX export, edited in two cells, previews exactly those two changes
and applies them as one audited event, the file kept as the data dictionary's evidence. Refused
files change nothing; problems name the spreadsheet's row and the column; a preview made before
the gate changed is refused; only the team imports.
"""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from healthpm.audit.models import AuditEvent
from healthpm.gates import registry
from healthpm.gates.models import Evidence, PendingImport
from healthpm.gates.services import gate_save_data
from healthpm.gates.tables import declared_tables
from tests.factories import (InitiativeFactory, db_state, example_data, fill_gate, fresh, gate_of, signed_initiative,
                             submitted_gate)

pytestmark = pytest.mark.django_db

HEADER = ["Input", "Source system", "Source table / field", "Timestamped at source", "Available at prediction time",
          "Contains PHI", "Proxy justification", "Notes"]


def row(name, source="EHR", field="FLOWSHEET.VALUE", ts="Yes", at="Yes", phi="No", just="", notes=""):
    return [name, source, field, ts, at, phi, just, notes]


def xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def saved_input(name, **kw):
    base = {"name": name, "source_system": "EHR", "source_field": "FLOWSHEET.VALUE", "timestamped": True,
            "available_at_prediction": True, "contains_phi": False, "justification": "", "notes": ""}
    return {**base, **kw}


@pytest.fixture
def inputs_gate(pm):
    gate = gate_of(InitiativeFactory(owner=pm, title="Sepsis early warning"), "auditable-inputs")
    rows = [saved_input("lactate_last_6h", source_system="LIS", source_field="LAB.LACTATE", contains_phi=True),
            saved_input("heart_rate_max_4h"), saved_input("age_years", notes="From the registration record")]
    return fill_gate(gate, pm, {"inputs": rows})


def urls(gate, table="inputs"):
    args = [gate.initiative.slug, gate.key, table]
    return (reverse("gates:table_import", args=args), reverse("gates:table_template", args=args),
            reverse("gates:table_xlsx", args=args))


def upload(client, gate, name, data, table="inputs"):
    return client.post(urls(gate, table)[0], {"file": _file(name, data)})


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile
    return SimpleUploadedFile(name, data)


def preview(client, gate, name, data, table="inputs"):
    response = upload(client, gate, name, data, table)
    assert response.status_code == 302, response.content[:500]
    assert "/import/" in response["Location"], response["Location"]
    return response["Location"], client.get(response["Location"])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_round_trip_export_edit_two_cells_import_shows_exactly_those_two_changes(inputs_gate, pm, login):
    client = login(pm)
    exported = b"".join(client.get(urls(inputs_gate)[2]).streaming_content)
    book = load_workbook(io.BytesIO(exported))
    ws = book.active
    assert [c.value for c in ws[1]] == HEADER
    ws["C3"] = "VITALS.HR_MAX"  # heart_rate_max_4h: source field
    ws["H2"] = "Point-of-care lactate included"  # lactate_last_6h: notes
    edited = io.BytesIO()
    book.save(edited)
    data = edited.getvalue()

    location, page = preview(client, inputs_gate, "sepsis-inputs.xlsx", data)

    assert page.status_code == 200
    body = text(page)
    pending = PendingImport.objects.get()
    assert pending.problems == [] and len(pending.rows) == 3
    assert "<strong>0</strong> model inputs added" in body and "<strong>2</strong> changed" in body
    assert "<strong>1</strong> unchanged" in body and "<strong>0</strong> removed" in body
    changes = re.findall(r"<tr><td[^>]*>([^<]*)</td><td>([^<]*)</td><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td></tr>",
                         body)
    assert changes == [("lactate_last_6h", "Notes", "(empty)", "Point-of-care lactate included"),
                       ("heart_rate_max_4h", "Source table / field", "FLOWSHEET.VALUE", "VITALS.HR_MAX")]
    assert fresh(inputs_gate).data["inputs"][1]["source_field"] == "FLOWSHEET.VALUE"  # nothing saved yet

    response = client.post(location)

    assert response.status_code == 302 and response["Location"].endswith("#import-inputs")
    gate = fresh(inputs_gate)
    assert [r["source_field"] for r in gate.data["inputs"]] == ["LAB.LACTATE", "VITALS.HR_MAX", "FLOWSHEET.VALUE"]
    assert gate.data["inputs"][0]["notes"] == "Point-of-care lactate included"
    assert gate.data["inputs"][2] == saved_input("age_years", notes="From the registration record")
    assert gate.status == "in_progress"
    (event,) = AuditEvent.objects.filter(action="gate_table_imported")
    import hashlib
    sha = hashlib.sha256(data).hexdigest()
    assert {k: event.after[k] for k in ("table", "file", "sha256", "added", "changed", "unchanged", "removed")} == {
        "table": "inputs", "file": "sepsis-inputs.xlsx", "sha256": sha, "added": 0, "changed": 2, "unchanged": 1,
        "removed": 0}
    assert AuditEvent.objects.filter(initiative=gate.initiative).exclude(action__in=["gate_table_downloaded"]).filter(
        pk__gt=event.pk).count() == 0
    assert not AuditEvent.objects.filter(action="gate_data_saved", pk__gt=event.pk - 1).exclude(pk=event.pk).exists()
    (evidence,) = Evidence.objects.filter(gate=gate, item_key="data-dictionary")
    assert evidence.sha256 == sha and evidence.original_name == "sepsis-inputs.xlsx" and evidence.file.read() == data
    assert not PendingImport.objects.exists()


def test_a_second_import_supersedes_the_file_the_first_one_kept(inputs_gate, pm, login):
    client = login(pm)
    for name in ("one", "two"):
        location, _ = preview(client, inputs_gate, "inputs.xlsx", xlsx([row(f"{name}_input")]))
        assert client.post(location).status_code == 302
    files = Evidence.objects.filter(gate=inputs_gate, item_key="data-dictionary").order_by("version")
    assert [(e.version, e.superseded_at is None) for e in files] == [(1, False), (2, True)]
    assert [r["name"] for r in fresh(inputs_gate).data["inputs"]] == ["two_input"]


def test_a_csv_with_labels_or_codes_and_without_an_optional_column_keeps_the_saved_value(inputs_gate, pm, login):
    csv = ("input,source_system,Source Table / Field,timestamped,AVAILABLE at prediction time,contains_phi\r\n"
           "lactate_last_6h,lis,LAB.LACTATE,yes,True,Yes\r\n"
           "age_years,EHR,ADT.AGE,Yes,Yes,No\r\n"
           "spo2_min_1h,EHR,VITALS.SPO2,Yes,Yes,No\r\n").encode()
    client = login(pm)
    location, page = preview(client, inputs_gate, "inputs.csv", csv)
    body = text(page)
    assert "<strong>1</strong> model input added" in body and "<strong>1</strong> removed" in body
    assert "heart_rate_max_4h" in body
    assert client.post(location).status_code == 302
    rows = {r["name"]: r for r in fresh(inputs_gate).data["inputs"]}
    assert rows["age_years"]["notes"] == "From the registration record"  # the file has no Notes column
    assert rows["age_years"]["source_field"] == "ADT.AGE"
    assert rows["spo2_min_1h"]["notes"] == "" and rows["lactate_last_6h"]["source_system"] == "LIS"
    assert set(rows) == {"lactate_last_6h", "age_years", "spo2_min_1h"}


def test_problems_name_the_row_and_the_column_and_the_file_cannot_be_confirmed(inputs_gate, pm, login):
    rows = [row(f"input_{i}") for i in range(1, 9)]
    rows[3] = row("input_4", source="EHR-legacy")  # row 5 of the sheet
    rows[5] = row("input_2")  # row 7 repeats row 3
    rows[6] = row("input_7", ts="maybe", field="")  # row 8
    client = login(pm)
    before = db_state(inputs_gate.initiative)
    location, page = preview(client, inputs_gate, "inputs.xlsx", xlsx(rows))
    body = text(page)

    assert [p[:6] for p in PendingImport.objects.get().problems] == ["Rows 3", "Row 5,", "Row 8,", "Row 8,"]
    assert "4 problems: this file cannot be imported yet" in body
    assert ("Row 5, column source_system (Source system): “EHR-legacy” is not one of the choices for Source system; "
            "choose one of “Approved external feed”, “Claims”, “EHR”") in body
    assert "Rows 3 and 7, column name (Input): “input_2” appears more than once." in body
    assert ("Row 8, column timestamped (Timestamped at source): “maybe” is not one of the choices for Timestamped "
            "at source; choose one of “Yes”, “No”.") in body
    assert "Row 8, column source_field (Source table / field): empty; this column is required, fill it in." in body
    assert "Import these" not in body

    response = client.post(location)
    assert response.status_code == 302
    assert db_state(inputs_gate.initiative) == before


def _sheet_with_formula() -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(HEADER)
    ws.append(row("a"))
    ws["A3"] = "=A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


REFUSED = [
    ("inputs.xlsx", b"input,source_system\nx,EHR\n", "is named like an Excel workbook but is not one"),
    ("inputs.xlsm", xlsx([row("a")]), "can hold macros"),
    ("inputs.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old-format Excel file"),
    ("inputs.csv", b"name,notes\nx,y\n", "The header row has no column for"),
    ("inputs.xlsx", _sheet_with_formula(), "holds a formula"),
    ("inputs.csv", b"", "The file is empty: download the template"),
    ("inputs.pdf", b"%PDF-1.4\n", "is neither an Excel workbook"),
]


@pytest.mark.parametrize(("name", "data", "message"), REFUSED, ids=[r[2][:24] for r in REFUSED])
def test_each_refused_file_says_why_and_changes_nothing(name, data, message, inputs_gate, pm, login):
    client = login(pm)
    before = db_state(inputs_gate.initiative)
    response = upload(client, inputs_gate, name, data)
    assert response.status_code == 302 and response["Location"].endswith("#import-inputs")
    page = text(client.get(response["Location"]))
    assert "Nothing was imported into “Input inventory”" in page and message in page
    assert db_state(inputs_gate.initiative) == before
    assert not PendingImport.objects.exists()


def test_more_rows_than_the_import_setting_are_refused(inputs_gate, pm, login, settings):
    settings.HEALTHPM_IMPORT_MAX_ROWS = 5
    client = login(pm)
    response = upload(client, inputs_gate, "inputs.xlsx", xlsx([row(f"i{n}") for n in range(6)]))
    assert "The file has more than 5 rows" in text(client.get(response["Location"]))
    assert not PendingImport.objects.exists()


def test_a_preview_made_before_the_gate_changed_is_refused(inputs_gate, pm, login):
    client = login(pm)
    location, _ = preview(client, inputs_gate, "inputs.xlsx", xlsx([row("new_input")]))
    gate_save_data(gate=inputs_gate, by=pm, data={"inputs": [saved_input("other_input")]})
    before = db_state(inputs_gate.initiative)

    assert "changed after this file was read" in text(client.get(location))
    response = client.post(location, follow=True)
    assert "changed since this preview was made" in text(response)
    assert db_state(inputs_gate.initiative) == before


def test_a_submitted_gate_and_a_locked_initiative_refuse_an_import(pm, compliance, login):
    gate = submitted_gate(InitiativeFactory(owner=pm), pm)
    client = login(pm)
    before = db_state(gate.initiative)
    response = upload(client, gate, "inputs.xlsx", xlsx([row("a")]))
    assert "is under review" in text(client.get(response["Location"]))
    assert db_state(gate.initiative) == before

    locked = gate_of(signed_initiative(pm, compliance), "auditable-inputs")
    before = db_state(locked.initiative)
    response = upload(client, locked, "inputs.xlsx", xlsx([row("a")]))
    assert "is locked" in text(client.get(response["Location"]))
    assert db_state(locked.initiative) == before


def test_a_preview_of_a_gate_submitted_after_the_upload_cannot_be_confirmed(inputs_gate, pm, login):
    from tests.factories import evidence_gate
    from healthpm.gates.services import gate_submit
    client = login(pm)
    location, _ = preview(client, inputs_gate, "inputs.xlsx", xlsx([row("x_input")]))
    evidence_gate(fresh(inputs_gate), pm)
    gate_submit(gate=fresh(inputs_gate), by=pm)
    before = db_state(inputs_gate.initiative)
    response = client.post(location, follow=True)
    assert "is under review" in text(response) or "changed since this preview" in text(response)
    assert db_state(inputs_gate.initiative) == before


@pytest.mark.parametrize(("persona", "status"), [("compliance", 403), ("leader", 403), ("pm2", 404),
                                                  ("outsider", 404)])
def test_only_the_team_imports(persona, status, inputs_gate, pm, request, login):
    location, _ = preview(login(pm), inputs_gate, "inputs.xlsx", xlsx([row("x_input")]))
    client = login(request.getfixturevalue(persona))
    before = db_state(inputs_gate.initiative)
    assert upload(client, inputs_gate, "inputs.xlsx", xlsx([row("y_input")])).status_code == status
    assert client.get(location).status_code == status
    assert client.post(location).status_code == status
    assert db_state(inputs_gate.initiative) == before
    assert PendingImport.objects.count() == 1


def test_a_collaborator_imports_but_never_sees_the_owners_pending_import(pm, pm2, login):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    gate = gate_of(initiative, "auditable-inputs")
    location, _ = preview(login(pm), gate, "inputs.xlsx", xlsx([row("x_input")]))
    client = login(pm2)
    assert client.get(location).status_code == 404
    mine, page = preview(client, gate, "inputs.xlsx", xlsx([row("y_input")]))
    assert client.post(mine).status_code == 302
    assert [r["name"] for r in fresh(gate).data["inputs"]] == ["y_input"]


def test_the_template_is_the_header_row_and_imports_nothing_as_a_refusal(inputs_gate, pm, leader, login):
    for user in (pm, leader):
        response = login(user).get(urls(inputs_gate)[1])
        assert response.status_code == 200
        ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert [c.value for c in ws[1]] == HEADER and ws.max_row == 1
    # An empty template previews every saved row as removed and, the table needing one input, a problem.
    location, page = preview(login(pm), inputs_gate, "template.xlsx", xlsx([]))
    assert "The file has no model inputs under its header row: the table needs at least 1." in text(page)


def test_the_gate_page_offers_import_and_template_under_each_table_to_the_team_only(inputs_gate, pm, leader, login):
    page = reverse("gates:detail", args=[inputs_gate.initiative.slug, inputs_gate.key])
    body = login(pm).get(page).content.decode()
    assert "Import from a spreadsheet" in body and urls(inputs_gate)[0] in body and urls(inputs_gate)[1] in body
    assert body.index('id="rows-inputs"') < body.index("Import from a spreadsheet")
    assert "Import from a spreadsheet" not in login(leader).get(page).content.decode()


def test_a_table_edited_in_its_form_still_takes_at_most_its_form_s_rows(pm, login):
    """The vendor table is a formset on the page: an import may not make it longer than the page
    lets it be. The paged input inventory is bounded by the import limit alone."""
    gate = fill_gate(gate_of(InitiativeFactory(owner=pm), "baa-phi"), pm)
    header = ["Vendor", "Service", "Touches PHI"]
    client = login(pm)
    response = upload(client, gate, "vendors.xlsx", xlsx([[f"Vendor {n}", "Hosting", "No"] for n in range(201)],
                                                         header=header), table="vendors")
    assert "the “Vendors and processors that touch PHI” table takes at most 200" in text(client.get(
        response["Location"]))
    assert not PendingImport.objects.exists()


def test_the_input_inventory_imports_past_the_old_200_row_cap(inputs_gate, pm, login):
    client = login(pm)
    location, page = preview(client, inputs_gate, "inputs.xlsx", xlsx([row(f"in_{n}") for n in range(450)]))
    assert "<strong>450</strong> model inputs added" in text(page)
    assert client.post(location).status_code == 302
    assert len(fresh(inputs_gate).data["inputs"]) == 450


def test_the_vendor_table_imports_with_its_service_label_and_dates(pm, login):
    gate = fill_gate(gate_of(InitiativeFactory(owner=pm), "baa-phi"), pm)
    header = ["Vendor", "Service", "Touches PHI", "BAA file", "BAA effective", "BAA expires"]
    data = xlsx([["Acme Transcribe", "Hosting", "No", None, None, None],
                 ["Nimbus", "Spaceship", "No", None, None, None]], header=header)
    client = login(pm)
    location, page = preview(client, gate, "vendors.xlsx", data, table="vendors")
    assert "Row 3, column service (Service): “Spaceship” is not one of the choices for Service" in text(page)
    location, page = preview(client, gate, "vendors.xlsx", xlsx([["Acme Transcribe", "Hosting", "No"]],
                                                               header=header[:3]), table="vendors")
    assert client.post(location).status_code == 302
    gate = fresh(gate)
    assert [(v["name"], v["service"], v["touches_phi"]) for v in gate.data["vendors"]] == [
        ("Acme Transcribe", "hosting", False)]
    assert gate.data["deidentification"]  # the rest of the gate's data is kept
    assert not Evidence.objects.filter(gate=gate, title__startswith="Imported").exists()  # no item for vendors


def _every_table():
    for definition in registry.all_gates():
        for table in declared_tables(definition):
            yield pytest.param(definition, table, id=f"{definition.key}-{table.key}")


@pytest.mark.parametrize(("definition", "table"), list(_every_table()))
def test_every_declared_table_round_trips_its_export_unchanged(definition, table, pm, login):
    """Any table of any checklist: its own export, imported back, changes nothing (0 problems)."""
    version = registry.introduced_in(definition)
    initiative = InitiativeFactory(owner=pm, checklist_version=version)
    data = example_data(definition.key)
    if not data.get(table.key):
        data[table.key] = example_data(definition.key, "blocking").get(table.key) or []
    gate = fill_gate(gate_of(initiative, definition.key), pm, data)
    if table.evidence_item:
        assert table.evidence_item in {i.key for i in definition.items if not i.structured}
    client = login(pm)
    exported = b"".join(client.get(urls(gate, table.key)[2]).streaming_content)
    location, page = preview(client, gate, "export.xlsx", exported, table=table.key)
    pending = PendingImport.objects.get()
    assert pending.problems == []
    body = text(page)
    assert "<strong>0</strong> changed" in body and "<strong>0</strong> removed" in body
    assert f"<strong>{len(data[table.key])}</strong> unchanged" in body


def test_a_control_character_in_a_cell_is_quoted_as_a_replacement_sign(inputs_gate, pm, login):
    """Found by the fuzzer: a control character in a choice cell (a NUL in an XLSX; a CSV with a NUL
    is refused as binary) was echoed into the problems, which the database cannot hold (a 503). It
    is shown as � and the preview opens."""
    csv = (",".join(HEADER) + "\r\n" + "x_input,EH\x01R,F,Yes,Yes,No,,\r\n").encode()
    location, page = preview(login(pm), inputs_gate, "inputs.csv", csv)
    assert "Row 2, column source_system (Source system): “EH�R” is not one of the choices" in text(page)


def test_a_choice_withdrawn_after_the_preview_refuses_the_confirm(inputs_gate, pm, login):
    """The gate's data did not change, but the administrator stopped approving a source system the
    file uses: the confirm reads the kept file again and refuses what the preview no longer shows."""
    from healthpm.gates.models import SourceSystem
    client = login(pm)
    location, page = preview(client, inputs_gate, "inputs.xlsx", xlsx([row("pacs_feature", source="PACS")]))
    assert "Import this model input</button>" in text(page)
    SourceSystem.objects.filter(name="PACS").update(approved=False)
    before = db_state(inputs_gate.initiative)

    response = client.post(location, follow=True)

    assert "no longer what the preview showed" in text(response)
    assert db_state(inputs_gate.initiative) == before


def test_previews_nobody_confirmed_within_a_day_are_discarded(inputs_gate, pm):
    from datetime import UTC, datetime

    import time_machine

    from healthpm.gates.tasks import discard_abandoned_imports

    def pending(hour):
        return PendingImport.objects.create(
            gate=inputs_gate, table_key="inputs", created_by=pm, original_name="inputs.csv", sha256="0" * 64,
            content=b"Input\n", base_digest="0" * 64, created_at=datetime(2026, 12, 1, hour, 0, tzinfo=UTC))

    pending(8)
    recent = pending(10)
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False):
        assert discard_abandoned_imports() == 1
        assert discard_abandoned_imports() == 0  # idempotent

    assert list(PendingImport.objects.all()) == [recent]
