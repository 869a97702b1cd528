from django.urls import path

from . import views

app_name = "initiatives"
urlpatterns = [
    path("", views.initiative_list, name="list"),
    path("new/", views.initiative_new, name="new"),
    path("<slug:slug>/", views.initiative_overview, name="overview"),
    path("<slug:slug>/edit/", views.initiative_edit, name="edit"),
    path("<slug:slug>/checklist/", views.initiative_move_checklist_view, name="move_checklist"),
]
