import sys

from django.core.management.base import BaseCommand

from healthpm.audit.models import AuditEvent
from healthpm.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain. Exit 0 when intact, 1 at the first broken event."

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
            return
        event = AuditEvent.objects.get(pk=broken.event_id)
        self.stderr.write(
            f"Audit chain BROKEN at event #{event.pk} ({event.action} {event.object_repr!r} "
            f"at {event.created_at.isoformat()}): {broken.problem}. {checked} events before it are intact."
        )
        sys.exit(1)
