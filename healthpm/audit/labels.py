"""Words for the audit trail as people read it: "Gate approved" by "Priya Patel", not gate_approved by pm2.

One mapping used wherever the trail is shown (the initiative overview, the PDF dossier). The
trail itself keeps the codes: they are what the hash chain covers and what queries filter on.
An action without an entry here reads as its code in words ("gate_withdrawn" → "Gate withdrawn").
"""

from healthpm.accounts.roles import printed_name

ACTION_LABELS = {
    "initiative_created": "Initiative registered",
    "initiative_updated": "Initiative details changed",
    "initiative_status_changed": "Initiative status changed",
    "initiative_checklist_changed": "Moved to a later checklist",
    "initiative_signed": "Final decision signed",
    "initiative_reopened": "Initiative reopened",
    "gate_data_saved": "Gate answers saved",
    "gate_submitted": "Gate submitted for review",
    "gate_approved": "Gate approved",
    "gate_rejected": "Gate rejected",
    "gate_approval_voided": "Gate approval voided (data or evidence changed, or a monitoring breach)",
    "metric_sample_recorded": "Monitoring sample recorded",
    "monitoring_breach": "Monitoring breach: gate re-opened for review",
    "monitoring_breach_cleared": "Monitoring breach cleared by a new approval",
    "initiative_paused": "Paused — review required",
    "initiative_unpaused": "Pause lifted (every re-opened gate approved again)",
    "gate_exception_recorded": "Written exception recorded",
    "evidence_added": "Evidence added",
    "evidence_replaced": "Evidence replaced by a new version",
    "evidence_downloaded": "Evidence downloaded",
    "gate_table_downloaded": "Gate table downloaded (XLSX)",
    "gate_table_imported": "Gate table imported from a spreadsheet",
    "dossier_requested": "Dossier requested",
    "dossier_generated": "Dossier generated",
    "dossier_failed": "Dossier generation failed",
    "dossier_downloaded": "Dossier downloaded",
    "dossier_verified": "Dossier verified",
    "dossier_verifications_repeated": "Same dossier verified again (repeats counted in one event)",
    "model_card_downloaded": "Model card downloaded",
    "signature_refused": "Signature refused (re-authentication failed)",
    "api_token_created": "API token created",
    "api_token_revoked": "API token revoked",
    "service_account_created": "Service account created",
    "webhook_test_sent": "Webhook test event sent",
    "webhook_retried": "Webhook delivery retried",
    "login": "Signed in",
    "logout": "Signed out",
    "login_failed": "Sign-in failed",
    "login_locked_out": "Sign-in locked",
    "login_unlocked": "Sign-in unlocked by an administrator",
    "session_timeout": "Signed out after inactivity",
    "sso_account_created": "Account created at first single sign-on",
    "sso_roles_applied": "Roles set from the identity provider's groups",
    "sso_login_failed": "Single sign-on refused",
    "sso_session_ended": "Single sign-on session ended",
    "sso_logged_out_at_provider": "Signed out at the identity provider",
    "sso_logout_refused": "Back-channel logout refused",
    "mfa_enrolled": "Two-factor sign-in turned on",
    "mfa_failed": "Wrong two-factor code",
    "mfa_recovery_code_used": "Recovery code used",
    "mfa_recovery_codes_renewed": "New recovery codes made",
    "mfa_reset": "Two-factor sign-in reset by an administrator",
    "permission_granted": "Permission granted",
    "roles_granted": "Roles granted",
    "roles_revoked": "Roles revoked",
    "admin_added": "Administrator added a record",
    "admin_changed": "Administrator changed a record",
    "admin_deleted": "Administrator deleted a record",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code) or (code or "").replace("_", " ").strip().capitalize()


def status_label(event, code) -> str:
    """A gate's or an initiative's status code in words, by the kind of object the event is about."""
    from healthpm.gates.models import GateStatus
    from healthpm.initiatives.models import Status

    if not isinstance(code, str):
        return str(code)
    choices = GateStatus if event.object_type == "gates.Gate" else Status
    try:
        return choices(code).label
    except ValueError:
        return code.replace("_", " ")


def actor_name(event) -> str:
    """The person's printed name; the recorded label for events without a user (system, failed sign-in)."""
    if event.actor_id and event.actor is not None:
        return printed_name(event.actor)
    return event.actor_label or "system"
