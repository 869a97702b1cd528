from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from healthpm import access
from healthpm.accounts import mfa, oidc, roles, sso
from healthpm.accounts.lockout import password_reentry_failed
from healthpm.core.errors import PasswordRefused, WorkflowError

from .forms import ReopenForm, SignForm
from healthpm.gates.models import Gate

from .services import check_can_sign, current_signature, final_decision_blockers, initiative_reopen, initiative_sign


@login_required
def approval(request, slug):
    """The final signed decision: who may sign, what still blocks it, and the signature form."""
    initiative = access.get_initiative_for(request.user, slug)
    at_provider = oidc.is_sso_user(request.user)
    form = SignForm(request.POST or None, reauthenticate_at_provider=at_provider,
                    needs_code=not at_provider and mfa.code_needed(request.user))
    status = 200
    if request.method == "POST":
        access.require_decide(request.user, initiative)
        if form.is_valid() and at_provider:
            meaning, statement = form.cleaned_data["meaning"], form.cleaned_data["statement"]
            try:
                check_can_sign(initiative=initiative, by=request.user, meaning=meaning, statement=statement)
                return sso.begin_reauthentication(
                    request, purpose={"action": "sign", "target": initiative.pk, "meaning": meaning,
                                      "statement": statement},
                    resume_url=reverse("approvals:sign_reauthenticated", args=[slug]))
            except WorkflowError as exc:
                _form_errors(form, exc)
                status = 400
        elif form.is_valid():
            try:
                signature = initiative_sign(
                    initiative=initiative, by=request.user, password=form.cleaned_data["password"],
                    meaning=form.cleaned_data["meaning"], statement=form.cleaned_data["statement"],
                    otp_code=form.cleaned_data.get("otp_code", ""),
                )
            except WorkflowError as exc:
                if isinstance(exc, PasswordRefused) and password_reentry_failed(request):
                    return redirect("login")  # AxesMiddleware answers with the lockout page
                _form_errors(form, exc)
                status = 400
            else:
                messages.success(request, f"Signed: {signature.manifestation}")
                return redirect("approvals:approval", slug=slug)
        else:
            status = 400
        initiative.refresh_from_db()
    gates = Gate.objects.of_initiative(initiative)
    conflict = access.decision_conflict(request.user, initiative) if roles.is_compliance(request.user) else None
    response = render(request, "approvals/approval.html", {
        "initiative": initiative,
        "gates": gates,
        "blockers": final_decision_blockers(initiative, gates, meaning="approved") if not initiative.is_locked else [],
        "signature": current_signature(initiative),
        "history": initiative.signatures.select_related("signer", "voided_by"),
        "form": form,
        "reopen_form": ReopenForm(),
        "can_decide": roles.is_compliance(request.user) and conflict is None,
        "decision_conflict": conflict,
        "sign_at_provider": at_provider,
    }, status=status)
    return sso.allow_form_to_provider(response) if at_provider else response


def _form_errors(form, exc: WorkflowError) -> None:
    form.add_error(None, exc.message)
    for detail in exc.details:
        form.add_error(None, detail)


@login_required
@require_safe
def sign_reauthenticated(request, slug):
    """Where the provider's re-authentication comes back: the signature is made (or refused) here."""
    initiative = access.get_initiative_for(request.user, slug)
    taken = sso.take_reauthentication(request, action="sign", target=initiative.pk)
    if taken is None:
        messages.error(request, "There is no signature waiting for a re-authentication in this browser. "
                                "Nothing was signed.")
        return redirect("approvals:approval", slug=slug)
    answer, asked = taken
    try:
        signature = initiative_sign(initiative=initiative, by=request.user, meaning=asked["meaning"],
                                    statement=asked["statement"], reauthentication=answer)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        for detail in exc.details:
            messages.error(request, detail, extra_tags="detail")
    else:
        messages.success(request, f"Signed: {signature.manifestation}")
    return redirect("approvals:approval", slug=slug)


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
