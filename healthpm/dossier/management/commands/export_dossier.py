import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from healthpm.dossier.models import Dossier
from healthpm.dossier.services import dossier_export
from healthpm.initiatives.models import Initiative


class Command(BaseCommand):
    help = ("Render an initiative's dossier (signed when it is approved) without Celery, store it as a new "
            "version and copy it to FILE.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", required=True, help="Where to write the PDF.")

    def handle(self, *args, slug, output, **options):
        initiative = Initiative.objects.filter(slug=slug).first()
        if initiative is None:
            raise CommandError(f"No initiative with slug “{slug}”.")
        dossier = dossier_export(initiative=initiative, actor_label="manage.py export_dossier")
        if dossier.state != Dossier.State.DONE:
            raise CommandError(f"Dossier v{dossier.version} of {slug} failed: {dossier.error}")
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        with dossier.file.open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        kind = "signed" if dossier.kind == Dossier.Kind.FINAL else "DRAFT, unsigned"
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {target}: dossier v{dossier.version} of {slug} ({kind}), {dossier.pages} pages, "
            f"{dossier.size} bytes, SHA-256 {dossier.sha256}"
        ))
