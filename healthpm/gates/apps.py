from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "healthpm.gates"
    label = "gates"
