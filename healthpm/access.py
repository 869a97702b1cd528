"""Who may see and who may change what (SPEC §1). Every view, form post and download asks here.

Views fetch objects through access.py (404 for what the user may not see); services authorise (403).

- `get_*_for(user, …)` is how a view fetches: what the user may not see answers 404
  (`Http404`), so ids do not leak.
- `require_*(user, …)` is how a service authorises, inside its transaction with the rows
  locked: what the user may see but not change raises `PermissionDenied` (403) with the
  message below, the one place each refusal is worded.
- A view that reads a form before calling its service asks that service's own `require_*`
  first, so a refused user gets 403 rather than the form's validation; it adds no rule of
  its own. `can_*` only decides what a page shows.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from healthpm.accounts import roles
from healthpm.gates.definitions.base import UnknownGate
from healthpm.gates.models import Evidence, Gate
from healthpm.initiatives.models import Initiative


# --- seeing ----------------------------------------------------------------------------
def get_initiative_for(user, slug: str) -> Initiative:
    initiative = (
        Initiative.objects.visible_to(user).select_related("owner").filter(slug=slug).first()
    )
    if initiative is None:
        raise Http404("No such initiative")
    return initiative


def get_gate_for(user, slug: str, key: str) -> Gate:
    initiative = get_initiative_for(user, slug)
    gate = (
        Gate.objects.filter(initiative=initiative, key=key)
        .select_related("initiative", "initiative__owner", "submitted_by", "assignee", "requested_reviewer")
        .prefetch_related("evidence__author", "decisions__decided_by")
        .first()
    )
    if gate is None:
        raise Http404("No such gate")
    try:
        gate.definition  # noqa: B018 - a gate its checklist does not define is not shown
    except UnknownGate:
        raise Http404("No such gate in this initiative's checklist") from None
    return gate


def get_evidence_for(user, slug: str, key: str, evidence_id: int) -> Evidence:
    gate = get_gate_for(user, slug, key)
    evidence = Evidence.objects.filter(gate=gate, pk=evidence_id).first()
    if evidence is None:
        raise Http404("No such evidence")
    return evidence


def can_view_dashboard(user) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.is_leader(user) or roles.is_compliance(user))


def require_dashboard(user) -> None:
    if not can_view_dashboard(user):
        raise PermissionDenied("The portfolio dashboard is for leadership and compliance.")


def can_review(user) -> bool:
    """The review queue (/reviews/) is a compliance officer's work list."""
    return user.is_authenticated and roles.is_compliance(user)


def require_review_queue(user) -> None:
    if not can_review(user):
        raise PermissionDenied("The review queue is for compliance officers.")


# --- changing --------------------------------------------------------------------------
def can_create_initiative(user) -> bool:
    return user.is_authenticated and roles.is_pm(user)


def require_create_initiative(user) -> None:
    if not can_create_initiative(user):
        raise PermissionDenied("Only product managers create initiatives.")


def can_edit(user, initiative: Initiative) -> bool:
    """Owner and collaborators who are product managers fill gates and attach evidence."""
    return (
        user.is_authenticated
        and roles.is_pm(user)
        and user.pk in initiative.team_ids()
    )


def require_edit(user, initiative: Initiative) -> None:
    if not can_edit(user, initiative):
        raise PermissionDenied("Only the initiative's owner and collaborators can change it.")


def require_withdraw(user, initiative: Initiative) -> None:
    """Taking a gate back from review is the team's, like submitting it."""
    if not can_edit(user, initiative):
        raise PermissionDenied("Only the initiative's owner and collaborators can withdraw a gate from review.")


# The separation-of-duties rule (SPEC §1): each stake a user can hold in an initiative, in the
# order a refusal names them, with the words that say it to them and to someone asking about them.
# One initiative (decision_conflict, reviewer_refusal) and a whole review queue
# (stake_annotations) ask this same rule.
STAKES = (
    ("owns", "You own this initiative", "owns this initiative"),
    ("collaborates", "You collaborate on this initiative", "collaborates on this initiative"),
    ("added_evidence", "You added evidence to this initiative", "added evidence to this initiative"),
    ("submitted", "You submitted a gate of this initiative", "submitted a gate of this initiative"),
)


def stake_annotations(user, initiative_ref: str = "pk") -> dict:
    """Each stake of STAKES as an SQL `Exists` on the initiative whose id is `OuterRef(initiative_ref)`:
    annotate a queryset of initiatives ("pk") or of gates ("initiative_id") with them in one query."""
    ref = OuterRef(initiative_ref)
    return {
        "owns": Exists(Initiative.objects.filter(pk=ref, owner_id=user.pk)),
        "collaborates": Exists(Initiative.collaborators.through.objects.filter(initiative_id=ref, user_id=user.pk)),
        "added_evidence": Exists(Evidence.objects.filter(gate__initiative_id=ref, author_id=user.pk)),
        "submitted": Exists(Gate.objects.filter(initiative_id=ref, submitted_by_id=user.pk)),
    }


def _first_stake(stakes) -> tuple[str, str, str] | None:
    return next((stake for stake in STAKES if stakes.get(stake[0])), None)


def conflict_from(stakes) -> str | None:
    """The reason the first stake held bars deciding (`stakes` maps STAKES names to booleans)."""
    stake = _first_stake(stakes)
    return f"{stake[1]}, so you cannot decide its gates or sign it." if stake else None


def without_stake(user, initiative_ref: str = "initiative_id") -> list:
    """Filter arguments keeping only rows whose initiative `user` holds no stake in."""
    return [~condition for condition in stake_annotations(user, initiative_ref).values()]


def _stakes(user, initiative: Initiative) -> dict:
    """The user's stakes in one initiative (one query; none for the owner)."""
    if user.pk == initiative.owner_id:
        return {"owns": True}
    return Initiative.objects.filter(pk=initiative.pk).values(**stake_annotations(user)).first() or {}


def decision_conflict(user, initiative: Initiative) -> str | None:
    """Why separation of duties bars this user from deciding this initiative, if it does (one query)."""
    return conflict_from(_stakes(user, initiative))


def reviewer_refusal(user, initiative: Initiative) -> str | None:
    """Why this user cannot be asked to review the initiative's gates, worded for the owner asking:
    not an active compliance officer, or barred by the same separation of duties as deciding."""
    name = roles.printed_name(user)
    if not (user.is_active and roles.is_compliance(user)):
        return f"{name} is not an active compliance officer; ask one of the compliance officers listed."
    stake = _first_stake(_stakes(user, initiative))
    if stake:
        return (f"{name} {stake[2]}, so separation of duties bars them from deciding its gates; "
                "ask another compliance officer.")
    return None


def can_decide(user, initiative: Initiative) -> bool:
    return user.is_authenticated and roles.is_compliance(user) and decision_conflict(user, initiative) is None


def require_decide(user, initiative: Initiative) -> None:
    """Compliance officers without a conflict decide gates and sign the final decision."""
    if not (user.is_authenticated and roles.is_compliance(user)):
        raise PermissionDenied("Only compliance officers decide gates and sign launch decisions.")
    conflict = decision_conflict(user, initiative)
    if conflict:
        raise PermissionDenied(conflict)


def can_record_exception(user, initiative: Initiative) -> bool:
    return can_decide(user, initiative)


def require_record_exception(user, initiative: Initiative) -> None:
    """A written exception to a gate's rule is a decision: the same officers, the same conflicts."""
    if not (user.is_authenticated and roles.is_compliance(user)):
        raise PermissionDenied("Only compliance officers record written exceptions to a gate's rules.")
    conflict = decision_conflict(user, initiative)
    if conflict:
        raise PermissionDenied(f"{conflict} A written exception is a decision too.")


def can_reopen(user, initiative: Initiative) -> bool:
    return can_decide(user, initiative)


def require_reopen(user, initiative: Initiative) -> None:
    require_decide(user, initiative)


def can_move_checklist(user, initiative: Initiative) -> bool:
    """Moving an initiative to a new checklist changes what it is judged by: the same people
    who may decide its gates (compliance, without a stake in it)."""
    return can_decide(user, initiative)


def require_move_checklist(user, initiative: Initiative) -> None:
    require_decide(user, initiative)


# --- collaboration: assignment and comments (issue 13) -----------------------------------
def can_assign(user, initiative: Initiative) -> bool:
    """The owner assigns the gates to the team and asks a compliance officer to review them."""
    return user.is_authenticated and user.pk == initiative.owner_id and roles.is_pm(user)


def require_assign(user, initiative: Initiative) -> None:
    if not can_assign(user, initiative):
        raise PermissionDenied("Only the initiative's owner assigns its gates and requests a reviewer.")


def can_comment(user, initiative: Initiative) -> bool:
    """The team (owner and collaborators) and compliance officers discuss a gate; leadership,
    other teams and users without a role read the thread only."""
    return user.is_authenticated and (can_edit(user, initiative) or roles.is_compliance(user))


def require_comment(user, initiative: Initiative) -> None:
    if not can_comment(user, initiative):
        raise PermissionDenied("Only the initiative's team and compliance officers comment on its gates; "
                               "you may read the thread.")


def can_see_initiative(user, initiative: Initiative) -> bool:
    """Whether this (other) user may see the initiative: who a mention may notify (one query)."""
    return user.is_active and Initiative.objects.visible_to(user).filter(pk=initiative.pk).exists()


# --- dossiers (SPEC §6) ------------------------------------------------------------------
def can_export_dossier(user, initiative: Initiative) -> bool:
    """The team, compliance and leadership generate dossiers; whoever sees the initiative downloads them."""
    return user.is_authenticated and (
        can_edit(user, initiative) or roles.is_compliance(user) or roles.is_leader(user)
    )


def require_export_dossier(user, initiative: Initiative) -> None:
    if not can_export_dossier(user, initiative):
        raise PermissionDenied("Only the initiative's team, compliance and leadership generate dossiers.")


# --- live monitoring after launch (issue 16) -----------------------------------------------
def can_record_metrics(user, initiative: Initiative, *, owners=()) -> bool:
    """Who may send a launched initiative's live numbers: the owner of the metric in the approved
    monitoring plan (`owners`: their usernames), the initiative's team, compliance officers, or
    a service account granted `monitoring.record_metrics` (the data team's jobs, via the API)."""
    return user.is_authenticated and user.is_active and (
        user.get_username() in set(owners)
        or can_edit(user, initiative)
        or roles.is_compliance(user)
        or user.has_perm("monitoring.record_metrics")
    )


def require_record_metrics(user, initiative: Initiative, *, owners=()) -> None:
    if not can_record_metrics(user, initiative, owners=owners):
        raise PermissionDenied("Only the metric's owner in the monitoring plan, the initiative's team, compliance "
                               "officers and authorised service accounts record monitoring samples.")
