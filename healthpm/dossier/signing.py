"""The deployment's signing certificate: creating it, signing a dossier, checking a signature.

The PKCS#12 file and its passphrase come from settings (HEALTHPM_SIGNING_P12,
HEALTHPM_SIGNING_PASSPHRASE / _FILE). The demo creates a self-signed certificate with
`manage.py make_signing_cert`; a real deployment points the settings at a certificate its
PKI issued. Signatures are PAdES (ETSI.CAdES.detached) with SHA-256, made by pyHanko.
"""

import asyncio
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from io import BytesIO
from pathlib import Path

import aiohttp
from asn1crypto import pem as asn1_pem
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
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import (DSSContentSettings, SigDSSPlacementPreference,
                                             TimestampDSSContentSettings)
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.errors import NoDSSFoundError, ValidationInfoReadingError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError

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


# --- signature levels ---------------------------------------------------------------------
LEVEL_BB = "PAdES B-B"
LEVEL_LTA = "PAdES B-LTA"


class TimestampUnavailable(SigningUnavailable):
    """The time-stamping authority did not answer, or its answer (or our chain) could not be validated."""


def tsa_url() -> str:
    return (getattr(settings, "HEALTHPM_TSA_URL", "") or "").strip()


def signature_level() -> str:
    """The level sign_pdf produces with the current settings: B-LTA with a TSA, B-B without."""
    return LEVEL_LTA if tsa_url() else LEVEL_BB


def timestamper() -> HTTPTimeStamper | None:
    url = tsa_url()
    if not url:
        return None
    username = getattr(settings, "HEALTHPM_TSA_USERNAME", "") or ""
    password = getattr(settings, "HEALTHPM_TSA_PASSWORD", "") or ""
    auth = (username, password) if username else None
    return HTTPTimeStamper(url, auth=auth, timeout=getattr(settings, "HEALTHPM_TSA_TIMEOUT", 10))


def configured_trust_roots() -> list[asn1_x509.Certificate]:
    """Every certificate in the PEM (or DER) files named by HEALTHPM_SIGNING_TRUST_ROOTS.

    The deployment's PKI roots: its signing certificates and its TSA's must chain to one of them.
    """
    roots: list[asn1_x509.Certificate] = []
    for name in getattr(settings, "HEALTHPM_SIGNING_TRUST_ROOTS", []) or []:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningUnavailable(
                f"The trust roots file {path} (HEALTHPM_SIGNING_TRUST_ROOTS) cannot be read: {exc.strerror or exc}."
            ) from exc
        if asn1_pem.detect(data):
            blocks = asn1_pem.unarmor(data, multiple=True)
            roots.extend(asn1_x509.Certificate.load(der) for _type, _headers, der in blocks)
        else:
            roots.append(asn1_x509.Certificate.load(data))
    return roots


def is_self_signed(cert: asn1_x509.Certificate) -> bool:
    return cert.subject == cert.issuer


def trust_roots_for(certs: Iterable[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
    """The configured PKI roots plus every self-signed certificate among certs (the demo's is its own root).

    A certificate issued by a PKI is never its own trust anchor: it must chain to a configured
    root, so its expiry and revocation are checked like any other.
    """
    roots = configured_trust_roots()
    seen = {root.dump() for root in roots}
    for cert in certs:
        if is_self_signed(cert) and cert.dump() not in seen:
            roots.append(cert)
            seen.add(cert.dump())
    return roots


# --- signing ----------------------------------------------------------------------------
def sign_pdf(pdf: bytes, signer: signers.SimpleSigner, *, reason: str, location: str = "",
             long_term: bool | None = None) -> bytes:
    """Append a PAdES signature covering the whole of pdf (an invisible field named "healthpm").

    Without a TSA (or with long_term=False) the signature is B-B. With HEALTHPM_TSA_URL set it is
    B-LTA, in the order ETSI EN 319 142-1 describes:
    1. the CMS signature gets an RFC 3161 signature timestamp from the TSA (B-T);
    2. the certificates, OCSP responses and CRLs of the signer's and the TSA's chains are
       fetched now, while they still answer, and stored in the document's DSS (B-LT);
    3. a document timestamp over the whole file is appended (B-LTA), so the validation data
       is itself covered by a trusted time.
    A TSA, OCSP responder or CRL that does not answer raises TimestampUnavailable: the caller
    fails the dossier rather than quietly issuing a B-B signature.
    """
    stamper = timestamper() if long_term is not False else None
    if long_term and stamper is None:
        raise TimestampUnavailable("A long-term signature needs a time-stamping authority: set HEALTHPM_TSA_URL.")
    certs = [signer.signing_cert, *signer.cert_registry]
    extra = {}
    if stamper is not None:
        extra = dict(
            embed_validation_info=True,
            use_pades_lta=True,
            timestamp_field_name=f"{FIELD_NAME}-timestamp",
            # All validation data (the signer's and the TSA's) goes in with the document
            # timestamp, so the timestamp is the last revision and covers the entire file:
            # check_signature accepts nothing after it.
            dss_settings=DSSContentSettings(
                include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_NEXT_TS,
                next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True),
            ),
            validation_context=ValidationContext(
                trust_roots=trust_roots_for([signer.signing_cert]), other_certs=list(signer.cert_registry),
                allow_fetching=True, revocation_mode="hard-fail",
            ),
        )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
        **extra,
    )
    out = BytesIO()
    try:
        signers.PdfSigner(meta, signer=signer, timestamper=stamper).sign_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf), strict=False), output=out,
            bytes_reserved=_reserved_hex_digits(certs, timestamped=stamper is not None),
        )
    except (TimestampRequestError, ValidationInfoReadingError, PathError, ValidationError,
            SigningError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        if stamper is None:
            raise
        detail = f"{type(exc).__name__}: {exc or 'no answer'}"
        if exc.__cause__ is not None and str(exc.__cause__):
            detail += f" ({str(exc.__cause__)[:300]})"
        if isinstance(exc, (TimestampRequestError, aiohttp.ClientError, asyncio.TimeoutError)):
            what = f"The time-stamping authority {tsa_url()} did not give a timestamp"
        else:
            what = ("The validation data for the long-term signature (the OCSP/CRL answers for the signing and the "
                    f"TSA's certificates, with {tsa_url()} as TSA) could not be gathered")
        raise TimestampUnavailable(
            f"{what}: {detail}. No signature without a trusted timestamp is issued instead. Check that the TSA "
            "(HEALTHPM_TSA_URL) and the OCSP/CRL servers named in the certificates answer, and that the signing and "
            "the TSA's certificates chain to HEALTHPM_SIGNING_TRUST_ROOTS; then request a new version."
        ) from exc
    return out.getvalue()


def _reserved_hex_digits(certs: list[asn1_x509.Certificate], *, timestamped: bool) -> int:
    """Room for the CMS blob in /Contents (hex digits), sized from the certificates it embeds.

    Saying it up front spares pyHanko a dry-run signature to measure it (a fifth of a second).
    A signature timestamp token carries the TSA's certificates: 12 KB covers a chain of three.
    """
    return 2 * (3072 + sum(len(cert.dump()) for cert in certs) + (12288 if timestamped else 0))


# --- checking ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of a PDF says, before any database lookup."""

    signed: bool
    ours: bool = False  # made with one of this deployment's certificates
    intact: bool = False  # the signed bytes hash to what was signed
    whole_file: bool = False  # nothing was appended after signing (but a DSS and document timestamp)
    trusted: bool = False  # the certificate was valid and fit for signing (now, or at the timestamp)
    signer: str = ""
    problem: str = ""
    level: str = ""  # LEVEL_BB or LEVEL_LTA (a trusted signature timestamp and a document timestamp)
    timestamp: datetime | None = None  # the trusted signature timestamp's time, if any
    as_of_timestamp: bool = False  # trusted only as of the timestamp (the certificate expired or was revoked since)
    fingerprint: str = ""  # SHA-256 of the signer certificate

    @property
    def genuine(self) -> bool:
        return self.signed and self.ours and self.intact and self.whole_file and self.trusted

    @property
    def altered(self) -> bool:
        return self.signed and self.ours and not (self.intact and self.whole_file)


def has_signatures(data: bytes) -> bool:
    return bool(PdfFileReader(BytesIO(data), strict=False).embedded_signatures)


def fingerprint(cert: asn1_x509.Certificate) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


def check_signature(data: bytes, our_certs: asn1_x509.Certificate | Iterable[asn1_x509.Certificate], *,
                    trust_roots: list[asn1_x509.Certificate] | None = None) -> SignatureCheck:
    """Read the PDF's signatures and validate the last one against our certificates.

    our_certs is one certificate or every certificate this deployment has signed with
    (rotation: old dossiers keep verifying). trust_roots defaults to the configured PKI roots
    plus our self-signed certificates.

    1. No signature: `signed=False` (a draft, or a PDF from elsewhere).
    2. A signer certificate that is not one of ours: `ours=False`, whatever else holds.
    3. pyHanko recomputes the digest (intact) and checks the CMS signature (valid).
    4. Whole file: the signature covers the entire file, or (B-LTA) every later revision only
       adds validation data and a document timestamp — pyHanko's difference analysis says
       LTA_UPDATES — and the last document timestamp is intact and covers the entire file.
       Anything else appended is "altered".
    5. Trust: the signer's chain validates now, with the validation data embedded in the
       document; failing that (the certificate expired or was revoked since), a signature
       timestamp that itself validates lets the chain be validated as of the timestamp's time.

    Raises ValueError when the bytes cannot be read as a PDF at all.
    """
    ours_list = [our_certs] if isinstance(our_certs, asn1_x509.Certificate) else list(our_certs)
    reader = PdfFileReader(BytesIO(data), strict=False)
    regular = reader.embedded_regular_signatures
    if not regular:
        return SignatureCheck(signed=False)  # unsigned, or only a document timestamp: not a signed dossier
    embedded = regular[-1]
    cert = embedded.signer_cert
    signer = cert.subject.human_friendly if cert is not None else "an unknown signer"
    ours = {c.dump() for c in ours_list}
    if cert is None or cert.dump() not in ours:
        return SignatureCheck(signed=True, ours=False, signer=signer,
                              problem="it was signed with a certificate that is not this deployment's")
    roots = trust_roots if trust_roots is not None else trust_roots_for(ours_list)
    kwargs = dict(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    dss = _read_dss(reader)
    # The document timestamp first: when it covers the file, it proves the signature and its
    # timestamp existed at its time, so the signature timestamp's chain is checked as of then.
    stamped_at = _last_document_timestamp(reader, dss, kwargs)
    ts_context = _context(dss, {**kwargs, "moment": stamped_at}) if stamped_at else _context(dss, kwargs, revinfo=False)
    # The signer as of now from the certificates alone (the embedded OCSP/CRLs are stale by
    # then and a B-B file has none: revocation is soft-fail, as it always was).
    status = validate_pdf_signature(embedded, signer_validation_context=_context(dss, kwargs, revinfo=False),
                                    ts_validation_context=ts_context)
    intact = bool(status.intact and status.valid)
    whole = _nothing_else_appended(status, stamped_at)
    stamp = status.timestamp_validity
    timestamp = stamp.timestamp if stamp is not None and stamp.intact and stamp.valid and stamp.trusted else None
    # A self-signed certificate is its own trust anchor, and a validator does not check an
    # anchor's validity period: checked here for every certificate.
    valid_now = bool(status.trusted) and _valid_at(cert, datetime.now(dt_timezone.utc))
    trusted, as_of_timestamp, judged = valid_now, False, status
    if intact and timestamp is not None:
        # Proof of existence: the signature existed at its timestamp's time, so the certificate
        # has to have been valid (unexpired, unrevoked) then, by the OCSP/CRLs embedded at
        # signing; expiry or revocation since does not matter.
        judged = validate_pdf_signature(embedded, skip_diff=True,
                                        signer_validation_context=_context(dss, {**kwargs, "moment": timestamp}))
        trusted = bool(judged.intact and judged.valid and judged.trusted) and _valid_at(cert, timestamp)
        as_of_timestamp = trusted and not valid_now
    problem = ""
    if not intact:
        problem = "the signed content does not match its signature"
    elif not whole:
        problem = "content was added to the file after it was signed"
    elif not trusted:
        problem = _trust_problem(judged, timestamp)
    return SignatureCheck(signed=True, ours=True, intact=intact, whole_file=whole, trusted=trusted, signer=signer,
                          problem=problem, level=LEVEL_LTA if stamped_at and timestamp else LEVEL_BB,
                          timestamp=timestamp, as_of_timestamp=as_of_timestamp, fingerprint=fingerprint(cert))


def _valid_at(cert: asn1_x509.Certificate, moment: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= moment <= validity["not_after"].native


def _read_dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None


def _context(dss: DocumentSecurityStore | None, kwargs: dict, *, revinfo: bool = True) -> ValidationContext:
    """A fresh validation context (they cache what they validated) with the document's embedded
    certificates and, with revinfo, its OCSP responses and CRLs: a B-LT dossier validates
    without network access. Without revinfo (a time long after they were fetched, when they
    are stale), revocation is soft-fail, as for a B-B signature."""
    if dss is None:
        return ValidationContext(**kwargs)
    if revinfo:
        return dss.as_validation_context(kwargs)
    return ValidationContext(other_certs=list(dss.load_certs()), **kwargs)


def _last_document_timestamp(reader: PdfFileReader, dss, kwargs: dict) -> datetime | None:
    """The time of the last document timestamp, when it is intact, trusted and covers the entire file."""
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        return None
    status = validate_pdf_timestamp(stamps[-1], validation_context=_context(dss, kwargs, revinfo=False),
                                    skip_diff=True)
    if status.intact and status.valid and status.trusted and status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return status.timestamp
    return None


def _nothing_else_appended(status, stamped_at: datetime | None) -> bool:
    """The signature covers the whole file; or (B-LTA) pyHanko's difference analysis finds only
    validation data and timestamps added after it (LTA_UPDATES), and a trusted document timestamp
    covers the entire file, so nothing follows that either."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return (stamped_at is not None and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and status.modification_level is not None and status.modification_level <= ModificationLevel.LTA_UPDATES)


def _trust_problem(status, timestamp: datetime | None) -> str:
    cert = status.signing_cert
    not_after = cert["tbs_certificate"]["validity"]["not_after"].native
    now = datetime.now(dt_timezone.utc)
    if status.revocation_details is not None:
        why = f"the signing certificate was revoked on {status.revocation_details.revocation_date:%Y-%m-%d}"
    elif not_after < now:
        why = f"the signing certificate expired on {not_after:%Y-%m-%d}"
    else:
        return ("the signing certificate is not valid (it does not chain to a trusted root, is revoked, or is not "
                "usable for signing)")
    if timestamp is None:
        return (f"{why}, and the signature carries no trusted timestamp (PAdES B-B) that would prove it was made "
                "while the certificate was valid")
    return f"{why}, and it was not valid at the signature's timestamp ({timestamp:%Y-%m-%d %H:%M} UTC) either"
