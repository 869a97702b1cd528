from django.urls import path

from . import views

app_name = "dossier"
urlpatterns = [
    path("initiatives/<slug:slug>/dossier/", views.dossier_page, name="page"),
    path("initiatives/<slug:slug>/dossier/v<int:version>/download/", views.download, name="download"),
    path("dossiers/verify/", views.verify, name="verify"),
]
