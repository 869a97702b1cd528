from django.urls import path

from . import views

app_name = "collaboration"
urlpatterns = [
    path("<slug:key>/team/", views.gate_assign_view, name="assign"),
    path("<slug:key>/comments/", views.gate_comment_view, name="comment"),
]
