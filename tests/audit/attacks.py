"""What someone holding the audit table owner's rights can do to the chain, scripted with the
project's own code (healthpm.lib.hashing.digest), as in issue 17. The database refuses every
statement here until its triggers are lifted (healthpm/audit/guard.py), which the table owner can do."""

from django.db import connection

from healthpm.audit import guard
from healthpm.audit.models import AuditEvent
from healthpm.lib.hashing import digest


def rewrite_consistently(event_id: int, **changes) -> None:
    """Change one event and recompute its hash and every later link and hash: verify_audit
    (the chain checked against itself) then finds nothing."""
    events = list(AuditEvent.objects.filter(pk__gte=event_id).order_by("id"))
    previous = events[0].prev_hash
    with guard.lifted(connection), connection.cursor() as cursor:
        for event in events:
            if event.pk == event_id:
                for field, value in changes.items():
                    setattr(event, field, value)
            event.prev_hash = previous
            event.hash = digest(event.hashed_content())
            cursor.execute(
                "UPDATE audit_auditevent SET actor_id = %s, actor_label = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [event.actor_id, event.actor_label, event.prev_hash, event.hash, event.pk],
            )
            previous = event.hash


def truncate(count: int) -> list[int]:
    """Delete the newest `count` events; what remains is a valid, shorter chain. Returns their ids."""
    ids = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:count])
    with guard.lifted(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id >= %s", [min(ids)])
    return ids
