"""Loaded only into the test worker of test_outbox_worker_killed.py (`celery worker --include`).

The first run that claims an outbox row SIGKILLs its own process right after the claim has
committed, before it talks to the mail server: the worst moment, the one where the old
outbox left the row marked "sent" for ever. It first writes its pid to
HEALTHPM_TEST_KILLED_MARKER; later runs (the fresh child process) see the marker and go on
normally. The application has no such hook; nothing outside the test worker imports this module.
"""

import os
import signal
from pathlib import Path

from healthpm.notifications import tasks

MARKER = Path(os.environ["HEALTHPM_TEST_KILLED_MARKER"])

_claim = tasks._claim


def _claim_then_die(notification_id: int):
    claimed = _claim(notification_id)  # autocommit: the UPDATE is committed when this returns
    if claimed is not None and not MARKER.exists():
        MARKER.write_text(f"{os.getpid()} {notification_id} {claimed.token}")
        os.kill(os.getpid(), signal.SIGKILL)
    return claimed


tasks._claim = _claim_then_die
