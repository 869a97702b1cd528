import sys

from django.core.management.base import BaseCommand

from healthpm.audit import anchors
from healthpm.audit.models import AuditEvent
from healthpm.audit.services import verify_chain
from healthpm.dossier import signing


class Command(BaseCommand):
    help = ("Check the audit trail's hash chain. Exit 0 when intact, 1 at the first broken event. With --anchors, "
            "also check the chain against every stored dossier and audit checkpoint (or the files given): a "
            "rewrite or truncation before an anchor exits 1 naming it.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchors", nargs="*", metavar="FILE", default=None,
            help="Check anchors: with no FILE, every PDF in the dossiers storage and in "
                 "HEALTHPM_AUDIT_CHECKPOINT_DIR; otherwise only the files given.")

    def handle(self, *args, **options):
        files: list[str] | None = options["anchors"]
        checked, broken = verify_chain()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
        else:
            event = AuditEvent.objects.get(pk=broken.event_id)
            self.stderr.write(
                f"Audit chain BROKEN at event #{event.pk} ({event.action} {event.object_repr!r} "
                f"at {event.created_at.isoformat()}): {broken.problem}. {checked} events before it are intact."
            )
        if files is None:
            if broken is not None:
                sys.exit(1)
            return
        anchors_ok = self.check_anchors(files)
        if broken is not None or not anchors_ok:
            sys.exit(1)

    def check_anchors(self, paths: list[str]) -> bool:
        """Check each anchor file against the chain and report; True when none failed."""
        files = anchors.given(paths) if paths else [*anchors.stored_dossiers(), *anchors.stored_checkpoints()]
        try:
            our_cert = signing.load_signer().signing_cert
        except signing.SigningUnavailable as exc:
            self.stderr.write(f"Anchors cannot be checked: {exc}")
            return False
        count = AuditEvent.objects.count()
        results = [anchors.check_file(f, our_cert=our_cert, chain_count=count) for f in files]
        for result in results:
            line = f"  {result.status:<9} {result.label}: {result.message}"
            (self.stderr if result.failed else self.stdout).write(line)

        failed = [r for r in results if r.failed]
        held = [r for r in results if r.status == anchors.OK]
        without = len(results) - len(failed) - len(held)
        where = "given" if paths else f"in the dossiers storage and {anchors.checkpoint_dir()}"
        summary = f"Anchors: {len(held) + len(failed)} checked, {without} file(s) without an anchor ({where})."
        newest = anchors.newest(results)
        if newest is not None:
            head = newest.anchor.head
            summary += (f" Newest anchor: {newest.label}, event #{head.id} of {head.count}; "
                        f"changes after event #{head.id} are covered by no anchor.")
        elif not failed:
            summary += " No anchor holds: the chain is checked only against itself."
        if failed:
            self.stderr.write(f"{summary}\nANCHORS FAILED: {len(failed)} — "
                              + "; ".join(f"{r.label} ({r.status})" for r in failed))
            return False
        self.stdout.write(self.style.SUCCESS(summary))
        return True
