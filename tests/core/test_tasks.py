"""enqueue_on_commit: a task is queued only after commit, and a broker outage is logged, never raised."""

import logging

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from healthpm.core.tasks import enqueue_on_commit

pytestmark = pytest.mark.django_db

REFRESH = "healthpm.dashboard.tasks.refresh_portfolio_facts"


class FakeTask:
    """Stands in for a Celery task: records delay() calls, or refuses them like a dead Redis."""

    name = "tests.fake_task"

    def __init__(self, *, refuse: bool = False):
        self.calls: list[tuple[tuple, dict]] = []
        self.refuse = refuse

    def delay(self, *args, **kwargs):
        if self.refuse:
            raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")
        self.calls.append((args, kwargs))


def enqueue(task, *args, results: list | None = None, **kwargs) -> None:
    enqueue_on_commit(task, *args, pending="thing 7 left pending", catch_up="the sweeper does it",
                      on_result=results.append if results is not None else None, **kwargs)


def test_the_task_is_queued_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    task, results = FakeTask(), []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue(task, 7, results=results, take_over=True)
        assert task.calls == [] and results == []  # still inside the transaction

    assert len(callbacks) == 1
    callbacks[0]()
    assert task.calls == [((7,), {"take_over": True})]
    assert results == [True]


def test_a_rolled_back_transaction_queues_nothing(django_capture_on_commit_callbacks):
    task, results = FakeTask(), []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(task, 7, results=results)
            raise RuntimeError("the service failed after queueing")

    assert callbacks == [] and task.calls == [] and results == []


def test_a_refused_delay_is_logged_not_raised_and_the_callback_is_told(caplog, django_capture_on_commit_callbacks):
    results = []
    caplog.set_level(logging.WARNING, logger="healthpm.core.tasks")

    with django_capture_on_commit_callbacks(execute=True):
        enqueue(FakeTask(refuse=True), 7, results=results, take_over=True)

    assert results == [False]
    assert caplog.messages == [
        "thing 7 left pending, broker unavailable: could not queue tests.fake_task(7, take_over=True) "
        "(Error 111 connecting to redis:6379. Connection refused.); the sweeper does it"
    ]


def test_with_the_broker_really_down_a_task_named_by_path_is_tried_and_logged(
        broker_down, django_capture_on_commit_callbacks):
    results = []

    with django_capture_on_commit_callbacks(execute=True):
        enqueue(REFRESH, results=results)

    assert results == [False]
    [message] = [m for m in broker_down.messages if m.startswith("thing 7 left pending")]
    assert message.startswith(f"thing 7 left pending, broker unavailable: could not queue {REFRESH}() (")
    assert message.endswith("); the sweeper does it")


def test_a_task_named_by_path_is_the_registered_task(monkeypatch, django_capture_on_commit_callbacks):
    from healthpm.dashboard import tasks

    calls = []
    monkeypatch.setattr(tasks.refresh_portfolio_facts, "delay", lambda *a, **k: calls.append((a, k)))

    with django_capture_on_commit_callbacks(execute=True):
        enqueue(REFRESH)

    assert calls == [((), {})]


def test_a_misspelt_task_path_fails_inside_the_transaction_not_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ImportError):
        enqueue("healthpm.dashboard.tasks.refresh_portfolio_fact")

    assert callbacks == []
