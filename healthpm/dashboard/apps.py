from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "healthpm.dashboard"
    label = "dashboard"
