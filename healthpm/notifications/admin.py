from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    # state: pending, sending (a live claim), lease expired (its worker died; the sweeper
    # re-sends it), retrying (a send failed), sent, failed (MAX_ATTEMPTS reached, not retried).
    list_display = ("subject", "recipient", "created_at", "state", "sent_at", "attempts", "failed_at", "last_error")
    list_filter = ("sent_at", "failed_at")
    readonly_fields = [f.name for f in Notification._meta.fields] + ["message_id", "state"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="state")
    def state(self, obj: Notification) -> str:
        return obj.state
