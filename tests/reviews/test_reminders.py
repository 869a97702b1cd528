"""The daily digest of overdue reviews (issue 13): one mail per compliance officer listing the
reviews past the SLA that they may decide; never one per gate; sent once a day however often
the task runs."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from healthpm.notifications.models import Notification
from healthpm.reviews import tasks
from healthpm.reviews.reminders import send_overdue_review_digests
from tests.factories import InitiativeFactory, submitted_gate

pytestmark = pytest.mark.django_db

MON, TUE, WED = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


def _submit_on(day: date, initiative, pm, key="auditable-inputs"):
    with time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=UTC), tick=False):
        return submitted_gate(initiative, pm, key)


@pytest.fixture
def overdue(pm, dual):
    """Two reviews submitted on Monday 30 November (due Monday 7 December) and one on Wednesday
    2 December (due Wednesday 9 December); `dual` collaborates on the second."""
    _submit_on(MON, InitiativeFactory(owner=pm, title="Sepsis alert"), pm)
    _submit_on(MON, InitiativeFactory(owner=pm, title="Shared triage", collaborators=[dual]), pm, "paper-fallback")
    _submit_on(WED, InitiativeFactory(owner=pm, title="Fresh one"), pm)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """send_overdue_review_digests, with the mail queued after commit actually sent."""
    def _run(today):
        with django_capture_on_commit_callbacks(execute=True):
            return send_overdue_review_digests(today=today)
    return _run


def _digests(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def test_each_officer_gets_one_digest_of_what_they_may_decide(overdue, compliance, dual, run):
    queued = run(date(2026, 12, 8))

    assert queued == 2
    (grace,) = _digests(compliance)
    assert grace.subject == "2 reviews overdue — decide within 5 working days"
    assert "Sepsis alert" in grace.body and "Shared triage" in grace.body and "Fresh one" not in grace.body
    assert "due 2026-12-07" in grace.body and "first submission" in grace.body
    (dana,) = _digests(dual)  # the review dual may not decide is not theirs to chase
    assert dana.subject == "1 review overdue — decide within 5 working days"
    assert "Sepsis alert" in dana.body and "Shared triage" not in dana.body


def test_nothing_is_sent_while_no_review_is_overdue(overdue, compliance, run):
    assert run(date(2026, 12, 7)) == 0  # the due day itself is not late
    assert not mail.outbox


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(overdue, compliance, dual, run):
    assert run(date(2026, 12, 8)) == 2
    assert run(date(2026, 12, 8)) == 0
    assert len(_digests(compliance)) == 1

    assert run(date(2026, 12, 10)) == 2
    (latest,) = [m for m in _digests(compliance)][1:]
    assert latest.subject.startswith("3 reviews overdue")  # Wednesday's is late by now too
    assert Notification.objects.filter(recipient=compliance).count() == 2


def test_the_task_is_on_the_daily_beat_schedule(overdue, compliance):
    with time_machine.travel(datetime(2026, 12, 8, 6, 5, tzinfo=UTC), tick=False):
        assert tasks.send_overdue_review_reminders() == 2
        assert tasks.send_overdue_review_reminders() == 0

    entry = settings.CELERY_BEAT_SCHEDULE["overdue-review-reminders"]
    assert entry["task"] == tasks.send_overdue_review_reminders.name
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {5}
    assert tasks.send_overdue_review_reminders.acks_late
