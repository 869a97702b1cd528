"""The in-app inbox: every e-mail queued for a user, theirs alone, with the unread count in the navigation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthpm.notifications.models import Notification
from healthpm.notifications.services import notify
from tests.factories import InitiativeFactory, gate_of, rejected_gate

pytestmark = pytest.mark.django_db


def entries(user, n: int, gate) -> list[Notification]:
    return [note for i in range(n) for note in notify(
        [user], subject=f"Review requested {i}", template="gate_submitted",
        context={"gate": gate, "initiative": gate.initiative, "by": user}, link=gate.get_absolute_url())]


def test_a_decision_lands_in_the_owners_inbox_linking_to_the_decision(pm, compliance, login):
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    decision = gate.decisions.get()
    note = Notification.objects.get(recipient=pm, subject__contains="rejected")
    assert note.link == f"{gate.get_absolute_url()}#decision-{decision.pk}"
    client = login(pm)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert note.subject in html
    response = client.post(reverse("notifications:read", args=[note.pk]), {"open": "1"})
    assert response["Location"] == note.link
    note.refresh_from_db()
    assert note.read_at is not None
    assert f'id="decision-{decision.pk}"' in client.get(gate.get_absolute_url()).content.decode()


def test_the_navigation_counts_unread_and_mark_all_read_clears_it(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    entries(pm, 3, gate)
    client = login(pm)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert '<span class="badge rounded-pill text-bg-warning" data-testid="inbox-unread">3<' in html
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "3 messages marked read." in response.content.decode()
    assert 'data-testid="inbox-unread"' not in response.content.decode()
    assert not Notification.objects.filter(recipient=pm, read_at__isnull=True).exists()


def test_mark_one_read_leaves_the_others_unread(pm, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    first, second = entries(pm, 2, gate)
    response = login(pm).post(reverse("notifications:read", args=[first.pk]))
    assert response["Location"] == reverse("notifications:inbox")
    first.refresh_from_db(), second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_only_the_recipient_sees_or_marks_an_entry(pm, pm2, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    [note] = entries(pm, 1, gate)
    client = login(pm2)
    assert note.subject not in client.get(reverse("notifications:inbox")).content.decode()
    assert client.post(reverse("notifications:read", args=[note.pk]), {"open": "1"}).status_code == 404
    assert client.post(reverse("notifications:read_all")).status_code == 302
    note.refresh_from_db()
    assert note.read_at is None


def test_the_inbox_page_costs_the_same_queries_for_one_entry_or_forty_five(pm, pm2, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    entries(pm, 1, gate)
    entries(pm2, 45, gate)  # a second page too
    counts = []
    for user in (pm, pm2):
        client = login(user)
        client.get(reverse("notifications:inbox"))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("notifications:inbox")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_notify_takes_only_a_path_on_this_site(pm):
    gate = gate_of(InitiativeFactory(owner=pm))
    for link in ("https://evil.example/", "//evil.example/x", ""):
        with pytest.raises(ValueError, match="path on this site"):
            notify([pm], subject="x", template="gate_submitted",
                   context={"gate": gate, "initiative": gate.initiative, "by": pm}, link=link)
