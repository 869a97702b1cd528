from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "healthpm.dashboard"
    label = "dashboard"

    def ready(self):
        from . import signals  # noqa: F401
