"""The database's own refusal to change audit events (migration 0002_append_only).

`lifted(connection)` switches that refusal off for the caller's transaction only. Two
callers need it, both of which mean to destroy or alter history on purpose: Django's
`flush` (healthpm/audit/management/commands/flush.py — the test runner empties the whole
database between transactional tests) and the tamper tests that prove `verify_audit`
still catches what someone with the table owner's rights can do.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

TABLE = "audit_auditevent"


def installed(connection) -> bool:
    """Whether the append-only triggers exist on this database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal", [TABLE]
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        else:
            return False
        return cursor.fetchone()[0] > 0


@contextmanager
def lifted(connection) -> Iterator[None]:
    """Inside one transaction: drop the refusal, run the body, put the refusal back.

    PostgreSQL: ALTER TABLE … DISABLE/ENABLE TRIGGER USER (table owner only; other
    sessions never see the table unguarded, the change is in this transaction).
    PostgreSQL refuses ALTER TABLE while the transaction still owes deferred foreign-key
    checks on the table, so those run first (Django's FKs are INITIALLY DEFERRED).
    SQLite: drop the triggers and re-create them from the SQL SQLite kept for them.
    If the body fails, the rollback restores the triggers as well.
    """
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql" and installed(connection):
            connection.check_constraints()
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            yield
            connection.check_constraints()
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
                triggers = cursor.fetchall()
                for name, _ in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            with connection.cursor() as cursor:
                for _, sql in triggers:
                    cursor.execute(sql)
        else:
            yield
