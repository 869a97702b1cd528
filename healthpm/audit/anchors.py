"""Audit anchors: the chain's head kept outside the database, in files this deployment signed.

The hash chain (services.verify_chain) catches an event changed, removed or reordered on its
own. It cannot catch someone who owns the table rewriting it consistently (change an old
event, recompute every later hash with healthpm.lib.hashing) or cutting off the newest
events: the shortened or rewritten chain is as self-consistent as the real one. An anchor
is a signed file that recorded, when it was made, the newest event's id and full SHA-256
and the number of events. Two kinds:

- every dossier (healthpm/dossier/render.py stamps it before signing, so the signature
  covers it; drafts carry it too, but unsigned it proves nothing);
- an audit checkpoint, a small signed PDF written daily into HEALTHPM_AUDIT_CHECKPOINT_DIR
  (healthpm/audit/checkpoints.py), storage the database's owner need not reach.

`check_file` compares one file with the chain as it is now:
1. the signature was made with this deployment's certificate and covers the whole file;
2. the anchored event still exists with the same hash (a rewrite of it or of anything
   before it changes that hash);
3. the chain still holds at least the anchored number of events (truncation);
4. the event that recorded issuing the file (dossier_generated, audit_checkpoint_written,
   with the file's SHA-256) is still on the chain after the head: cutting off only that
   newest event is caught too.
What no anchor covers is documented in docs/SECURITY.md: anything after the newest
anchor's head, and an attacker who also holds the signing key and the anchor storage.
"""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pikepdf
import pydyf
from django.conf import settings
from django.core.files.storage import default_storage

from healthpm.dossier import signing

from .models import AuditEvent
from .services import ChainHead

# Document information keys (custom entries; PDF readers show them as document properties).
INFO_KIND = "healthpmAnchor"  # "dossier" or "checkpoint"
INFO_HEAD_ID = "healthpmAuditHeadId"
INFO_HEAD_HASH = "healthpmAuditHeadHash"
INFO_COUNT = "healthpmAuditCount"
INFO_INITIATIVE = "healthpmInitiative"  # a dossier's initiative slug
INFO_VERSION = "healthpmDossierVersion"
INFO_CHECKPOINT_AT = "healthpmAuditCheckpointAt"  # a checkpoint's time, ISO 8601 UTC

DOSSIER, CHECKPOINT = "dossier", "checkpoint"
# The event recording that an anchor file was issued; its `after` holds the file's SHA-256.
ISSUED_BY = {DOSSIER: "dossier_generated", CHECKPOINT: "audit_checkpoint_written"}
DOSSIER_PREFIX = "dossiers"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def stamp(pdf, head: ChainHead, *, kind: str, **extra: str) -> None:
    """Write the head into a PDF's document information while WeasyPrint writes it (a finisher).

    pdf is WeasyPrint's pydyf document; values are strings, read back by `read_anchor`.
    """
    entries = {INFO_KIND: kind, INFO_HEAD_ID: str(head.id), INFO_HEAD_HASH: head.hash,
               INFO_COUNT: str(head.count), **extra}
    for key, value in entries.items():
        pdf.info[key] = pydyf.String(value)


@dataclass(frozen=True)
class Anchor:
    kind: str
    head: ChainHead
    initiative: str = ""
    version: str = ""
    at: str = ""

    def describe(self) -> str:
        if self.kind == DOSSIER:
            return f"dossier v{self.version} of {self.initiative}"
        return f"checkpoint of {self.at}"


class MalformedAnchor(ValueError):
    pass


def read_anchor(data: bytes) -> Anchor | None:
    """The head a PDF's document information records, or None when it records none.

    Raises pikepdf's errors for bytes that are not a readable PDF, MalformedAnchor for
    anchor entries that do not parse.
    """
    with pikepdf.open(BytesIO(data)) as pdf:
        info = {str(key).lstrip("/"): str(value) for key, value in pdf.docinfo.items()}
    if INFO_HEAD_HASH not in info:
        return None
    try:
        head = ChainHead(id=int(info[INFO_HEAD_ID]), hash=info[INFO_HEAD_HASH], count=int(info[INFO_COUNT]))
    except (KeyError, ValueError) as exc:
        raise MalformedAnchor(f"its audit anchor entries do not parse ({exc})") from exc
    kind = info.get(INFO_KIND, "")
    if kind not in ISSUED_BY or not _HEX64.fullmatch(head.hash) or head.id < 0 or head.count < 0:
        raise MalformedAnchor("its audit anchor entries are not a head this deployment writes")
    return Anchor(kind=kind, head=head, initiative=info.get(INFO_INITIATIVE, ""),
                  version=info.get(INFO_VERSION, ""), at=info.get(INFO_CHECKPOINT_AT, ""))


# --- the files ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnchorFile:
    name: str  # as the report names it
    where: str  # "dossier storage", "checkpoints" or "command line"
    path: str  # storage name or filesystem path

    def read(self) -> bytes:
        if self.where == "dossier storage":
            with default_storage.open(self.path, "rb") as fh:
                return fh.read()
        return Path(self.path).read_bytes()


def stored_dossiers(prefix: str = DOSSIER_PREFIX) -> Iterator[AnchorFile]:
    """Every PDF under dossiers/ in the storage itself. Not the Dossier table: whoever can
    rewrite the chain can rewrite that table too, and drop a row to hide its file."""
    try:
        folders, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        if name.lower().endswith(".pdf"):
            yield AnchorFile(f"{prefix}/{name}", "dossier storage", f"{prefix}/{name}")
    for folder in sorted(folders, key=lambda f: (len(f), f)):
        yield from stored_dossiers(f"{prefix}/{folder}")


def checkpoint_dir() -> Path:
    return Path(settings.HEALTHPM_AUDIT_CHECKPOINT_DIR)


def stored_checkpoints() -> Iterator[AnchorFile]:
    """Every checkpoint PDF in HEALTHPM_AUDIT_CHECKPOINT_DIR (a half-written one is hidden, `.`-named)."""
    folder = checkpoint_dir()
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.pdf")):
        if not path.name.startswith("."):
            yield AnchorFile(path.name, "checkpoints", str(path))


def given(paths: list[str]) -> list[AnchorFile]:
    return [AnchorFile(p, "command line", p) for p in paths]


# --- checking -------------------------------------------------------------------------------
OK, NO_ANCHOR, BROKEN, REFUSED = "ok", "no anchor", "BROKEN", "REFUSED"


@dataclass(frozen=True)
class AnchorResult:
    file: AnchorFile
    status: str  # OK | NO_ANCHOR | BROKEN (the chain no longer matches) | REFUSED (the file is no valid anchor)
    message: str
    anchor: Anchor | None = None

    @property
    def failed(self) -> bool:
        return self.status in (BROKEN, REFUSED)

    @property
    def label(self) -> str:
        """The file, and what it is when its signature vouches for its metadata."""
        if self.anchor is not None and self.status in (OK, BROKEN):
            return f"{self.file.name} ({self.anchor.describe()})"
        return self.file.name


def check_file(file: AnchorFile, *, our_cert, chain_count: int) -> AnchorResult:
    """Check one file against the chain (the steps are in the module docstring). Never raises
    for bad input: a file that cannot be read gets an answer too."""
    try:
        data = file.read()
    except OSError as exc:
        return AnchorResult(file, REFUSED, f"cannot be read: {exc.strerror or exc}")
    if b"%PDF-" not in data[:1024]:
        return AnchorResult(file, NO_ANCHOR, "not a PDF")
    signed = b"/ByteRange" in data
    try:
        anchor = read_anchor(data)
        check = signing.check_signature(data, our_cert) if signed else signing.SignatureCheck(signed=False)
    except MalformedAnchor as exc:
        return AnchorResult(file, REFUSED, str(exc))
    except Exception as exc:  # pikepdf or pyHanko could not parse it: damaged, or altered past reading
        if signed:
            return AnchorResult(file, REFUSED, f"a signed file altered or damaged past reading ({type(exc).__name__})")
        return AnchorResult(file, NO_ANCHOR, "an unreadable PDF without a signature")

    if check.signed and not check.ours:
        return AnchorResult(file, REFUSED, f"signed by “{check.signer}”, not with this deployment's certificate: "
                                           "a forged anchor", anchor)
    if check.signed and not (check.intact and check.whole_file):
        return AnchorResult(file, REFUSED, f"altered after it was signed ({check.problem})", anchor)
    if anchor is None:
        return AnchorResult(file, NO_ANCHOR, "records no audit head (made before audit anchors, or not an anchor)")
    if not check.signed:
        if file.where == "dossier storage" and anchor.kind == DOSSIER:
            # A draft: its printed head is informative, but anyone could have written an unsigned file.
            return AnchorResult(file, NO_ANCHOR, "an unsigned draft: its head is not evidence", anchor)
        return AnchorResult(file, REFUSED, "records an audit head but carries no signature: a forged anchor", anchor)
    return _compare(file, anchor, hashlib.sha256(data).hexdigest(), chain_count)


def _compare(file: AnchorFile, anchor: Anchor, sha256: str, chain_count: int) -> AnchorResult:
    head = anchor.head
    if head.id:
        current = AuditEvent.objects.filter(pk=head.id).values_list("hash", flat=True).first()
        if current is None:
            return AnchorResult(file, BROKEN, f"event #{head.id}, the newest when it was made, is no longer on the "
                                              "chain: events were removed", anchor)
        if current != head.hash:
            return AnchorResult(file, BROKEN, f"event #{head.id} now hashes to {current}, but it recorded "
                                              f"{head.hash}: the chain was rewritten at or before #{head.id}", anchor)
    if chain_count < head.count:
        return AnchorResult(file, BROKEN, f"the chain holds {chain_count} events, fewer than the {head.count} it "
                                          "recorded: events were removed", anchor)
    action = ISSUED_BY[anchor.kind]
    if not AuditEvent.objects.filter(action=action, pk__gt=head.id, after__sha256=sha256).exists():
        # A checkpoint is linked into place only after its event committed (checkpoints.py); a
        # dossier's file is stored just before its event, so a render killed in between (and not
        # cleaned up by the run taking over) could leave a file that was never issued.
        never_issued = " (or the file was never issued: a render that stopped before recording it)" \
            if anchor.kind == DOSSIER else ""
        return AnchorResult(file, BROKEN, f"the chain no longer holds the {action} event that recorded issuing this "
                                          f"file (SHA-256 {sha256}) after #{head.id}: the newest events were "
                                          f"removed{never_issued}", anchor)
    return AnchorResult(file, OK, f"event #{head.id} still on the chain with the same hash; {head.count} events "
                                  "then, none removed", anchor)


def newest(results: list[AnchorResult]) -> AnchorResult | None:
    """The verified anchor reaching furthest along the chain: everything after it is uncovered."""
    held = [r for r in results if r.status == OK]
    return max(held, key=lambda r: (r.anchor.head.id, r.anchor.head.count), default=None)
