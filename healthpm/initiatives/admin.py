from django.contrib import admin

from healthpm.core.admin import ReadOnlyAdmin

from .models import Initiative


@admin.register(Initiative)
class InitiativeAdmin(ReadOnlyAdmin):
    """Read-only here: initiatives change only through the audited workflow."""

    list_display = ("title", "slug", "owner", "status", "clinical_area", "updated_at")
    list_filter = ("status", "clinical_area")
    search_fields = ("title", "slug")
