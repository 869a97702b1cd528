from django.contrib import admin

from healthpm.core.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: administrators may read the trail but never bypass it."""

    list_display = ("id", "created_at", "actor_label", "action", "object_repr", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_repr", "action")
