"""Spreadsheets healthpm hands out: the filtered portfolio and a gate's tables (issue 14).

A `Sheet` is a title, `Column`s and rows of typed values. `workbook_bytes(sheets)` writes
each one as a table a person can sort and filter in Excel at once:

1. the header row bold and frozen (it stays on screen while scrolling), with an autofilter
   over every column and row;
2. each value typed by its column: numbers as numbers, money in US dollars with a currency
   format, dates as real dates with a date format (sortable, not text), yes/no and choices
   as their labels; a text that starts with "=" stays text, never a formula;
3. each column as wide as its longest value, header included (between 8 and 60 characters).

The CSV export reads the same typed rows through `as_text`, so one function builds the rows
for both formats (`csv_row`, or `csv_bytes` for a whole sheet).
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIN_WIDTH, MAX_WIDTH = 8, 60
# Excel's own limit on a sheet's name, and the characters it refuses in one.
MAX_SHEET_TITLE = 31
_NOT_IN_SHEET_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"  # counts, ranks: 1,234
    NUMBER = "number"    # any other number, `places` decimals when given
    MONEY = "money"      # US dollars: $13,500.00
    DATE = "date"        # a real date, shown 2026-03-31


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    # Decimals a NUMBER shows (and writes in a CSV); None: as many as it has.
    places: int | None = None

    @property
    def number_format(self) -> str:
        if self.kind == Kind.INTEGER:
            return "#,##0"
        if self.kind == Kind.MONEY:
            return '"$"#,##0.00'
        if self.kind == Kind.DATE:
            return "yyyy-mm-dd"
        if self.kind == Kind.NUMBER and self.places is not None:
            return "0." + "0" * self.places if self.places else "0"
        return "General"


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]] = field(default_factory=tuple)


def as_text(value: Any, column: Column) -> str:
    """A typed value as a CSV cell: dates in ISO, money with two decimals, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        if column.kind == Kind.MONEY:
            return f"{value:.2f}"
        if column.kind == Kind.NUMBER and column.places is not None:
            return f"{value:.{column.places}f}"
        return str(value)
    return str(value)


def _formula_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in a CSV: a title typed as "=HYPERLINK(…)" must stay text.
    (The XLSX writes text cells as text, which no spreadsheet evaluates.)"""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_row(row: Sequence[Any], columns: Sequence[Column]) -> list[str]:
    return [_formula_safe(value) if isinstance(value, str) else as_text(value, column)
            for value, column in zip(row, columns, strict=True)]


def csv_bytes(sheet: Sheet) -> bytes:
    """The sheet as a CSV file: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), the
    header row, then one line per row written by `csv_row`."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([column.header for column in sheet.columns])
    writer.writerows(csv_row(row, sheet.columns) for row in sheet.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sheet_title(text: str, taken: Iterable[str] = ()) -> str:
    """A name Excel accepts: no []:*?/\\, at most 31 characters, unique in its workbook."""
    base = " ".join(str(text).translate(_NOT_IN_SHEET_TITLE).split()).strip("'") or "Sheet"
    taken = {t.lower() for t in taken}
    title, n = _shortened(base, MAX_SHEET_TITLE), 1
    while title.lower() in taken:
        n += 1
        suffix = f" ({n})"
        title = _shortened(base, MAX_SHEET_TITLE - len(suffix)) + suffix
    return title


def _shortened(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with "…" ("Vendors and processors that…")."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;(-") + "…"


def _cell_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _shown_width(value: Any, column: Column) -> int:
    """About how many characters Excel shows for the value in its column's format."""
    if value is None:
        return 0
    if isinstance(value, (date, datetime)):
        return 10
    if column.kind == Kind.MONEY and isinstance(value, (int, float, Decimal)):
        return len(f"${value:,.2f}")
    if column.kind == Kind.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return len(f"{value:,}")
    return max((len(line) for line in as_text(value, column).splitlines()), default=0)


def workbook_bytes(sheets: Iterable[Sheet], *, title: str = "") -> bytes:
    """The .xlsx file of the sheets (steps in the module docstring)."""
    book = Workbook(write_only=True)
    book.properties.title = title or None
    book.properties.creator = "healthpm"
    bold = Font(bold=True)
    wrap_header = Alignment(vertical="top")
    names: list[str] = []
    for sheet in sheets:
        rows = [[_cell_value(v) for v in row] for row in sheet.rows]
        columns = list(sheet.columns)
        names.append(sheet_title(sheet.title, names))
        ws = book.create_sheet(names[-1])
        # Widths and the frozen pane must be set before the first row is written (write-only mode).
        for index, column in enumerate(columns, start=1):
            longest = max([len(column.header) + 2, *(_shown_width(row[index - 1], column) for row in rows)])
            ws.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
        ws.print_title_rows = "1:1"
        header = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=_cell_value(column.header))
            cell.font, cell.alignment = bold, wrap_header
            cell.data_type = "s"
            header.append(cell)
        ws.append(header)
        for row in rows:
            cells = []
            for value, column in zip(row, columns, strict=True):
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # "=HYPERLINK(…)" typed into a title is text, not a formula
                elif value is not None:
                    cell.number_format = column.number_format
                cells.append(cell)
            ws.append(cells)
    if not names:
        book.create_sheet("Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
