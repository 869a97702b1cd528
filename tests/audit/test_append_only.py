"""The database itself refuses to change or remove audit events (audit migration 0002, SPEC §8).

The application has no update or delete path (test_chain.py); these tests go around it, with
SQL and with the ORM's plain manager, and find the database refusing on PostgreSQL and SQLite.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from healthpm.audit import guard
from healthpm.audit.models import AppendOnlyError, AuditEvent
from healthpm.audit.services import record, verify_chain
from healthpm.initiatives.models import Initiative
from tests.factories import InitiativeFactory, UserFactory, submitted_gate

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(pm):
    initiative = InitiativeFactory(owner=pm)
    submitted_gate(initiative, pm)
    return list(AuditEvent.objects.order_by("id").values_list("id", "action", "hash"))


def _refused(sql: str, params=()) -> str:
    """Run sql in a savepoint; return the database's refusal (the test fails if it runs)."""
    with pytest.raises(DatabaseError) as refusal:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, list(params))
    return str(refusal.value)


def _unchanged(trail) -> bool:
    """Every event of trail is still there, as it was (new events may follow, e.g. a login)."""
    return list(AuditEvent.objects.order_by("id").values_list("id", "action", "hash")[:len(trail)]) == trail


def test_the_triggers_are_installed():
    assert guard.installed(connection)


def test_sql_update_is_refused_and_changes_nothing(trail):
    message = _refused("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["nothing_to_see", trail[0][0]])

    assert "append-only: UPDATE on audit_auditevent refused" in message
    assert _unchanged(trail)


def test_sql_delete_of_one_event_is_refused(trail):
    message = _refused("DELETE FROM audit_auditevent WHERE id = %s", [trail[1][0]])

    assert "append-only: DELETE on audit_auditevent refused" in message
    assert _unchanged(trail)


def test_sql_delete_of_the_whole_table_is_refused(trail):
    assert "append-only: DELETE" in _refused("DELETE FROM audit_auditevent")
    assert _unchanged(trail)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncate_is_refused_on_postgresql(trail):
    # Run the test transaction's deferred FK checks now; PostgreSQL refuses TRUNCATE while they are pending.
    connection.check_constraints()
    assert "append-only: TRUNCATE on audit_auditevent refused" in _refused("TRUNCATE audit_auditevent")
    assert _unchanged(trail)


def test_the_orm_guard_refuses_first(trail):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=trail[0][0]).update(action="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert _unchanged(trail)


def test_the_orm_around_the_guard_is_refused_by_the_database(trail):
    # The plain base manager skips AuditEventQuerySet, as Django's deletion collector does.
    plain = AuditEvent._base_manager
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=trail[0][0]).update(action="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=trail[0][0])._raw_delete(connection.alias)
    assert _unchanged(trail)


def test_recording_still_works_and_the_chain_verifies_after_refusals(trail, pm, capsys):
    _refused("UPDATE audit_auditevent SET action = 'x'")
    _refused("DELETE FROM audit_auditevent")

    event = record("initiative_viewed", actor=pm)

    assert AuditEvent.objects.order_by("-id").first() == event
    assert verify_chain() == (len(trail) + 1, None)
    call_command("verify_audit")
    assert f"Audit chain intact: {len(trail) + 1} events verified." in capsys.readouterr().out


def test_a_user_in_the_trail_cannot_be_deleted_and_the_trail_stays(trail, pm):
    with pytest.raises(ProtectedError), transaction.atomic():
        pm.delete()

    assert get_user_model().objects.filter(pk=pm.pk).exists()
    assert _unchanged(trail)


def test_an_initiative_in_the_trail_cannot_be_deleted(trail):
    initiative = Initiative.objects.get()
    with pytest.raises(ProtectedError), transaction.atomic():
        initiative.delete()

    assert Initiative.objects.filter(pk=initiative.pk).exists()
    assert _unchanged(trail)


def test_the_admin_explains_why_a_user_in_the_trail_cannot_be_deleted(trail, pm, client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:auth_user_delete", args=[pm.pk])

    page = client.get(url)
    posted = client.post(url, {"post": "yes"})

    assert page.status_code == 200
    text = page.content.decode()
    # Deleting the user would delete their audit events, which no one may delete.
    assert "Cannot delete user" in text and "<li>audit event</li>" in text
    assert posted.status_code == 200 and "Cannot delete user" in posted.content.decode()
    assert get_user_model().objects.filter(pk=pm.pk).exists()
    assert _unchanged(trail)


def test_flush_empties_the_trail_and_puts_the_refusal_back(trail):
    call_command("flush", interactive=False, verbosity=0)

    assert not AuditEvent.objects.exists()
    assert guard.installed(connection)
    record("after_flush")
    assert "append-only" in _refused("DELETE FROM audit_auditevent")


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_is_flushed_despite_the_triggers(pm):
    """Its teardown is pytest-django's flush: an error there would fail this test."""
    record("committed", actor=pm)
    assert AuditEvent.objects.filter(action="committed").exists()
