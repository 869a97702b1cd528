import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from healthpm.dossier.services import dossier_verify, record_verification


class Command(BaseCommand):
    help = "Exit 0 only when FILE is an unmodified signed dossier issued by this deployment; else exit 1 with the reason."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.stderr.write(f"Cannot read {path}: {exc.strerror or exc}")
            sys.exit(1)
        result = dossier_verify(data)
        record_verification(result, actor_label="manage.py verify_dossier")
        if result.ok:
            self.stdout.write(self.style.SUCCESS(result.message))
            self.stdout.write(f"SHA-256 {result.sha256}")
            return
        self.stderr.write(f"NOT VERIFIED ({result.verdict}): {result.message}")
        self.stderr.write(f"SHA-256 {result.sha256}")
        sys.exit(1)
