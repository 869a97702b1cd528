"""The input inventory in the dossier (issue 14 item 4): a compact table up to FULL_TABLE_MAX_ROWS
rows; past it, a summary per source system, and the whole inventory as a CSV attached inside the
signed PDF and listed with its SHA-256 in the evidence register.

Read the way an outside reviewer would: pdftotext for what is printed, pdfdetach for what is
attached, pdfsig and verify_dossier for the signature; pyHanko reads the embedded file too.
"""

import csv
import hashlib
import io

import pytest
from django.core.management import call_command

from healthpm.dossier.tables import FULL_TABLE_MAX_ROWS, fixed_widths, gate_tables
from healthpm.gates.report import gate_report
from healthpm.gates.tables import declared_tables, table_sheet
from tests.factories import InitiativeFactory, context, fill_gate, fresh, gate_of

from .helpers import associated_files, export, pdfdetach, pdfsig, pdftotext, reader, signed_with_inventory, squeezed

pytestmark = pytest.mark.django_db

KEY = "auditable-inputs"
# The columns of the inventory's spreadsheet export, which the attached CSV repeats.
CSV_HEADER = ["Input", "Source system", "Source table / field", "Timestamped at source",
              "Available at prediction time", "Contains PHI", "Proxy justification", "Notes"]


def inventory(size: int) -> list[dict]:
    """`size` clean inputs: 60% EHR, 30% LIS, 10% Claims; every third contains PHI; notes with the
    characters a CSV must quote or encode (comma, quote, new line, accents)."""
    rows = []
    for i in range(size):
        source = "EHR" if i % 10 < 6 else "LIS" if i % 10 < 9 else "Claims"
        rows.append({"name": f"feature_{i:04d}", "source_system": source,
                     "source_field": f"FLOWSHEET.VALUE_{i:04d}", "timestamped": True,
                     "available_at_prediction": True, "contains_phi": i % 3 == 0, "justification": "",
                     "notes": "" if i % 4 else f"Naïve “mean”, µmol/L, \"{i}\"\nsecond line"})
    return rows



def embedded_by_pyhanko(data: bytes) -> dict[str, bytes]:
    """Every embedded file's name and bytes, read from the PDF's EmbeddedFiles name tree."""
    root = reader(data).root
    pairs = list(root["/Names"]["/EmbeddedFiles"]["/Names"]) if "/Names" in root else []
    return {str(name): spec.get_object()["/EF"]["/F"].get_object().data for name, spec in zip(pairs[::2], pairs[1::2])}


def parse_csv(data: bytes) -> list[dict]:
    """The CSV's rows back in the gate's own shape (Yes/No as booleans)."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == CSV_HEADER
    yes = {"Yes": True, "No": False}
    return [{"name": r[0], "source_system": r[1], "source_field": r[2], "timestamped": yes[r[3]],
             "available_at_prediction": yes[r[4]], "contains_phi": yes[r[5]], "justification": r[6], "notes": r[7]}
            for r in lines[1:]]


def test_a_small_inventory_prints_in_full_as_a_table_with_its_header_on_every_page(pm):
    rows = inventory(150)
    initiative = InitiativeFactory(owner=pm, checklist_version=1)
    fill_gate(gate_of(initiative, KEY), pm, data={"inputs": rows})

    _, data = export(initiative)

    text = pdftotext(data)
    for row in rows:
        assert row["name"] in text, row["name"]
    table_pages = [page for page in text.split("\f") if "feature_0" in page and "Audit trail" not in page]
    assert len(table_pages) >= 3  # the test is about a table that runs over pages
    for page in table_pages:
        assert "TABLE / FIELD" in page and "JUSTIFICATION / NOTES" in page
    assert "Inputs per source system" not in text and "Files attached to this PDF" not in text
    listing, files = pdfdetach(data)
    assert "0 embedded files" in listing and files == {}


def test_past_the_limit_the_dossier_prints_a_summary_and_attaches_the_whole_inventory_as_csv(
        pm, compliance, signing_cert, tmp_path, capsys):
    rows = inventory(FULL_TABLE_MAX_ROWS + 1)
    initiative = signed_with_inventory(pm, compliance, rows)

    _, data = export(initiative)

    name = f"{initiative.slug}-{KEY}-inputs.csv"
    listing, detached = pdfdetach(data)
    assert "1 embedded files" in listing and f"1: {name}" in listing
    attached = detached[name]
    assert embedded_by_pyhanko(data) == {name: attached}
    assert (name, "/Data") in associated_files(data)
    assert parse_csv(attached) == rows
    sha = hashlib.sha256(attached).hexdigest()

    pages = pdftotext(data).split("\f")
    register = next(p for p in pages if "Files attached to this PDF" in p)
    assert name in squeezed(register) and sha in squeezed(register)
    assert f"{len(attached):,} bytes" in register
    gate_page = next(p for p in pages if "Inputs per source system" in p)
    assert f"has {FULL_TABLE_MAX_ROWS + 1} rows, more than the {FULL_TABLE_MAX_ROWS}" in " ".join(gate_page.split())
    assert name in squeezed(gate_page) and sha in squeezed(gate_page)
    printed = [line.split() for line in pdftotext(data, "-layout").splitlines()]
    # Per source system: approved, inputs, timestamped, available at prediction, containing PHI.
    for source in ("EHR", "LIS", "Claims"):
        mine = [r for r in rows if r["source_system"] == source]
        phi = sum(1 for r in mine if r["contains_phi"])
        assert [source, "yes", *[str(len(mine))] * 3, str(phi)] in printed, source
    total = ["501", "501", "501", str(sum(1 for r in rows if r["contains_phi"]))]
    assert any(line[:1] == ["All"] and line[-4:] == total for line in printed)
    assert "feature_0001" not in "".join(pages)  # the rows are in the CSV, not printed

    report = pdfsig(data)
    assert "Signature Validation: Signature is Valid." in report and "Total document signed" in report
    (tmp_path / "dossier.pdf").write_bytes(data)
    call_command("verify_dossier", str(tmp_path / "dossier.pdf"))  # exits 1 unless genuine
    assert "Genuine" in capsys.readouterr().out


def test_the_attached_csv_has_the_columns_and_labels_of_the_spreadsheet_export(pm):
    initiative = InitiativeFactory(owner=pm, checklist_version=1)
    gate = fill_gate(gate_of(initiative, KEY), pm, data={"inputs": inventory(FULL_TABLE_MAX_ROWS + 1)})
    ctx = context()

    (printed,) = gate_tables(gate_report(gate, ctx), ctx, slug=initiative.slug)

    sheet = table_sheet(gate, declared_tables(gate.definition)[0], ctx)
    lines = list(csv.reader(io.StringIO(printed.attached.data.decode("utf-8-sig"), newline="")))
    assert printed.attached.data.startswith("\ufeff".encode())  # Excel then reads it as UTF-8
    assert lines[0] == [c.header for c in sheet.columns] == CSV_HEADER
    assert lines[1][:6] == ["feature_0000", "EHR", "FLOWSHEET.VALUE_0000", "Yes", "Yes", "Yes"]


def test_a_table_at_the_limit_prints_in_full_and_one_row_more_is_summarised(pm):
    initiative = InitiativeFactory(owner=pm, checklist_version=1)
    gate = gate_of(initiative, KEY)
    ctx = context()
    for size, in_full in ((FULL_TABLE_MAX_ROWS, True), (FULL_TABLE_MAX_ROWS + 1, False)):
        gate = fill_gate(fresh(gate), pm, data={"inputs": inventory(size)})

        (printed,) = gate_tables(gate_report(gate, ctx), ctx, slug=initiative.slug)

        assert (len(printed.rows), printed.attached is None) == ((size, True) if in_full else (0, False))
        assert [s.title for s in printed.summaries] == ([] if in_full else ["Inputs per source system"])


def test_column_widths_keep_header_words_whole_and_give_long_notes_the_room():
    headers = ("Input", "Timestamped", "PHI", "Notes")
    rows = [("heart_rate", "yes", "no", "Derived from the hourly flowsheet rows, carried forward up to six hours "
                                        "when missing; values above the 99.9th percentile are capped.")] * 20

    widths = fixed_widths(headers, rows)

    assert round(sum(widths)) == 100
    assert widths[3] > 2 * widths[1]  # the notes, not the yes/no answers, get the line
    # TIMESTAMPED (11 capitals) keeps its line: at least ~11 characters of the ~140 a line holds.
    assert widths[1] >= 100 * 11 * 1.2 / 140
