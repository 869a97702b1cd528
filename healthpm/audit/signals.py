from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from axes.signals import user_locked_out

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
