"""Unlocking sign-in from the admin site, recorded in the audit trail.

django-axes' own admin lists the failed attempts (AccessAttempt); a row at the failure limit is
a lock. This admin adds the "Unlock sign-in" action: an administrator who has checked with the
user removes the lock at once instead of running a management command, and the trail records
who unlocked whom (the login_unlocked event), like every other administrator action.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction

from healthpm.audit.services import record

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
class SsoIdentityAdmin(admin.ModelAdmin):
    """Who each single sign-on account is at the provider. Read-only: the identity comes from the
    provider at sign-in, and re-pointing an account at another subject would hand it to someone else."""

    list_display = ("user", "subject", "issuer", "last_login_at", "logged_out_at")
    search_fields = ("user__username", "user__email", "subject")
    readonly_fields = ("user", "issuer", "subject", "created_at", "last_login_at", "logged_out_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
