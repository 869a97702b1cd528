"""Journey (issue 14 item 1): a PM fills the input inventory from a data dictionary in a spreadsheet.

The PM downloads the template from the gate page, fills 150 inputs in it, two of them wrong (an
input from “EHR-legacy”, which is not an approved source system, and a name used twice), and
uploads it: the preview lists both problems with the spreadsheet's row numbers and offers no
confirm. The PM fixes the file, uploads it again from the preview, sees 150 inputs to be added,
confirms, and finds the 150 rows in the gate's table. The preview fits a 390 px phone.
"""

import io

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


def dictionary(template: bytes, *, legacy_at: int | None, duplicate_at: int | None) -> bytes:
    """150 inputs written into the downloaded template; sheet row = input number + 1."""
    book = load_workbook(io.BytesIO(template))
    ws = book.active
    for n in range(1, 151):
        name = f"feature_{n:03d}"
        source = SOURCES[n % 3]
        if n == legacy_at:
            source = "EHR-legacy"
        if n == duplicate_at:
            name = "feature_010"
        ws.append([name, source, f"DW.FEATURES.F{n:03d}", "Yes", "Yes", "No" if n % 4 else "Yes", None,
                   "From the data dictionary v3" if n % 10 == 0 else None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": data}


def test_pm_imports_a_150_input_data_dictionary_fixing_two_rows_from_the_preview(browse, sign_in, shoot, axe_source,
                                                                                 pm):
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
        xlsx_file("sepsis-dictionary.xlsx", dictionary(template, legacy_at=60, duplicate_at=100)))
    box.locator("button:has-text('Preview the import')").click()
    expect(page.locator("h1")).to_have_text("Import into “Input inventory”: preview")
    problems = page.locator("#problems")
    expect(problems).to_contain_text("2 problems: this file cannot be imported yet")
    expect(problems.locator("li").nth(0)).to_have_text(
        "Rows 11 and 101, column name (Input): “feature_010” appears more than once. Each model input must appear "
        "once: merge the rows or rename one.")
    expect(problems.locator("li").nth(1)).to_contain_text(
        "Row 61, column source_system (Source system): “EHR-legacy” is not one of the choices for Source system; "
        "choose one of “Approved external feed”, “Claims”, “EHR”, “LIS”, “PACS”, “Scheduling”.")
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

    # --- the fixed file, uploaded again from the preview: 150 to add; confirm ----------------------------
    page.locator("#id_reimport_file").set_input_files(
        xlsx_file("sepsis-dictionary-fixed.xlsx", dictionary(template, legacy_at=None, duplicate_at=None)))
    page.locator("button:has-text('Preview the import')").click()
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator(".import-counts")).to_contain_text("150 model inputs added")
    expect(page.locator(".import-added")).to_contain_text("feature_001, feature_002")
    shoot(page, "import-03-preview-ready-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shoot(page, "import-04-preview-ready-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("button:has-text('Import these 150 model inputs')")

    expect(flash(page)).to_contain_text("“sepsis-dictionary-fixed.xlsx” imported into “Input inventory”: 150 added, "
                                        "0 changed, 0 unchanged, 0 removed.")
    rows = page.locator('table[data-prefix="inputs"] tbody tr')
    expect(rows).to_have_count(150)
    expect(page.locator("#id_inputs-149-name")).to_have_value("feature_150")
    expect(page.locator("#id_inputs-59-source_system")).to_have_value("EHR")
    shoot(page, "import-05-gate-with-150-inputs")
    gate = Gate.objects.get(initiative=initiative, key=KEY)
    assert len(gate.data["inputs"]) == 150 and gate.status == "in_progress"
    assert AuditEvent.objects.filter(action="gate_table_imported").count() == 1
    assert Evidence.objects.get(gate=gate, item_key="data-dictionary").original_name == "sepsis-dictionary-fixed.xlsx"
    browse.assert_clean()
