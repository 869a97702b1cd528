"""A real Celery worker process for integration tests (marked `integration`).

It runs on a queue of its own against the very database pytest-django created, so the
tests using it are transactional: the worker must see committed rows.
"""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from healthpm.celery import app


def database_url() -> str:
    """DATABASE_URL of the test database this process is connected to."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def stop(process: subprocess.Popen) -> None:
    """Ask a child process to stop; kill it if it has not within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def celery_worker(tmp_path: Path, env: dict[str, str], *, pool: str = "solo", args: tuple[str, ...] = ()):
    """Start a worker with `env` on top of ours; while it runs, .delay() goes to it. Yields its log path.

    pool="prefork" gives one child process that a test can kill while the parent lives on to
    hand the message back to the broker, as in production; `args` adds worker options.
    """
    queue = f"healthpm-test-{uuid.uuid4().hex[:10]}"
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        "HEALTHPM_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    log_path = tmp_path / "worker.log"
    celery = Path(sys.executable).with_name("celery")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(celery), "-A", "healthpm", "worker", f"--pool={pool}", "--concurrency=1", "-Q", queue, *args,
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=settings.BASE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT,
        )
    previous = (app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.task_default_queue, app.conf.task_always_eager = queue, False
    try:
        yield log_path
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = previous
        stop(process)


def wait_for(what: str, check, log_path: Path, *, seconds: float = 90):
    """Poll check() until it returns something true (returned), or fail after `seconds` with the
    worker's log: a worker test waits for what another process does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {seconds} s; worker log:\n{log_path.read_text()[-4000:]}")
