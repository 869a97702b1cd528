from django.core.management.base import BaseCommand, CommandError

from healthpm.dossier import signing


class Command(BaseCommand):
    help = ("Create the demo's self-signed dossier signing certificate (RSA 3072, 5 years) as PKCS#12 at "
            "HEALTHPM_SIGNING_P12, protected by HEALTHPM_SIGNING_PASSPHRASE.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Replace an existing certificate.")
        parser.add_argument("--if-missing", action="store_true",
                            help="Do nothing (exit 0) when the certificate already exists (make run).")

    def handle(self, *args, force=False, if_missing=False, **options):
        path = signing.p12_path()
        if path.exists() and not force:
            if if_missing:
                self.stdout.write(f"Signing certificate present: {path}")
                return
            raise CommandError(
                f"{path} already exists. Dossiers signed with it verify only against it: "
                "use --force to replace it anyway."
            )
        try:
            secret = signing.passphrase()
        except signing.SigningUnavailable as exc:
            raise CommandError(str(exc)) from exc
        cert = signing.make_certificate(path, secret=secret)
        fingerprint = cert.fingerprint(signing.hashes.SHA256()).hex()
        self.stdout.write(self.style.SUCCESS(
            f"Created {path}\n  subject: {cert.subject.rfc4514_string()}\n  valid until: "
            f"{cert.not_valid_after_utc:%Y-%m-%d}\n  SHA-256 fingerprint: {fingerprint}"
        ))
