"""Service accounts and API tokens in the admin site. A token's secret is shown once, in the
message after saving; creating and revoking are audited (healthpm/api/tokens.py)."""

from django.contrib import admin, messages

from . import tokens
from .forms import AdminTokenForm, ServiceAccountForm
from .models import ApiToken, ServiceAccount
from .services import service_account_create


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "description", "created_at", "created_by"]
    readonly_fields = ["user", "created_at", "created_by"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ServiceAccountForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["username", "description", "roles"] if obj is None else ["user", "description", "created_at",
                                                                         "created_by"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        account = service_account_create(username=form.cleaned_data["username"],
                                         description=form.cleaned_data["description"],
                                         roles=form.cleaned_data["roles"], by=request.user)
        obj.pk, obj.user = account.pk, account.user
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate the user instead: its past actions keep their actor


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = AdminTokenForm
    list_display = ["name", "owner", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "owner__username"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["owner", "name", "prefix", "scopes", "initiatives", "created_at", "created_by", "expires_at",
                "last_used_at", "revoked_at", "revoked_by"]

    def get_fields(self, request, obj=None):
        return ["owner", "name", "scopes", "expires_at", "initiatives"] if obj is None else self.get_readonly_fields(
            request, obj)

    def has_change_permission(self, request, obj=None):
        # A token is never edited: its page is read-only; revoke it (the action) and make a new one.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the trail names the token

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        token, secret = tokens.token_create(owner=data["owner"], name=data["name"], scopes=data["scopes"],
                                            expires_at=data["expires_at"], initiatives=list(data["initiatives"]),
                                            by=request.user)
        obj.pk = token.pk
        obj._state.adding = False
        messages.warning(request, f"The token's secret, shown this once (copy it now): {secret}")

    def save_related(self, request, form, formsets, change):
        pass  # token_create set the initiatives

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            tokens.token_revoke(token=token, by=request.user)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
