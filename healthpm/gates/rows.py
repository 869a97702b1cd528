"""A paged table on the gate page (`RowTable.paged`: the input inventory, thousands of rows).

The page lists PAGE_SIZE rows at a time, matching a search in the table's `search` fields and
a filter ("Blocking", or one of the table's `filters`, or the rows a grouped finding names),
each row with the findings about it. The findings come from one evaluation of the whole gate
(`gate_report`), made once per request: listing a page costs one pass over the rows, whatever
page it is.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from .definitions.base import EvaluationContext, Finding
from .definitions.forms_base import RowFilter, RowTable

PAGE_SIZE = 50
BLOCKING = RowFilter("blocking", "Blocking", lambda row, findings, ctx: any(f.blocks for f in findings))


def row_key(name: Any) -> str:
    """A row's identity: its name, trimmed and case-folded (two rows may not share it)."""
    return str(name or "").strip().casefold()


def saved_row(rows: list, table: RowTable, name: Any) -> dict | None:
    """The saved row of that name (trimmed, any case), or None."""
    key = row_key(name)
    return next((r for r in rows if isinstance(r, dict) and row_key(r.get(table.form_class.name_field)) == key), None)


def filters_of(table: RowTable) -> tuple[RowFilter, ...]:
    return (BLOCKING, *table.filters)


@dataclass(frozen=True)
class RowQuery:
    """What the reader asked the table for, read from the query string (unknown values ignored)."""

    q: str = ""
    show: str = ""     # a filter's key
    problem: str = ""  # a grouped finding's problem (`Finding.group`): the rows it is about
    page: int = 1

    @classmethod
    def from_params(cls, params) -> "RowQuery":
        try:
            page = max(1, int(params.get("page") or 1))
        except (TypeError, ValueError):
            page = 1
        return cls(q=str(params.get("q") or "").strip()[:200], show=str(params.get("show") or "")[:40],
                   problem=str(params.get("problem") or "")[:500], page=page)

    def querystring(self, **changes) -> str:
        """This query with `changes` (a changed search or filter starts again at page 1)."""
        query = replace(self, **changes)
        pairs = [(name, value) for name, value in (("q", query.q), ("show", query.show),
                                                   ("problem", query.problem), ("page", query.page))
                 if value and not (name == "page" and value == 1)]
        return "?" + urlencode(pairs) if pairs else "?"

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.show or self.problem)


@dataclass(frozen=True)
class ListedRow:
    index: int                    # its place in the saved table, from 0
    row: dict
    findings: tuple[Finding, ...]
    cells: tuple[tuple[str, str], ...]  # (column label, value as the page shows it), one per column

    @property
    def name(self) -> str:
        return str(self.row.get("name", ""))

    @property
    def key(self) -> str:
        return row_key(self.name)

    @property
    def blocks(self) -> bool:
        return any(f.blocks for f in self.findings)


@dataclass(frozen=True)
class RowPage:
    table: RowTable
    query: RowQuery
    rows: tuple[ListedRow, ...]   # this page's
    total: int                    # rows in the table
    matched: int                  # rows the search and filter keep
    page: int
    pages: int
    filter_counts: tuple[tuple[RowFilter, int], ...]
    problem_label: str            # the grouped finding a `problem` filter came from

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.matched else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.matched)

    @property
    def here(self) -> str:
        return self.query.querystring()

    @property
    def previous_link(self) -> str:
        return self.query.querystring(page=self.page - 1) if self.page > 1 else ""

    @property
    def next_link(self) -> str:
        return self.query.querystring(page=self.page + 1) if self.page < self.pages else ""

    @property
    def without_problem(self) -> str:
        return self.query.querystring(problem="", page=1)


def findings_by_row(findings, table: RowTable) -> dict[str, list[Finding]]:
    by_row: dict[str, list[Finding]] = {}
    for f in findings:
        if f.field == table.key and f.row:
            by_row.setdefault(row_key(f.row), []).append(f)
    return by_row


def _matches(row: dict, needle: str, fields: tuple[str, ...]) -> bool:
    return any(needle in str(row.get(name) or "").casefold() for name in fields)


def row_page(table: RowTable, rows: list, findings, ctx: EvaluationContext, query: RowQuery,
             cells: Callable[[dict], tuple[tuple[str, str], ...]]) -> RowPage:
    """The page of `rows` (the table's saved rows) the query asks for, in the saved order;
    `cells` gives a shown row's values as the page prints them."""
    by_row = findings_by_row(findings, table)
    filters = filters_of(table)
    chosen = next((f for f in filters if f.key == query.show), None)
    needle = query.q.casefold()
    listed, counts = [], {f.key: 0 for f in filters}
    problem_label = ""
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        about = by_row.get(row_key(row.get(table.form_class.name_field)), [])
        for f in filters:
            if f.test(row, about, ctx):
                counts[f.key] += 1
        if needle and not _matches(row, needle, table.search):
            continue
        if chosen is not None and not chosen.test(row, about, ctx):
            continue
        if query.problem:
            named = [f for f in about if f.group == query.problem]
            if not named:
                continue
            problem_label = problem_label or named[0].group
        listed.append((index, row, about))
    pages = max(1, -(-len(listed) // PAGE_SIZE))
    page = min(query.page, pages)
    shown = [ListedRow(index, row, tuple(about), cells(row))
             for index, row, about in listed[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    return RowPage(table=table, query=replace(query, page=page), rows=tuple(shown),
                   total=sum(1 for row in rows if isinstance(row, dict)), matched=len(listed), page=page,
                   pages=pages, filter_counts=tuple((f, counts[f.key]) for f in filters),
                   problem_label=problem_label)
