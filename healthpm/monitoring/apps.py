from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "healthpm.monitoring"
    label = "monitoring"

    def ready(self):
        from . import receivers  # noqa: F401
