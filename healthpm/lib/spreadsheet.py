"""A table read from a CSV or XLSX file that a person edited in a spreadsheet (issue 14).

The data-dictionary import of a gate's row tables (model inputs, vendors) starts here: the
file's kind is told from its bytes, not its name; the header row is matched to the table's
columns by name, ignoring case, spaces, underscores and hyphens; each row keeps the number
the spreadsheet shows, so a problem can say "row 418, column source_system". What cannot be
trusted is refused whole, with a message saying what to do, and nothing is read from it:

- a file that is not what its name says (a CSV named .xlsx), a macro-enabled or old-format
  workbook (.xlsm, .xls), a binary file, an empty file or one without a header row;
- a formula cell (its value would be whatever the spreadsheet last computed, or nothing);
- more rows than the import allows;
- a header row that maps no column the table requires, or maps one column twice.

`diff_rows` then compares the rows read (once the gate's row form has cleaned them) with the
saved ones by a key column: added, changed field by field, unchanged, removed.

openpyxl parses the workbook (with defusedxml installed it refuses XML bombs); nothing here
evaluates a formula or follows an external link.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time

from healthpm.lib import filetypes

XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other old Office files)


class Refused(ValueError):
    """The file cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {normalise(name) for name in (self.key, self.label, *self.aliases)}


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1 when it is the first line
    values: dict[str, str]


@dataclass
class Table:
    rows: list[Row]
    ignored_headers: list[str] = field(default_factory=list)


def normalise(header: str) -> str:
    """'Source_System ', 'source-system' and 'Source  system' are the same column."""
    return re.sub(r"[\s_\-]+", " ", str(header)).strip().casefold()


def kind_of(data: bytes, filename: str) -> str:
    """'xlsx' or 'csv', from the bytes; refused when the name claims another kind."""
    name = filename.lower()
    if not data:
        raise Refused("The file is empty: export the table again and upload that file.")
    if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise Refused("This is an old-format Excel file (.xls): save it as an Excel workbook (.xlsx) or as CSV.")
    if data.startswith(b"PK\x03\x04"):
        content_types = _content_types(data)
        if XLSM_MAIN in content_types or name.endswith(".xlsm"):
            raise Refused("This workbook can hold macros (.xlsm): save it as an Excel workbook (.xlsx) without "
                          "macros, or as CSV.")
        if XLSX_MAIN not in content_types:
            raise Refused(f"“{filename}” is a zip archive but not an Excel workbook: upload the .xlsx or a CSV.")
        if not name.endswith(".xlsx"):
            raise Refused(f"“{filename}” is an Excel workbook but its name does not end in .xlsx: rename it.")
        try:  # the evidence upload's checks: macros by part, ActiveX, embedded programs, zip bombs
            filetypes.check_ooxml(data, "xlsx")
        except filetypes.Refused as refused:
            raise Refused(f"“{filename}” {refused}") from None
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm")):
        raise Refused(f"“{filename}” is named like an Excel workbook but is not one: open it in the spreadsheet "
                      "and save it as .xlsx, or name a CSV file .csv.")
    if b"\x00" in data[:4096]:
        raise Refused(f"“{filename}” is not a text file: upload an Excel workbook (.xlsx) or a CSV file.")
    if not name.endswith((".csv", ".txt")):
        raise Refused(f"“{filename}” is neither an Excel workbook (.xlsx) nor a CSV file (.csv).")
    try:  # read whole, as an evidence upload is: the file may be kept as the table's evidence
        filetypes.check_text(data, controls=False)
    except filetypes.Refused as refused:
        raise Refused(f"“{filename}” {refused}: upload the table as plain CSV or as .xlsx.") from None
    return "csv"


def _content_types(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return ""


def read_table(data: bytes, filename: str, columns: Sequence[Column], *, max_rows: int) -> Table:
    """The rows of the file's first sheet, keyed by column key, as text ('' for an empty cell; a
    column the header row does not have is absent from every row).

    Raises Refused for what the module docstring lists. Rows with no value at all are skipped.
    """
    kind = kind_of(data, filename)
    lines = _xlsx_lines(data) if kind == "xlsx" else _csv_lines(data, filename)
    positions, ignored, rows = None, [], []
    with closing(lines):
        for number, cells in lines:
            if positions is None:
                if any(c.strip() for c in cells):
                    positions, ignored = _match_header(cells, columns)
                continue
            values = {key: (cells[i].strip() if i < len(cells) else "") for key, i in positions.items()}
            if not any(values.values()):
                continue
            if len(rows) == max_rows:
                raise Refused(f"The file has more than {max_rows:,} rows; import at most {max_rows:,} at a time.")
            rows.append(Row(number, values))
    if positions is None:
        raise Refused("The file has no header row: the first row must name the columns, e.g. "
                      + ", ".join(c.key for c in columns) + ". Download the template to start from.")
    return Table(rows=rows, ignored_headers=ignored)


def _match_header(header: list[str], columns: Sequence[Column]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    ignored = []
    for i, cell in enumerate(header):
        if not cell.strip():
            continue
        column = next((c for c in columns if normalise(cell) in c.names()), None)
        if column is None:
            ignored.append(cell.strip())
            continue
        if column.key in positions:
            raise Refused(f"Two columns of the header row are “{column.label}” ({column.key}): "
                          f"“{header[positions[column.key]].strip()}” and “{cell.strip()}”. Keep one.")
        positions[column.key] = i
    missing = [c for c in columns if c.required and c.key not in positions]
    if missing:
        names = ", ".join(f"“{c.label}” ({c.key})" for c in missing)
        found = ", ".join(f"“{h.strip()}”" for h in header if h.strip()) or "nothing"
        raise Refused(f"The header row has no column for {names}; it names {found}. Name the columns as in "
                      "the template.")
    return positions, ignored


def _csv_lines(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")  # what Excel on Windows saves as plain "CSV"
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise Refused(f"Line {reader.line_num} of “{filename}” is not valid CSV ({exc}).") from None


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged archive
        raise Refused(f"The workbook cannot be read ({type(exc).__name__}): open it in the spreadsheet, save it "
                      "again as .xlsx, and upload that.") from None
    try:
        for number, cells in enumerate(workbook.worksheets[0].iter_rows(), start=1):
            texts = []
            for i, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    raise Refused(f"Row {cell.row}, column {get_column_letter(i + 1)} holds a formula "
                                  f"({str(cell.value)[:40]}): paste the values instead (Paste special → Values).")
                texts.append(_text(cell.value))
            yield next((c.row for c in cells if getattr(c, "row", None)), number), texts
    finally:
        workbook.close()


def _text(value) -> str:
    """A cell's value as the text a person typed: 12 not 12.0, dates as ISO dates, yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class RowDiff:
    added: list[dict]
    changed: list[tuple[str, dict[str, tuple]]]  # key → {field: (old, new)}
    unchanged: int
    removed: list[dict]

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "unchanged": self.unchanged,
                "removed": len(self.removed)}


def diff_rows(old: list[dict], new: list[dict], *, key: str, fields: Sequence[str]) -> RowDiff:
    """Compare rows by `key` (matched ignoring case and surrounding spaces), field by field.

    Both sides are in the saved shape (the row form's cleaned, JSON-safe data), so a value the
    spreadsheet round-tripped unchanged compares equal. Keys must be unique on each side.
    """
    def k(row):
        return str(row.get(key, "")).strip().casefold()

    before = {k(row): row for row in old}
    added, changed, unchanged = [], [], 0
    for row in new:
        previous = before.pop(k(row), None)
        if previous is None:
            added.append(row)
            continue
        changes = {f: (previous.get(f), row.get(f)) for f in fields if previous.get(f) != row.get(f)}
        if changes:
            changed.append((str(row.get(key)), changes))
        else:
            unchanged += 1
    return RowDiff(added=added, changed=changed, unchanged=unchanged, removed=list(before.values()))


def duplicate_keys(rows: Sequence[Row], key: str) -> dict[str, list[int]]:
    """Key value → the row numbers holding it, for keys on more than one row."""
    seen: dict[str, list[int]] = {}
    for row in rows:
        value = row.values.get(key, "").strip()
        if value:
            seen.setdefault(value.casefold(), []).append(row.number)
    return {value: numbers for value, numbers in seen.items() if len(numbers) > 1}
