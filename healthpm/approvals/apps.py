from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "healthpm.approvals"
    label = "approvals"
