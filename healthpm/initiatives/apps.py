from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    name = "healthpm.initiatives"
    label = "initiatives"
