"""Queueing Celery tasks from a service: after commit, and never failing because the broker is down.

The model is pretix's TransactionAwareTask. A service queues its work with
enqueue_on_commit(); the work itself is already in the database (an outbox row, a pending
dossier), so when Redis cannot be reached the user's change stands, a warning is logged,
and a beat sweeper or the nightly run picks the work up later.

Nothing here imports another app: a service names its task by dotted path when importing
that task's module would be a cycle (dossier.tasks imports dossier.services).
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def enqueue_on_commit(task: Task | str, *args: Any, pending: str, catch_up: str,
                      on_result: Callable[[bool], None] | None = None, **kwargs: Any) -> None:
    """Call `task.delay(*args, **kwargs)` once the current transaction commits.

    `task` is a Celery task or its dotted path ("healthpm.dossier.tasks.generate_dossier"),
    imported only when this is called. `pending` says what is left undone when the broker is
    down ("notification 12 left pending"), `catch_up` who does it later ("the beat sweeper
    send_pending_notifications sends it"); both go into the warning. `on_result`, if given,
    is told after commit whether the task was queued (True) or not (False).

    1. A rolled-back transaction runs nothing: nothing is queued, `on_result` is not called.
    2. Outside a transaction (autocommit), the task is queued at once, as Django's on_commit does.
    3. Any exception from delay() — the broker refusing the connection, or an eager task
       failing in the demo — is logged as a warning and swallowed: the commit has happened.
    """
    # The label is fixed now, so the warning itself cannot fail after commit.
    label = task if isinstance(task, str) else getattr(task, "name", None) or repr(task)
    if isinstance(task, str):
        task = import_string(task)

    def _enqueue() -> None:
        try:
            task.delay(*args, **kwargs)
        except Exception as exc:  # broker unreachable: the saved rows keep the work
            log.warning("%s, broker unavailable: could not queue %s (%s); %s",
                        pending, _describe(label, args, kwargs), exc, catch_up)
            queued = False
        else:
            queued = True
        if on_result is not None:
            on_result(queued)

    transaction.on_commit(_enqueue)


def _describe(label: str, args: tuple, kwargs: dict) -> str:
    """`healthpm.dossier.tasks.generate_dossier(7)`: the call a log reader can repeat by hand."""
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{label}({', '.join(shown)})"
