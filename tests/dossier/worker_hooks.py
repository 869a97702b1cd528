"""Loaded only into the test worker of test_worker_killed.py (`celery worker --include`).

It makes a dossier render stop at a chosen point, so the test can SIGKILL the process there
deterministically, instead of racing a render that takes two seconds:

- HEALTHPM_TEST_HOLD_STAGE=render: when the renderer is called (row claimed, nothing stored);
- HEALTHPM_TEST_HOLD_STAGE=commit: when the "dossier_generated" event is recorded, i.e. the
  file is in storage and the row's UPDATE to done is made but not committed.

At the stage, the process creates `<HEALTHPM_TEST_HOLD_DIR>/<stage>-<pid>` and waits for
`<HEALTHPM_TEST_HOLD_DIR>/release`. The application has no such hook; nothing outside the
test worker imports this module.
"""

import os
import time
from pathlib import Path

from healthpm.dossier import render, services

HOLD_DIR = Path(os.environ["HEALTHPM_TEST_HOLD_DIR"])
STAGE = os.environ["HEALTHPM_TEST_HOLD_STAGE"]
MAX_WAIT_SECONDS = 120


def hold(stage: str) -> None:
    if stage != STAGE:
        return
    (HOLD_DIR / f"{stage}-{os.getpid()}").touch()
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while not (HOLD_DIR / "release").exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"test hold at {stage} was never released")
        time.sleep(0.05)


_render_pdf = render.render_pdf
_record = services.record


def _held_render_pdf(context):
    hold("render")
    return _render_pdf(context)


def _held_record(action, **kwargs):
    if action == "dossier_generated":
        hold("commit")
    return _record(action, **kwargs)


render.render_pdf = _held_render_pdf
services.record = _held_record
