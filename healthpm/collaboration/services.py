"""Assignment, review requests and comments on a gate (issue 13).

Each is one transaction: the initiative and the gate are locked in that order (as in
healthpm.gates.services), the actor is authorised through healthpm.access, the audit trail
is written, and the people concerned are notified through the outbox (sent after commit).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from healthpm import access
from healthpm.accounts import roles
from healthpm.audit.services import record
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import Gate
from healthpm.gates.services import lock_gate
from healthpm.initiatives.models import Initiative
from healthpm.lib.mentions import mentioned_usernames
from healthpm.notifications.services import notify

from .models import MAX_COMMENT_LENGTH, Comment

MAX_MENTIONS = 10


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# --- assignment --------------------------------------------------------------------------
def gate_assign(*, gate: Gate, by, assignee) -> Gate:
    """The owner gives the gate to a team member (owner or collaborator) to fill; None unassigns."""
    with transaction.atomic():
        initiative, gate = lock_gate(gate)
        access.require_assign(by, initiative)
        initiative.require_open()
        if assignee is not None and not (assignee.is_active and access.can_edit(assignee, initiative)):
            raise WorkflowError(f"{roles.printed_name(assignee)} is not on the team of “{initiative.title}”: "
                                "add them as a collaborator first, then assign the gate.")
        before = gate.assignee
        if (before.pk if before else None) == (assignee.pk if assignee else None):
            return gate
        gate.assignee = assignee
        gate.save(update_fields=["assignee", "updated_at"])
        record("gate_assigned", actor=by, obj=gate, initiative=initiative,
               before={"assignee": _username(before)}, after={"assignee": _username(assignee)})
        if assignee is not None and assignee.pk != by.pk:
            notify([assignee], subject=f"Assigned to you: {gate.title} — {initiative.title}",
                   template="gate_assigned", context={"gate": gate, "initiative": initiative, "by": by},
                   link=gate.get_absolute_url())
    return gate


def gate_request_reviewer(*, gate: Gate, by, reviewer) -> Gate:
    """The owner asks a compliance officer to review the gate; None withdraws the request.

    Only an active officer whom separation of duties lets decide the initiative may be asked
    (the same rule as deciding: healthpm.access). It is a request: any other officer without
    a conflict may still decide the gate.
    """
    with transaction.atomic():
        initiative, gate = lock_gate(gate)
        access.require_assign(by, initiative)
        initiative.require_open()
        if reviewer is not None:
            refusal = access.reviewer_refusal(reviewer, initiative)
            if refusal:
                raise WorkflowError(refusal)
        before = gate.requested_reviewer
        if (before.pk if before else None) == (reviewer.pk if reviewer else None):
            return gate
        gate.requested_reviewer = reviewer
        gate.save(update_fields=["requested_reviewer", "updated_at"])
        record("gate_reviewer_requested", actor=by, obj=gate, initiative=initiative,
               before={"requested_reviewer": _username(before)}, after={"requested_reviewer": _username(reviewer)})
        if reviewer is not None:
            notify([reviewer], subject=f"Review requested of you: {gate.title} — {initiative.title}",
                   template="reviewer_requested", context={"gate": gate, "initiative": initiative, "by": by},
                   link=gate.get_absolute_url())
    return gate


# --- comments ----------------------------------------------------------------------------
def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise WorkflowError("Write the comment before posting it.")
    if len(body) > MAX_COMMENT_LENGTH:
        raise WorkflowError(f"The comment is {len(body):,} characters long; the limit is {MAX_COMMENT_LENGTH:,}. "
                            "Shorten it, or attach the longer text to the gate as evidence and refer to it.")
    return body


def resolve_mentions(body: str, initiative: Initiative, *, by) -> list:
    """The people a comment's @mentions name, every one of whom may see the initiative.

    A mention of anyone else — an unknown username, an inactive account, or a person the
    initiative is hidden from — is refused with the same words, so the comment neither
    notifies them nor tells the writer whether such an account exists.
    """
    names = mentioned_usernames(body)
    if len(names) > MAX_MENTIONS:
        raise WorkflowError(f"The comment mentions {len(names)} people; mention at most {MAX_MENTIONS}.")
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    found = {u.get_username().lower(): u for u in get_user_model().objects.filter(query, is_active=True)}
    people, refused = [], []
    for name in names:
        user = found.get(name.lower())
        if user is None or not access.can_see_initiative(user, initiative):
            refused.append(f"@{name}")
        elif user.pk != by.pk:
            people.append(user)
    if refused:
        raise WorkflowError(
            f"{', '.join(refused)} cannot be mentioned: only people who may see “{initiative.title}” can be "
            "mentioned. Check the spelling of the username, or remove the @ to name them without notifying them."
        )
    return people


def _notify_mentions(people: list, comment: Comment, initiative: Initiative, gate: Gate, *, by) -> None:
    if people:
        notify(people, subject=f"{roles.printed_name(by)} mentioned you on {gate.title} — {initiative.title}",
               template="comment_mention",
               context={"gate": gate, "initiative": initiative, "by": by, "comment": comment},
               link=f"{gate.get_absolute_url()}#{comment.anchor}")


def comment_post(*, gate: Gate, by, body: str) -> Comment:
    """Add a comment to the gate's thread; @mentions of people who may see the initiative notify them."""
    body = _clean_body(body)
    with transaction.atomic():
        initiative, gate = lock_gate(gate)
        access.require_comment(by, initiative)
        initiative.require_open()
        people = resolve_mentions(body, initiative, by=by)
        comment = Comment.objects.create(gate=gate, author=by, body=body)
        record("comment_posted", actor=by, obj=comment, initiative=initiative, before=None,
               after={**comment.snapshot(), "mentions": [u.get_username() for u in people]})
        _notify_mentions(people, comment, initiative, gate, by=by)
    return comment


def comment_edit(*, comment: Comment, by, body: str) -> Comment:
    """Edit one's own comment: a new version supersedes the current one, which stays readable.

    People mentioned in the new version and not in the one it replaces are notified.
    """
    body = _clean_body(body)
    with transaction.atomic():
        initiative, gate = lock_gate(comment.gate)
        current = Comment.objects.select_for_update().filter(pk=comment.pk, gate=gate).first()
        if current is None:
            raise WorkflowError("That comment is not on this gate.")
        access.require_comment(by, initiative)
        if current.author_id != by.pk:
            raise PermissionDenied("Only the comment's author can edit it; reply to it instead.")
        initiative.require_open()
        if current.superseded_at is not None:
            raise WorkflowError("That comment was already edited; reload the page and edit its latest version.")
        if body == current.body:
            return current
        people = resolve_mentions(body, initiative, by=by)
        before_names = {n.lower() for n in mentioned_usernames(current.body)}
        new = [u for u in people if u.get_username().lower() not in before_names]
        edited = Comment.objects.create(gate=gate, author=by, body=body, version=current.version + 1,
                                        first_id=current.thread_id, supersedes=current)
        current.superseded_at = timezone.now()
        current.save(update_fields=["superseded_at"])
        record("comment_edited", actor=by, obj=edited, initiative=initiative, before=current.snapshot(),
               after={**edited.snapshot(), "mentions": [u.get_username() for u in new]})
        _notify_mentions(new, edited, initiative, gate, by=by)
    return edited
