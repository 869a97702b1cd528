"""The initiative list's search, sorting and gate chips (/initiatives/).

The view picks the rows a tab shows (mine, all I may see, …); this module narrows them by the
search box and the status filter, orders them by a whitelisted sort key, and summarises each
initiative's gates. The list costs a fixed number of queries however many rows it shows: the
owner is joined, the gates are prefetched in one query, and the approved count is annotated.
"""

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from healthpm.gates.models import GATE_STATUS_SIGNS, GateStatus

from .models import ClinicalArea, Status

# The order a summary lists the gates not yet approved in: what needs someone first.
SUMMARY_ORDER = (GateStatus.REJECTED, GateStatus.SUBMITTED, GateStatus.IN_PROGRESS, GateStatus.NOT_STARTED)
SHORT_WORDS = {GateStatus.SUBMITTED: "submitted", GateStatus.REJECTED: "rejected",
               GateStatus.IN_PROGRESS: "in progress", GateStatus.NOT_STARTED: "not started"}

_STATUS_ORDER = Case(*[When(status=value, then=Value(i)) for i, value in enumerate(Status.values)],
                     output_field=IntegerField())
_AREA_ORDER = Case(*[When(clinical_area=value, then=Value(i)) for i, (value, _label)
                     in enumerate(sorted(ClinicalArea.choices, key=lambda c: c[1].lower()))],
                   output_field=IntegerField())


@dataclass(frozen=True)
class SortKey:
    label: str        # the column header and the sort menu's words
    order_by: tuple   # ascending; descending reverses each


# Only these keys reach order_by(); anything else in ?sort= falls back to the default.
SORTS = {
    "title": SortKey("Initiative", ("title",)),
    "area": SortKey("Clinical area", (_AREA_ORDER, "title")),
    "owner": SortKey("Owner", ("owner__last_name", "owner__first_name", "owner__username", "title")),
    "status": SortKey("Status", (_STATUS_ORDER, "title")),
    "progress": SortKey("Gates approved", ("approved_gates", "title")),
    "updated": SortKey("Last changed", ("updated_at", "title")),
}
DEFAULT_SORT = "title"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """("status", True) for ?sort=-status; unknown keys give the default, ascending."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw.removeprefix("-")
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, descending


def _ordering(key: str, descending: bool) -> list:
    fields = []
    for field in SORTS[key].order_by:
        if isinstance(field, str):
            fields.append(f"-{field}" if descending else field)
        else:
            fields.append(field.desc() if descending else field.asc())
    fields.append("-pk" if descending else "pk")  # a stable order across pages
    return fields


def search(qs: QuerySet, text: str) -> QuerySet:
    """Every word must match the title, the owner's name or username, or the clinical area's name."""
    for word in text.split()[:8]:
        areas = [value for value, label in ClinicalArea.choices if word.lower() in label.lower()]
        qs = qs.filter(
            Q(title__icontains=word) | Q(owner__first_name__icontains=word) | Q(owner__last_name__icontains=word)
            | Q(owner__username__icontains=word) | Q(clinical_area__in=areas)
        )
    return qs


def rows(qs: QuerySet, *, text: str = "", status: str = "", sort: str = DEFAULT_SORT,
         descending: bool = False) -> QuerySet:
    """The list's rows: searched, filtered, sorted, with the owner and gates fetched up front."""
    if text:
        qs = search(qs, text)
    if status in Status.values:
        qs = qs.filter(status=status)
    return (
        qs.select_related("owner")
        .prefetch_related("gates")
        .annotate(approved_gates=Count("gates", filter=Q(gates__status=GateStatus.APPROVED), distinct=True))
        .order_by(*_ordering(sort, descending))
    )


@dataclass(frozen=True)
class Chip:
    position: int
    title: str
    status: str
    symbol: str
    words: str


def gate_chips(initiative) -> list[Chip]:
    """One chip per gate in checklist order, from the prefetched gates (no query)."""
    gates = sorted(initiative.gates.all(), key=lambda g: g.order)
    return [Chip(n, g.title, g.status, *GATE_STATUS_SIGNS[g.status]) for n, g in enumerate(gates, start=1)]


def gate_summary(chips: list[Chip]) -> str:
    """'1 rejected · 2 submitted · 3 not started': the gates not yet approved (the row says how many
    are), counts that are not zero, what needs someone first."""
    counts = {status: 0 for status in SUMMARY_ORDER}
    for chip in chips:
        if chip.status in counts:
            counts[chip.status] += 1
    return " · ".join(f"{counts[s]} {SHORT_WORDS[s]}" for s in SUMMARY_ORDER if counts[s])
