"""Reading a table from a CSV or XLSX file (healthpm.lib.spreadsheet, issue 14): kinds told by
content, headers matched loosely, row numbers as the spreadsheet shows them, refusals, the diff."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from healthpm.lib.spreadsheet import Column, Refused, diff_rows, duplicate_keys, read_table

COLUMNS = (
    Column("name", "Input", required=True),
    Column("source_system", "Source system", required=True),
    Column("timestamped", "Timestamped at source"),
)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_is_read_with_loose_headers_typed_cells_as_text_and_its_own_row_numbers():
    data = xlsx([
        ["SOURCE-System", " input ", "Timestamped_at source", "Owner's note"],
        ["EHR", "lactate_last_6h", True, "x"],
        [None, None, None, None],
        ["LIS", 12.0, datetime(2026, 3, 1), None],
    ])

    table = read_table(data, "dictionary.xlsx", COLUMNS, max_rows=10)

    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"source_system": "EHR", "name": "lactate_last_6h", "timestamped": "yes"}),
        (4, {"source_system": "LIS", "name": "12", "timestamped": "2026-03-01"}),
    ]
    assert table.ignored_headers == ["Owner's note"]


def test_a_csv_from_excel_with_a_bom_and_semicolons_is_read():
    data = "\ufeffInput;Source system\nheart_rate;EHR\n;\nspo2;EHR\n".encode()

    table = read_table(data, "inputs.csv", COLUMNS, max_rows=10)

    assert [(r.number, r.values["name"]) for r in table.rows] == [(2, "heart_rate"), (4, "spo2")]
    # A column the file does not have is absent, not empty: the import can tell "not given" apart.
    assert "timestamped" not in table.rows[0].values


def test_a_windows_csv_in_cp1252_is_read():
    data = "Input,Source system\ncaf\xe9_visits,EHR\n".encode("cp1252")

    assert read_table(data, "inputs.csv", COLUMNS, max_rows=10).rows[0].values["name"] == "caf\xe9_visits"


@pytest.mark.parametrize("data, name, words", [
    (b"", "inputs.csv", "empty"),
    (b"Input,Source system\nhr,EHR\n", "inputs.xlsx", "named like an Excel workbook but is not one"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "inputs.xls", "old-format Excel file"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "inputs.csv", "not a text file"),
    (b"Input,Source system\n", "inputs.pdf", "neither an Excel workbook"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused(data, name, words):
    with pytest.raises(Refused, match=words):
        read_table(data, name, COLUMNS, max_rows=10)


def test_a_workbook_named_csv_is_refused():
    with pytest.raises(Refused, match="does not end in .xlsx"):
        read_table(xlsx([["Input", "Source system"]]), "inputs.csv", COLUMNS, max_rows=10)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(Refused, match="zip archive but not an Excel workbook"):
        read_table(out.getvalue(), "inputs.xlsx", COLUMNS, max_rows=10)


def test_a_macro_enabled_workbook_is_refused():
    with pytest.raises(Refused, match="can hold macros"):
        read_table(xlsx([["Input", "Source system"]]), "inputs.xlsm", COLUMNS, max_rows=10)


def test_a_formula_cell_is_refused_naming_its_row_and_column():
    data = xlsx([["Input", "Source system"], ["hr", "EHR"], ["rr", '=CONCAT("E","HR")']])

    with pytest.raises(Refused, match=r"Row 3, column B holds a formula \(=CONCAT"):
        read_table(data, "inputs.xlsx", COLUMNS, max_rows=10)


def test_a_header_without_a_required_column_names_it_and_what_it_found():
    with pytest.raises(Refused, match=r"no column for “Source system” \(source_system\); it names “Input”, “Notes”"):
        read_table(b"Input,Notes\nhr,x\n", "inputs.csv", COLUMNS, max_rows=10)


def test_a_column_given_twice_is_refused():
    with pytest.raises(Refused, match="Two columns of the header row are “Input”"):
        read_table(b"name,Input,Source system\nhr,hr,EHR\n", "inputs.csv", COLUMNS, max_rows=10)


def test_no_header_row_is_refused():
    with pytest.raises(Refused, match="no header row"):
        read_table(b"\n\n,\n", "inputs.csv", COLUMNS, max_rows=10)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_more_rows_than_allowed_are_refused_and_exactly_the_limit_is_read(kind):
    rows = [["Input", "Source system"]] + [[f"x{i}", "EHR"] for i in range(3)]
    data = xlsx(rows) if kind == "xlsx" else "\n".join(",".join(r) for r in rows).encode()

    assert len(read_table(data, f"t.{kind}", COLUMNS, max_rows=3).rows) == 3
    with pytest.raises(Refused, match="more than 2 rows"):
        read_table(data, f"t.{kind}", COLUMNS, max_rows=2)


def test_the_diff_tells_added_changed_field_by_field_unchanged_and_removed():
    old = [{"name": "hr", "source_system": "EHR", "phi": False},
           {"name": "rr", "source_system": "EHR", "phi": False},
           {"name": "lactate", "source_system": "LIS", "phi": False}]
    new = [{"name": "HR ", "source_system": "EHR", "phi": False},
           {"name": "lactate", "source_system": "EHR-legacy", "phi": True},
           {"name": "spo2", "source_system": "EHR", "phi": False}]

    diff = diff_rows(old, new, key="name", fields=("name", "source_system", "phi"))

    assert diff.counts == {"added": 1, "changed": 2, "unchanged": 0, "removed": 1}
    assert diff.added == [new[2]] and diff.removed == [old[1]]
    assert diff.changed == [("HR ", {"name": ("hr", "HR ")}),
                            ("lactate", {"source_system": ("LIS", "EHR-legacy"), "phi": (False, True)})]


def test_a_round_trip_without_edits_is_all_unchanged():
    rows = [{"name": f"x{i}", "source_system": "EHR", "since": date(2026, 1, i + 1).isoformat()} for i in range(5)]

    assert diff_rows(rows, [dict(r) for r in rows], key="name", fields=("name", "source_system", "since")).counts \
        == {"added": 0, "changed": 0, "unchanged": 5, "removed": 0}


def test_duplicate_keys_are_named_with_their_row_numbers():
    table = read_table(b"Input,Source system\nhr,EHR\nrr,EHR\nHR,LIS\n", "t.csv", COLUMNS, max_rows=10)

    assert duplicate_keys(table.rows, "name") == {"hr": [2, 4]}
