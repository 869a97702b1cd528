"""`python manage.py bench_dossier`: how long a dossier takes to render (and sign, when approved).

Without options it renders the demo's sepsis-early-warning `--runs` times and prints the
median and max. With `--inputs 50,500,5000` it also times the dossier with a synthetic input
inventory of each size put in place of the initiative's own, inside a transaction that is
rolled back (nothing is kept), and prints one JSON line per size: `inputs`, `dossier_s`
(median), `cpu_s`, `pages`, `kib`, `attached` (files embedded in the PDF).
`--unapproved-share 0.05` gives that share of the inputs a source system that is not
approved, so the gate's findings are part of what is timed.
"""

import json
import random
import statistics
import time
from io import BytesIO

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from pyhanko.pdf_utils.reader import PdfFileReader

from healthpm.dossier.services import build_pdf
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Gate
from healthpm.initiatives.models import Initiative

NOTES = ("", "Nurse-validated values only",
         "Derived from the hourly flowsheet rows, carried forward up to six hours when missing; values above the "
         "99.9th percentile are capped before scaling.")
UNAPPROVED_SOURCE = "EHR-legacy (bench, not approved)"


def synthetic_inventory(example: dict, sources: list[str], size: int, *, unapproved_share: float,
                        rng: random.Random) -> list[dict]:
    """`size` inputs shaped like the gate's passing example row, spread unevenly over the approved
    sources (the first takes about half), with long and short notes."""
    weights = [len(sources) * 2 if i == 0 else 1 for i in range(len(sources))]
    rows = []
    for i in range(size):
        unapproved = rng.random() < unapproved_share
        rows.append({**example,
                     "name": f"{example['name']}_{i:05d}",
                     "source_system": UNAPPROVED_SOURCE if unapproved else rng.choices(sources, weights)[0],
                     "source_field": f"FEATURE_STORE_{i % 37:02d}.VALUE_{i:05d}_MEASURED_AT_SOURCE",
                     "contains_phi": rng.random() < 0.5,
                     "notes": NOTES[i % len(NOTES)]})
    return rows


def embedded_files(data: bytes) -> list[str]:
    """The names of the files embedded in a PDF (its EmbeddedFiles name tree, one level deep as
    WeasyPrint writes it)."""
    root = PdfFileReader(BytesIO(data), strict=False).root
    names = root["/Names"].get_object() if "/Names" in root else {}
    tree = names["/EmbeddedFiles"].get_object() if "/EmbeddedFiles" in names else {}
    pairs = list(tree["/Names"]) if "/Names" in tree else []
    return [str(name) for name in pairs[::2]]


class Command(BaseCommand):
    help = "Render (and sign, when approved) a dossier several times in memory; print median and max seconds."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--slug", default="sepsis-early-warning")
        parser.add_argument("--inputs", default="",
                            help="comma-separated inventory sizes to time, e.g. 50,500,5000 (rolled back)")
        parser.add_argument("--unapproved-share", type=float, default=0.0)

    def handle(self, *args, runs, slug, inputs, unapproved_share, **options):
        initiative = Initiative.objects.select_related("owner").filter(slug=slug).first()
        if initiative is None:
            raise CommandError(f"No initiative “{slug}”: run `python manage.py seed_demo` first.")
        build_pdf(initiative, version=0)  # warm-up: imports, fonts, the signer's key
        if inputs:
            sizes = [int(size) for size in inputs.split(",") if size.strip()]
            for size in sizes:
                self.stdout.write(json.dumps(self._with_inventory(initiative, size, runs, unapproved_share)))
            return
        timings, cpu, pages, kind = [], [], 0, ""
        for _ in range(max(runs, 1)):
            start, start_cpu = time.perf_counter(), time.process_time()
            built = build_pdf(initiative, version=0)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            pages, kind = built.pages, built.kind
        self.stdout.write(
            f"{slug} ({initiative.get_status_display()}, {kind}): {len(timings)} runs, {pages} pages, "
            f"{len(built.data) // 1024} KiB — median {statistics.median(timings):.2f} s, max {max(timings):.2f} s "
            f"(CPU median {statistics.median(cpu):.2f} s; goal ≤ 2 s)"
        )

    def _with_inventory(self, initiative: Initiative, size: int, runs: int, unapproved_share: float) -> dict:
        ctx = evaluation_context()
        gate = next((g for g in Gate.objects.filter(initiative=initiative)
                     if g.definition.model_card_role == "inputs"), None)
        if gate is None:
            raise CommandError(f"“{initiative.slug}” has no input inventory gate.")
        example = gate.definition.examples(ctx).passing["inputs"][0]
        sources = [name for name, approved in ctx.sources.items() if approved]
        rows = synthetic_inventory(example, sources, size, unapproved_share=unapproved_share, rng=random.Random(size))
        timings, cpu = [], []
        with transaction.atomic():
            Gate.objects.filter(pk=gate.pk).update(data={**gate.data, "inputs": rows})
            for _ in range(max(runs, 1)):
                start, start_cpu = time.perf_counter(), time.process_time()
                built = build_pdf(initiative, version=0)
                timings.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            transaction.set_rollback(True)
        return {"inputs": size, "dossier_s": round(statistics.median(timings), 2),
                "max_s": round(max(timings), 2), "cpu_s": round(statistics.median(cpu), 2), "runs": len(timings),
                "pages": built.pages, "kib": len(built.data) // 1024, "attached": len(embedded_files(built.data)),
                "kind": built.kind}
