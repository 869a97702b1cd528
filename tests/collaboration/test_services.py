"""Assignment, review requests and comments: who may, what is audited, who is told."""

import pytest
from django.core.exceptions import PermissionDenied

from healthpm.audit.models import AuditEvent
from healthpm.collaboration.models import Comment, comment_threads
from healthpm.collaboration.services import comment_edit, comment_post, gate_assign, gate_request_reviewer
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import Gate
from healthpm.notifications.models import Notification
from tests.factories import InitiativeFactory, add_link, gate_of, signed_initiative

pytestmark = pytest.mark.django_db


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-pk").first()


def inbox_of(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


# --- assignment ---------------------------------------------------------------------------
def test_owner_assigns_a_gate_to_a_collaborator_audited_and_notified_with_a_link(pm, pm2):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    gate = gate_of(initiative)
    gate_assign(gate=gate, by=pm, assignee=pm2)
    assert Gate.objects.get(pk=gate.pk).assignee == pm2
    event = last_event("gate_assigned")
    assert event.actor == pm and event.before == {"assignee": None} and event.after == {"assignee": "marco"}
    [note] = inbox_of(pm2)
    assert note.subject.startswith("Assigned to you: ") and note.link == gate.get_absolute_url()


def test_reassigning_records_both_usernames_and_unassigning_notifies_nobody(pm, pm2):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    gate = gate_assign(gate=gate_of(initiative), by=pm, assignee=pm2)
    gate_assign(gate=gate, by=pm, assignee=pm)
    assert last_event("gate_assigned").before == {"assignee": "marco"}
    assert last_event("gate_assigned").after == {"assignee": "priya"}
    assert inbox_of(pm) == []  # assigning oneself tells nobody
    gate_assign(gate=gate, by=pm, assignee=None)
    assert Gate.objects.get(pk=gate.pk).assignee is None
    assert last_event("gate_assigned").after == {"assignee": None}


def test_only_the_owner_assigns(pm, pm2, compliance):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    for someone in (pm2, compliance):
        with pytest.raises(PermissionDenied, match="Only the initiative's owner"):
            gate_assign(gate=gate_of(initiative), by=someone, assignee=pm2)
    assert not AuditEvent.objects.filter(action="gate_assigned").exists()


def test_a_gate_cannot_be_assigned_to_someone_off_the_team(pm, pm2, compliance):
    initiative = InitiativeFactory(owner=pm)
    for someone in (pm2, compliance):
        with pytest.raises(WorkflowError, match="is not on the team .* add them as a collaborator"):
            gate_assign(gate=gate_of(initiative), by=pm, assignee=someone)
    assert Gate.objects.get(pk=gate_of(initiative).pk).assignee is None


def test_owner_requests_a_reviewer_without_a_stake(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_request_reviewer(gate=gate_of(initiative), by=pm, reviewer=compliance)
    assert gate.requested_reviewer == compliance
    event = last_event("gate_reviewer_requested")
    assert event.before == {"requested_reviewer": None} and event.after == {"requested_reviewer": "grace"}
    [note] = inbox_of(compliance)
    assert note.subject.startswith("Review requested of you") and note.link == gate.get_absolute_url()


def test_a_reviewer_barred_by_separation_of_duties_is_refused_naming_why(pm, pm2, compliance):
    initiative = InitiativeFactory(owner=pm)
    add_link(gate_of(initiative), pm, "data-dictionary")
    # Grace added evidence as a team member once: the same rule that bars her from deciding.
    initiative.collaborators.add(compliance)
    with pytest.raises(WorkflowError, match="Grace Okafor collaborates on this initiative, so separation of duties"):
        gate_request_reviewer(gate=gate_of(initiative), by=pm, reviewer=compliance)
    with pytest.raises(WorkflowError, match="Marco Rossi is not an active compliance officer"):
        gate_request_reviewer(gate=gate_of(initiative), by=pm, reviewer=pm2)
    assert not AuditEvent.objects.filter(action="gate_reviewer_requested").exists()
    assert inbox_of(compliance) == []


def test_only_the_owner_requests_a_reviewer(pm, pm2, compliance):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    with pytest.raises(PermissionDenied):
        gate_request_reviewer(gate=gate_of(initiative), by=pm2, reviewer=compliance)


# --- comments -----------------------------------------------------------------------------
def test_compliance_comments_with_a_mention_that_notifies_the_pm_with_a_link_to_the_comment(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative)
    comment = comment_post(gate=gate, by=compliance, body="@priya is the lineage document signed off?")
    event = last_event("comment_posted")
    assert event.actor == compliance and event.after["mentions"] == ["priya"]
    assert event.after["body"] == "@priya is the lineage document signed off?"
    [note] = inbox_of(pm)
    assert note.link == f"{gate.get_absolute_url()}#comment-{comment.pk}"
    assert "Grace Okafor mentioned you" in note.subject
    assert "@priya is the lineage document signed off?" in note.body_text


def test_leadership_reads_but_may_not_comment(pm, leader, pm2):
    initiative = InitiativeFactory(owner=pm)
    gate_of(initiative)
    for reader in (leader, pm2):  # pm2: another team's PM
        with pytest.raises(PermissionDenied, match="Only the initiative's team and compliance officers comment"):
            comment_post(gate=gate_of(initiative), by=reader, body="Looks fine.")
    assert not Comment.objects.exists()


def test_a_mention_of_someone_who_may_not_see_the_draft_is_refused_like_an_unknown_name(pm, pm2, outsider):
    initiative = InitiativeFactory(owner=pm)  # a draft: other teams cannot see it
    for name in ("marco", "oscar", "nobody-by-that-name"):
        with pytest.raises(WorkflowError) as refused:
            comment_post(gate=gate_of(initiative), by=pm, body=f"Can you check this, @{name}?")
        assert refused.value.message.startswith(f"@{name} cannot be mentioned: only people who may see")
    assert not Comment.objects.exists()
    assert Notification.objects.filter(recipient__in=[pm2, outsider]).count() == 0


def test_a_mention_is_case_insensitive_and_oneself_is_not_notified(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    comment_post(gate=gate_of(initiative), by=pm, body="Note to self @PRIYA and to @Grace")
    assert inbox_of(pm) == [] and len(inbox_of(compliance)) == 1


def test_an_edit_is_a_new_version_and_the_old_one_stays(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative)
    first = comment_post(gate=gate, by=compliance, body="Is the drill record signed?")
    second = comment_edit(comment=first, by=compliance, body="Is the drill record signed by the unit manager?")
    first.refresh_from_db()
    assert first.body == "Is the drill record signed?" and first.superseded_at is not None
    assert (second.version, second.first_id, second.supersedes_id) == (2, first.pk, first.pk)
    assert second.anchor == first.anchor  # links to the comment survive the edit
    [thread] = comment_threads(gate)
    assert thread.current == second and thread.earlier == [first] and thread.edited
    event = last_event("comment_edited")
    assert event.before["body"] == "Is the drill record signed?"
    assert event.after["body"] == "Is the drill record signed by the unit manager?"


def test_an_edit_notifies_only_people_newly_mentioned(pm, pm2, compliance):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    first = comment_post(gate=gate_of(initiative), by=compliance, body="@priya please check")
    comment_edit(comment=first, by=compliance, body="@priya please check, with @marco")
    assert len(inbox_of(pm)) == 1 and len(inbox_of(pm2)) == 1


def test_only_the_author_edits_and_only_the_latest_version(pm, compliance, compliance2):
    initiative = InitiativeFactory(owner=pm)
    first = comment_post(gate=gate_of(initiative), by=compliance, body="First words")
    with pytest.raises(PermissionDenied, match="Only the comment's author"):
        comment_edit(comment=first, by=compliance2, body="Not mine to change")
    comment_edit(comment=first, by=compliance, body="Second words")
    with pytest.raises(WorkflowError, match="already edited"):
        comment_edit(comment=first, by=compliance, body="Third words")
    assert Comment.objects.count() == 2


def test_an_empty_or_overlong_comment_is_refused_saying_the_limit(pm):
    initiative = InitiativeFactory(owner=pm)
    with pytest.raises(WorkflowError, match="Write the comment"):
        comment_post(gate=gate_of(initiative), by=pm, body="  \n ")
    with pytest.raises(WorkflowError, match="4,001 characters long; the limit is 4,000"):
        comment_post(gate=gate_of(initiative), by=pm, body="x" * 4001)


def test_a_signed_initiative_takes_no_comments_or_assignments(pm, compliance):
    initiative = signed_initiative(pm, compliance)
    with pytest.raises(WorkflowError, match="locked"):
        comment_post(gate=gate_of(initiative), by=compliance, body="After the fact")
    with pytest.raises(WorkflowError, match="locked"):
        gate_assign(gate=gate_of(initiative), by=pm, assignee=pm)


def test_a_collaborator_who_leaves_the_team_is_unassigned_audited(pm, pm2):
    from healthpm.initiatives.services import EDITABLE_FIELDS, initiative_update

    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    gate = gate_assign(gate=gate_of(initiative), by=pm, assignee=pm2)
    initiative_update(initiative=initiative, by=pm, collaborators=[],
                      fields={f: getattr(initiative, f) for f in EDITABLE_FIELDS})
    assert Gate.objects.get(pk=gate.pk).assignee is None
    event = last_event("gate_assigned")
    assert event.before == {"assignee": "marco"} and event.after == {"assignee": None, "why": "left the team"}
