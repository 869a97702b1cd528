"""Restore drill (issue 17): a backup is only a backup once it has been restored and checked.

pg_dump the test database, restore it into a new database, and run the operator's own checks
against the copy as separate processes, the way they would run after a real restore: the
audit chain with its anchors (the signed dossier and the checkpoint, files outside the
database) and the dossier itself. Then cut the newest events off the copy, as a restore from
a too-old backup would, and see the anchors say so. PostgreSQL only (CI runs it).
"""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from healthpm.audit.checkpoints import checkpoint_write
from healthpm.audit.models import AuditEvent
from tests.dossier.conftest import PASSPHRASE
from tests.dossier.helpers import export
from tests.factories import signed_initiative
from tests.required import unavailable_for

pytestmark = pytest.mark.django_db(transaction=True)
unavailable = unavailable_for("The restore drill")


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "localhost", "PGPORT": str(db["PORT"] or 5432),
           "PGUSER": db["USER"] or ""}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env or _pg_env(), capture_output=True, text=True, timeout=300)


def _url(name: str) -> str:
    env = _pg_env()
    auth = quote(env["PGUSER"], safe="") + (":" + quote(env["PGPASSWORD"], safe="") if "PGPASSWORD" in env else "")
    return f"postgres://{auth}@{env['PGHOST']}:{env['PGPORT']}/{name}"


def _conninfo(name: str) -> dict:
    env = _pg_env()
    return {"host": env["PGHOST"], "port": env["PGPORT"], "user": env["PGUSER"],
            "password": env.get("PGPASSWORD"), "dbname": name}


@pytest.fixture
def restored_name():
    """A fresh database name for the copy; the database is dropped at teardown, whatever happened."""
    if connection.vendor != "postgresql":
        pytest.skip("the restore drill dumps and restores PostgreSQL (set DATABASE_URL)")
    for tool in ("pg_dump", "pg_restore", "createdb"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (Debian: postgresql-client)")
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(**{**_conninfo("postgres")}, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_dump_passes_the_audit_and_dossier_checks_and_a_truncated_one_fails(
        pm, compliance, signing_cert, tmp_path, restored_name):
    initiative = signed_initiative(pm, compliance)
    dossier, _ = export(initiative)
    checkpoint = checkpoint_write()
    last_dumped = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    dump = tmp_path / "healthpm.dump"

    dumped = _run("pg_dump", "-Fc", "--no-owner", "-f", str(dump), connection.settings_dict["NAME"])
    assert dumped.returncode == 0, dumped.stderr
    created = _run("createdb", restored_name)
    assert created.returncode == 0, created.stderr
    restored = _run("pg_restore", "--no-owner", "--exit-on-error", "-d", restored_name, str(dump))
    assert restored.returncode == 0, restored.stderr

    # The copy, with the same files: media, checkpoints and the signing certificate.
    env = {**os.environ, "DATABASE_URL": _url(restored_name), "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "HEALTHPM_AUDIT_CHECKPOINT_DIR": str(settings.HEALTHPM_AUDIT_CHECKPOINT_DIR),
           "HEALTHPM_SIGNING_P12": str(signing_cert), "HEALTHPM_SIGNING_PASSPHRASE": PASSPHRASE,
           "HEALTHPM_VAR_DIR": str(tmp_path / "var")}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]

    anchors_run = _run(*manage, "verify_audit", "--anchors", env=env)
    assert anchors_run.returncode == 0, anchors_run.stderr
    assert f"Audit chain intact: {AuditEvent.objects.count()} events verified." in anchors_run.stdout
    assert "Anchors: 2 checked" in anchors_run.stdout
    assert f"Newest anchor: {checkpoint.path.name}" in anchors_run.stdout
    dossier_run = _run(*manage, "verify_dossier", dossier.file.path, env=env)
    assert dossier_run.returncode == 0, dossier_run.stderr
    assert f"Genuine: an unmodified, digitally signed dossier v1 of “{initiative.title}”" in dossier_run.stdout

    # Break the copy: cut off the dump's last event (the checkpoint's record) and what verify_dossier
    # added after it, with the append-only triggers switched off as the table owner can.
    with psycopg.connect(**_conninfo(restored_name)) as copy:
        copy.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        copy.execute("DELETE FROM audit_auditevent WHERE id >= %s", [last_dumped])
        copy.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")

    plain = _run(*manage, "verify_audit", env=env)
    assert plain.returncode == 0, "the shortened chain is consistent on its own"
    broken = _run(*manage, "verify_audit", "--anchors", env=env)
    assert broken.returncode == 1
    assert f"{checkpoint.path.name} (checkpoint of {checkpoint.at}) (BROKEN)" in broken.stderr
    # The original database is untouched.
    assert AuditEvent.objects.filter(pk=last_dumped).exists()
