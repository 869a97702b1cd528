"""The outbox delivers at least once and never marks unsent mail sent (issue 17, part 4).

A run claims a row (a token and a lease), sends it, and only then sets sent_at; a worker
killed in between leaves a claim whose lease expires, and the sweeper sends it again with
the same Message-ID. The real-worker version of the kill is test_outbox_worker_killed.py.
"""

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db.models import Q
from django.utils import timezone

from healthpm.core import claims
from healthpm.notifications import tasks
from healthpm.notifications.models import MAX_ATTEMPTS, Notification
from tests.conftest import _persona

pytestmark = pytest.mark.django_db


class RefusingBackend(EmailBackend):
    """A mail server that answers every message with a temporary failure."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, b"4.3.0 Mail server temporarily rejected message")


class WatchingBackend(EmailBackend):
    """Records the row as the database has it while the mail server has the message in hand."""

    seen: list[Notification] = []

    def send_messages(self, messages):
        WatchingBackend.seen.extend(Notification.objects.order_by("pk"))
        return super().send_messages(messages)


@pytest.fixture
def note(compliance) -> Notification:
    return Notification.objects.create(recipient=compliance, subject="Review requested: Auditable inputs",
                                       body_text="Priya Patel submitted a gate.", body_html="<p>Priya Patel…</p>",
                                       link="/initiatives/")


def later(seconds: float):
    """The clock `seconds` past now (the lease is compared with the database's rows, written at now)."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def lease_seconds() -> int:
    return settings.HEALTHPM_OUTBOX_LEASE_SECONDS


def test_sent_at_is_set_only_after_the_mail_server_accepted_the_message(note, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.WatchingBackend"
    WatchingBackend.seen = []

    assert tasks.deliver(note.pk) is True

    during, = WatchingBackend.seen
    assert during.sent_at is None and during.claim and during.claimed_at and during.attempts == 1
    assert during.state == "sending"
    note.refresh_from_db()
    assert note.sent_at is not None and note.sent_at >= during.claimed_at and note.state == "sent"
    assert [m.to for m in mail.outbox] == [[note.recipient.email]]


def test_a_refused_message_stays_unsent_releases_its_claim_and_is_sent_by_the_next_sweep(note, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    with pytest.raises(smtplib.SMTPDataError):
        tasks.deliver(note.pk)

    note.refresh_from_db()
    assert (note.sent_at, note.claim, note.attempts, note.state) == (None, "", 1, "retrying")
    assert "451" in note.last_error and "temporarily rejected" in note.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.send_pending_notifications() == 1  # released, not leased: no need to wait
    assert tasks.send_pending_notifications() == 0
    note.refresh_from_db()
    assert note.sent_at is not None and note.attempts == 2 and note.last_error == ""
    assert len(mail.outbox) == 1


def test_a_worker_killed_between_claim_and_send_is_replaced_once_its_lease_expires(note):
    dead = tasks._claim(note.pk)  # the killed run got this far: claimed, committed, nothing sent
    assert dead is not None

    # Its lease is live: neither the task (a duplicate delivery) nor the sweeper touches it.
    assert tasks.send_notification(note.pk) is False
    assert tasks.send_pending_notifications() == 0
    with later(lease_seconds() - 5):
        assert tasks.send_pending_notifications() == 0
    note.refresh_from_db()
    assert (note.sent_at, note.claim, note.state) == (None, dead.token, "sending") and mail.outbox == []

    with later(lease_seconds() + 1):
        assert Notification.objects.get(pk=note.pk).state == "lease expired"
        assert tasks.send_pending_notifications() == 1
        assert tasks.send_pending_notifications() == 0
        assert tasks.send_notification(note.pk) is False  # a late duplicate of the task: already sent

    note.refresh_from_db()
    assert note.sent_at is not None and note.claim != dead.token and note.attempts == 2
    assert [m.to for m in mail.outbox] == [[note.recipient.email]]


def test_every_send_of_a_row_carries_a_message_id_derived_from_it(note, settings):
    settings.SITE_URL = "https://healthpm.example-hospital.org/"
    assert note.message_id == f"<notification-{note.pk}@healthpm.example-hospital.org>"

    tasks.deliver(note.pk)

    message = mail.outbox[0].message()
    assert message["Message-ID"] == note.message_id
    assert len(message.get_all("Message-ID")) == 1  # ours replaces Django's random one


def test_a_run_slower_than_its_lease_is_taken_over_and_the_duplicate_has_the_same_message_id(note, settings):
    """The rare duplicate at-least-once allows: run A is still talking to the mail server when
    its lease expires; run B sends again. sent_at is B's alone; both copies share the Message-ID."""
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.SlowFirstBackend"
    SlowFirstBackend.calls = 0

    assert tasks.deliver(note.pk) is True  # run A; run B happens inside A's send, past A's lease

    note.refresh_from_db()
    assert note.sent_at == SlowFirstBackend.b_sent_at  # A's late UPDATE named A's token: nothing changed
    assert note.attempts == 2
    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert ids == [note.message_id, note.message_id]


class SlowFirstBackend(EmailBackend):
    calls = 0
    b_sent_at = None

    def send_messages(self, messages):
        SlowFirstBackend.calls += 1
        if SlowFirstBackend.calls == 1:
            pk = Notification.objects.get().pk
            with later(lease_seconds() + 1):
                assert tasks.deliver(pk) is True  # run B takes over from A, whose lease has expired
            SlowFirstBackend.b_sent_at = Notification.objects.get().sent_at
            assert SlowFirstBackend.b_sent_at is not None
        return super().send_messages(messages)


def test_a_row_refused_max_attempts_times_is_failed_and_no_longer_retried(note, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    for _ in range(MAX_ATTEMPTS):
        assert tasks.send_pending_notifications() == 0

    note.refresh_from_db()
    assert note.attempts == MAX_ATTEMPTS and note.failed_at is not None and note.state == "failed"
    assert "temporarily rejected" in note.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.send_pending_notifications() == 0
    assert tasks.send_notification(note.pk) is False
    note.refresh_from_db()
    assert note.attempts == MAX_ATTEMPTS and note.sent_at is None and mail.outbox == []


def test_a_row_whose_worker_died_max_attempts_times_is_failed_with_the_reason(note):
    Notification.objects.filter(pk=note.pk).update(attempts=MAX_ATTEMPTS - 1, last_error="SMTPServerDisconnected")
    tasks._claim(note.pk)  # the last allowed attempt, killed before the mail server answered

    with later(lease_seconds() + 1):
        assert tasks.send_pending_notifications() == 0

    note.refresh_from_db()
    assert note.failed_at is not None and note.sent_at is None and note.state == "failed"
    assert f"stopped {MAX_ATTEMPTS} times" in note.last_error and "SMTPServerDisconnected" in note.last_error
    assert mail.outbox == []


def test_the_admin_lists_each_row_with_its_state(note, compliance, client):
    sent = Notification.objects.create(recipient=compliance, subject="Decision: approved", body_text="…")
    tasks.deliver(sent.pk)
    Notification.objects.filter(pk=note.pk).update(attempts=MAX_ATTEMPTS, failed_at=timezone.now(),
                                                   last_error="SMTPDataError: 451")
    admin = _persona("ada", "Ada", "Admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)

    page = client.get("/admin/notifications/notification/").content.decode()
    failed_only = client.get("/admin/notifications/notification/?state=failed").content.decode()

    assert '<td class="field-state">failed</td>' in page and '<td class="field-state">sent</td>' in page
    assert '<td class="field-state">failed</td>' in failed_only and "field-state\">sent<" not in failed_only


@pytest.mark.parametrize("state", ["pending", "sending", "lease expired", "retrying", "sent", "failed"])
def test_each_state_filter_of_the_admin_selects_exactly_the_rows_in_that_state(compliance, state, settings):
    """The admin's "By state" filter and the state column agree, row by row."""
    from healthpm.notifications.admin import state_filters

    def row(subject, **fields):
        note = Notification.objects.create(recipient=compliance, subject=subject, body_text="…")
        Notification.objects.filter(pk=note.pk).update(**fields)
        return note.pk

    now = timezone.now()
    old = now - timedelta(seconds=settings.HEALTHPM_OUTBOX_LEASE_SECONDS + 1)
    rows = {
        "pending": row("pending"),
        "sending": row("sending", claim="a" * 32, claimed_at=now, attempts=1),
        "lease expired": row("lease expired", claim="b" * 32, claimed_at=old, attempts=1),
        "retrying": row("retrying", attempts=2, last_error="SMTPDataError"),
        "sent": row("sent", sent_at=now, attempts=1),
        "failed": row("failed", failed_at=now, attempts=MAX_ATTEMPTS),
    }

    selected = list(Notification.objects.filter(state_filters()[state]).values_list("pk", flat=True))

    assert selected == [rows[state]]
    assert Notification.objects.get(pk=rows[state]).state == state


# --- the claim helper itself (healthpm/core/claims.py) ---------------------------------------
RULE = claims.Claimable(free=Q(sent_at__isnull=True, claim=""), held=Q(sent_at__isnull=True) & ~Q(claim=""),
                        max_attempts=2)


def test_two_runs_claiming_one_row_one_wins_and_only_a_dead_holder_is_taken_over(note):
    rows, lease = Notification.objects.all(), timedelta(minutes=10)

    first = claims.claim(rows, note.pk, RULE, lease=lease)
    assert first is not None and first.taken_over is None
    assert claims.claim(rows, note.pk, RULE, lease=lease) is None  # live lease
    second = claims.claim(rows, note.pk, RULE, lease=lease, take_over=True)  # the broker says it died
    assert second is not None and second.taken_over.claim == first.token

    # The first run's writes name its token and no longer match.
    assert Notification.objects.filter(claims.held_by(RULE, first.token), pk=note.pk).update(subject="x") == 0
    assert Notification.objects.filter(claims.held_by(RULE, second.token), pk=note.pk).count() == 1


def test_a_row_taken_over_max_attempts_times_goes_to_exhausted_instead(note):
    rows, lease, given_up = Notification.objects.all(), timedelta(minutes=10), []
    token = claims.claim(rows, note.pk, RULE, lease=lease).token
    token = claims.claim(rows, note.pk, RULE, lease=lease, take_over=True).token  # attempts: 2

    result = claims.claim(rows, note.pk, RULE, lease=lease, take_over=True,
                          exhausted=lambda row, holder: given_up.append((row.attempts, holder)))

    assert result is None
    (attempts, holder), = given_up
    assert attempts == 2 and Notification.objects.filter(holder, pk=note.pk).get().claim == token
