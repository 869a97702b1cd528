from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "healthpm.gates"
    label = "gates"

    def ready(self):
        from . import checks  # noqa: F401  (registers the checklist system checks)
