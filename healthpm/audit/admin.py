from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: administrators may read the trail but never bypass it."""

    list_display = ("id", "created_at", "actor_label", "action", "object_repr", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_repr", "action")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
