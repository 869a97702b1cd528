"""The audit trail is append-only and hash-chained; verify_audit finds the first broken event (SPEC §8)."""

import pytest
from django.core.management import call_command
from django.db import connection

from healthpm.audit import guard
from healthpm.audit.models import AppendOnlyError, AuditEvent
from healthpm.audit.services import GENESIS_HASH, record
from healthpm.lib.hashing import digest
from tests.factories import InitiativeFactory, submitted_gate

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(pm):
    """A few real events: creation, data, evidence, submission."""
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) >= 4
    return events


def _tamper(event_id: int, sql_set: str, params: list) -> None:
    # The database refuses this (test_append_only.py); the table owner can switch that off,
    # and then the hash chain is what still notices.
    with guard.lifted(connection), connection.cursor() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {sql_set} WHERE id = %s", [*params, event_id])


def test_each_event_chains_to_the_previous_one(trail):
    assert trail[0].prev_hash == GENESIS_HASH
    for previous, event in zip(trail, trail[1:]):
        assert event.prev_hash == previous.hash
        assert event.hash == digest(event.hashed_content())


def test_verify_audit_passes_on_an_intact_chain(trail, capsys):
    call_command("verify_audit")
    assert f"Audit chain intact: {len(trail)} events verified." in capsys.readouterr().out


def test_verify_audit_exits_1_naming_a_changed_event(trail, capsys):
    victim = trail[2]
    _tamper(victim.pk, "action = %s", ["nothing_to_see_here"])

    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit")

    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert f"BROKEN at event #{victim.pk}" in err and "does not match its hash" in err
    assert "2 events before it are intact" in err


def test_verify_audit_finds_a_changed_before_after_payload(trail, capsys):
    victim = trail[-1]
    _tamper(victim.pk, "after = %s", ['{"status": "approved"}'])

    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit")

    assert exit_.value.code == 1 and f"#{victim.pk}" in capsys.readouterr().err


def test_verify_audit_finds_a_removed_event(trail, capsys):
    victim = trail[1]
    with guard.lifted(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])

    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit")

    assert exit_.value.code == 1
    assert f"#{trail[2].pk}" in capsys.readouterr().err  # the event after the gap no longer links


def test_an_existing_event_cannot_be_saved_again(trail):
    event = trail[0]
    event.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action != "rewritten"


def test_events_cannot_be_deleted_one_by_one(trail):
    with pytest.raises(AppendOnlyError):
        trail[0].delete()
    assert AuditEvent.objects.count() == len(trail)


def test_querysets_cannot_update_or_delete_events(trail):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=trail[0].pk).update(action="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == len(trail)
    assert not AuditEvent.objects.filter(action="rewritten").exists()


def test_record_keeps_actor_object_and_before_after(pm):
    initiative = InitiativeFactory(owner=pm)

    event = record("initiative_updated", actor=pm, obj=initiative, initiative=initiative,
                   before={"title": "Old"}, after={"title": "New"})

    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor, event.actor_label, event.object_type) == (pm, "priya", "initiatives.Initiative")
    assert (event.before, event.after) == ({"title": "Old"}, {"title": "New"})
    assert event.hash == digest(event.hashed_content())


def test_the_overview_shows_the_initiative_trail(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)

    page = login(compliance).get(initiative.get_absolute_url()).content.decode()

    # In words (healthpm/audit/labels.py), not the codes the chain stores.
    assert "Initiative registered" in page and "Gate submitted for review" in page
