"""A CSV (or XLSX) of samples uploaded on the monitoring page: every row checked before any is stored.

Columns: metric, period_start, period_end, value, subgroup (optional). The file is read by
the same reader as the gates' table imports (healthpm.lib.spreadsheet: kind from the bytes,
headers matched ignoring case and spaces, formulas refused); each row is checked by the
service's own `check_sample`, so the upload and the API refuse the same things. A problem
names the row the spreadsheet shows and the column.
"""

from dataclasses import dataclass, field

from django.conf import settings

from healthpm.gates.imports import printable
from healthpm.lib.hashing import digest
from healthpm.lib.spreadsheet import Column, Refused, read_table

from .plan import Plan
from .services import SampleRefused, check_sample

COLUMNS = (
    Column("metric", "Metric", required=True),
    Column("period_start", "Period start", required=True),
    Column("period_end", "Period end", required=True),
    Column("value", "Value", required=True),
    Column("subgroup", "Subgroup"),
)


@dataclass
class Read:
    rows: list[dict] = field(default_factory=list)  # keyword arguments of metric_sample_record
    problems: list[str] = field(default_factory=list)


def read_samples(plan: Plan, data: bytes, filename: str) -> Read:
    """The rows of the file as samples, or the problems (Refused for a file that cannot be read)."""
    sheet = read_table(data, filename, COLUMNS, max_rows=settings.HEALTHPM_IMPORT_MAX_ROWS)
    missing = [c.key for c in COLUMNS if c.required and sheet.rows and c.key not in sheet.rows[0].values]
    if missing:
        raise Refused(f"The header row has no column {', '.join(missing)}: the columns are "
                      + ", ".join(c.key for c in COLUMNS) + ".")
    read = Read()
    if not sheet.rows:
        read.problems.append("The file has no samples under its header row.")
    for row in sheet.rows:
        values = {c.key: row.values.get(c.key, "") for c in COLUMNS}
        try:
            checked = check_sample(plan, **values)
        except SampleRefused as exc:
            # The service's message starts with the field's name; the row number goes before it.
            text = str(exc).split(": ", 1)[-1]
            read.problems.append(printable(f"Row {row.number}, column {exc.field}: {text}"))
            continue
        fields = {"metric": checked.metric, "period_start": checked.period_start, "period_end": checked.period_end,
                  "value": checked.value, "subgroup": checked.subgroup}
        # The same row uploaded again (a re-sent file) is the same sample: stored once.
        key = "csv:" + digest({k: str(v) for k, v in fields.items()})
        read.rows.append({**fields, "idempotency_key": key})
    return read
