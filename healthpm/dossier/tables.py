"""A gate's tables as the dossier prints them, and the long ones as files attached to the PDF.

Every table a gate shows (`GateDefinition.tables`) prints as a compact table: small type,
tight rows, the header repeated on each page, long text wrapped inside its column. The
columns have fixed widths worked out here from what they hold, because WeasyPrint's automatic
table layout measures every word of every cell first: with it a 500-row inventory took 25 s,
most of it measuring (bench_dossier --inputs 500); with fixed widths about 6 s.

A table of more than FULL_TABLE_MAX_ROWS rows is not printed in full: WeasyPrint still lays
out some 8 ms of CPU a row, so 5,000 rows would take about 40 s and 170 pages nobody reads on
paper. Instead the dossier prints

1. the gate's summary of it (`GateDefinition.summary_tables`, e.g. inputs per source system),
   when the gate gives one;
2. a sentence saying the full table is attached, with the file's name, size and SHA-256;

and attaches the full table to the PDF as a UTF-8 CSV, before signing, so a final dossier's
signature covers it. The CSV has the columns of the gate's spreadsheet export
(`healthpm.gates.tables.table_sheet`: the form's labels, choices as their labels) when the
table shows one of the form's row tables (`Table.table_key`), and the printed columns otherwise.
"""

import hashlib
import math
import re
from dataclasses import dataclass
from functools import cached_property

from django.utils.text import slugify

from healthpm.core.xlsx import Column, Sheet, csv_bytes
from healthpm.gates.definitions.base import EvaluationContext, Table
from healthpm.gates.tables import declared_tables, table_sheet

# A table of at most this many rows prints in full; a longer one is summarised and attached.
FULL_TABLE_MAX_ROWS = 500

# Column widths (fixed_widths), in lower-case characters of the table's 6.5pt text (~1.3 mm
# each; a capital is about UPPER_WIDTH of one): a line of the page (letter, 17 mm margins)
# holds about LINE_CHARS, a cell's padding takes PAD.
LINE_CHARS = 140
PAD = 1.5
UPPER_WIDTH = 1.2
# Headers print in capitals at 5.8pt, about this much wider a character than the body text.
HEADER_WIDTH = 1.2
# A column gets at least its header's longest word (headers wrap between words only; never less
# than MIN_COLUMN characters) and its identifiers whole: its cells' longest word, up to
# TOKEN_CAP characters (a longer one breaks where it must).
MIN_COLUMN = 3
TOKEN_CAP = 26
# A column whose cells all look like this is a column of numbers, printed flush right.
_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+%?$")


@dataclass(frozen=True)
class AttachedFile:
    """A file embedded in the dossier PDF, listed with its SHA-256 in the evidence register."""

    filename: str  # its extension gives the MIME type WeasyPrint records
    data: bytes
    # What the file is: the PDF reader's attachment description and the register's wording.
    description: str

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def size_text(self) -> str:
        return f"{self.size:,} bytes"


@dataclass(frozen=True)
class PrintedTable:
    """One of a gate's tables in the dossier: in full (`rows`), or, past FULL_TABLE_MAX_ROWS,
    its summaries and the file it is attached as (`attached`, no rows)."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # percent of the table's width, one per column
    row_count: int
    numeric: tuple[bool, ...] = ()  # per column: only numbers, printed flush right
    summaries: tuple["PrintedTable", ...] = ()
    attached: AttachedFile | None = None

    @property
    def head(self) -> list[tuple[str, float, bool]]:
        """(header, width %, numeric) per column, for the template."""
        return list(zip(self.headers, self.widths, self.numeric or (False,) * len(self.headers)))

    @property
    def body(self) -> list[list[tuple[str, bool]]]:
        """Each row as (text, numeric) per cell, for the template."""
        numeric = self.numeric or (False,) * len(self.headers)
        return [list(zip(row, numeric)) for row in self.rows]

    @property
    def rows_text(self) -> str:
        return f"{self.row_count:,} row{'' if self.row_count == 1 else 's'}"


def _p90(values: list[float]) -> float:
    values = sorted(values)
    return values[int(0.9 * (len(values) - 1))] if values else 0


def _width(text: str) -> float:
    """About how wide `text` prints, in lower-case characters."""
    return len(text) + (UPPER_WIDTH - 1) * sum(1 for c in text if c.isupper())


def fixed_widths(headers: tuple[str, ...], rows) -> tuple[float, ...]:
    """Percent widths of the columns, adding up to 100.

    1. Each column gets its floor: its header's longest word and its cells' longest word
       (constants above). If the floors alone overflow a line, the headers' words come
       first and the rest of the line goes to the identifiers, in proportion.
    2. Otherwise the rows are made as short as they can be: the fewest lines L such that
       every column holds its 90th-percentile cell in L lines and the columns still fit on a
       line. A column of long notes gets the room, not one of short yes/no answers.
    3. What is left of the line is shared in proportion to those widths.
    """
    need, floor, longest = [], [], []
    for index, header in enumerate(headers):
        cells = [str(row[index]) for row in rows if index < len(row)]
        header_word = max((len(word) for word in str(header).split()), default=0)
        need.append(max(header_word * HEADER_WIDTH, MIN_COLUMN) + PAD)
        word = max((_width(w) for c in cells for w in c.split()), default=0)
        floor.append(max(need[-1], min(word, TOKEN_CAP) + PAD))
        longest.append(_p90([_width(c) for c in cells]))
    if sum(need) >= LINE_CHARS:
        widths = need
    elif sum(floor) > LINE_CHARS:
        widths = [n + (f - n) * (LINE_CHARS - sum(need)) / (sum(floor) - sum(need)) for n, f in zip(need, floor)]
    else:
        lines = 1
        while True:  # ends: with enough lines every column is at its floor, which fits
            widths = [max(f, math.ceil(n / lines) + PAD) for f, n in zip(floor, longest)]
            if sum(widths) <= LINE_CHARS:
                break
            lines += 1
    total = sum(widths) or 1
    return tuple(round(100 * w / total, 2) for w in widths)


def numeric_columns(rows) -> tuple[bool, ...]:
    """Which columns hold only numbers (empty cells aside), to print them flush right."""
    width = max((len(row) for row in rows), default=0)
    return tuple(
        any(str(row[i]).strip() for row in rows if i < len(row))
        and all(_NUMBER.match(str(row[i]).strip()) for row in rows if i < len(row) and str(row[i]).strip())
        for i in range(width)
    )


def _printed(table: Table) -> PrintedTable:
    return PrintedTable(table.title, tuple(table.headers), tuple(table.rows), fixed_widths(table.headers, table.rows),
                        len(table.rows), numeric_columns(table.rows))


def _sheet(report, table: Table, ctx: EvaluationContext) -> Sheet:
    """The rows of a long table as a spreadsheet: the form's row table it shows, as the XLSX export
    writes it, or else its printed columns as text."""
    declared = {t.key: t for t in declared_tables(report.definition)}
    if table.table_key in declared:
        return table_sheet(report.gate, declared[table.table_key], ctx)
    return Sheet(table.title, [Column(str(h)) for h in table.headers], table.rows)


def attachment_name(slug: str, report, table: Table) -> str:
    """The CSV's file name, like the gate's spreadsheet export (`<slug>-<gate>-<table>.xlsx`)."""
    return f"{slug}-{report.gate.key}-{table.table_key or slugify(table.title)}.csv"


def gate_tables(report, ctx: EvaluationContext, *, slug: str) -> tuple[PrintedTable, ...]:
    """How the dossier prints each of the gate's tables (module docstring); `report` is the
    gate's `healthpm.gates.report.GateReport`, `slug` the initiative's."""
    printed = []
    summaries = None
    for table in report.tables:
        if len(table.rows) <= FULL_TABLE_MAX_ROWS:
            printed.append(_printed(table))
            continue
        if summaries is None:
            summaries = report.definition.summary_tables(report.data, ctx) or []
        attached = AttachedFile(
            filename=attachment_name(slug, report, table),
            data=csv_bytes(_sheet(report, table, ctx)),
            description=f"{report.definition.title}: {table.title}, in full ({len(table.rows):,} rows), UTF-8 CSV",
        )
        mine = tuple(_printed(s) for s in summaries if table.table_key and s.table_key == table.table_key)
        printed.append(PrintedTable(table.title, tuple(table.headers), (), (), len(table.rows), summaries=mine,
                                    attached=attached))
    return tuple(printed)
