"""Requesting, generating and verifying dossiers (SPEC §6)."""

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from healthpm import access
from healthpm.approvals.services import current_signature
from healthpm.audit.services import record
from healthpm.core import claims
from healthpm.core.tasks import enqueue_on_commit
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Gate
from healthpm.initiatives.models import Initiative, Status

from . import model_card, render, signing
from .models import Dossier, SigningCertificate, dossier_upload_to, stored_name

log = logging.getLogger(__name__)


# --- requesting ---------------------------------------------------------------------------
@dataclass
class Request:
    dossier: Dossier
    queued: bool | None = None  # None until the commit hook ran; False when the broker refused

    def record_queued(self, queued: bool) -> None:
        self.queued = queued


def _next_version(initiative: Initiative) -> int:
    return (Dossier.objects.filter(initiative=initiative).aggregate(v=Max("version"))["v"] or 0) + 1


def dossier_request(*, initiative: Initiative, by) -> Request:
    """Create the next version as a pending row and queue its rendering after commit."""
    with transaction.atomic():
        # The row lock serialises version numbers per initiative.
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        access.require_export_dossier(by, initiative)
        dossier = Dossier.objects.create(initiative=initiative, version=_next_version(initiative), requested_by=by,
                                         kind=_kind_for(initiative))
        record("dossier_requested", actor=by, obj=dossier, initiative=initiative,
               after={"version": dossier.version, "initiative_status": initiative.status})
        request = Request(dossier)
        # By name: dossier.tasks imports this module.
        enqueue_on_commit("healthpm.dossier.tasks.generate_dossier", dossier.pk,
                          pending=f"dossier {dossier.pk} stays pending",
                          catch_up="the beat sweeper render_pending_dossiers renders it",
                          on_result=request.record_queued)
    return request


def _kind_for(initiative: Initiative) -> str:
    return Dossier.Kind.FINAL if initiative.status == Status.APPROVED else Dossier.Kind.DRAFT


# --- generating ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BuiltPdf:
    data: bytes
    pages: int
    kind: str
    signature_level: str = ""  # signing.LEVEL_* for a signed version
    certificate: object = None  # the signer's asn1crypto certificate, for a signed version


def build_pdf(initiative: Initiative, *, version: int) -> BuiltPdf:
    """Render the dossier and, when the initiative is approved, sign it. Nothing is stored.

    With a TSA configured the signature is PAdES B-LTA; a TSA or revocation server that does
    not answer raises signing.TimestampUnavailable (the version fails, never a silent B-B).
    """
    final = initiative.status == Status.APPROVED
    # Load the certificate first: a missing certificate should fail before seconds of rendering.
    signer = signing.load_signer() if final else None
    level = signing.signature_level() if signer else ""
    context = render.dossier_context(
        initiative, version=version, final=final, generated_at=timezone.now(),
        certificate=signing.describe(signer.signing_cert) if signer else None, signature_level=level,
    )
    pdf = render.render_pdf(context)
    data = pdf.data
    if signer is not None:
        signature = current_signature(initiative)
        data = signing.sign_pdf(
            data, signer, location=settings.SITE_URL, long_term=level == signing.LEVEL_LTA,
            reason=f"healthpm launch-readiness dossier v{version} of {initiative.slug}: "
                   f"{signature.manifestation if signature else 'approved'}",
        )
    return BuiltPdf(data=data, pages=pdf.pages, kind=Dossier.Kind.FINAL if final else Dossier.Kind.DRAFT,
                    signature_level=level, certificate=signer.signing_cert if signer else None)


class _CompletedFile(File):
    """A finished temp file: FileSystemStorage moves it into place instead of copying chunks."""

    def temporary_file_path(self) -> str:
        return self.file.name


# A row whose worker died this many times is failed instead of being rendered again: a
# document that kills its worker (out of memory) must not loop between workers for ever.
MAX_ATTEMPTS = 3


# Pending rows are claimed outright; running ones only from a dead run (healthpm/core/claims.py).
CLAIMS = claims.Claimable(free=Q(state=Dossier.State.PENDING), held=Q(state=Dossier.State.RUNNING),
                          max_attempts=MAX_ATTEMPTS, token_field="claim", at_field="started_at")


def claim_lease() -> timedelta:
    """A run holding a row longer than the hard time limit is dead: the limit would have killed it."""
    return timedelta(seconds=settings.HEALTHPM_DOSSIER_TIME_LIMIT)


def _claim(dossier_id: int, *, take_over: bool = False) -> str | None:
    """Claim the row for this run; return the run's token, or None when the row is not ours to render.

    1. pending → running with a new random token.
    2. running → running with a new token when the run holding it is dead: the broker
       redelivered the task because its worker process died (take_over), or the run is older
       than the hard time limit, which would have killed it. The dead run's file, if it got
       as far as storing one, is removed; if the dead run was in fact alive, its final UPDATE
       no longer matches its token and it removes its own file.
    3. A row taken over MAX_ATTEMPTS times is marked failed instead.
    """
    claimed = claims.claim(
        Dossier.objects.select_related("initiative"), dossier_id, CLAIMS, lease=claim_lease(), take_over=take_over,
        exhausted=_give_up, state=Dossier.State.RUNNING, error="",
    )
    if claimed is None:
        return None
    dead = claimed.taken_over
    if dead is not None:
        log.warning("dossier %s: taking over from run %s, whose worker stopped", dossier_id, dead.claim or "?")
        if dead.claim:
            dead.file.storage.delete(stored_name(dead, dead.claim))  # no-op when it never got that far
    return claimed.token


def _give_up(row: Dossier, holder: Q) -> None:
    error = (f"The worker generating this version stopped {row.attempts} times before finishing (it was killed, "
             "perhaps out of memory). Request a new version; if that fails too, tell your administrator.")
    with transaction.atomic():
        failed = Dossier.objects.filter(holder, pk=row.pk).update(
            state=Dossier.State.FAILED, error=error, finished_at=timezone.now(), file=""
        )
        if failed:
            record("dossier_failed", obj=row, initiative=row.initiative, actor_label="system",
                   after={"version": row.version, "error": error})
    if failed and row.claim:
        row.file.storage.delete(stored_name(row, row.claim))  # the last dead run's file, if any


def dossier_generate(dossier_id: int, *, take_over: bool = False) -> Dossier | None:
    """Render, sign and store one requested version; safe to run twice, or again after a crash.

    1. Claim the row (_claim); a run that does not get it returns None.
    2. Build the PDF in memory, write it to a temp file, and move it into storage only
       once complete, under a name made from the claim token.
    3. Mark the row done with its SHA-256, size and page count — only if this run still
       holds the claim — or failed with the error. A run that lost its claim removes its
       file and returns None.
    """
    token = _claim(dossier_id, take_over=take_over)
    if token is None:
        return None
    dossier = Dossier.objects.select_related("initiative", "initiative__owner").get(pk=dossier_id)
    initiative = dossier.initiative
    ours = Q(pk=dossier_id, state=Dossier.State.RUNNING, claim=token)
    saved, tmp_path = "", ""
    try:
        built = build_pdf(initiative, version=dossier.version)
        fd, tmp_path = tempfile.mkstemp(prefix="dossier-", suffix=".pdf", dir=settings.FILE_UPLOAD_TEMP_DIR)
        with os.fdopen(fd, "wb") as fh:
            fh.write(built.data)
            fh.flush()
            os.fsync(fh.fileno())
        with open(tmp_path, "rb") as fh:
            saved = dossier.file.storage.save(dossier_upload_to(dossier, "dossier.pdf"), _CompletedFile(fh))
        sha = hashlib.sha256(built.data).hexdigest()
        with transaction.atomic():
            # Recorded before the row is marked done: verification trusts what was recorded.
            certificate = SigningCertificate.record(built.certificate) if built.certificate is not None else None
            done = Dossier.objects.filter(ours).update(
                state=Dossier.State.DONE, kind=built.kind, file=saved, sha256=sha, size=len(built.data),
                pages=built.pages, finished_at=timezone.now(), signature_level=built.signature_level,
                signing_certificate=certificate,
            )
            if not done:
                raise _LostClaim()
            dossier.refresh_from_db()
            after = {"version": dossier.version, "kind": dossier.kind, "sha256": sha,
                     "size": dossier.size, "pages": dossier.pages}
            if certificate is not None:
                after |= {"signature_level": built.signature_level, "certificate": certificate.fingerprint}
            record("dossier_generated", obj=dossier, initiative=initiative, actor_label="system", after=after)
        return dossier
    except _LostClaim:
        log.warning("dossier %s: run %s was taken over by another run; its file is discarded", dossier_id, token)
        dossier.file.storage.delete(saved)
        return None
    except Exception as exc:
        log.exception("dossier %s failed", dossier_id)
        if saved:
            dossier.file.storage.delete(saved)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with transaction.atomic():
            if Dossier.objects.filter(ours).update(
                state=Dossier.State.FAILED, error=error, finished_at=timezone.now(), file=""
            ):
                record("dossier_failed", obj=dossier, initiative=initiative, actor_label="system",
                       after={"version": dossier.version, "error": error})
        dossier.refresh_from_db()
        return dossier
    finally:
        if tmp_path and os.path.exists(tmp_path):
            os.unlink(tmp_path)


class _LostClaim(Exception):
    """This run's row was taken over while it rendered (see _claim)."""


def dossier_export(*, initiative: Initiative, actor_label: str) -> Dossier:
    """Create and generate a version in process (the export_dossier command; no Celery)."""
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        dossier = Dossier.objects.create(initiative=initiative, version=_next_version(initiative),
                                         kind=_kind_for(initiative))
        record("dossier_requested", obj=dossier, initiative=initiative, actor_label=actor_label,
               after={"version": dossier.version, "initiative_status": initiative.status})
    return dossier_generate(dossier.pk) or Dossier.objects.get(pk=dossier.pk)


def record_download(*, dossier: Dossier, by) -> None:
    record("dossier_downloaded", actor=by, obj=dossier, initiative=dossier.initiative,
           after={"version": dossier.version, "sha256": dossier.sha256})


# --- the CHAI model card alone ----------------------------------------------------------------
def model_card_of(initiative: Initiative) -> model_card.ModelCard:
    """The CHAI Applied Model Card of the initiative's current answers, as the dossier embeds it.

    Deterministic: for an approved (locked) initiative it is byte for byte the XML attached to
    its signed dossier. Raises model_card.SchemaUnavailable / ModelCardInvalid.
    """
    data = {gate.key: gate.data for gate in Gate.objects.filter(initiative=initiative).only("key", "data")}
    return model_card.build_model_card(initiative, data, evaluation_context(),
                                       signature=current_signature(initiative))


def record_model_card_download(*, initiative: Initiative, card: model_card.ModelCard, by) -> None:
    record("model_card_downloaded", actor=by, initiative=initiative,
           after={"file": card.filename, "sha256": card.sha256})


# --- verifying ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    ok: bool
    verdict: str  # genuine | draft | altered | untrusted | foreign | unsigned | unknown | unreadable | not_pdf | unavailable
    message: str
    sha256: str = ""
    dossier: Dossier | None = None


def _named(dossier: Dossier) -> str:
    return f"dossier v{dossier.version} of “{dossier.initiative.title}” ({dossier.initiative.slug})"


def dossier_verify(data: bytes) -> Verification:
    """Is data an unmodified dossier issued by this deployment, and which one?

    The signature decides authenticity (intact, whole file, our certificate); the SHA-256
    then names the stored version. Never raises for bad input: every file gets an answer.
    """
    sha = hashlib.sha256(data).hexdigest()
    if b"%PDF-" not in data[:1024]:
        return Verification(False, "not_pdf", "This file is not a PDF, so it cannot be a healthpm dossier.", sha)
    match = (Dossier.objects.filter(sha256=sha, state=Dossier.State.DONE)
             .select_related("initiative").order_by("pk").first())
    our_certs, unavailable = our_certificates()
    try:
        if not our_certs and signing.has_signatures(data):
            return Verification(False, "unavailable", f"Signed PDFs cannot be checked right now: {unavailable}", sha)
        check = signing.check_signature(data, our_certs) if our_certs else signing.SignatureCheck(signed=False)
    except signing.SigningUnavailable as exc:  # an unreadable HEALTHPM_SIGNING_TRUST_ROOTS
        return Verification(False, "unavailable", f"Signed PDFs cannot be checked right now: {exc}", sha)
    except Exception as exc:  # a PDF so damaged its structure or signature cannot be parsed
        log.info("verification could not read %s: %s", sha, exc)
        if b"/ByteRange" in data:
            return Verification(False, "altered",
                                "This PDF was altered or damaged after it was signed: its structure or signature "
                                "can no longer be read, so it is not a valid dossier of this deployment.", sha)
        return Verification(False, "unreadable",
                            "This PDF cannot be read: it is damaged or not a standard PDF, and it carries no "
                            "digital signature of this deployment. It is not a dossier issued here.", sha)

    if not check.signed:
        if match is not None and match.kind == Dossier.Kind.DRAFT:
            return Verification(False, "draft",
                                f"This is an unsigned DRAFT issued by this deployment: {_named(match)}, generated "
                                f"{match.finished_at:%Y-%m-%d %H:%M} UTC. It is not a signed dossier and is not "
                                "evidence of a launch approval.", sha, match)
        return Verification(False, "unsigned",
                            "This PDF has no digital signature and matches no dossier issued here: it is not a "
                            "dossier issued by this deployment.", sha)
    if not check.ours:
        return Verification(False, "foreign",
                            f"This PDF is signed by “{check.signer}”, not with this deployment's certificate: it is "
                            "not a dossier issued by this deployment.", sha)
    if check.altered:
        return Verification(False, "altered",
                            f"This file was altered after it was signed ({check.problem}). Do not rely on it: "
                            "download the dossier again from healthpm.", sha)
    if not check.genuine:
        return Verification(False, "untrusted",
                            f"The file is unchanged, but {check.problem}: it cannot be accepted as a valid dossier.", sha)
    if match is None:
        return Verification(False, "unknown",
                            "The signature is intact and was made with this deployment's certificate, but no stored "
                            "dossier has this SHA-256, so it cannot be named. Ask an administrator.", sha)
    return Verification(True, "genuine",
                        f"Genuine: an unmodified, digitally signed {_named(match)}, issued by this deployment on "
                        f"{match.finished_at:%Y-%m-%d %H:%M} UTC. {_level_note(check)}", sha, match)


def _level_note(check: signing.SignatureCheck) -> str:
    if check.timestamp is None:
        return (f"Signature level {signing.LEVEL_BB}: no trusted timestamp, so it stays verifiable only while the "
                "signing certificate is valid.")
    note = f"Signature level {check.level}, timestamped {check.timestamp:%Y-%m-%d %H:%M} UTC by a trusted TSA"
    if check.as_of_timestamp:
        note += ("; the signing certificate no longer validates today (expired, revoked, or its revocation data "
                 "is out of date) but was valid at that time, which is what counts for a timestamped signature")
    return note + "."


def our_certificates() -> tuple[list, str]:
    """Every certificate this deployment has signed with (recorded at signing), plus the current one.

    Returns (certificates, why the current one is unavailable or "").
    """
    certs = [row.certificate() for row in SigningCertificate.objects.order_by("pk")]
    try:
        current = signing.load_signer().signing_cert
    except signing.SigningUnavailable as exc:
        return certs, str(exc)
    if all(cert.dump() != current.dump() for cert in certs):
        certs.append(current)
    return certs, ""


def record_verification(result: Verification, *, by=None, actor_label: str = "") -> None:
    """Audit a verification. A signed-in user's (web page, API) goes through
    verify_limits.record_user_verification: the first of a (user, file, verdict) is written at
    once, repeats within ten minutes become one aggregated event (its docstring says why). A
    command-line verification (`by` None) is always written: each run is its own process, whose
    in-memory cache would forget a count when it exits."""
    from .verify_limits import record_user_verification

    if by is not None:
        record_user_verification(result, by=by)
        return
    record("dossier_verified", actor=by, actor_label=actor_label, obj=result.dossier,
           initiative=result.dossier.initiative if result.dossier else None,
           after={"verdict": result.verdict, "sha256": result.sha256})
