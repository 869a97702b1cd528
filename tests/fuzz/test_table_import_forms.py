"""Fuzz the import of a gate's tables (issue 14 item 1): the upload (hostile files, CSV and XLSX
with hostile cells and headers) and the confirm of what was previewed, for every table a gate
form declares. Never a server error; a refused upload writes nothing; an accepted one writes
only the pending import, whose rows each passed the table's row form and whose preview opens;
a confirm stores exactly the previewed rows."""

import csv
import hashlib
import io

import pytest
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import Workbook

from healthpm.gates import registry
from healthpm.gates.models import PendingImport
from healthpm.gates.tables import column_label, declared_tables, table_fields
from healthpm.gates.context import evaluation_context
from tests.factories import InitiativeFactory, example_data, fill_gate, fresh, gate_of
from tests.fuzz import fuzz_settings
from tests.fuzz.harness import ACCEPTED, FormCase, Outcome, assert_pages_open, fuzz_request
from tests.fuzz.strategies import hostile_file, hostile_text

pytestmark = pytest.mark.django_db

TABLES = [(d, t) for d in registry.all_gates() for t in declared_tables(d)]


def _gate(definition, pm):
    initiative = InitiativeFactory(owner=pm, checklist_version=registry.introduced_in(definition))
    data = example_data(definition.key)
    if not data.get(TABLE_KEY[definition.key]):
        data[TABLE_KEY[definition.key]] = example_data(definition.key, "blocking").get(TABLE_KEY[definition.key]) or []
    return fill_gate(gate_of(initiative, definition.key), pm, data)


TABLE_KEY = {}


@st.composite
def spreadsheets(draw, headers: list[str]):
    """(name, bytes): the table's header (some columns dropped, renamed in case, or extra ones)
    and rows of hostile or plausible cells, as CSV or XLSX."""
    header = [h if not draw(st.booleans()) else h.upper().replace(" ", "_") for h in headers]
    if draw(st.booleans()):
        header = header[: draw(st.integers(0, len(header)))]
    if draw(st.booleans()):
        header.append(draw(hostile_text()))
    cell = st.one_of(st.sampled_from(["", "Yes", "No", "EHR", "LIS", "x", "1", "0.5", "2026-01-31", "hosting"]),
                     hostile_text())
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(header) + 1), max_size=5))
    if draw(st.booleans()):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        data = out.getvalue().encode("utf-8", "surrogatepass")
        return "table.csv", data
    book = Workbook()
    ws = book.active
    for values in [header, *rows]:
        try:
            ws.append([v[:32000].encode("utf-8", "replace").decode() for v in values])
        except Exception:  # openpyxl refuses control characters in a cell: not a file one can make
            ws.append([])
    out = io.BytesIO()
    book.save(out)
    return "table.xlsx", out.getvalue()


@pytest.mark.parametrize(("definition", "table"), TABLES, ids=[f"{d.key}-{t.key}" for d, t in TABLES])
def test_table_import_upload_never_500_and_keeps_only_checked_rows(definition, table, pm, leader, client, settings):
    # Small enough for hostile_file's oversized file to stay cheap, large enough for a workbook.
    settings.HEALTHPM_MAX_UPLOAD_BYTES = limit = 64 * 1024
    TABLE_KEY[definition.key] = table.key
    gate = _gate(definition, pm)
    headers = [column_label(n, f) for n, f in table_fields(gate, table, evaluation_context())]
    case = FormCase(f"table import {definition.key}/{table.key}",
                    reverse("gates:table_import", args=[gate.initiative.slug, gate.key, table.key]), pm)

    header_only = ("t.csv", (",".join(f'"{h}"' for h in headers) + "\n").encode())
    exported = ("export.xlsx", b"".join(client.get(reverse("gates:table_xlsx", args=[
        gate.initiative.slug, gate.key, table.key])).streaming_content) if client.force_login(pm) is None else b"")

    @fuzz_settings(15)
    @example(upload=header_only)
    @example(upload=exported)
    @given(upload=st.one_of(spreadsheets(headers), hostile_file(limit).map(lambda f: (f[0], f[2]))))
    def run(upload):
        name, data = upload

        def previewed(outcome: Outcome):
            assert outcome.changed == ["pending_imports"], outcome.changed
            pending = PendingImport.objects.get(gate=gate, table_key=table.key)
            assert pending.sha256 == hashlib.sha256(data).hexdigest() and bytes(pending.content) == data
            assert all(set(item) == {"key", "row"} for item in pending.rows)
            assert_pages_open([(pm, outcome.response["Location"])])

        fuzz_request(client, case, {}, files=[("file", name, "application/octet-stream", data)],
                     on_success=previewed)

    run()
    assert ACCEPTED[case.name] >= 2, "the table's own export and its header were refused"


@pytest.mark.parametrize(("definition", "table"), TABLES, ids=[f"{d.key}-{t.key}" for d, t in TABLES])
def test_table_import_confirm_stores_exactly_the_previewed_rows(definition, table, pm, leader, client):
    TABLE_KEY[definition.key] = table.key
    gate = _gate(definition, pm)
    client.force_login(pm)
    exported = b"".join(client.get(reverse("gates:table_xlsx", args=[gate.initiative.slug, gate.key, table.key]))
                        .streaming_content)
    response = client.post(reverse("gates:table_import", args=[gate.initiative.slug, gate.key, table.key]),
                           {"file": _upload("export.xlsx", exported)})
    pending = PendingImport.objects.get()
    case = FormCase(f"table import confirm {definition.key}/{table.key}", response["Location"], pm)

    @fuzz_settings(5)
    @given(body=st.dictionaries(st.sampled_from(["rows", "confirm", "sha256", "file"]), hostile_text(), max_size=3))
    def run(body):
        def stored(outcome: Outcome):
            assert fresh(gate).data[table.key] == [item["row"] for item in pending.rows]
            assert_pages_open([(leader, reverse("gates:detail", args=[gate.initiative.slug, gate.key]))])

        fuzz_request(client, case, body, on_success=stored)

    run()


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile
    return SimpleUploadedFile(name, data)
