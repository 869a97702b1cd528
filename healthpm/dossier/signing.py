"""The deployment's signing certificate: creating it, signing a dossier, checking a signature.

The PKCS#12 file and its passphrase come from settings (HEALTHPM_SIGNING_P12,
HEALTHPM_SIGNING_PASSPHRASE / _FILE). The demo creates a self-signed certificate with
`manage.py make_signing_cert`; a real deployment points the settings at a certificate its
PKI issued. Signatures are PAdES (ETSI.CAdES.detached) with SHA-256, made by pyHanko.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

FIELD_NAME = "healthpm"
DEMO_COMMON_NAME = "healthpm dossier signing (demo)"


class SigningUnavailable(RuntimeError):
    """The certificate or its passphrase is missing or wrong; the message says what to do."""


def p12_path() -> Path:
    return Path(settings.HEALTHPM_SIGNING_P12)


def passphrase() -> bytes:
    value = settings.HEALTHPM_SIGNING_PASSPHRASE
    if not value:
        raise SigningUnavailable(
            "No signing passphrase is configured: set HEALTHPM_SIGNING_PASSPHRASE "
            "(or HEALTHPM_SIGNING_PASSPHRASE_FILE)."
        )
    return value.encode()


def make_certificate(path: Path, *, secret: bytes, common_name: str = DEMO_COMMON_NAME, years: int = 5) -> x509.Certificate:
    """Write a self-signed RSA-3072 signing certificate and its key as PKCS#12 at path."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "healthpm"),
    ])
    now = datetime.now(dt_timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years + years // 4))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        name=common_name.encode(), key=key, cert=cert, cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(secret),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written owner-only: the file holds the private key.
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.touch(mode=0o600)
    tmp.write_bytes(data)
    tmp.replace(path)
    return cert


# Opening the PKCS#12 runs its key derivation; a worker keeps the signer until the file changes.
_signer_cache: dict[tuple, signers.SimpleSigner] = {}


def load_signer() -> signers.SimpleSigner:
    path = p12_path()
    if not path.exists():
        raise SigningUnavailable(
            f"The signing certificate {path} does not exist: run `python manage.py make_signing_cert` "
            "(demo) or set HEALTHPM_SIGNING_P12 to the deployment's PKCS#12 file."
        )
    secret = passphrase()
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, secret)
    signer = _signer_cache.get(key)
    if signer is None:
        try:
            signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(path), passphrase=secret)
        except (ValueError, OSError) as exc:
            raise SigningUnavailable(
                f"The signing certificate {path} could not be opened: check HEALTHPM_SIGNING_PASSPHRASE."
            ) from exc
        _signer_cache.clear()
        _signer_cache[key] = signer
    return signer


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    fingerprint: str  # SHA-256 of the DER certificate, hex
    not_after: datetime


def describe(cert: asn1_x509.Certificate) -> CertificateInfo:
    return CertificateInfo(
        subject=cert.subject.human_friendly,
        fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
        not_after=cert["tbs_certificate"]["validity"]["not_after"].native,
    )


def sign_pdf(pdf: bytes, signer: signers.SimpleSigner, *, reason: str, location: str = "") -> bytes:
    """Append a PAdES signature covering the whole of pdf (an invisible field named "healthpm")."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
    )
    out = BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf), strict=False), output=out, bytes_reserved=_reserved_hex_digits(signer),
    )
    return out.getvalue()


def _reserved_hex_digits(signer: signers.SimpleSigner) -> int:
    """Room for the CMS blob in /Contents (hex digits), sized from the certificates it embeds.

    Saying it up front spares pyHanko a dry-run signature to measure it (a fifth of a second).
    """
    certs = [signer.signing_cert, *signer.cert_registry]
    return 2 * (3072 + sum(len(cert.dump()) for cert in certs))


# --- checking ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of a PDF says, before any database lookup."""

    signed: bool
    ours: bool = False  # made with this deployment's certificate
    intact: bool = False  # the signed bytes hash to what was signed
    whole_file: bool = False  # nothing was appended after signing
    trusted: bool = False  # the certificate was valid and fit for signing
    signer: str = ""
    problem: str = ""

    @property
    def genuine(self) -> bool:
        return self.signed and self.ours and self.intact and self.whole_file and self.trusted

    @property
    def altered(self) -> bool:
        return self.signed and self.ours and not (self.intact and self.whole_file)


def has_signatures(data: bytes) -> bool:
    return bool(PdfFileReader(BytesIO(data), strict=False).embedded_signatures)


def check_signature(data: bytes, our_cert: asn1_x509.Certificate) -> SignatureCheck:
    """Read the PDF's signatures and validate the last one against our certificate as trust root.

    1. No signature field: `signed=False` (a draft, or a PDF from elsewhere).
    2. A signer other than our certificate: `ours=False`, whatever else holds.
    3. pyHanko recomputes the digest (intact), checks the CMS signature (valid) and that the
       signed byte range is the entire file (no incremental update appended afterwards).

    Raises ValueError when the bytes cannot be read as a PDF at all.
    """
    reader = PdfFileReader(BytesIO(data), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return SignatureCheck(signed=False)
    embedded = signatures[-1]
    cert = embedded.signer_cert
    signer = cert.subject.human_friendly if cert is not None else "an unknown signer"
    if cert is None or cert.dump() != our_cert.dump():
        return SignatureCheck(signed=True, ours=False, signer=signer,
                              problem="it was signed with a certificate that is not this deployment's")
    context = ValidationContext(trust_roots=[our_cert], allow_fetching=False, revocation_mode="soft-fail")
    status = validate_pdf_signature(embedded, signer_validation_context=context)
    intact = bool(status.intact and status.valid)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    problem = ""
    if not intact:
        problem = "the signed content does not match its signature"
    elif not whole:
        problem = "content was added to the file after it was signed"
    elif not status.trusted:
        problem = "the signing certificate is not valid (expired or not usable for signing)"
    return SignatureCheck(signed=True, ours=True, intact=intact, whole_file=whole, trusted=bool(status.trusted),
                          signer=signer, problem=problem)
