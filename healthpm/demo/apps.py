from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "healthpm.demo"
    label = "demo"
