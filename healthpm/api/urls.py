from django.urls import path

from . import docs
from .views import dossiers, evidence, gates, initiatives, metrics

app_name = "api"
urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
    path("dossiers/verify/", dossiers.DossierVerify.as_view(), name="dossier_verify"),
    path("initiatives/", initiatives.InitiativeList.as_view(), name="initiatives"),
    path("initiatives/<slug:slug>/", initiatives.InitiativeDetail.as_view(), name="initiative"),
    path("initiatives/<slug:slug>/gates/<slug:key>/", gates.GateDetail.as_view(), name="gate"),
    path("initiatives/<slug:slug>/gates/<slug:key>/evidence/", evidence.EvidenceUpload.as_view(), name="evidence"),
    path("initiatives/<slug:slug>/metrics/", metrics.MetricSamples.as_view(), name="metrics"),
    path("initiatives/<slug:slug>/dossiers/", dossiers.DossierList.as_view(), name="dossiers"),
    path("initiatives/<slug:slug>/dossiers/<int:version>/download/", dossiers.DossierDownload.as_view(),
         name="dossier_download"),
]
