from django.urls import path

from . import views

app_name = "dossier"
urlpatterns = [
    path("initiatives/<slug:slug>/dossier/", views.dossier_page, name="page"),
    path("initiatives/<slug:slug>/dossier/v<int:version>/download/", views.download, name="download"),
    path("initiatives/<slug:slug>/dossier/model-card.xml", views.model_card_xml, name="model_card"),
    path("dossiers/verify/", views.verify, name="verify"),
]
