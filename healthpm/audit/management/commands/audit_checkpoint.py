from django.core.management.base import BaseCommand, CommandError

from healthpm.audit.checkpoints import checkpoint_write
from healthpm.dossier.signing import SigningUnavailable


class Command(BaseCommand):
    help = ("Write the audit chain's head (newest event, its SHA-256, the event count) into a new signed "
            "checkpoint in HEALTHPM_AUDIT_CHECKPOINT_DIR, as the daily beat task does.")

    def handle(self, *args, **options):
        try:
            checkpoint = checkpoint_write(actor_label="manage.py audit_checkpoint")
        except SigningUnavailable as exc:
            raise CommandError(f"No checkpoint written: {exc}") from exc
        head = checkpoint.head
        self.stdout.write(self.style.SUCCESS(
            f"Audit checkpoint written: {checkpoint.path}\n  {head.count} events, newest #{head.id} "
            f"SHA-256 {head.hash}\n  file SHA-256 {checkpoint.sha256}"
        ))
