from django.contrib import admin

from .models import ProxyVariable, SourceSystem, SubgroupDimension


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ("name", "approved", "description")
    list_filter = ("approved",)


@admin.register(ProxyVariable)
class ProxyVariableAdmin(admin.ModelAdmin):
    list_display = ("label", "match_terms")


@admin.register(SubgroupDimension)
class SubgroupDimensionAdmin(admin.ModelAdmin):
    list_display = ("name", "required")
    list_filter = ("required",)
