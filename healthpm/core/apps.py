from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "healthpm.core"
    label = "core"
