import statistics
import time

from django.core.management.base import BaseCommand, CommandError

from healthpm.dossier.services import build_pdf
from healthpm.initiatives.models import Initiative


class Command(BaseCommand):
    help = "Render (and sign, when approved) a dossier several times in memory; print median and max seconds."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--slug", default="sepsis-early-warning")

    def handle(self, *args, runs, slug, **options):
        initiative = Initiative.objects.select_related("owner").filter(slug=slug).first()
        if initiative is None:
            raise CommandError(f"No initiative “{slug}”: run `python manage.py seed_demo` first.")
        build_pdf(initiative, version=0)  # warm-up: imports, fonts, the signer's key
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
