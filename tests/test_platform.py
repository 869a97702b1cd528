"""The suite runs on what production runs on when CI says so (SPEC §11): PostgreSQL when
DATABASE_URL is set, a real broker that answers when CELERY_BROKER_URL is set."""

import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="DATABASE_URL not set: embedded SQLite run")
@pytest.mark.django_db
def test_tests_run_on_postgresql_when_database_url_is_set():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="CELERY_BROKER_URL not set: tasks run in process")
@pytest.mark.integration
def test_the_broker_is_real_and_answers():
    from healthpm.celery import app

    assert settings.CELERY_BROKER_URL == os.environ["CELERY_BROKER_URL"]
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert app.conf.task_always_eager is False
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=5)
        assert conn.connected


@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="CELERY_BROKER_URL not set: tasks run in process")
@pytest.mark.integration
def test_a_task_is_published_to_the_broker():
    """Publishing (not running) a task goes through the real broker without error."""
    from healthpm.celery import app

    with app.connection_for_write() as conn:
        with conn.channel() as channel:
            queue_name = "healthpm-test-platform"
            from kombu import Queue

            queue = Queue(queue_name, channel=channel, auto_delete=True)
            queue.declare()
            producer = conn.Producer(channel=channel)
            producer.publish({"ping": 1}, routing_key=queue_name, serializer="json", declare=[queue])
            message = queue.get(no_ack=True)
            assert message is not None and message.payload == {"ping": 1}
            queue.delete()


def test_unit_tests_run_tasks_in_process():
    """The autouse fixture keeps unit tests independent of a worker."""
    from healthpm.celery import app

    assert settings.CELERY_TASK_ALWAYS_EAGER is True and app.conf.task_always_eager is True
