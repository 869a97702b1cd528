"""Audit checkpoints: the chain's head, written daily into a small signed PDF outside the database.

A checkpoint is an anchor (healthpm/audit/anchors.py) that does not wait for someone to
export a dossier. It lives in HEALTHPM_AUDIT_CHECKPOINT_DIR, which should be storage the
database's administrators cannot rewrite (a separate volume or a write-once bucket;
docs/SECURITY.md). Files are never overwritten: each is named after its UTC time and
linked into place only if that name is free.
"""

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from healthpm.dossier import signing
from healthpm.dossier.render import BASE_URL, StaticOnlyFetcher

from . import anchors
from .services import ChainHead, chain_head, record

log = logging.getLogger(__name__)
ACTION = anchors.ISSUED_BY[anchors.CHECKPOINT]


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    head: ChainHead
    sha256: str
    at: str


def _render(head: ChainHead, at: str) -> bytes:
    html = render_to_string("audit/checkpoint.html", {"head": head, "at": at,
                                                      "site_url": settings.SITE_URL.rstrip("/")})

    def finisher(document, pdf) -> None:
        anchors.stamp(pdf, head, kind=anchors.CHECKPOINT, **{anchors.INFO_CHECKPOINT_AT: at})

    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf(finisher=finisher)


def checkpoint_write(*, actor_label: str = "system") -> Checkpoint:
    """Write one checkpoint of the current head; return it.

    1. Load the signing certificate first: without it nothing is written and SigningUnavailable
       says what to do.
    2. Read the head, render the page with the head in its text and document information, sign it.
    3. Write the bytes to a hidden temporary file in the folder and fsync it.
    4. Record audit_checkpoint_written (file name, SHA-256, head) and commit.
    5. Link the temporary file to its final name, which fails rather than replace a file, and
       remove the temporary name. A crash before 5 leaves an event naming a file that never
       appeared, which no check relies on; never a file whose event is missing, which
       verify_audit --anchors would rightly call a truncation.
    """
    signer = signing.load_signer()
    now = timezone.now().astimezone(dt_timezone.utc)
    at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    name = f"audit-checkpoint-{now:%Y-%m-%dT%H-%M-%S}.{now:%f}Z.pdf"
    head = chain_head()
    data = signing.sign_pdf(_render(head, at), signer, location=settings.SITE_URL,
                            reason=f"healthpm audit checkpoint: {head.count} events, newest #{head.id}")
    sha = hashlib.sha256(data).hexdigest()

    folder = anchors.checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        raise FileExistsError(f"{target} already exists; checkpoints are never overwritten")
    fd, tmp = tempfile.mkstemp(prefix=".writing-", suffix=".pdf", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)  # read-only: a checkpoint is written once
        with transaction.atomic():
            record(ACTION, actor_label=actor_label,
                   after={"file": name, "sha256": sha, "head_id": head.id, "head_hash": head.hash,
                          "count": head.count, "at": at})
        _publish(tmp, target, data)
    finally:
        os.unlink(tmp)
    log.info("audit checkpoint %s: %s events, newest #%s", target, head.count, head.id)
    return Checkpoint(path=target, head=head, sha256=sha, at=at)


def _publish(tmp: str, target: Path, data: bytes) -> None:
    """Give the finished file its name; FileExistsError rather than replace another."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links (some network mounts): exclusive create
        with open(target, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(target, 0o444)


def checkpoint_is_current() -> bool:
    """Nothing happened since the newest checkpoint but recording it (seed_demo runs twice)."""
    from .models import AuditEvent

    last = AuditEvent.objects.order_by("-id").values("action", "after").first()
    return bool(last and last["action"] == ACTION
                and (anchors.checkpoint_dir() / str((last["after"] or {}).get("file", ""))).is_file())
