from django.apps import AppConfig


class DossierConfig(AppConfig):
    name = "healthpm.dossier"
    label = "dossier"
    verbose_name = "Dossiers"
