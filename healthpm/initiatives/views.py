import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from healthpm import access
from healthpm.approvals.services import current_signature
from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates import registry
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Gate, GateStatus
from healthpm.gates.report import gate_report

from . import listing
from .forms import InitiativeForm, MoveChecklistForm
from .models import Initiative, Status
from .progress import next_step
from .services import initiative_create, initiative_move_checklist, initiative_update


@login_required
@require_safe
def initiative_list(request):
    scope = request.GET.get("scope", "mine")
    visible = Initiative.objects.visible_to(request.user)
    mine = visible.involving(request.user)
    if scope == "mine" and not mine.exists():
        scope = "all"  # compliance and leadership own nothing: show them everything
    text = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    sort, descending = listing.parse_sort(request.GET.get("sort"))
    base = {"mine": mine, "assigned": visible.filter(gates__assignee=request.user).distinct()}.get(scope, visible)
    qs = listing.rows(base, text=text, status=status, sort=sort,
                      descending=descending)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    rows = []
    for initiative in page:
        chips = listing.gate_chips(initiative)
        rows.append((initiative, chips, listing.gate_summary(chips)))
    return render(request, "initiatives/list.html", {
        "page": page, "rows": rows,
        "scope": scope, "status": status, "statuses": Status.choices, "q": text,
        "sort": sort, "descending": descending, "sorts": listing.SORTS,
        "columns": [(key, listing.SORTS[key].label) for key in ("title", "area", "owner", "status", "progress")],
        "can_create": access.can_create_initiative(request.user),
    })


# Idempotency tokens of create forms this session already used → the initiative each made.
CREATED_KEY = "healthpm_created_initiatives"
CREATED_KEPT = 20


@login_required
def initiative_new(request):
    access.require_create_initiative(request.user)
    token = request.POST.get("create_token", "")[:64]
    made = request.session.get(CREATED_KEY, {})
    if request.method == "POST" and token in made:
        # Back, then Create again: the form was already used; show what it made instead of a duplicate.
        existing = Initiative.objects.visible_to(request.user).filter(slug=made[token]).first()
        if existing is not None:
            messages.info(request, f"“{existing.title}” was already created from this form, so no second copy was "
                                   "made. Change it here if needed.")
            return redirect(existing)
    form = InitiativeForm(request.POST or None, initial={"owner": request.user.pk, "create_token": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            initiative = initiative_create(
                by=request.user, fields=form.service_fields(), owner=form.cleaned_data["owner"],
                collaborators=form.cleaned_data["collaborators"],
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            if token:
                made = {**made, token: initiative.slug}
                request.session[CREATED_KEY] = dict(list(made.items())[-CREATED_KEPT:])
            messages.success(request, f"“{initiative.title}” created. Start with the first gate.")
            return redirect(initiative)
    return render(request, "initiatives/form.html", {"form": form, "initiative": None})


@login_required
def initiative_edit(request, slug):
    initiative = access.get_initiative_for(request.user, slug)
    access.require_edit(request.user, initiative)
    if initiative.is_locked:
        messages.error(request, f"“{initiative.title}” has a final decision, so it cannot be changed. "
                                "A compliance officer can reopen it.")
        return redirect("initiatives:overview", slug=slug)
    form = InitiativeForm(request.POST or None, instance=initiative)
    if request.method == "POST" and form.is_valid():
        try:
            initiative_update(
                initiative=initiative, by=request.user, fields=form.service_fields(),
                owner=form.cleaned_data["owner"], collaborators=form.cleaned_data["collaborators"],
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Initiative saved.")
            return redirect("initiatives:overview", slug=slug)
    return render(request, "initiatives/form.html", {"form": form, "initiative": initiative})


@login_required
@require_safe
def initiative_overview(request, slug):
    initiative = access.get_initiative_for(request.user, slug)
    gates = Gate.objects.of_initiative(initiative)
    ctx = evaluation_context()
    rows = [
        {"gate": report.gate, "position": report.position, "blockers": report.blockers, "approval": report.approval,
         "stale": report.gate.status == GateStatus.APPROVED and not report.approval_matches}
        for report in (gate_report(g, ctx) for g in gates)
    ]
    trail = AuditEvent.objects.for_initiative(initiative)[:100]
    return render(request, "initiatives/overview.html", {
        "initiative": initiative,
        "rows": rows,
        "next": next_step(initiative, gates),
        "signature": current_signature(initiative),
        "past_signatures": initiative.signatures.exclude(voided_at__isnull=True).select_related("signer", "voided_by"),
        "collaborators": initiative.collaborators.all(),
        "trail": trail,
        "can_edit": access.can_edit(request.user, initiative),
        "can_decide": access.can_decide(request.user, initiative),
        "move_form": _move_form(request.user, initiative),
    })


def _checklist_choices(initiative: Initiative) -> list[tuple[int, str]]:
    current = registry.checklist(initiative.checklist_version)
    return [(c.version, f"v{c.version} — {len(c.gates)} gates, {len(set(c.keys) - set(current.keys))} new "
                        f"(released {c.released.isoformat()})")
            for c in registry.later_released(initiative.checklist_version)]


def _move_form(user, initiative: Initiative, data=None) -> MoveChecklistForm | None:
    """The move offer on the overview: to officers who may move it, while a later checklist exists."""
    choices = _checklist_choices(initiative)
    if not choices or initiative.is_locked or not access.can_move_checklist(user, initiative):
        return None
    return MoveChecklistForm(data, choices=choices)


@login_required
@require_POST
def initiative_move_checklist_view(request, slug):
    initiative = access.get_initiative_for(request.user, slug)
    access.require_move_checklist(request.user, initiative)  # before reading the form, like reopen
    form = MoveChecklistForm(request.POST, choices=_checklist_choices(initiative))
    if not form.is_valid():
        for name, problems in form.errors.items():
            for problem in problems:
                messages.error(request, f"{form.fields[name].label}: {problem}" if name in form.fields else problem)
        return redirect(initiative.get_absolute_url())
    try:
        initiative_move_checklist(initiative=initiative, by=request.user, version=form.cleaned_data["version"],
                                  reason=form.cleaned_data["reason"])
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Now held to checklist v{form.cleaned_data['version']}. Approvals of unchanged "
                                  "gates are kept; the new gates start empty.")
    return redirect(initiative.get_absolute_url())
