from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "healthpm.api"
    label = "api"
    verbose_name = "API"
