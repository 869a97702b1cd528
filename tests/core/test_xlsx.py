"""healthpm/core/xlsx.py: the workbook both XLSX exports write (issue 14 item 5)."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from healthpm.core.xlsx import Column, Kind, Sheet, as_text, sheet_title, workbook_bytes


def opened(*sheets: Sheet):
    return load_workbook(io.BytesIO(workbook_bytes(sheets, title="A test")))


def test_a_sheet_is_typed_frozen_filtered_and_fitted():
    columns = [Column("Name"), Column("Cost", Kind.MONEY), Column("Due", Kind.DATE), Column("Count", Kind.INTEGER),
               Column("Gap", Kind.NUMBER, places=4), Column("Notes")]
    book = opened(Sheet("Things", columns, [["Acme", Decimal("1234.50"), date(2026, 3, 31), 12, 0.25, "x" * 500],
                                            ["Beta", None, None, 0, None, True]]))
    ws = book["Things"]

    assert book.properties.title == "A test"
    assert [c.value for c in ws[1]] == ["Name", "Cost", "Due", "Count", "Gap", "Notes"]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F3"
    name, cost, due, count, gap, notes = ws[2]
    assert (cost.value, cost.data_type, cost.number_format) == (1234.5, "n", '"$"#,##0.00')
    assert due.is_date and due.value.date() == date(2026, 3, 31) and due.number_format == "yyyy-mm-dd"
    assert (count.value, count.number_format) == (12, "#,##0") and gap.number_format == "0.0000"
    assert ws["F3"].value == "Yes" and ws["B3"].value is None
    widths = [ws.column_dimensions[c].width for c in "ABCDEF"]
    assert widths[5] == 60 and all(8 <= w <= 60 for w in widths) and widths[1] >= len("$1,234.50")


def test_text_that_looks_like_a_formula_stays_text_and_control_characters_go():
    ws = opened(Sheet("S", [Column("Title")], [['=HYPERLINK("https://evil.example")'], ["bell\x07 here"]])).active
    assert (ws["A2"].value, ws["A2"].data_type) == ('=HYPERLINK("https://evil.example")', "s")
    assert ws["A3"].value == "bell here"


def test_sheet_names_are_what_excel_accepts_and_unique():
    assert sheet_title("Vendors and processors that touch PHI") == "Vendors and processors that…"
    assert sheet_title("Inputs [v2]: a/b?") == "Inputs v2 a b"
    assert sheet_title("Inputs", ["inputs"]) == "Inputs (2)"
    assert all(len(sheet_title("x" * 40, taken)) <= 31 for taken in ([], ["x" * 30 + "…"]))
    book = opened(Sheet("Same", [Column("A")]), Sheet("Same", [Column("A")]))
    assert book.sheetnames == ["Same", "Same (2)"]


def test_as_text_is_what_the_csv_writes():
    assert as_text(Decimal("13500"), Column("c", Kind.MONEY)) == "13500.00"
    assert as_text(0.34, Column("g", Kind.NUMBER, places=4)) == "0.3400"
    assert as_text(date(2026, 3, 31), Column("d", Kind.DATE)) == "2026-03-31"
    assert as_text(None, Column("t")) == "" and as_text(7, Column("n", Kind.INTEGER)) == "7"
    assert as_text(False, Column("t")) == "No"
