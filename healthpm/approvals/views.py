from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from healthpm import access
from healthpm.accounts import mfa, roles
from healthpm.accounts.lockout import password_reentry_failed
from healthpm.core.errors import PasswordRefused, WorkflowError

from .forms import ReopenForm, SignForm
from healthpm.gates.models import Gate

from .services import current_signature, final_decision_blockers, initiative_reopen, initiative_sign


@login_required
def approval(request, slug):
    """The final signed decision: who may sign, what still blocks it, and the signature form."""
    initiative = access.get_initiative_for(request.user, slug)
    form = SignForm(request.POST or None, needs_code=mfa.code_needed(request.user))
    status = 200
    if request.method == "POST":
        access.require_decide(request.user, initiative)
        if form.is_valid():
            try:
                signature = initiative_sign(
                    initiative=initiative, by=request.user, password=form.cleaned_data["password"],
                    meaning=form.cleaned_data["meaning"], statement=form.cleaned_data["statement"],
                    otp_code=form.cleaned_data.get("otp_code", ""),
                )
            except WorkflowError as exc:
                if isinstance(exc, PasswordRefused) and password_reentry_failed(request):
                    return redirect("login")  # AxesMiddleware answers with the lockout page
                form.add_error(None, exc.message)
                for detail in exc.details:
                    form.add_error(None, detail)
                status = 400
            else:
                messages.success(request, f"Signed: {signature.manifestation}")
                return redirect("approvals:approval", slug=slug)
        else:
            status = 400
        initiative.refresh_from_db()
    gates = Gate.objects.of_initiative(initiative)
    conflict = access.decision_conflict(request.user, initiative) if roles.is_compliance(request.user) else None
    return render(request, "approvals/approval.html", {
        "initiative": initiative,
        "gates": gates,
        "blockers": final_decision_blockers(initiative, gates, meaning="approved") if not initiative.is_locked else [],
        "signature": current_signature(initiative),
        "history": initiative.signatures.select_related("signer", "voided_by"),
        "form": form,
        "reopen_form": ReopenForm(),
        "can_decide": roles.is_compliance(request.user) and conflict is None,
        "decision_conflict": conflict,
    }, status=status)


@login_required
@require_POST
def reopen(request, slug):
    initiative = access.get_initiative_for(request.user, slug)
    access.require_reopen(request.user, initiative)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        # A missing reason gets the page's own words; any other refusal (a control character)
        # says what is wrong with the reason that was given.
        if form.has_error("reason", "required"):
            messages.error(request, "Give the reason for reopening; it is kept in the audit trail.")
        else:
            for problem in form.errors.get("reason", []):
                messages.error(request, f"Reason for reopening: {problem}")
        return redirect("approvals:approval", slug=slug)
    try:
        initiative_reopen(initiative=initiative, by=request.user, reason=form.cleaned_data["reason"])
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Reopened. The final decision is void and kept in history.")
    return redirect("approvals:approval", slug=slug)
