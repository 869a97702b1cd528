"""The gate page's collaboration blocks, so the gate view stays as it is:
`{% gate_team gate %}` (who fills it, who is asked to review it, the owner's form) and
`{% gate_comments gate %}` (the thread and the comment form)."""

from django import template
from django.db.models import Q

from healthpm import access
from healthpm.accounts import roles

from ..forms import CommentForm
from ..models import comment_threads
from ..views import DRAFT_KEY

register = template.Library()


@register.inclusion_tag("collaboration/_team.html", takes_context=True)
def gate_team(context, gate):
    user, initiative = context["request"].user, gate.initiative
    can_assign = access.can_assign(user, initiative) and not initiative.is_locked
    team, officers = [], []
    if can_assign:
        # Who may fill it: the owner and the collaborators who are product managers (access.can_edit), one query.
        team = sorted(
            roles.active_members(roles.PRODUCT_MANAGER).filter(Q(pk=initiative.owner_id) | Q(collaborations=initiative)),
            key=lambda u: (u.pk != initiative.owner_id, u.first_name, u.username))
        for officer in roles.active_members(roles.COMPLIANCE).order_by("first_name", "username"):
            officers.append((officer, access.reviewer_refusal(officer, initiative)))
    return {"gate": gate, "initiative": initiative, "can_assign": can_assign, "team": team, "officers": officers,
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("collaboration/_comments.html", takes_context=True)
def gate_comments(context, gate):
    request = context["request"]
    initiative = gate.initiative
    draft = request.session.get(DRAFT_KEY)
    if draft and draft.get("gate") == gate.pk:
        request.session.pop(DRAFT_KEY)
    else:
        draft = None
    editing = draft.get("supersedes") if draft else None
    new_body = draft["body"] if draft and not editing else ""
    return {
        "gate": gate,
        "initiative": initiative,
        "threads": comment_threads(gate),
        "can_comment": access.can_comment(request.user, initiative),
        "is_open": not initiative.is_locked,
        "form": CommentForm(initial={"body": new_body}),
        "editing": editing,
        "edit_body": draft["body"] if editing else "",
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
    }
