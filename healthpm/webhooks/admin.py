"""Webhooks in the Django admin (administrators only, like the rest of the admin).

Adding an endpoint generates its secret and shows it once; changes and deletions reach the
audit trail through the admin's LogEntry (healthpm/audit/signals.py); the actions are audited
by the services they call.
"""

from django import forms
from django.contrib import admin, messages

from healthpm.core.admin import ReadOnlyAdmin

from . import services
from .models import EVENTS, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https",
                         help_text="https:// address that receives the POSTs.")
    events = forms.MultipleChoiceField(
        choices=[(key, f"{key} — {label}") for key, label in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple, help_text="The events this endpoint receives.")

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "event_list", "active", "created_by", "created_at")
    list_filter = ("active",)
    readonly_fields = ("created_by", "created_at")
    actions = ["send_test_event"]

    @admin.display(description="Events")
    def event_list(self, obj):
        return ", ".join(obj.events or [])

    def save_model(self, request, obj, form, change):
        secret = None
        if not change:
            secret = services.new_secret()
            obj.set_secret(secret)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if secret:
            messages.warning(request, f"The signing secret of {obj.url} is {secret} — copy it to the receiver now: "
                                      "it is stored encrypted and will not be shown again.")

    @admin.action(description="Send test event")
    def send_test_event(self, request, queryset):
        sent = services.send_test(list(queryset), by=request.user)
        self.message_user(request, f"Queued a webhook.test event to {len(sent)} endpoint(s); see the delivery log.")


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", "Pending or retrying"), ("delivered", "Delivered"), ("given_up", "Given up")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "pending":
            return queryset.filter(delivered_at__isnull=True, given_up_at__isnull=True)
        if value == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if value == "given_up":
            return queryset.filter(given_up_at__isnull=False)
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: read-only, with "Retry now"."""

    list_display = ("message_id", "event_type", "endpoint", "state", "attempts", "last_status_code", "last_error",
                    "next_attempt_at", "created_at")
    list_filter = (StateFilter, "event_type")
    list_select_related = ("endpoint",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["retry_now"]

    @admin.action(description="Retry now", permissions=["view"])
    def retry_now(self, request, queryset):
        count = services.retry_now(list(queryset.select_related("endpoint")), by=request.user)
        self.message_user(request, f"{count} delivery(ies) queued to be sent again.")
