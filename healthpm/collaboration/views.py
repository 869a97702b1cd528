from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from healthpm import access
from healthpm.core.errors import WorkflowError

from .forms import AssignForm, CommentForm
from .models import MAX_COMMENT_LENGTH, Comment
from .services import comment_edit, comment_post, gate_assign, gate_request_reviewer

# The session key holding a refused comment's text, offered back in the form (templatetags).
DRAFT_KEY = "comment_draft"


def _form_errors(request, form) -> None:
    for name, problems in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for problem in problems:
            messages.error(request, f"{label}: {problem}" if label else problem)


@login_required
@require_POST
def gate_assign_view(request, slug, key):
    """The owner's team form on the gate page: who fills the gate, who is asked to review it."""
    gate = access.get_gate_for(request.user, slug, key)
    access.require_assign(request.user, gate.initiative)
    form = AssignForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(gate)
    try:
        with transaction.atomic():  # both or neither
            gate = gate_assign(gate=gate, by=request.user, assignee=form.cleaned_data["assignee"])
            gate = gate_request_reviewer(gate=gate, by=request.user, reviewer=form.cleaned_data["reviewer"])
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{gate.title}”: team saved. Whoever was newly assigned or asked has been notified.")
    return redirect(gate)


@login_required
@require_POST
def gate_comment_view(request, slug, key):
    """Post a comment, or (with `supersedes`) a new version of one's own comment.

    A refused comment redirects back to the gate with the reason, and its text is kept in the
    session and offered back in the form, so nothing typed is lost.
    """
    gate = access.get_gate_for(request.user, slug, key)
    access.require_comment(request.user, gate.initiative)
    form = CommentForm(request.POST)
    if form.is_valid():
        body, supersedes = form.cleaned_data["body"], form.cleaned_data["supersedes"]
        try:
            if supersedes:
                comment = Comment.objects.filter(gate=gate, pk=supersedes).first()
                if comment is None:
                    raise Http404("No such comment on this gate")
                comment = comment_edit(comment=comment, by=request.user, body=body)
            else:
                comment = comment_post(gate=gate, by=request.user, body=body)
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            request.session.pop(DRAFT_KEY, None)
            if supersedes and comment.pk == supersedes:
                messages.info(request, "Nothing changed: the comment already says that.")
            else:
                messages.success(request, "Comment edited; the earlier version stays visible." if supersedes
                                 else "Comment posted.")
            return redirect(f"{gate.get_absolute_url()}#{comment.anchor}")
    else:
        _form_errors(request, form)
    request.session[DRAFT_KEY] = {
        "gate": gate.pk,
        "body": str(form.data.get("body", ""))[: MAX_COMMENT_LENGTH * 2],
        "supersedes": form.cleaned_data.get("supersedes") if hasattr(form, "cleaned_data") else None,
    }
    return redirect(f"{gate.get_absolute_url()}#comment-form")
