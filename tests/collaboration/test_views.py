"""The gate page's team form and comment thread, the overview and the list's "Assigned to me"."""

import pytest
from django.urls import reverse

from healthpm.collaboration.models import Comment
from healthpm.collaboration.services import comment_post, gate_assign
from healthpm.gates.models import Gate
from tests.factories import InitiativeFactory, add_link, gate_of

pytestmark = pytest.mark.django_db


def team_url(gate):
    return reverse("collaboration:assign", args=[gate.initiative.slug, gate.key])


def comment_url(gate):
    return reverse("collaboration:comment", args=[gate.initiative.slug, gate.key])


def page(client, gate) -> str:
    response = client.get(gate.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# --- the team form ---------------------------------------------------------------------------
def test_owner_assigns_and_requests_a_reviewer_from_the_gate_page(pm, pm2, compliance, login):
    gate = gate_of(InitiativeFactory(owner=pm, collaborators=[pm2]))
    client = login(pm)
    response = client.post(team_url(gate), {"assignee": "marco", "reviewer": "grace"}, follow=True)
    assert "team saved" in response.content.decode()
    stored = Gate.objects.get(pk=gate.pk)
    assert (stored.assignee, stored.requested_reviewer) == (pm2, compliance)
    html = page(client, gate)
    assert '<strong data-testid="assignee">Marco Rossi</strong>' in html
    assert '<strong data-testid="requested-reviewer">Grace Okafor</strong>' in html


def test_the_team_form_is_the_owners_and_offers_conflicted_officers_disabled(pm, pm2, compliance, compliance2, login):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    initiative.collaborators.add(compliance2)
    gate = gate_of(initiative)
    html = page(login(pm), gate)
    assert 'action="%s"' % team_url(gate) in html
    assert '<option value="grace" >Grace Okafor</option>' in html
    assert '<option value="henrik"  disabled>Henrik Larsen — may not decide (separation of duties)</option>' in html
    assert 'action="%s"' % team_url(gate) not in page(login(pm2), gate)


def test_a_conflicted_reviewer_posted_anyway_is_refused_with_the_reason_and_nothing_changes(pm, pm2, compliance, login):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    add_link(gate_of(initiative), pm, "data-dictionary")
    initiative.collaborators.add(compliance)
    gate = gate_of(initiative)
    response = login(pm).post(team_url(gate), {"assignee": "marco", "reviewer": "grace"}, follow=True)
    assert "Grace Okafor collaborates on this initiative, so separation of duties bars them" in response.content.decode()
    stored = Gate.objects.get(pk=gate.pk)
    assert stored.assignee is None and stored.requested_reviewer is None  # both or neither


def test_a_collaborator_may_not_post_the_team_form(pm, pm2, login):
    gate = gate_of(InitiativeFactory(owner=pm, collaborators=[pm2]))
    assert login(pm2).post(team_url(gate), {"assignee": "marco"}).status_code == 403
    assert Gate.objects.get(pk=gate.pk).assignee is None


def test_the_overview_and_the_list_show_whom_a_gate_is_assigned_to(pm, pm2, login):
    mine = InitiativeFactory(owner=pm, collaborators=[pm2], title="Sepsis alert")
    InitiativeFactory(owner=pm, collaborators=[pm2], title="Fall risk")
    gate = gate_assign(gate=gate_of(mine), by=pm, assignee=pm2)
    client = login(pm2)
    overview = client.get(mine.get_absolute_url()).content.decode()
    assert "Assigned to you" in overview
    assert "Assigned to Marco Rossi" in login(pm).get(mine.get_absolute_url()).content.decode()
    assigned = login(pm2).get(reverse("initiatives:list") + "?scope=assigned").content.decode()
    assert "Sepsis alert" in assigned and "Fall risk" not in assigned
    assert f'Assigned to you: <a href="{gate.get_absolute_url()}">' in assigned


# --- comments --------------------------------------------------------------------------------
def test_compliance_posts_a_comment_shown_escaped_and_linked_by_its_anchor(pm, compliance, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    client = login(compliance)
    response = client.post(comment_url(gate), {"body": "Is <b>this</b> signed?\nSecond line"})
    comment = Comment.objects.get()
    assert response["Location"] == f"{gate.get_absolute_url()}#comment-{comment.pk}"
    html = page(client, gate)
    assert "Is &lt;b&gt;this&lt;/b&gt; signed?<br>Second line" in html and "<b>this</b>" not in html


def test_leadership_reads_the_thread_without_a_form_and_a_post_is_refused(pm, compliance, leader, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    comment_post(gate=gate, by=compliance, body="Where is the drill record?")
    client = login(leader)
    html = page(client, gate)
    assert "Where is the drill record?" in html and 'id="comment-form"' not in html
    assert "You can read this thread" in html
    assert client.post(comment_url(gate), {"body": "Approve it"}).status_code == 403
    assert Comment.objects.count() == 1


def test_a_refused_mention_says_who_and_gives_the_text_back(pm, pm2, login):
    gate = gate_of(InitiativeFactory(owner=pm))  # a draft Marco cannot see
    client = login(pm)
    response = client.post(comment_url(gate), {"body": "Marco, @marco, can you check?"}, follow=True)
    html = response.content.decode()
    assert "@marco cannot be mentioned: only people who may see" in html
    assert ">Marco, @marco, can you check?</textarea>" in html
    assert not Comment.objects.exists()
    assert ">Marco, @marco" not in page(client, gate)  # offered back once, not forever


def test_editing_shows_edited_with_the_earlier_version_on_demand(pm, compliance, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    first = comment_post(gate=gate, by=compliance, body="Is the drill signed?")
    client = login(compliance)
    response = client.post(comment_url(gate), {"body": "Is the drill record signed?", "supersedes": first.pk})
    assert response["Location"].endswith(f"#comment-{first.pk}")
    html = page(client, gate)
    assert "Edited — show the earlier version (1)" in html
    assert "Version 1," in html and "Is the drill signed?" in html and "Is the drill record signed?" in html


def test_editing_someone_elses_comment_is_refused(pm, compliance, compliance2, login):
    gate = gate_of(InitiativeFactory(owner=pm))
    first = comment_post(gate=gate, by=compliance, body="Mine")
    assert login(compliance2).post(comment_url(gate), {"body": "Yours", "supersedes": first.pk}).status_code == 403


def test_a_comment_id_of_another_gate_is_not_found(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm)
    other = comment_post(gate=gate_of(initiative, "paper-fallback"), by=compliance, body="Elsewhere")
    gate = gate_of(initiative)
    assert login(compliance).post(comment_url(gate), {"body": "x", "supersedes": other.pk}).status_code == 404
