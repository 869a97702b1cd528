from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "healthpm.notifications"
    label = "notifications"

    def ready(self):
        from . import receivers  # noqa: F401  (connects to the gates' domain signals)
