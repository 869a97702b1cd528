from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from .models import Notification


def state_filters() -> dict[str, Q]:
    """Each state of Notification.state as a filter, for the admin's "By state"."""
    unsent = Q(sent_at__isnull=True, failed_at__isnull=True)
    live = timezone.now() - timedelta(seconds=settings.HEALTHPM_OUTBOX_LEASE_SECONDS)
    return {
        "pending": unsent & Q(claim="", attempts=0),
        "sending": unsent & ~Q(claim="") & Q(claimed_at__gte=live),
        "lease expired": unsent & ~Q(claim="") & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=live)),
        "retrying": unsent & Q(claim="", attempts__gt=0),
        "sent": Q(sent_at__isnull=False),
        "failed": Q(sent_at__isnull=True, failed_at__isnull=False),
    }


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(state, state) for state in state_filters()]

    def queryset(self, request, queryset):
        wanted = state_filters().get(self.value() or "")
        return queryset if wanted is None else queryset.filter(wanted)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    # state: pending, sending (a live claim), lease expired (its worker died; the sweeper
    # re-sends it), retrying (a send failed), sent, failed (MAX_ATTEMPTS reached, not retried).
    list_display = ("subject", "recipient", "created_at", "state", "sent_at", "attempts", "failed_at", "last_error")
    list_filter = (StateFilter, "sent_at")
    readonly_fields = [f.name for f in Notification._meta.fields] + ["message_id", "state"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="state")
    def state(self, obj: Notification) -> str:
        return obj.state
