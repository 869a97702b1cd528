from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from axes.signals import user_locked_out

from .context import request_actor
from .services import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record("login", actor=user, obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("logout", actor=user, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never store the attempted password; the username alone is what an auditor needs.
    username = str(credentials.get("username", ""))[:150]
    record("login_failed", actor_label=username or "unknown", after={"username": username})


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    """django-axes locked a username after repeated failures (settings.AXES_FAILURE_LIMIT)."""
    username = str(username or "")[:150]
    record("login_locked_out", actor_label=username or "unknown", after={"username": username})


# The administrator may not bypass the trail (SPEC §8): Django's admin log is a plain table,
# so every admin change is copied into the hash chain, and role changes are recorded however
# they happen (admin form, shell, seed), because a role decides who may approve.
_ADMIN_ACTIONS = {ADDITION: "admin_added", CHANGE: "admin_changed", DELETION: "admin_deleted"}


@receiver(post_save, sender=LogEntry)
def _admin_logged(sender, instance, created, **kwargs):
    if not created:
        return
    record(_ADMIN_ACTIONS.get(instance.action_flag, "admin_action"), actor=instance.user, after={
        "model": f"{instance.content_type.app_label}.{instance.content_type.model}" if instance.content_type_id else "",
        "object_id": str(instance.object_id or ""),
        "object": instance.object_repr,
        "change": instance.get_change_message(),
    })


@receiver(m2m_changed, sender=get_user_model().groups.through)
def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """roles_granted / roles_revoked, from either side of the relation (user.groups or group.user_set)."""
    from django.contrib.auth.models import Group

    if action == "pre_clear":
        # The rows are about to go: name them now (pk_set is None for a clear).
        if reverse:
            changes = [(user, [instance.name]) for user in instance.user_set.all()]
        else:
            changes = [(instance, list(instance.groups.values_list("name", flat=True)))]
        verb = "roles_revoked"
    elif action in {"post_add", "post_remove"} and pk_set:
        if reverse:
            changes = [(user, [instance.name]) for user in get_user_model().objects.filter(pk__in=pk_set)]
        else:
            changes = [(instance, list(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True)))]
        verb = "roles_granted" if action == "post_add" else "roles_revoked"
    else:
        return
    for user, names in changes:
        if names:
            record(verb, actor=request_actor(), obj=user, after={"user": user.get_username(), "roles": sorted(names)})
