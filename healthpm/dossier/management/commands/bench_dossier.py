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
        timings, pages, kind = [], 0, ""
        for _ in range(max(runs, 1)):
            start = time.perf_counter()
            built = build_pdf(initiative, version=0)
            timings.append(time.perf_counter() - start)
            pages, kind = built.pages, built.kind
        self.stdout.write(
            f"{slug} ({initiative.get_status_display()}, {kind}): {len(timings)} runs, {pages} pages, "
            f"{len(built.data) // 1024} KiB — median {statistics.median(timings):.2f} s, max {max(timings):.2f} s "
            f"(goal ≤ 2 s)"
        )
