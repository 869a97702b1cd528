"""Verification stays quiet and bounded (issue 17 part 6): a per-user limit on the verify page,
repeated verifications audited as one event, and no pyHanko traceback from verify_dossier."""

import io
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from healthpm.audit.labels import ACTION_LABELS
from healthpm.audit.models import AuditEvent
from healthpm.dossier.services import dossier_verify, record_verification
from healthpm.dossier.tasks import flush_verification_repeats
from healthpm.dossier.verify_limits import REPEAT_WINDOW
from tests.factories import signed_initiative

from .helpers import export

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 3, 9, 0, 5, tzinfo=UTC)  # five seconds into a minute


def post(client, data: bytes):
    return client.post(reverse("dossier:verify"), {"file": SimpleUploadedFile("dossier.pdf", data)})


def events(action: str = "dossier_verified"):
    return AuditEvent.objects.filter(action=action)


# --- the rate limit ------------------------------------------------------------------------
def test_the_21st_verification_in_a_minute_is_refused_with_429_and_nothing_recorded(login, pm2):
    client = login(pm2)
    with time_machine.travel(START, tick=False):
        for n in range(20):  # twenty different files: each one is its own audit event
            assert post(client, b"not a pdf %d" % n).status_code == 200
        assert events().count() == 20

        refused = post(client, b"not a pdf 21")

        assert refused.status_code == 429
        assert refused["Retry-After"] == "55"
        page = refused.content.decode()
        assert "Too many verifications: at most 20 a minute per person" in page
        assert "Nothing was checked or recorded" in page and "try again in 55 seconds" in page
        assert events().count() == 20 and not events("dossier_verifications_repeated").exists()

    with time_machine.travel(START + timedelta(seconds=60), tick=False):
        assert post(client, b"not a pdf 21").status_code == 200  # a new minute: allowed again
    assert events().count() == 21


def test_the_limit_is_per_user(login, pm, pm2, settings):
    settings.HEALTHPM_VERIFY_PER_MINUTE = 2
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            assert post(login(pm2), b"x").status_code == 200
        assert post(login(pm2), b"x").status_code == 429
        assert post(login(pm), b"x").status_code == 200


# --- repeats aggregated --------------------------------------------------------------------
def test_five_repeats_of_one_file_become_one_aggregated_event(login, pm2):
    client = login(pm2)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(6):  # the first verification, then five repeats
            assert post(client, b"the same file").status_code == 200
            clock.shift(timedelta(seconds=30))
        first = events().get()
        assert first.actor == pm2 and first.after["verdict"] == "not_pdf"
        assert flush_verification_repeats() == 0  # the window is still open: nothing to write yet

        clock.move_to(START + timedelta(seconds=REPEAT_WINDOW + 1))
        assert flush_verification_repeats() == 1
        assert flush_verification_repeats() == 0  # written once

    (repeated,) = events("dossier_verifications_repeated")
    assert repeated.actor == pm2
    assert repeated.after["count"] == 5 and repeated.after["verdict"] == "not_pdf"
    assert repeated.after["sha256"] == first.after["sha256"]
    assert repeated.after["first"] == "2026-12-03T09:00:05+00:00"
    assert repeated.after["last"] == "2026-12-03T09:02:35+00:00"
    assert events().count() == 1
    assert "dossier_verifications_repeated" in ACTION_LABELS


def test_the_next_verification_after_the_window_writes_the_repeats_without_beat(login, pm2):
    client = login(pm2)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(4):
            post(client, b"the same file")
        clock.shift(timedelta(seconds=REPEAT_WINDOW))
        post(client, b"the same file")  # a new window: its own first event, and the old repeats

    assert events("dossier_verifications_repeated").get().after["count"] == 3
    assert events().count() == 2


def test_other_users_other_files_and_other_verdicts_are_not_folded_together(login, pm, pm2, compliance):
    with time_machine.travel(START, tick=False):
        for user in (pm, pm2, pm2):
            post(login(user), b"file one")
        post(login(pm2), b"file two")
        record_verification(dossier_verify(b"file one"), actor_label="manage.py verify_dossier")
        record_verification(dossier_verify(b"file one"), actor_label="manage.py verify_dossier")

    # pm once, pm2 once (plus one repeat, counted), pm2's other file once, the command twice.
    assert events().count() == 5
    assert events().filter(actor__isnull=True).count() == 2


def test_a_counter_the_cache_lost_is_written_as_lost_not_dropped(login, pm2):
    client = login(pm2)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            post(client, b"the same file")
        index = cache.get("verify-tally:open")
        (counter,) = index
        cache.delete(counter)  # what an LRU eviction would do
        clock.move_to(START + timedelta(seconds=REPEAT_WINDOW + 1))
        flush_verification_repeats()

    repeated = events("dossier_verifications_repeated").get()
    assert repeated.after["count"] is None and repeated.after["lost"] is True


# --- verify_dossier without pyHanko's traceback --------------------------------------------
def _revised_after_signing(data: bytes) -> bytes:
    """A real incremental update of a signed dossier (the page rotated): pyHanko's difference
    analysis finds it suspicious, which it used to log as a WARNING with a traceback."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    writer.update_container(page)
    page["/Rotate"] = generic.NumberObject(90)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# Committed, not inside the test's transaction: the command's own process appends its audit event
# and would wait for the chain lock the test's open transaction holds.
@pytest.mark.django_db(transaction=True)
def test_verify_dossier_on_an_altered_file_prints_the_verdict_and_no_traceback(pm, compliance, signing_cert,
                                                                               tmp_path, caplog):
    _, data = export(signed_initiative(pm, compliance))
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(_revised_after_signing(data))

    # In process: the record pyHanko writes reaches the handlers as one INFO line.
    with caplog.at_level(logging.INFO, logger="pyhanko"):
        result = dossier_verify(altered.read_bytes())
    assert result.verdict == "altered"
    diff = [r for r in caplog.records if r.name == "pyhanko.sign.diff_analysis.policies"]
    assert [(r.levelname, r.exc_info) for r in diff] == [("INFO", None)]
    assert "Error in diff operation between revision" in diff[0].getMessage()
    assert "\n" not in diff[0].getMessage()

    # As an operator runs it: a separate process with the deployment's logging configuration.
    env = {**os.environ, "DATABASE_URL": _database_url(), "HEALTHPM_SIGNING_P12": str(signing_cert),
           "HEALTHPM_SIGNING_PASSPHRASE": django_settings.HEALTHPM_SIGNING_PASSPHRASE, "LOG_LEVEL": "INFO"}
    run = subprocess.run([sys.executable, "manage.py", "verify_dossier", str(altered)], capture_output=True,
                         text=True, env=env, cwd=django_settings.BASE_DIR, timeout=120)

    assert run.returncode == 1
    output = run.stdout + run.stderr
    assert "Traceback" not in output and "SuspiciousModification" not in output
    assert "NOT VERIFIED (altered): This file was altered after it was signed" in run.stderr
    diff_lines = [line for line in output.splitlines() if "Error in diff operation" in line]
    assert len(diff_lines) == 1 and "the file was changed after it was signed" in diff_lines[0]


def test_other_pyhanko_warnings_keep_their_level_and_traceback(caplog):
    """The filter rewrites only the difference analysis' SuspiciousModification record."""
    logger = logging.getLogger("pyhanko.sign.diff_analysis.policies")
    with caplog.at_level(logging.INFO, logger="pyhanko"):
        try:
            raise RuntimeError("something else broke")
        except RuntimeError as exc:
            logger.warning("Error in diff operation between revision 1 and 2", exc_info=exc)
    (record,) = [r for r in caplog.records if r.name == logger.name]
    assert record.levelname == "WARNING" and record.exc_info is not None


def test_a_repeat_that_cannot_take_the_index_lock_is_written_as_its_own_event(login, pm2, monkeypatch):
    """Nothing is dropped when the cache's lock stays taken (a flusher that died holding it)."""
    import healthpm.dossier.verify_limits as limits

    monkeypatch.setattr(limits.time, "sleep", lambda seconds: None)
    client = login(pm2)
    with time_machine.travel(START, tick=False) as clock:
        post(client, b"the same file")
        cache.add("verify-tally:lock", 1, timeout=60)
        post(client, b"the same file")  # a repeat, but its window cannot be indexed: written now
        assert events().count() == 2
        cache.delete("verify-tally:lock")
        post(client, b"the same file")  # the next repeat indexes the window
        clock.move_to(START + timedelta(seconds=REPEAT_WINDOW + 1))
        flush_verification_repeats()

    assert events().count() == 2
    assert events("dossier_verifications_repeated").get().after["count"] == 1
