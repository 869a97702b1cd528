"""`python manage.py bench_gate`: how the input inventory scales (issue 14).

In a scratch database (PostgreSQL when DATABASE_URL is set, else a temporary SQLite file), for
each size (default 50, 500, 5,000) it builds an initiative whose auditable-inputs gate lists
that many inputs — realistic names and sources, one in twenty from an unapproved system, a few
known proxies — and measures through the test client, as its PM:

- the gate page (queries once, then `--runs` renders: median and p95, and its HTML size);
- a row save (one input's notes changed, posted as the page's htmx form does);
- the live check of one row (`…/rows/check/`);
- an import of the whole inventory as the XLSX the page exports, a tenth of its rows edited:
  upload, preview page and confirm;
- the dossier (rendered in memory; the initiative is not approved, so it is not signed).

Prints one JSON line per size with the keys inputs, db, page_median_ms, page_p95_ms, queries,
html_bytes, row_save_ms, preview_ms, import_s, dossier_s. Targets on a 2-core machine with
PostgreSQL, at 5,000: page ≤ 250 ms median, queries flat and ≤ 20, row save ≤ 150 ms, import
≤ 5 s, dossier ≤ 6 s.
"""

import io
import json
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from healthpm.accounts import roles
from healthpm.core.bench import log, percentile, scratch_database
from healthpm.dossier.services import build_pdf
from healthpm.gates import registry
from healthpm.gates.models import Gate, SourceSystem
from healthpm.gates.services import gate_save_data
from healthpm.initiatives.models import CareSetting, ClinicalArea
from healthpm.initiatives.services import initiative_create

# The gate whose table runs to thousands of rows (the input inventory): the current checklist's
# paged table, found in the registry rather than named here (STYLE.md, "Gates and checklists").
KEY, TABLE = next((d.key, t.key) for d in registry.current().gates if d.form_class is not None
                  for t in d.form_class.tables if t.paged)
UNAPPROVED = "EHR-legacy"
FEATURES = ("lactate", "heart_rate", "resp_rate", "temp", "sbp", "map", "spo2", "wbc", "creatinine", "bilirubin",
            "platelets", "gcs", "urine_output", "age", "fio2", "bicarbonate", "sodium", "potassium", "glucose")
WINDOWS = ("last", "min_6h", "max_6h", "mean_24h", "delta_12h", "count_24h")
PROXY_NAMES = ("patient_zip5", "preferred_language", "payer_class", "race_reported")


def inventory(size: int, rng: random.Random) -> list[dict]:
    sources = ["EHR", "LIS", "EHR", "EHR", "Scheduling"]
    rows = []
    for i in range(size):
        name = PROXY_NAMES[i // 97] if i % 97 == 0 and i // 97 < len(PROXY_NAMES) else \
            f"{FEATURES[i % len(FEATURES)]}_{WINDOWS[(i // len(FEATURES)) % len(WINDOWS)]}_{i:05d}"
        source = UNAPPROVED if rng.random() < .05 else rng.choice(sources)
        rows.append({"name": name, "source_system": source,
                     "source_field": f"FLOWSHEET.{name.upper()[:40]}", "timestamped": rng.random() > .01,
                     "available_at_prediction": True, "contains_phi": rng.random() < .3,
                     "justification": "Reviewed by the equity board, 2026-10" if name in PROXY_NAMES[:2] else "",
                     "notes": ""})
    return rows


def timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


class Command(BaseCommand):
    help = "Benchmark the auditable-inputs gate at several inventory sizes in a scratch database; JSON lines."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="50,500,5000", help="Comma-separated numbers of inputs.")
        parser.add_argument("--runs", type=int, default=15, help="Timed requests per measure.")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--keep", action="store_true", help="Leave the scratch database.")

    def handle(self, *args, sizes, runs, seed, keep, **options):
        with scratch_database(keep=keep), override_settings(DEBUG=False):
            for size in sorted(int(s) for s in sizes.split(",")):
                self.stdout.write(json.dumps(self.measure(size, max(runs, 3), random.Random(seed))))

    def measure(self, size: int, runs: int, rng: random.Random) -> dict:
        User = get_user_model()
        pm, _ = User.objects.get_or_create(username="bench-pm", defaults={
            "first_name": "Bench", "last_name": "PM", "email": "bench-pm@hospital.example"})
        pm.groups.add(Group.objects.get(name=roles.PRODUCT_MANAGER))
        SourceSystem.objects.get_or_create(name=UNAPPROVED, defaults={"approved": False})
        log(f"Building an initiative with {size:,} inputs …")
        initiative = initiative_create(by=pm, fields={
            "title": f"Deterioration model, {size} inputs", "summary": "Synthetic, for bench_gate.",
            "clinical_area": ClinicalArea.CRITICAL_CARE, "intended_use": "Prompts a bedside assessment.",
            "intended_users": "Rapid-response nurses", "care_setting": CareSetting.INPATIENT})
        gate = Gate.objects.get(initiative=initiative, key=KEY)
        rows = inventory(size, rng)
        gate_save_data(gate=gate, by=pm, data={TABLE: rows})
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        client = Client()
        client.force_login(pm)
        page = gate.get_absolute_url()

        for _ in range(3):  # warm: templates, the database's buffers
            assert client.get(page).status_code == 200
        reset_queries()  # the log may hold the migrations' queries: the capture counts from its length
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page)
        html_bytes = len(response.content)
        queries = len(captured.captured_queries)  # now: a later request empties the log it reads
        page_ms = timed(lambda: client.get(page), runs)

        middle = rows[size // 2]["name"]
        save_url = reverse("gates:table_row_save", args=[initiative.slug, KEY, TABLE])
        edit = {f"edit-{TABLE}-{k}": ("True" if v is True else "False" if v is False else v)
                for k, v in rows[size // 2].items()}
        counter = iter(range(10**6))

        def save_row():
            body = {**edit, f"edit-{TABLE}-notes": f"checked {next(counter)}", "original": middle}
            assert client.post(save_url, body, HTTP_HX_REQUEST="true").status_code == 200
        row_save_ms = timed(save_row, runs)

        check_url = reverse("gates:table_row_check", args=[initiative.slug, KEY, TABLE])
        preview_ms = timed(lambda: client.post(check_url, {**edit, "original": middle}), runs)

        import_s = self.import_edited(client, initiative, size)
        started = time.perf_counter()
        build_pdf(initiative, version=0)
        dossier_s = time.perf_counter() - started
        return {"inputs": size, "db": connection.vendor,
                "page_median_ms": round(statistics.median(page_ms), 1),
                "page_p95_ms": round(percentile(page_ms, .95), 1), "queries": queries,
                "html_bytes": html_bytes, "row_save_ms": round(statistics.median(row_save_ms), 1),
                "preview_ms": round(statistics.median(preview_ms), 1), "import_s": round(import_s, 2),
                "dossier_s": round(dossier_s, 2)}

    def import_edited(self, client: Client, initiative, size: int) -> float:
        """Export the inventory, edit a tenth of its rows' notes as a spreadsheet user would, and
        time the import: upload and read, the preview page, the confirm."""
        exported = client.get(reverse("gates:table_xlsx", args=[initiative.slug, KEY, TABLE]))
        book = load_workbook(io.BytesIO(exported.getvalue()))
        sheet = book.active
        header = [cell.value for cell in sheet[1]]
        notes = header.index("Notes") + 1
        for row in range(2, sheet.max_row + 1, 10):
            sheet.cell(row=row, column=notes, value="Edited in the data dictionary")
        out = io.BytesIO()
        book.save(out)
        upload = io.BytesIO(out.getvalue())
        upload.name = "data-dictionary.xlsx"
        started = time.perf_counter()
        response = client.post(reverse("gates:table_import", args=[initiative.slug, KEY, TABLE]), {"file": upload})
        assert response.status_code == 302, response.status_code
        preview = response["Location"]
        assert client.get(preview).status_code == 200
        confirmed = client.post(preview)
        assert confirmed.status_code == 302 and "#import-" in confirmed["Location"], confirmed.status_code
        elapsed = time.perf_counter() - started
        log(f"  imported {size:,} rows ({size // 10 + (size % 10 > 0):,} edited) in {elapsed:.2f} s")
        return elapsed
