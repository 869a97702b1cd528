"""Daily reminders: evidence expiring in 30, 7 and 1 days, expired BAAs, overdue drills (SPEC §3, §9).

The same reminder is never sent twice, however often the job runs.
"""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from healthpm.notifications import tasks
from healthpm.notifications.models import Notification
from healthpm.notifications.reminders import send_reminders, window
from tests.dashboard.conftest import vendor
from tests.factories import InitiativeFactory, add_link, fill_gate, gate_of, valid_data

pytestmark = pytest.mark.django_db


def at(day) -> time_machine.travel:
    return time_machine.travel(datetime.combine(day, time(6, 0), tzinfo=timezone.get_current_timezone()), tick=False)


def reminders() -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(dedupe_key__isnull=False).values_list("recipient__username", "subject"))


@pytest.mark.parametrize(("days_left", "expected"), [(31, None), (30, 30), (8, 30), (7, 7), (2, 7), (1, 1), (0, 1), (-1, None)])
def test_the_window_a_piece_of_evidence_is_in(days_left, expected):
    assert window(days_left) == expected


def test_expiring_evidence_is_reminded_30_7_and_1_days_before_once_each(pm, compliance, compliance2,
                                                                       django_capture_on_commit_callbacks):
    expiry = timezone.localdate() + timedelta(days=40)
    add_link(gate_of(InitiativeFactory(owner=pm, title="Sepsis"), "paper-fallback"), pm, "drill-record", expiry=expiry)

    for days_before in (31, 30, 30, 29, 8, 7, 7, 2, 1, 1, 0):
        with at(expiry - timedelta(days=days_before)), django_capture_on_commit_callbacks(execute=True):
            send_reminders()

    subjects = [s for user, s in reminders() if user == pm.username]
    assert [s.split(":")[0] for s in sorted(subjects, key=lambda s: -int(s.split()[3]))] == [
        "Evidence expires in 30 days", "Evidence expires in 7 days", "Evidence expires in 1 day"]
    # Owner and both compliance officers, three reminders each, each e-mailed once.
    assert Notification.objects.count() == 9
    assert sorted({m.to[0] for m in mail.outbox}) == sorted([pm.email, compliance.email, compliance2.email])
    assert len(mail.outbox) == 9
    assert "Upload the renewed document" in mail.outbox[0].body


def test_a_run_twice_in_a_day_sends_nothing_new(pm, compliance, django_capture_on_commit_callbacks):
    add_link(gate_of(InitiativeFactory(owner=pm), "paper-fallback"), pm, "drill-record",
             expiry=timezone.localdate() + timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        first = send_reminders()
        second = send_reminders()
    assert (first.evidence_expiring, second.total) == (1, 0)
    assert len(mail.outbox) == 2  # owner and compliance, once


def test_a_missed_day_still_sends_the_reminder_of_the_window_now_reached(pm, compliance):
    expiry = timezone.localdate() + timedelta(days=40)
    add_link(gate_of(InitiativeFactory(owner=pm), "paper-fallback"), pm, "drill-record", expiry=expiry)
    with at(expiry - timedelta(days=5)):  # the worker was down on the 7-day mark
        send_reminders()
    assert [s for _, s in reminders()][0].startswith("Evidence expires in 5 days")
    assert Notification.objects.filter(dedupe_key__contains=":7:").count() == 2


def test_superseded_evidence_is_not_reminded(pm, compliance):
    gate = gate_of(InitiativeFactory(owner=pm), "paper-fallback")
    old = add_link(gate, pm, "drill-record", expiry=timezone.localdate() + timedelta(days=7))
    add_link(gate, pm, "drill-record", replaces=old, expiry=timezone.localdate() + timedelta(days=300))
    assert send_reminders().total == 0


def test_an_expired_baa_is_reminded_once_to_owner_and_compliance(pm, compliance):
    initiative = InitiativeFactory(owner=pm, title="Chest X-ray triage")
    fill_gate(gate_of(initiative, "baa-phi"), pm, {
        **valid_data("baa-phi"), "identifiers": ["names"], "deidentification": "none", "minimum_necessary": "Matching.",
        "vendors": [vendor("Acme Transcribe", -5), vendor("Cloudy Hosting", 90)]})

    assert send_reminders().lapsed["baa-expired"] == 1
    assert send_reminders().lapsed["baa-expired"] == 0
    expiry = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert reminders() == [
        (compliance.username, f"BAA expired: Acme Transcribe ({expiry}) — Chest X-ray triage"),
        (pm.username, f"BAA expired: Acme Transcribe ({expiry}) — Chest X-ray triage"),
    ]
    body = Notification.objects.filter(recipient=pm).get().body_text
    assert "/gates/baa-phi/" in body and "upload" in body.lower()


def test_an_overdue_drill_is_reminded_once_until_a_new_drill_is_recorded(pm, compliance):
    initiative = InitiativeFactory(owner=pm, title="Sepsis")
    gate = gate_of(initiative, "paper-fallback")
    old_drill = timezone.localdate() - timedelta(days=settings.HEALTHPM_DRILL_MAX_AGE_DAYS + 1)
    fill_gate(gate, pm, {**valid_data("paper-fallback"), "last_drill_date": old_drill.isoformat()})

    assert send_reminders().lapsed["drill-overdue"] == 1
    assert send_reminders().lapsed["drill-overdue"] == 0
    assert "366 days ago" in Notification.objects.get(recipient=pm).body_text

    fill_gate(gate, pm, valid_data("paper-fallback"))  # a drill 30 days ago
    assert send_reminders().lapsed["drill-overdue"] == 0


def test_peer_training_older_than_a_year_is_reminded_to_the_owner_and_compliance(pm, compliance):
    gate = gate_of(InitiativeFactory(owner=pm, title="Deterioration", checklist_version=2), "adoption-incentives")
    answers = valid_data("adoption-incentives")
    old = timezone.localdate() - timedelta(days=400)
    fill_gate(gate, pm, {**answers, "training": [{**answers["training"][0], "date": old.isoformat()}]})

    assert send_reminders().lapsed["training-stale"] == 1
    assert send_reminders().lapsed["training-stale"] == 0
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {pm.username,
                                                                                       compliance.username}

    fill_gate(gate, pm, answers)  # a session 40 days ago
    assert send_reminders().lapsed["training-stale"] == 0


def test_a_drill_exactly_at_the_limit_is_not_overdue(pm, compliance):
    gate = gate_of(InitiativeFactory(owner=pm), "paper-fallback")
    at_limit = timezone.localdate() - timedelta(days=settings.HEALTHPM_DRILL_MAX_AGE_DAYS)
    fill_gate(gate, pm, {**valid_data("paper-fallback"), "last_drill_date": at_limit.isoformat()})
    assert send_reminders().lapsed["drill-overdue"] == 0


def test_the_daily_task_runs_the_reminders_and_is_on_the_beat_schedule(pm, compliance):
    add_link(gate_of(InitiativeFactory(owner=pm), "paper-fallback"), pm, "drill-record",
             expiry=timezone.localdate() + timedelta(days=1))
    assert tasks.send_daily_reminders() == {"evidence_expiring": 1, "lapsed": {}}
    assert tasks.send_daily_reminders() == {"evidence_expiring": 0, "lapsed": {}}

    entry = settings.CELERY_BEAT_SCHEDULE["daily-reminders"]
    assert entry["task"] == tasks.send_daily_reminders.name
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}
    assert tasks.send_daily_reminders.acks_late
