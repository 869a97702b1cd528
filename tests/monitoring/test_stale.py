"""Stale metrics: a cadence passed without a sample, and the daily reminder (issue 16 item 3)."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from healthpm.approvals.models import Signature
from healthpm.monitoring.plan import approved_plan
from healthpm.monitoring.status import is_stale, metric_states, stale_reminders_send
from healthpm.monitoring.tasks import send_stale_metric_reminders
from healthpm.notifications.models import Notification

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 10)


@pytest.mark.parametrize("cadence, days, stale", [
    ("daily", 1, False), ("daily", 2, True),
    ("weekly", 7, False), ("weekly", 8, True),
    ("monthly", 31, False), ("monthly", 32, True),
])
def test_a_metric_is_stale_once_its_cadence_has_passed(cadence, days, stale):
    assert is_stale(cadence, TODAY - timedelta(days=days), TODAY) is stale


def _launched_on(initiative, day: date) -> None:
    Signature.objects.filter(initiative=initiative).update(
        signed_at=timezone.make_aware(datetime(day.year, day.month, day.day, 12)))


def test_without_samples_the_launch_day_counts(launched):
    today = timezone.localdate()
    _launched_on(launched, today - timedelta(days=3))
    states = {s.metric.key: s for s in metric_states(launched, approved_plan(launched).metrics, today=today)}

    assert states["alert_volume"].stale  # daily: 3 days since launch
    assert not states["ppv"].stale and not states["override_rate"].stale  # weekly: 3 ≤ 7
    assert states["alert_volume"].since == today - timedelta(days=3)


def test_the_last_period_end_counts_once_a_sample_came(launched, record):
    today = timezone.localdate()
    _launched_on(launched, today - timedelta(days=30))
    record("alert_volume", "20", day=today - timedelta(days=1))
    record("ppv", "0.3", day=today - timedelta(days=9), period_start=today - timedelta(days=15))
    states = {s.metric.key: s for s in metric_states(launched, approved_plan(launched).metrics, today=today)}

    assert not states["alert_volume"].stale
    assert states["ppv"].stale and states["ppv"].last_end == today - timedelta(days=9)
    assert states["override_rate"].stale  # weekly, nothing in the 30 days since launch


def test_the_reminder_goes_to_the_owner_once_a_metric_a_day(launched, pm):
    today = timezone.localdate()
    _launched_on(launched, today - timedelta(days=10))
    sent = send_stale_metric_reminders()
    assert send_stale_metric_reminders() == 0  # a second run the same day sends nothing

    assert sent == 3  # alert volume (daily), PPV and override rate (weekly): 10 days since launch
    notes = Notification.objects.filter(subject__startswith="Monitoring sample overdue")
    assert {n.recipient for n in notes} == {pm}
    launch = (today - timedelta(days=10)).isoformat()
    assert any("Alert volume per day" in n.subject and f"none since the launch on {launch}" in n.body_text
               for n in notes)

    assert stale_reminders_send(today=today + timedelta(days=1)) == 3  # the next day: reminded again


def test_nothing_is_reminded_for_fresh_metrics(launched, record):
    today = timezone.localdate()
    _launched_on(launched, today - timedelta(days=2))
    record("alert_volume", "20", day=today - timedelta(days=1))
    assert stale_reminders_send(today=today) == 0
