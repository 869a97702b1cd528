from django.contrib import admin

from .models import Initiative


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    """Read-only here: initiatives change only through the audited workflow."""

    list_display = ("title", "slug", "owner", "status", "clinical_area", "updated_at")
    list_filter = ("status", "clinical_area")
    search_fields = ("title", "slug")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
