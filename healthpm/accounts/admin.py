"""Unlocking sign-in and resetting two-factor sign-in from the admin site, recorded in the audit trail.

django-axes' own admin lists the failed attempts (AccessAttempt); a row at the failure limit is
a lock. This admin adds the "Unlock sign-in" action: an administrator who has checked with the
user removes the lock at once instead of running a management command, and the trail records
who unlocked whom (the login_unlocked event), like every other administrator action.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.audit.services import record
from healthpm.core.admin import ReadOnlyAdmin

from . import mfa
from .models import SsoIdentity


class UnlockingAccessAttemptAdmin(AccessAttemptAdmin):
    actions = ["unlock", *AccessAttemptAdmin.actions]

    @admin.action(description="Unlock sign-in for the selected attempts", permissions=["delete"])
    def unlock(self, request, queryset):
        with transaction.atomic():
            attempts = list(queryset.select_for_update())
            for attempt in attempts:
                record("login_unlocked", actor=request.user, after={
                    "username": attempt.username or "",
                    "ip_address": attempt.ip_address or "",
                    "failures": attempt.failures_since_start,
                    "was_locked": attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT,
                })
            AccessAttempt.objects.filter(pk__in=[a.pk for a in attempts]).delete()
        names = ", ".join(sorted({a.username or "(no username)" for a in attempts}))
        self.message_user(request, f"Sign-in unlocked for {names}. The unlock is in the audit trail.",
                          messages.SUCCESS)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, UnlockingAccessAttemptAdmin)


@admin.register(SsoIdentity)
class SsoIdentityAdmin(ReadOnlyAdmin):
    """Who each single sign-on account is at the provider. Read-only: the identity comes from the
    provider at sign-in, and re-pointing an account at another subject would hand it to someone else."""

    list_display = ("user", "subject", "issuer", "last_login_at", "logged_out_at")
    search_fields = ("user__username", "user__email", "subject")
    readonly_fields = ("user", "issuer", "subject", "created_at", "last_login_at", "logged_out_at")


# --- Two-factor sign-in -----------------------------------------------------------------------
# django-otp's own device admins would let an administrator add a device with a key of their
# choosing (and so pass another user's second factor); the only device tool here is the reset.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class TwoFactorUserAdmin(UserAdmin):
    actions = [*(UserAdmin.actions or []), "reset_two_factor"]

    @admin.action(description="Reset two-factor sign-in for the selected users", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """For a lost phone: the user's authenticator and recovery codes go; they enrol again at next sign-in."""
        users = list(queryset)
        for user in users:
            mfa.reset(user, by=request.user)
        names = ", ".join(sorted(u.get_username() for u in users))
        self.message_user(request, f"Two-factor sign-in reset for {names}. They set it up again when they next sign "
                                   "in. The reset is in the audit trail.", messages.SUCCESS)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, TwoFactorUserAdmin)
