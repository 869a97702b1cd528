"""The final signed launch decision and reopening (SPEC §2, §5)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from healthpm import access
from healthpm.accounts import mfa, oidc, roles
from healthpm.audit.services import record
from healthpm.core.errors import PasswordRefused, WorkflowError
from healthpm.gates.context import evaluation_context
from healthpm.gates.models import Gate, GateStatus
from healthpm.initiatives.models import FINAL_STATUSES, Initiative, Status
from healthpm.lib.hashing import digest
from healthpm.notifications.services import notify

from .models import Signature
from .signals import final_decision


def final_decision_blockers(initiative: Initiative, gates: list[Gate], *, meaning: str) -> list[str]:
    """Everything that stops a final decision, gate by gate, in plain words."""
    ctx = evaluation_context()
    today = ctx.today
    problems = []
    for gate in gates:
        if gate.status != GateStatus.APPROVED:
            problems.append(f"“{gate.title}” is {gate.get_status_display().lower()}, not approved.")
        elif not gate.approval_matches(today=today):
            problems.append(
                f"“{gate.title}”: its data or evidence changed (or evidence expired) since it was approved; "
                "it must be reviewed again."
            )
        if meaning == Signature.Meaning.APPROVED:
            problems += [f"“{gate.title}”: {f.message}" for f in gate.definition.final_findings(gate.data, ctx) if f.blocks]
    return problems


def initiative_digest(initiative: Initiative, gates: list[Gate]) -> str:
    """SHA-256 binding a signature to the initiative's facts and every gate's approved state."""
    return digest(
        {
            "initiative": initiative.slug,
            "facts": initiative.snapshot(),
            "gates": [
                {
                    "key": g.key,
                    "status": g.status,
                    "digest": g.compute_digest(),
                    "approval": getattr(g.current_approval(), "pk", None),
                }
                for g in gates
            ],
        }
    )


def current_signature(initiative: Initiative) -> Signature | None:
    return initiative.signatures.filter(voided_at__isnull=True).select_related("signer").first()


# Reasons a local signer's re-authentication is refused (the audit trail's signature_refused).
WRONG_PASSWORD = "wrong password"
WRONG_CODE = "wrong authenticator code"


def initiative_sign(*, initiative: Initiative, by, meaning: str, statement: str = "", password: str = "",
                    otp_code: str = "", reauthentication: oidc.Reauthentication | None = None) -> Signature:
    """Record the final signed decision once the officer has proved it is them, now (21 CFR 11.200(a)).

    A local account re-enters its password, and with an authenticator app (mfa.code_needed) a
    current code from it too; a single sign-on account has no password here and brings the
    provider's fresh re-authentication instead (``accounts.sso.begin_reauthentication``).
    """
    statement = _check_meaning(meaning, statement)
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        access.require_decide(by, initiative)
        if oidc.is_sso_user(by):
            refusal = oidc.reauthentication_refusal(by, reauthentication)
        else:
            refusal = local_reauthentication_refusal(by, password=password, otp_code=otp_code)
        if refusal is None:
            return _sign(initiative, by=by, meaning=meaning, statement=statement)
        refused = initiative
    # Recorded after the transaction that locked the row: the refusal must survive in the trail.
    record("signature_refused", actor=by, obj=refused, initiative=refused,
           after={"reason": refusal, "meaning": meaning})
    if refusal == WRONG_PASSWORD:
        raise PasswordRefused("The password is not correct. Your signature was not recorded.")
    if refusal == WRONG_CODE:
        raise PasswordRefused("The authenticator code is not correct. Enter the code your app shows now. "
                              "Your signature was not recorded.")
    raise WorkflowError(f"{refusal} Your signature was not recorded.")


def local_reauthentication_refusal(user, *, password: str, otp_code: str) -> str | None:
    """Why a local signer's re-authentication fails (the audit reason), or None when it passes.

    The password first: a code is not spent (a TOTP code works once) while the password is wrong.
    Both refusals count towards the login lockout (the view calls password_reentry_failed).
    """
    if not user.check_password(password or ""):
        return WRONG_PASSWORD
    if mfa.code_needed(user) and mfa.verify(user, otp_code or "") is None:
        return WRONG_CODE
    return None


def check_can_sign(*, initiative: Initiative, by, meaning: str, statement: str = "") -> list[Gate]:
    """Everything but the signer's re-authentication: asked before sending an SSO officer to their
    provider (so a blocked decision is said at once) and again when the signature is made."""
    statement = _check_meaning(meaning, statement)
    access.require_decide(by, initiative)
    if initiative.status in FINAL_STATUSES:
        raise WorkflowError(f"“{initiative.title}” already has a final decision.")
    gates = Gate.objects.of_initiative(initiative)
    problems = final_decision_blockers(initiative, gates, meaning=meaning)
    if problems:
        raise WorkflowError("The final decision is not available yet:", details=problems)
    return gates


def _check_meaning(meaning: str, statement: str) -> str:
    if meaning not in Signature.Meaning.values:
        raise WorkflowError("Choose the meaning of your signature: approved for launch or rejected.")
    statement = statement.strip()
    if meaning == Signature.Meaning.REJECTED and not statement:
        raise WorkflowError("Give the grounds for rejecting the launch.")
    return statement


def _sign(initiative: Initiative, *, by, meaning: str, statement: str) -> Signature:
    """The signing itself, inside initiative_sign's transaction with the row locked."""
    gates = check_can_sign(initiative=initiative, by=by, meaning=meaning, statement=statement)
    signature = Signature.objects.create(
        initiative=initiative,
        signer=by,
        printed_name=roles.printed_name(by),
        signed_at=timezone.now().replace(microsecond=0),
        meaning=meaning,
        statement=statement,
        digest=initiative_digest(initiative, gates),
    )
    before = initiative.status
    initiative.status = Status.APPROVED if meaning == Signature.Meaning.APPROVED else Status.REJECTED
    initiative.save(update_fields=["status", "updated_at"])
    record("initiative_signed", actor=by, obj=initiative, initiative=initiative,
           before={"status": before},
           after={"status": initiative.status, "manifestation": signature.manifestation,
                  "digest": signature.digest, "statement": statement})
    leaders = roles.active_members(roles.LEADERSHIP)
    notify([initiative.owner, *initiative.collaborators.all(), *leaders],
           subject=f"Final decision: {initiative.title} — {signature.get_meaning_display()}",
           template="final_decision", context={"initiative": initiative, "signature": signature},
           link=reverse("approvals:approval", args=[initiative.slug]))
    final_decision.send(sender=Signature, initiative=initiative, signature=signature)
    return signature


def initiative_reopen(*, initiative: Initiative, by, reason: str) -> Initiative:
    """Void the final decision (kept in history) and return the initiative to review."""
    reason = reason.strip()
    if not reason:
        raise WorkflowError("Give the reason for reopening; it is kept in the audit trail.")
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        access.require_reopen(by, initiative)
        if initiative.status not in FINAL_STATUSES:
            raise WorkflowError(f"“{initiative.title}” has no final decision to reopen.")
        signature = current_signature(initiative)
        if signature is not None:
            signature.voided_at = timezone.now()
            signature.voided_by = by
            signature.void_reason = reason
            signature.save(update_fields=["voided_at", "voided_by", "void_reason"])
        before = initiative.status
        initiative.status = Status.IN_REVIEW
        initiative.save(update_fields=["status", "updated_at"])
        record("initiative_reopened", actor=by, obj=initiative, initiative=initiative,
               before={"status": before, "signature": signature.manifestation if signature else None},
               after={"status": initiative.status, "reason": reason})
        notify([initiative.owner, *initiative.collaborators.all()],
               subject=f"Reopened: {initiative.title}", template="reopened",
               context={"initiative": initiative, "reason": reason, "by": by},
               link=reverse("approvals:approval", args=[initiative.slug]))
    return initiative
