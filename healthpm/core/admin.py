"""What the admin site's records share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Administrators may read these records but never add, change or delete them here: they change
    only through their own audited services (or, for the trail itself, never)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
