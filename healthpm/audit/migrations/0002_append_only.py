"""The database refuses UPDATE, DELETE and TRUNCATE on the audit table (SPEC §8).

The application already has no path that changes an event (AuditEvent.save/delete and
its QuerySet raise AppendOnlyError). These triggers stop everything else that talks SQL
with the application's credentials: a raw query, a shell session, a bug in a later
migration. The hash chain (verify_audit) stays the second line of defence, for whoever
owns the table and can switch triggers off.

PostgreSQL: one plpgsql function, called by a row-level BEFORE UPDATE OR DELETE trigger
and by a statement-level BEFORE TRUNCATE trigger. TRUNCATE matters most: an emptied table
leaves no broken link for verify_audit to find. The error is SQLSTATE 23001
(restrict_violation), which Django raises as IntegrityError.

SQLite (the embedded demo): BEFORE UPDATE and BEFORE DELETE triggers that RAISE(ABORT);
SQLite has no TRUNCATE (an unqualified DELETE fires the DELETE trigger). Django raises
IntegrityError here too, so both backends behave alike.

Why `manage.py flush` still works: Django's flush (run by the test runner after every
transactional test) TRUNCATEs every table on PostgreSQL and DELETEs from every table on
SQLite, which these triggers would refuse. healthpm.audit overrides the flush command to
lift the triggers inside flush's own transaction (healthpm/audit/guard.py): wiping the
whole database is what flush is for, it needs the table owner's rights anyway, and no
other session ever sees the table unguarded. Nothing in the triggers themselves has an
exception (no session variable, no role or database-name check) that ordinary SQL could use.

Other engines get no trigger; the application-level guard still applies.
"""

from django.db import migrations

POSTGRESQL_INSTALL = [
    """
    CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Record a new event (healthpm.audit.services.record) instead of changing one.';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_auditevent_append_only
        BEFORE UPDATE OR DELETE ON audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_auditevent_no_truncate
        BEFORE TRUNCATE ON audit_auditevent
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

SQLITE_INSTALL = [
    """
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE on audit_auditevent refused'); END
    """,
    """
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE on audit_auditevent refused'); END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def install(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL})


def remove(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE})


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
