from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "healthpm.notifications"
    label = "notifications"
