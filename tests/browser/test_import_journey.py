"""Journey (issue 14): a PM fills the input inventory from a 1,000-row data dictionary.

The PM downloads the template from the gate page, fills 1,000 inputs in it, three of them wrong
(an input from “EHR-legacy”, which is not an approved source system, a name used twice, and a
"Maybe" where yes or no is asked), and uploads it: the preview lists the problems with the
spreadsheet's row numbers and offers no confirm. The PM fixes the file, uploads it again from
the preview, sees 1,000 inputs to be added and confirms. The gate page lists them 50 a page;
the PM searches one input, opens it in its row, changes its notes and saves it (htmx, the gate
re-evaluated). The preview and the table fit a 390 px phone.
"""

import io
import re

import pytest
from openpyxl import load_workbook

from healthpm.audit.models import AuditEvent
from healthpm.gates.models import Evidence, Gate
from tests.factories import InitiativeFactory

from .conftest import AXE_PATH
from .helpers import expect, flash

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "auditable-inputs"
HEADER = ["Input", "Source system", "Source table / field", "Timestamped at source", "Available at prediction time",
          "Contains PHI", "Proxy justification", "Notes"]
SOURCES = ["EHR", "LIS", "PACS"]


ROWS = 1000


def dictionary(template: bytes, *, legacy_at: int | None = None, duplicate_at: int | None = None,
               maybe_at: int | None = None) -> bytes:
    """1,000 inputs written into the downloaded template; sheet row = input number + 1."""
    book = load_workbook(io.BytesIO(template))
    ws = book.active
    for n in range(1, ROWS + 1):
        name = f"feature_{n:04d}"
        source = SOURCES[n % 3]
        if n == legacy_at:
            source = "EHR-legacy"
        if n == duplicate_at:
            name = "feature_0010"
        ws.append([name, source, f"DW.FEATURES.F{n:04d}", "Maybe" if n == maybe_at else "Yes", "Yes",
                   "No" if n % 4 else "Yes", None, "From the data dictionary v3" if n % 10 == 0 else None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": data}


def test_pm_imports_a_1000_input_data_dictionary_fixes_it_from_the_preview_then_edits_a_row(
        browse, sign_in, shoot, axe_source, pm):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    page = sign_in(pm)
    page.goto(browse.url(f"/initiatives/{initiative.slug}/gates/{KEY}/"))
    box = page.locator("#import-inputs")
    expect(box).to_contain_text("Import from a spreadsheet")

    # --- the template: the table's columns, no rows ---------------------------------------------------
    with page.expect_download() as download:
        box.locator("a:has-text('Download the template')").click()
    template = open(download.value.path(), "rb").read()
    ws = load_workbook(io.BytesIO(template)).active
    assert [c.value for c in ws[1]] == HEADER and ws.max_row == 1

    # --- a file with two mistakes: the preview names their rows and offers no confirm -----------------
    box.locator("input[type=file]").set_input_files(
        xlsx_file("sepsis-dictionary.xlsx", dictionary(template, legacy_at=600, duplicate_at=100, maybe_at=777)))
    box.locator("button:has-text('Preview the import')").click()
    expect(page.locator("h1")).to_have_text("Import into “Input inventory”: preview")
    problems = page.locator("#problems")
    expect(problems).to_contain_text("3 problems: this file cannot be imported yet")
    expect(problems.locator("li").nth(0)).to_have_text(
        "Rows 11 and 101, column name (Input): “feature_0010” appears more than once. Each model input must appear "
        "once: merge the rows or rename one.")
    expect(problems.locator("li").nth(1)).to_contain_text(
        "Row 601, column source_system (Source system): “EHR-legacy” is not one of the choices for Source system; "
        "choose one of “Approved external feed”, “Claims”, “EHR”, “LIS”, “PACS”, “Scheduling”.")
    expect(problems.locator("li").nth(2)).to_contain_text("Row 778, column timestamped (Timestamped at source): "
                                                          "“Maybe”")
    expect(page.locator("button:has-text('Import these')")).to_have_count(0)
    page.add_script_tag(url=browse.url(AXE_PATH))
    violations = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")["violations"]
    assert not [(v["id"], v["help"]) for v in violations if v["impact"] in ("serious", "critical")]
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(page, "import-01-preview-problems-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shoot(page, "import-02-preview-problems-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert Gate.objects.get(initiative=initiative, key=KEY).data == {}, "a preview saves nothing"

    # --- the fixed file, uploaded again from the preview: 1,000 to add; confirm --------------------------
    page.locator("#id_reimport_file").set_input_files(
        xlsx_file("sepsis-dictionary-fixed.xlsx", dictionary(template)))
    page.locator("button:has-text('Preview the import')").click()
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator(".import-counts")).to_contain_text("1000 model inputs added")
    expect(page.locator(".import-added")).to_contain_text("feature_0001, feature_0002")
    shoot(page, "import-03-preview-ready-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shoot(page, "import-04-preview-ready-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("button:has-text('Import these 1000 model inputs')")

    expect(flash(page)).to_contain_text("“sepsis-dictionary-fixed.xlsx” imported into “Input inventory”: 1000 added, "
                                        "0 changed, 0 unchanged, 0 removed.")
    table = page.locator("#rows-inputs")
    expect(table).to_contain_text("Input inventory — 1,000 model inputs")
    expect(table).to_contain_text("1–50 of 1,000 · page 1 of 20")
    expect(table.locator("tbody tr[id^=row-inputs-]")).to_have_count(50)
    shoot(page, "import-05-gate-with-1000-inputs")
    gate = Gate.objects.get(initiative=initiative, key=KEY)
    assert len(gate.data["inputs"]) == ROWS and gate.status == "in_progress"
    assert AuditEvent.objects.filter(action="gate_table_imported").count() == 1
    assert Evidence.objects.get(gate=gate, item_key="data-dictionary").original_name == "sepsis-dictionary-fixed.xlsx"

    # --- search one input, open it in its row, change its notes, save (htmx) -----------------------------
    table.locator("input[type=search]").fill("F0777")
    expect(table).to_contain_text("1–1 of 1 matching")
    expect(page).to_have_url(re.compile(r"\?q=F0777"))
    row = table.locator("#row-inputs-776")
    expect(row).to_contain_text("feature_0777")
    row.locator("a:has-text('Edit')").click()
    form = table.locator("tr.row-editing form")
    expect(form.locator("[name=edit-inputs-name]")).to_have_value("feature_0777")
    form.locator("[name=edit-inputs-notes]").fill("Checked against the data dictionary v4")
    form.locator("button:has-text('Save model input')").click()
    expect(table.locator(".row-note")).to_have_text("Model input “feature_0777” saved.")
    expect(table.locator("#row-inputs-776")).to_contain_text("Checked against the data dictionary v4")
    expect(page.locator("#gate-state")).to_contain_text("ready to submit")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shoot(page, "import-06-row-saved-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    gate.refresh_from_db()
    assert gate.data["inputs"][776]["notes"] == "Checked against the data dictionary v4"
    assert len(gate.data["inputs"]) == ROWS
    assert AuditEvent.objects.get(action="gate_row_changed").after["row"]["name"] == "feature_0777"
    page.add_script_tag(url=browse.url(AXE_PATH))
    violations = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")["violations"]
    assert not [(v["id"], v["help"]) for v in violations if v["impact"] in ("serious", "critical")]
    browse.assert_clean()
