from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "healthpm.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from . import receivers  # noqa: F401  (connects to the gates' and approvals' domain signals)
