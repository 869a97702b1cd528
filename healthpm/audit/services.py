"""Writing and checking the hash-chained audit trail (SPEC §8)."""

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Window
from django.utils import timezone

from healthpm.lib.hashing import digest

from .context import client_ip_var
from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it names the PostgreSQL advisory lock that orders the chain.
_CHAIN_LOCK_KEY = 7_355_608


def _lock_chain() -> None:
    """Serialise appends so two transactions never chain onto the same predecessor."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite runs IMMEDIATE transactions: the writer lock is already exclusive.


def record(
    action: str,
    *,
    actor=None,
    obj=None,
    initiative=None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            created_at=timezone.now(),
            actor=actor if actor is not None and actor.pk else None,
            actor_label=actor_label or (actor.get_username() if actor is not None else "system"),
            action=action,
            object_type=obj._meta.label if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=str(obj)[:255] if obj is not None else "",
            initiative=initiative,
            before=before,
            after=after,
            ip=client_ip_var.get(),
            prev_hash=last or GENESIS_HASH,
        )
        event.hash = digest(event.hashed_content())
        event.save()
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    problem: str


def verify_chain(batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in id order; return (events checked, first break or None)."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.pk, "its link to the previous event does not match (an event was removed or reordered)")
        if digest(event.hashed_content()) != event.hash:
            return checked, ChainBreak(event.pk, "its content does not match its hash (the row was changed)")
        expected_prev = event.hash
        checked += 1
    return checked, None


@dataclass(frozen=True)
class ChainHead:
    """The newest event and how many the chain holds: what an anchor (a signed dossier, an audit
    checkpoint; healthpm/audit/anchors.py) records so a later rewrite or truncation shows."""

    id: int  # 0 when the chain is empty
    hash: str  # GENESIS_HASH when the chain is empty
    count: int


def chain_head() -> ChainHead:
    """The head and the event count in one query (a window count, computed before the LIMIT)."""
    row = (AuditEvent.objects.order_by("-id")
           .annotate(total=Window(Count("id")))
           .values_list("id", "hash", "total").first())
    if row is None:
        return ChainHead(id=0, hash=GENESIS_HASH, count=0)
    return ChainHead(id=row[0], hash=row[1], count=row[2])
