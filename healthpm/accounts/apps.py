from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "healthpm.accounts"
    label = "accounts"
