from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]
